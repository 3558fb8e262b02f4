"""A sync run's stream and kind in words ("Shopify customers", "full"), for the admin.

sync_runs keep codes (`shopify:customers`, `full`) written by sync/shopify_sync.py,
woocommerce_sync.py, prestashop_sync.py, csv_import.py and jobs.py; the pages show the
names below in the merchant's language and keep the code in a title attribute for support.
A code this page does not know is shown as it is.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STREAM_NAMES = {
    "shopify:customers": _l("Shopify customers"),
    "shopify:orders": _l("Shopify orders"),
    "shopify:products": _l("Shopify products"),
    "shopify:checkouts": _l("Shopify abandoned checkouts"),
    "woocommerce:customers": _l("WooCommerce customers"),
    "woocommerce:orders": _l("WooCommerce orders"),
    "woocommerce:products": _l("WooCommerce products"),
    "prestashop:customers": _l("PrestaShop customers"),
    "prestashop:addresses": _l("PrestaShop addresses"),
    "prestashop:orders": _l("PrestaShop orders"),
    "prestashop:products": _l("PrestaShop products"),
    "prestashop:carts": _l("PrestaShop carts"),
    "csv:customers": _l("Customers file (CSV)"),
    "csv:orders": _l("Orders file (CSV)"),
    "csv:lines": _l("Order lines file (CSV)"),
    "statistics": _l("Customer statistics"),
    # Runs recorded without a platform (demo data, older rows).
    "customers": _l("Customers"),
    "orders": _l("Orders"),
    "products": _l("Products"),
}

KIND_NAMES = {
    "full": _l("full"),
    "incremental": _l("changes since the last sync"),
    "backfill": _l("full history"),
    "poll": _l("periodic check"),
    "import": _l("import"),
    "recompute": _l("recalculation"),
}


def stream_name(code: str) -> str:
    return str(STREAM_NAMES[code]) if code in STREAM_NAMES else code


def kind_name(code: str) -> str:
    return str(KIND_NAMES[code]) if code in KIND_NAMES else code
