"""WooCommerce: the wc-auth key handshake, REST v3 through the `woocommerce` package (our own
paging and retries), mapping to neutral records, and webhook signatures and subscriptions.

Knows nothing of our database: it takes a store URL and keys, returns records and reports.
"""

from connectors.woocommerce.auth import (
    REQUIRED_PERMISSIONS,
    KeyDelivery,
    KeyDeliveryError,
    authorize_url,
    parse_key_delivery,
)
from connectors.woocommerce.client import (
    Page,
    WooCommerceClient,
    WooCommerceError,
)
from connectors.woocommerce.schemas import (
    customer_from_payload,
    order_from_payload,
    product_from_payload,
)
from connectors.woocommerce.webhooks import (
    TOPICS,
    WebhookReport,
    ensure_webhooks,
    signature_of,
    verify_signature,
)

__all__ = [
    "REQUIRED_PERMISSIONS",
    "TOPICS",
    "KeyDelivery",
    "KeyDeliveryError",
    "Page",
    "WebhookReport",
    "WooCommerceClient",
    "WooCommerceError",
    "authorize_url",
    "customer_from_payload",
    "ensure_webhooks",
    "order_from_payload",
    "parse_key_delivery",
    "product_from_payload",
    "signature_of",
    "verify_signature",
]
