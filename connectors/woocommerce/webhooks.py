"""WooCommerce webhooks: the signature on each delivery, and our subscriptions kept alive.

WooCommerce signs a delivery with `X-WC-Webhook-Signature` = base64(HMAC-SHA256(raw body,
the webhook's secret)); the secret is ours, one per shop, set when we create the webhook.
WooCommerce disables a webhook after repeated failed deliveries and never re-enables it, so
every sync checks ours exist and are active (`ensure_webhooks`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field

from connectors.woocommerce.client import WooCommerceClient

TOPICS = (
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "order.created",
    "order.updated",
    "order.deleted",
    "product.created",
    "product.updated",
    "product.deleted",
)
WEBHOOK_NAME = "Cible {topic}"


def signature_of(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_signature(body: bytes, secret: str, signature: str | None) -> bool:
    """Whether `signature` (the X-WC-Webhook-Signature header) signs this raw body."""
    if not signature or not secret:
        return False
    return hmac.compare_digest(signature_of(body, secret).encode(), signature.strip().encode())


@dataclass
class WebhookReport:
    """What ensure_webhooks found and did (ids are WooCommerce's webhook ids)."""

    active: dict[str, int] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    repointed: list[str] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "active": dict(self.active),
            "created": list(self.created),
            "reactivated": list(self.reactivated),
            "repointed": list(self.repointed),
            "removed": list(self.removed),
        }


def _ours(hook: dict, delivery_path: str) -> bool:
    url = str(hook.get("delivery_url") or "")
    return url.split("?", 1)[0].rstrip("/").endswith(delivery_path)


def list_webhooks(client: WooCommerceClient) -> list[dict]:
    hooks: list[dict] = []
    for page in client.pages("webhooks", {"status": "all", "orderby": "id", "order": "asc"}):
        hooks.extend(page.items)
    return hooks


def ensure_webhooks(
    client: WooCommerceClient, delivery_url: str, secret: str, topics=TOPICS
) -> WebhookReport:
    """One active webhook of ours per topic, pointing at `delivery_url`, signed with `secret`.

    Ours are recognised by the delivery URL's path (`/webhooks/woocommerce/<shop public id>`),
    so a changed CIBLE_PUBLIC_URL repoints them instead of leaving dead ones behind; extra
    copies of a topic are deleted.
    """
    report = WebhookReport()
    path = "/" + delivery_url.split("://", 1)[-1].split("/", 1)[-1].rstrip("/")
    by_topic: dict[str, list[dict]] = {}
    for hook in list_webhooks(client):
        if _ours(hook, path):
            by_topic.setdefault(hook.get("topic"), []).append(hook)
    for topic in topics:
        found = by_topic.pop(topic, [])
        # Keep the active one if any, else the oldest; delete the others.
        found.sort(key=lambda hook: (hook.get("status") != "active", hook.get("id") or 0))
        for extra in found[1:]:
            client.request("DELETE", f"webhooks/{extra['id']}", params={"force": "true"})
            report.removed.append(extra["id"])
        if not found:
            created = client.request(
                "POST",
                "webhooks",
                data={
                    "name": WEBHOOK_NAME.format(topic=topic),
                    "topic": topic,
                    "delivery_url": delivery_url,
                    "secret": secret,
                    "status": "active",
                },
            ).json()
            report.created.append(topic)
            report.active[topic] = created["id"]
            continue
        hook = found[0]
        changes = {}
        if hook.get("status") != "active":
            changes["status"] = "active"
            report.reactivated.append(topic)
        if hook.get("delivery_url") != delivery_url:
            changes["delivery_url"] = delivery_url
            report.repointed.append(topic)
        if changes:
            # The secret is write-only in the API: set it again with any change.
            client.request("PUT", f"webhooks/{hook['id']}", data={**changes, "secret": secret})
        report.active[topic] = hook["id"]
    # Our webhooks on topics we no longer want.
    for hooks in by_topic.values():
        for hook in hooks:
            client.request("DELETE", f"webhooks/{hook['id']}", params={"force": "true"})
            report.removed.append(hook["id"])
    return report
