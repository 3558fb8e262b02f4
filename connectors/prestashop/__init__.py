"""PrestaShop: the Webservice in JSON (our own thin client over `requests`), polling windows
on `date_upd`, the connection check, and the mapping to neutral records.

Floors: this package knows nothing of our database; `sync.prestashop_sync` runs it.
"""

from connectors.prestashop.client import PrestaShopClient, normalise_shop_url
from connectors.prestashop.clock import ShopClock
from connectors.prestashop.connection import ConnectionReport, check_connection, load_lookups
from connectors.prestashop.errors import (
    KeyRefused,
    NotPrestaShop,
    ResourceNotPermitted,
    ShopUnreachable,
    WebserviceDisabled,
    WebserviceError,
    WebserviceFailed,
)
from connectors.prestashop.schemas import CartOrder, Lookups, Mapper, ProductFacts, RecordRefused
from connectors.prestashop.streams import DEFAULT_PAGE_SIZE, STREAMS, Window, changed_pages

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "STREAMS",
    "CartOrder",
    "ConnectionReport",
    "KeyRefused",
    "Lookups",
    "Mapper",
    "NotPrestaShop",
    "PrestaShopClient",
    "ProductFacts",
    "RecordRefused",
    "ResourceNotPermitted",
    "ShopClock",
    "ShopUnreachable",
    "WebserviceDisabled",
    "WebserviceError",
    "WebserviceFailed",
    "Window",
    "changed_pages",
    "check_connection",
    "load_lookups",
    "normalise_shop_url",
]
