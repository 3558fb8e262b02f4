"""The REST client over the emulator: OAuth 1.0a over plain http (what the `woocommerce`
package does), pages and their headers, retries honouring Retry-After, clear errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from connectors.woocommerce import WooCommerceClient, WooCommerceError, ensure_webhooks
from connectors.woocommerce.client import USER_AGENT, prefetched, retry_after_seconds


def client(emulator, **options) -> tuple[WooCommerceClient, list[float]]:
    key = emulator.add_key()
    waits: list[float] = []
    made = WooCommerceClient(
        emulator.url, key.consumer_key, key.consumer_secret, sleep=waits.append, **options
    )
    return made, waits


def test_pages_with_totals_and_filters(emulator):
    api, _ = client(emulator)
    assert api.api.timeout == 30 and api.api.user_agent == USER_AGENT
    pages = list(api.pages("orders", {"orderby": "id", "order": "asc"}, per_page=40))
    assert [len(p.items) for p in pages] == [40, 40, 10]
    assert {(p.total, p.total_pages) for p in pages} == {(90, 3)}
    ids = [item["id"] for page in pages for item in page.items]
    assert ids == sorted(emulator.store.orders)
    # modified_after (UTC with dates_are_gmt) returns only what changed after it.
    changed = emulator.update_order(ids[5], deliver=False, status="completed")
    since = datetime.fromisoformat(changed["date_modified_gmt"]) - timedelta(seconds=1)
    recent = list(
        api.pages("orders", {"modified_after": since.isoformat(), "dates_are_gmt": "true"})
    )
    assert [item["id"] for page in recent for item in page.items] == [ids[5]]
    # Pages read several at once come in order, the same ones.
    together = list(api.pages("orders", {"orderby": "id", "order": "asc"}, per_page=7, workers=3))
    assert [p.number for p in together] == list(range(1, 14))
    assert [i["id"] for p in together for i in p.items] == sorted(emulator.store.orders)
    # Read-ahead gives the same pages.
    again = list(prefetched(api.pages("orders", {"orderby": "id", "order": "asc"}, per_page=40)))
    assert [p.number for p in again] == [1, 2, 3]


def test_retries_honour_retry_after_then_succeed(emulator):
    api, waits = client(emulator)
    emulator.fail_next(1, status=429, retry_after="7")
    emulator.fail_next(1, status=503)
    at = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    emulator.fail_next(1, status=429, retry_after=at)
    page = api.page("customers")
    assert len(page.items) == 30 and page.total == 30
    assert waits[0] == 7  # Retry-After in seconds
    assert waits[1] == 2  # no Retry-After: exponential backoff (second attempt)
    assert 25 <= waits[2] <= 30  # Retry-After as an HTTP date
    assert api.retries == 3


def test_gives_up_with_a_clear_message(emulator):
    api, waits = client(emulator, max_attempts=3)
    emulator.fail_next(3, status=500)
    with pytest.raises(WooCommerceError, match="gave up after 3 attempts") as raised:
        api.page("orders")
    assert raised.value.status == 500 and len(waits) == 2


def test_refusals_are_not_retried(emulator):
    api, waits = client(emulator)
    with pytest.raises(WooCommerceError, match="per_page") as raised:
        api.request("GET", "orders", params={"per_page": 500})
    assert raised.value.status == 400 and waits == []
    stranger = WooCommerceClient(emulator.url, "ck_" + "1" * 40, "cs_" + "2" * 40)
    with pytest.raises(WooCommerceError, match="refused our API key"):
        stranger.page("customers")
    reader = emulator.add_key("read")
    read_only = WooCommerceClient(emulator.url, reader.consumer_key, reader.consumer_secret)
    with pytest.raises(WooCommerceError, match="read_write"):
        ensure_webhooks(read_only, "http://127.0.0.1:1/webhooks/woocommerce/x", "s")


def test_retry_after_parsing():
    assert retry_after_seconds("3") == 3
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    past = format_datetime(datetime.now(UTC) - timedelta(minutes=1), usegmt=True)
    assert retry_after_seconds(past) == 0


def test_ensure_webhooks_repairs_what_it_finds(emulator):
    api, _ = client(emulator)
    url = "http://127.0.0.1:1/webhooks/woocommerce/shop1"
    first = ensure_webhooks(api, url, "secret")
    assert len(first.created) == 9 and not first.reactivated
    hooks = emulator.store.webhooks
    disabled = next(h for h in hooks.values() if h["topic"] == "order.created")
    disabled["status"] = "disabled"
    duplicate = dict(next(h for h in hooks.values() if h["topic"] == "customer.updated"))
    duplicate["id"] = 999
    hooks[999] = duplicate
    emulator._changed("webhooks")
    moved = ensure_webhooks(api, "https://new.example/webhooks/woocommerce/shop1", "secret")
    assert moved.reactivated == ["order.created"] and moved.removed == [999]
    assert len(moved.repointed) == 9 and not moved.created
    assert {h["delivery_url"] for h in hooks.values()} == {
        "https://new.example/webhooks/woocommerce/shop1"
    }
    assert all(h["status"] == "active" for h in hooks.values())
