"""A shop's data in the emulator, held in the GraphQL Admin API's documented shapes.

Objects are plain dicts as the API returns them with every field selected (`id` as a gid,
DateTime as `...Z` strings, MoneyBag as shopMoney/presentmentMoney, nested connections as
lists that the executor turns into connections). `seed` builds a shop of any size quickly
(20,000 customers and 60,000 orders in a few seconds) and deterministically; the `rest_*`
functions give the same object in the REST shape that webhooks carry, with the same numeric
ids, so a webhook and a sync address the same rows.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

CUSTOMER_BASE = 6_100_000_000
ORDER_BASE = 5_200_000_000
LINE_BASE = 13_400_000_000
PRODUCT_BASE = 8_300_000_000
VARIANT_BASE = 44_500_000_000
CHECKOUT_BASE = 30_600_000_000
CHECKOUT_LINE_BASE = 31_700_000_000

FIRST_NAMES = (
    "Camille",
    "Louis",
    "Léa",
    "Hugo",
    "Chloé",
    "Jules",
    "Manon",
    "Gabriel",
    "Inès",
    "Arthur",
    "Zoé",
    "Noah",
    "Élodie",
    "Raphaël",
    "Anaïs",
    "Théo",
)
LAST_NAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "Bouvier",
)
CITIES = (
    ("Nantes", "Pays de la Loire", "PDL", "44000", 47.218, -1.553),
    ("Paris", "Île-de-France", "IDF", "75011", 48.857, 2.352),
    ("Lyon", "Auvergne-Rhône-Alpes", "ARA", "69002", 45.764, 4.835),
    ("Lille", "Hauts-de-France", "HDF", "59000", 50.629, 3.057),
    ("Bordeaux", "Nouvelle-Aquitaine", "NAQ", "33000", 44.837, -0.579),
)
PRODUCT_TYPES = ("Dark chocolate", "Milk chocolate", "Pralines", "Gift boxes", "Capsules")
VENDORS = ("Chocolaterie Cible", "Maison Bouvier", "Cacao & Co")
MARKETING_STATES = ("SUBSCRIBED",) * 3 + ("NOT_SUBSCRIBED",) * 4 + ("UNSUBSCRIBED", "PENDING")
FINANCIAL = ("PAID",) * 16 + ("PENDING", "REFUNDED", "PARTIALLY_REFUNDED", "AUTHORIZED")
SOURCES = ("web",) * 12 + ("pos", "pos", "iphone", "android")
TAGS = ("vip", "newsletter", "wholesale", "b2b", "gift", "loyal")
START = datetime(2024, 1, 1, tzinfo=UTC)


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def number_of(gid_value: str) -> int:
    return int(gid_value.rsplit("/", 1)[1])


def stamp(moment: datetime) -> str:
    """Shopify's DateTime: ISO 8601 in UTC with a Z, to the second."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat()[:19] + "Z"


def money(amount: Decimal | str, currency: str) -> dict:
    value = {"amount": str(amount), "currencyCode": currency}
    return {"shopMoney": value, "presentmentMoney": dict(value)}


