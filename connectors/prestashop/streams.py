"""Reading what changed in a window of `date_upd`, page by page, without losing an edge.

A window is `[since, until]` in shop-local time. Pages are read in `(date_upd, id)` order
by keyset: the next page starts at the last `date_upd` seen, skipping the objects already
read at exactly that time. Offsets never grow with the data, so an object that changes
while we read (and leaves the window) does not shift the pages after it, and many objects
sharing one `date_upd` (a bulk import) are still read once each. The caller's polling
cursor starts each window a little before the previous one ended (`ShopClock.window_start`),
so an equal timestamp at the edge is read again rather than lost; ingest ignores repeats.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from connectors import readahead
from connectors.prestashop.client import PrestaShopClient
from connectors.prestashop.clock import ZERO_DATETIME

# Resources we read and their order in a run: products before the orders and carts that
# borrow their titles and prices; orders before the carts that look their order up.
STREAMS = ("customers", "addresses", "products", "orders", "carts")
# What a key must be allowed to GET; the others are read when allowed.
REQUIRED_RESOURCES = ("customers", "addresses", "orders", "carts", "products", "currencies",
                      "countries")  # fmt: skip
OPTIONAL_RESOURCES = ("states", "languages", "categories", "configurations")
DEFAULT_PAGE_SIZE = 500


@dataclass(frozen=True)
class Window:
    """Local `date_upd` bounds, both inclusive (the Webservice's interval filter)."""

    since: str = ZERO_DATETIME
    until: str = "9999-12-31 23:59:59"


def changed_pages(
    client: PrestaShopClient,
    resource: str,
    window: Window,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    display: str = "full",
) -> Iterator[list[dict]]:
    """Pages of the objects whose `date_upd` is in the window, oldest first."""
    since, skip = window.since, 0
    while True:
        page = client.list(
            resource,
            display=display,
            date=True,
            filters={"date_upd": f"[{since},{window.until}]"},
            sort="[date_upd_ASC,id_ASC]",
            limit=f"{skip},{page_size}",
        )
        if page:
            yield page
        if len(page) < page_size:
            return
        last = str(page[-1].get("date_upd") or ZERO_DATETIME)
        at_last = sum(1 for item in page if str(item.get("date_upd") or ZERO_DATETIME) == last)
        # Everything on this page had the same date_upd as the window start: go further
        # into that second; otherwise restart at the last second, past what we read of it.
        skip = skip + at_last if last == since else at_last
        since = last


def prefetched(pages: Iterator[list[dict]], depth: int = 1) -> Iterator[list[dict]]:
    """The same pages, the next one read in a thread while the caller handles this one.
    The generator must use a client of its own (`PrestaShopClient.clone`)."""
    return readahead.prefetched(pages, depth, name="prestashop-prefetch")
