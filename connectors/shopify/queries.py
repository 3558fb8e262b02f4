"""GraphQL documents the sync sends: paged reads, bulk reads and bulk-operation polling.

Field lists are written once and used by both the paged query (incremental windows) and the
bulk query (backfill), so the two read the same fields and map the same way. Page sizes keep
each paged query under Shopify's single-query cost limit of 1,000 points (a connection
costs 2 + first x its node's cost): 250 customers (252), 25 orders x 25 lines (702),
50 products x 10 variants (652), 25 checkouts x 25 lines (702).
"""

from __future__ import annotations

MONEY = "shopMoney { amount currencyCode }"

CUSTOMER_FIELDS = """
    id firstName lastName locale tags state note createdAt updatedAt
    defaultEmailAddress { emailAddress marketingState marketingOptInLevel marketingUpdatedAt }
    defaultPhoneNumber { phoneNumber marketingState marketingUpdatedAt }
    defaultAddress { city province provinceCode zip countryCodeV2 company latitude longitude }
"""

ORDER_FIELDS = f"""
    id name email createdAt updatedAt processedAt cancelledAt test
    displayFinancialStatus currencyCode sourceName discountCodes
    totalPriceSet {{ {MONEY} }}
    customer {{ id }}
    billingAddress {{ firstName lastName }}
"""

ORDER_LINE_FIELDS = f"""
    id title sku vendor quantity
    originalUnitPriceSet {{ {MONEY} }}
    product {{ id productType }}
    variant {{ id }}
"""

PRODUCT_FIELDS = """
    id title handle vendor productType status tags createdAt updatedAt onlineStoreUrl
    featuredMedia { preview { image { url } } }
"""

VARIANT_FIELDS = "id sku price"

CHECKOUT_FIELDS = f"""
    id abandonedCheckoutUrl createdAt updatedAt completedAt
    totalPriceSet {{ {MONEY} }}
    customer {{ id defaultEmailAddress {{ emailAddress }} }}
"""

CHECKOUT_LINE_FIELDS = f"""
    id title sku quantity
    originalUnitPriceSet {{ {MONEY} }}
    product {{ id productType }}
    variant {{ id }}
"""

PAGE_INFO = "pageInfo { hasNextPage endCursor }"


def paged_query(connection: str, fields: str, child: tuple[str, str, int] | None = None) -> str:
    """`connection(first, after, query, sortKey: ID)` with nodes and pageInfo; `child` is a
    nested connection (name, fields, first) read on the same page."""
    nested = ""
    if child is not None:
        name, child_fields, first = child
        nested = f"{name}(first: {first}) {{ nodes {{ {child_fields} }} {PAGE_INFO} }}"
    return (
        f"query {connection.title()}Page($first: Int!, $after: String, $query: String) {{\n"
        f"  {connection}(first: $first, after: $after, query: $query, sortKey: ID) {{\n"
        f"    nodes {{ {fields} {nested} }}\n"
        f"    {PAGE_INFO}\n"
        f"  }}\n"
        f"}}"
    )


def bulk_query(
    connection: str, fields: str, child: tuple[str, str] | None = None, search: str | None = None
) -> str:
    """The query a bulk operation runs: every object of `connection` (or those `search`
    selects), nested connection nodes coming back as their own JSONL lines with `__parentId`."""
    nested = ""
    if child is not None:
        name, child_fields = child
        nested = f"{name} {{ edges {{ node {{ {child_fields} }} }} }}"
    arguments = ""
    if search:
        escaped = search.replace("\\", "\\\\").replace('"', '\\"')
        arguments = f'(query: "{escaped}")'
    return f"{{ {connection}{arguments} {{ edges {{ node {{ {fields} {nested} }} }} }} }}"


CUSTOMERS_PAGE = paged_query("customers", CUSTOMER_FIELDS)
ORDERS_PAGE = paged_query("orders", ORDER_FIELDS, ("lineItems", ORDER_LINE_FIELDS, 25))
PRODUCTS_PAGE = paged_query("products", PRODUCT_FIELDS, ("variants", VARIANT_FIELDS, 10))
CHECKOUTS_PAGE = paged_query(
    "abandonedCheckouts", CHECKOUT_FIELDS, ("lineItems", CHECKOUT_LINE_FIELDS, 25)
)

CUSTOMERS_BULK = bulk_query("customers", CUSTOMER_FIELDS)
ORDERS_BULK = bulk_query("orders", ORDER_FIELDS, ("lineItems", ORDER_LINE_FIELDS))
PRODUCTS_BULK = bulk_query("products", PRODUCT_FIELDS, ("variants", VARIANT_FIELDS))
CHECKOUTS_BULK = bulk_query(
    "abandonedCheckouts", CHECKOUT_FIELDS, ("lineItems", CHECKOUT_LINE_FIELDS)
)

# The rest of an order's (or checkout's) lines when a page held only the first 25.
ORDER_LINES_REST = f"""
query OrderLines($id: ID!, $after: String) {{
  node(id: $id) {{
    ... on Order {{
      lineItems(first: 250, after: $after) {{ nodes {{ {ORDER_LINE_FIELDS} }} {PAGE_INFO} }}
    }}
    ... on AbandonedCheckout {{
      lineItems(first: 250, after: $after) {{ nodes {{ {CHECKOUT_LINE_FIELDS} }} {PAGE_INFO} }}
    }}
  }}
}}
"""

BULK_RUN = """
mutation BulkRun($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""

BULK_STATUS = """
query BulkStatus($id: ID!) {
  node(id: $id) {
    ... on BulkOperation {
      id status errorCode objectCount rootObjectCount fileSize url partialDataUrl
    }
  }
}
"""

BULK_CANCEL = """
mutation BulkCancel($id: ID!) {
  bulkOperationCancel(id: $id) { bulkOperation { id status } userErrors { field message } }
}
"""

GRANTED_SCOPES = "query GrantedScopes { currentAppInstallation { accessScopes { handle } } }"