def make_customer(
    number: int, rng: random.Random, currency: str, created: datetime, updated: datetime
) -> dict:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    city, province, code, zip_code, lat, lon = rng.choice(CITIES)
    state = rng.choice(MARKETING_STATES)
    sms_state = "SUBSCRIBED" if number % 11 == 0 else "NOT_SUBSCRIBED"
    phone = f"+3361{number % 10_000_000:07d}" if number % 3 else None
    return {
        "__typename": "Customer",
        "id": gid("Customer", CUSTOMER_BASE + number),
        "legacyResourceId": str(CUSTOMER_BASE + number),
        "firstName": first,
        "lastName": last,
        "displayName": f"{first} {last}",
        "defaultEmailAddress": {
            "__typename": "CustomerEmailAddress",
            "emailAddress": f"client{number}@example.fr",
            "marketingState": state,
            "marketingOptInLevel": "SINGLE_OPT_IN" if state != "NOT_SUBSCRIBED" else None,
            "marketingUpdatedAt": stamp(updated) if state != "NOT_SUBSCRIBED" else None,
        },
        "defaultPhoneNumber": None
        if phone is None
        else {
            "__typename": "CustomerPhoneNumber",
            "phoneNumber": phone,
            "marketingState": sms_state,
            "marketingOptInLevel": "SINGLE_OPT_IN" if sms_state == "SUBSCRIBED" else None,
            "marketingUpdatedAt": stamp(updated) if sms_state == "SUBSCRIBED" else None,
            "marketingCollectedFrom": "OTHER" if sms_state == "SUBSCRIBED" else None,
        },
        "locale": "fr" if number % 5 else "en",
        "note": None,
        "state": "ENABLED" if number % 4 else "DISABLED",
        "verifiedEmail": True,
        "taxExempt": False,
        "tags": sorted(rng.sample(TAGS, rng.randrange(3))),
        "createdAt": stamp(created),
        "updatedAt": stamp(updated),
        "numberOfOrders": "0",
        "amountSpent": {"amount": "0.0", "currencyCode": currency},
        "defaultAddress": {
            "__typename": "MailingAddress",
            "id": gid("MailingAddress", 90_000_000 + number),
            "firstName": first,
            "lastName": last,
            "address1": f"{1 + number % 120} rue du Cacao",
            "address2": None,
            "city": city,
            "province": province,
            "provinceCode": code,
            "zip": zip_code,
            "country": "France",
            "countryCodeV2": "FR",
            "company": f"Société {last}" if number % 9 == 0 else None,
            "phone": phone,
            "latitude": lat,
            "longitude": lon,
        },
    }


def make_product(number: int, rng: random.Random, currency: str, created: datetime) -> dict:
    product_type = PRODUCT_TYPES[number % len(PRODUCT_TYPES)]
    price = Decimal(rng.randrange(390, 6900)) / 100
    variants = [
        {
            "__typename": "ProductVariant",
            "id": gid("ProductVariant", VARIANT_BASE + number * 3 + k),
            "sku": f"CIB-{number:05d}-{k}",
            "title": ("100 g", "250 g", "500 g")[k],
            "price": str(price * (1 + 2 * k)),
        }
        for k in range(1 + number % 3)
    ]
    return {
        "__typename": "Product",
        "id": gid("Product", PRODUCT_BASE + number),
        "legacyResourceId": str(PRODUCT_BASE + number),
        "title": f"{product_type} n°{number}",
        "handle": f"produit-{number}",
        "vendor": VENDORS[number % len(VENDORS)],
        "productType": product_type,
        "status": "ACTIVE" if number % 10 else "ARCHIVED",
        "tags": sorted(rng.sample(("bio", "vegan", "noel", "paques", "best-seller"), 2)),
        "createdAt": stamp(created),
        "updatedAt": stamp(created + timedelta(days=3)),
        "onlineStoreUrl": f"https://example-shop.fr/products/produit-{number}",
        "featuredMedia": {
            "__typename": "MediaImage",
            "preview": {"image": {"url": f"https://cdn.example.fr/p/{number}.jpg"}},
        },
        "variants": variants,
    }


def catalogue_lines(products: list[dict], currency: str) -> list[list[tuple]]:
    """Per product, per variant: what a line item copies (shared, never mutated in place)."""
    result = []
    for product in products:
        product_ref = {
            "__typename": "Product",
            "id": product["id"],
            "productType": product["productType"],
        }
        variants = []
        for variant in product["variants"]:
            cents = int(Decimal(variant["price"]) * 100)
            variants.append(
                (
                    product["title"],
                    f"{product['title']} - {variant['title']}",
                    variant["sku"],
                    product["vendor"],
                    cents,
                    money(variant["price"], currency),
                    product_ref,
                    {"__typename": "ProductVariant", "id": variant["id"]},
                )
            )
        result.append(variants)
    return result


def cents_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def make_order(
    number: int,
    rng: random.Random,
    currency: str,
    customer: dict | None,
    catalogue: list[list[tuple]],
    created: datetime,
    next_line: int,
) -> dict:
    lines = []
    total = 0
    count = max(1, min(6, round(rng.expovariate(0.4))))
    random_value = rng.random
    for k in range(count):
        variants = catalogue[int(random_value() * len(catalogue))]
        title, name, sku, vendor, cents, price, product_ref, variant_ref = variants[
            k % len(variants)
        ]
        quantity = 1 + int(random_value() * 4)
        total += cents * quantity
        lines.append(
            {
                "__typename": "LineItem",
                "id": f"gid://shopify/LineItem/{LINE_BASE + next_line + k}",
                "title": title,
                "name": name,
                "sku": sku,
                "vendor": vendor,
                "quantity": quantity,
                "currentQuantity": quantity,
                "originalUnitPriceSet": price,
                "product": product_ref,
                "variant": variant_ref,
            }
        )
    financial = FINANCIAL[int(random_value() * len(FINANCIAL))]
    cancelled = stamp(created + timedelta(hours=5)) if number % 37 == 0 else None
    email = customer["defaultEmailAddress"]["emailAddress"] if customer else None
    if customer is None:
        email = f"invite{number}@example.com"
    updated = created + timedelta(seconds=3600 + int(random_value() * 200 * 3600))
    amount = cents_text(total)
    return {
        "__typename": "Order",
        "id": f"gid://shopify/Order/{ORDER_BASE + number}",
        "legacyResourceId": str(ORDER_BASE + number),
        "name": f"#{1000 + number}",
        "email": email,
        "createdAt": stamp(created),
        "updatedAt": stamp(updated),
        "processedAt": stamp(created),
        "cancelledAt": cancelled,
        "closedAt": None,
        "test": False,
        "displayFinancialStatus": financial,
        "displayFulfillmentStatus": "FULFILLED",
        "currencyCode": currency,
        "presentmentCurrencyCode": currency,
        "totalPriceSet": money(amount, currency),
        "subtotalPriceSet": money(amount, currency),
        "discountCodes": ["BIENVENUE10"] if number % 13 == 0 else [],
        "sourceName": SOURCES[int(random_value() * len(SOURCES))],
        "tags": [],
        "customer": None if customer is None else {"__typename": "Customer", "id": customer["id"]},
        "billingAddress": None
        if customer is not None
        else {"__typename": "MailingAddress", "firstName": "Invité", "lastName": f"N{number}"},
        "lineItems": lines,
    }


def make_checkout(
    number: int,
    rng: random.Random,
    currency: str,
    customer: dict | None,
    products: list[dict],
    created: datetime,
) -> dict:
    lines = []
    for k in range(rng.randint(1, 3)):
        product = products[rng.randrange(len(products))]
        variant = product["variants"][0]
        lines.append(
            {
                "__typename": "AbandonedCheckoutLineItem",
                "id": gid("AbandonedCheckoutLineItem", CHECKOUT_LINE_BASE + number * 4 + k),
                "title": product["title"],
                "sku": variant["sku"],
                "quantity": rng.randint(1, 3),
                "originalUnitPriceSet": money(variant["price"], currency),
                "product": {
                    "__typename": "Product",
                    "id": product["id"],
                    "productType": product["productType"],
                },
                "variant": {"__typename": "ProductVariant", "id": variant["id"]},
            }
        )
    total = sum(
        Decimal(line["originalUnitPriceSet"]["shopMoney"]["amount"]) * line["quantity"]
        for line in lines
    )
    return {
        "__typename": "AbandonedCheckout",
        "id": gid("AbandonedCheckout", CHECKOUT_BASE + number),
        "name": f"#C{number}",
        "abandonedCheckoutUrl": f"https://example-shop.fr/checkouts/recover/{number:08x}",
        "createdAt": stamp(created),
        "updatedAt": stamp(created + timedelta(minutes=30)),
        "completedAt": None,
        "discountCodes": [],
        "note": "",
        "taxesIncluded": True,
        "totalPriceSet": money(total.quantize(Decimal("0.01")), currency),
        "customer": None
        if customer is None
        else {
            "__typename": "Customer",
            "id": customer["id"],
            "defaultEmailAddress": {
                "emailAddress": customer["defaultEmailAddress"]["emailAddress"]
            },
        },
        "lineItems": lines,
    }


def build_shop_data(
    *,
    customers: int,
    orders: int,
    products: int,
    checkouts: int,
    currency: str,
    seed: int,
    now: datetime,
) -> dict[str, dict[int, dict]]:
    """Customers, products, orders and abandoned checkouts spread over the last two years.

    About one order in twenty is a guest checkout; the customers' `numberOfOrders` and
    `amountSpent` are kept consistent with their orders, as Shopify's are.
    """
    rng = random.Random(seed)
    span = max(int((now - START).total_seconds()), 86400)
    result: dict[str, dict[int, dict]] = {
        "customers": {},
        "orders": {},
        "products": {},
        "checkouts": {},
    }
    catalogue = []
    for n in range(1, products + 1):
        item = make_product(n, rng, currency, START + timedelta(seconds=rng.randrange(span // 4)))
        catalogue.append(item)
        result["products"][PRODUCT_BASE + n] = item
    people = []
    for n in range(1, customers + 1):
        created = START + timedelta(seconds=rng.randrange(span))
        updated = min(created + timedelta(days=rng.randrange(30)), now)
        person = make_customer(n, rng, currency, created, updated)
        people.append(person)
        result["customers"][CUSTOMER_BASE + n] = person
    spent: dict[str, list] = {}
    next_line = 0
    lines_catalogue = catalogue_lines(catalogue, currency)
    for n in range(1, orders + 1):
        buyer = None if (n % 20 == 0 or not people) else people[int(rng.random() * len(people))]
        created = START + timedelta(seconds=int(rng.random() * span))
        order = make_order(n, rng, currency, buyer, lines_catalogue, created, next_line)
        next_line += len(order["lineItems"])
        if order["updatedAt"] > stamp(now):
            order["updatedAt"] = stamp(now)
        result["orders"][ORDER_BASE + n] = order
        if buyer is not None and order["cancelledAt"] is None:
            tally = spent.setdefault(buyer["id"], [0, Decimal(0)])
            tally[0] += 1
            tally[1] += Decimal(order["totalPriceSet"]["shopMoney"]["amount"])
    for person in people:
        count, total = spent.get(person["id"], (0, Decimal(0)))
        person["numberOfOrders"] = str(count)
        person["amountSpent"] = {"amount": str(total), "currencyCode": currency}
    for n in range(1, checkouts + 1):
        buyer = people[rng.randrange(len(people))] if people and n % 4 else None
        created = now - timedelta(seconds=rng.randrange(30 * 86400))
        result["checkouts"][CHECKOUT_BASE + n] = make_checkout(
            n, rng, currency, buyer, catalogue, created
        )
    return result


# REST shapes (webhook payloads) of the same objects.


def _rest_time(value: str | None) -> str | None:
    return None if value is None else value.replace("Z", "+00:00")


def _rest_money(bag: dict) -> dict:
    return {
        "shop_money": {
            "amount": bag["shopMoney"]["amount"],
            "currency_code": bag["shopMoney"]["currencyCode"],
        },
        "presentment_money": {
            "amount": bag["presentmentMoney"]["amount"],
            "currency_code": bag["presentmentMoney"]["currencyCode"],
        },
    }


def _rest_address(address: dict | None) -> dict | None:
    if not address:
        return None
    return {
        "first_name": address.get("firstName"),
        "last_name": address.get("lastName"),
        "address1": address.get("address1"),
        "address2": address.get("address2"),
        "city": address.get("city"),
        "province": address.get("province"),
        "province_code": address.get("provinceCode"),
        "zip": address.get("zip"),
        "country": address.get("country"),
        "country_code": address.get("countryCodeV2"),
        "company": address.get("company"),
        "phone": address.get("phone"),
        "default": True,
    }


def rest_customer(customer: dict) -> dict:
    email = customer.get("defaultEmailAddress") or {}
    phone = customer.get("defaultPhoneNumber") or {}

    def consent(value: dict, key: str) -> dict | None:
        if not value:
            return None
        return {
            "state": (value.get("marketingState") or "NOT_SUBSCRIBED").lower(),
            "opt_in_level": (value.get("marketingOptInLevel") or "").lower() or None,
            "consent_updated_at": _rest_time(value.get("marketingUpdatedAt")),
            **({"consent_collected_from": value.get("marketingCollectedFrom")} if key else {}),
        }

    return {
        "id": number_of(customer["id"]),
        "admin_graphql_api_id": customer["id"],
        "email": email.get("emailAddress"),
        "first_name": customer.get("firstName"),
        "last_name": customer.get("lastName"),
        "phone": phone.get("phoneNumber"),
        "state": (customer.get("state") or "ENABLED").lower(),
        "note": customer.get("note"),
        "verified_email": customer.get("verifiedEmail"),
        "tax_exempt": customer.get("taxExempt"),
        "tags": ", ".join(customer.get("tags") or []),
        "currency": customer["amountSpent"]["currencyCode"],
        "created_at": _rest_time(customer["createdAt"]),
        "updated_at": _rest_time(customer["updatedAt"]),
        "email_marketing_consent": consent(email, ""),
        "sms_marketing_consent": consent(phone, "sms"),
        "default_address": _rest_address(customer.get("defaultAddress")),
        "addresses": [a for a in [_rest_address(customer.get("defaultAddress"))] if a],
    }


def rest_order(order: dict, customer: dict | None) -> dict:
    return {
        "id": number_of(order["id"]),
        "admin_graphql_api_id": order["id"],
        "name": order["name"],
        "email": order["email"],
        "created_at": _rest_time(order["createdAt"]),
        "updated_at": _rest_time(order["updatedAt"]),
        "processed_at": _rest_time(order["processedAt"]),
        "cancelled_at": _rest_time(order["cancelledAt"]),
        "financial_status": order["displayFinancialStatus"].lower(),
        "currency": order["currencyCode"],
        "presentment_currency": order["presentmentCurrencyCode"],
        "total_price": order["totalPriceSet"]["shopMoney"]["amount"],
        "total_price_set": _rest_money(order["totalPriceSet"]),
        "discount_codes": [
            {"code": code, "amount": "0.00", "type": "percentage"}
            for code in order["discountCodes"]
        ],
        "source_name": order["sourceName"],
        "tags": ", ".join(order["tags"]),
        "test": order["test"],
        "customer": None if customer is None else rest_customer(customer),
        "billing_address": _rest_address(order.get("billingAddress")),
        "line_items": [
            {
                "id": number_of(line["id"]),
                "admin_graphql_api_id": line["id"],
                "title": line["title"],
                "name": line["name"],
                "sku": line["sku"],
                "vendor": line["vendor"],
                "quantity": line["quantity"],
                "current_quantity": line["currentQuantity"],
                "price": line["originalUnitPriceSet"]["shopMoney"]["amount"],
                "price_set": _rest_money(line["originalUnitPriceSet"]),
                "product_id": number_of(line["product"]["id"]) if line["product"] else None,
                "variant_id": number_of(line["variant"]["id"]) if line["variant"] else None,
            }
            for line in order["lineItems"]
        ],
    }


def rest_product(product: dict) -> dict:
    number = number_of(product["id"])
    image = ((product.get("featuredMedia") or {}).get("preview") or {}).get("image") or {}
    return {
        "id": number,
        "admin_graphql_api_id": product["id"],
        "title": product["title"],
        "handle": product["handle"],
        "vendor": product["vendor"],
        "product_type": product["productType"],
        "status": product["status"].lower(),
        "tags": ", ".join(product["tags"]),
        "created_at": _rest_time(product["createdAt"]),
        "updated_at": _rest_time(product["updatedAt"]),
        "variants": [
            {
                "id": number_of(variant["id"]),
                "admin_graphql_api_id": variant["id"],
                "product_id": number,
                "sku": variant["sku"],
                "title": variant["title"],
                "price": variant["price"],
            }
            for variant in product["variants"]
        ],
        "image": {"src": image["url"]} if image.get("url") else None,
    }


def rest_checkout(checkout: dict, customer: dict | None) -> dict:
    number = number_of(checkout["id"])
    return {
        "id": number,
        "token": f"{number:032x}",
        "cart_token": f"c{number:031x}",
        "email": (checkout.get("customer") or {})
        .get("defaultEmailAddress", {})
        .get("emailAddress"),
        "abandoned_checkout_url": checkout["abandonedCheckoutUrl"],
        "created_at": _rest_time(checkout["createdAt"]),
        "updated_at": _rest_time(checkout["updatedAt"]),
        "completed_at": _rest_time(checkout["completedAt"]),
        "currency": checkout["totalPriceSet"]["shopMoney"]["currencyCode"],
        "presentment_currency": checkout["totalPriceSet"]["presentmentMoney"]["currencyCode"],
        "total_price": checkout["totalPriceSet"]["shopMoney"]["amount"],
        "customer": None if customer is None else rest_customer(customer),
        "line_items": [
            {
                "key": str(number_of(line["id"])),
                "title": line["title"],
                "sku": line["sku"],
                "quantity": line["quantity"],
                "price": line["originalUnitPriceSet"]["shopMoney"]["amount"],
                "product_id": number_of(line["product"]["id"]) if line["product"] else None,
                "variant_id": number_of(line["variant"]["id"]) if line["variant"] else None,
            }
            for line in checkout["lineItems"]
        ],
    }
