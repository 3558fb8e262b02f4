"""Shopify streams as declarations, and incremental reading in windows of `updated_at`.

A stream says what it reads (connection, page query and size, bulk query, nested child,
mapping). Incremental reading walks half-open windows [start, end) of `updated_at` from the
bookmark up to a limit that never passes the sync's own start time (less a lag for Shopify's
search index), and says when each window is complete, so the caller saves the bookmark
after each one: a crash resumes at the last complete window; a record updated while the
sync runs falls in a later window, never skipped.

Inside a window, pages are sorted by ID (a cursor that stays valid when records change
while we page). Cursor pagination stops at 25,000 objects, so a window that reaches the
limit is split in two and read again half by half (records already read are upserted
again: harmless, ingest is idempotent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from connectors.shopify import mapping, queries
from connectors.shopify.graphql import GraphQLClient

PAGINATION_LIMIT = 25_000
# Shopify's first shops: no record is older than this.
EPOCH = datetime(2006, 1, 1, tzinfo=UTC)
MIN_WINDOW = timedelta(seconds=1)


@dataclass(frozen=True)
class Stream:
    name: str
    connection: str
    page_query: str
    page_size: int
    bulk_query: str
    child: str | None
    to_record: Callable[[dict], object]


STREAMS: dict[str, Stream] = {
    "products": Stream(
        "products",
        "products",
        queries.PRODUCTS_PAGE,
        50,
        queries.PRODUCTS_BULK,
        "variants",
        mapping.product,
    ),
    "customers": Stream(
        "customers",
        "customers",
        queries.CUSTOMERS_PAGE,
        250,
        queries.CUSTOMERS_BULK,
        None,
        mapping.customer,
    ),
    "orders": Stream(
        "orders", "orders", queries.ORDERS_PAGE, 25, queries.ORDERS_BULK, "lineItems", mapping.order
    ),
    "checkouts": Stream(
        "checkouts",
        "abandonedCheckouts",
        queries.CHECKOUTS_PAGE,
        25,
        queries.CHECKOUTS_BULK,
        "lineItems",
        mapping.abandoned_checkout,
    ),
}
# Products first (lines name them), then the buyers, then what they bought.
ORDER = ("products", "customers", "orders", "checkouts")


class WindowTooLarge(Exception):
    """A window holding more objects than cursor pagination can reach."""


def isoformat(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_bookmark(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def window_search(start: datetime, end: datetime) -> str:
    return f"updated_at:>='{isoformat(start)}' updated_at:<'{isoformat(end)}'"


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def halves(self) -> tuple[Window, Window]:
        middle = self.start + (self.end - self.start) / 2
        middle = middle.replace(microsecond=0)
        return Window(self.start, middle), Window(middle, self.end)


def plan(bookmark: datetime | None, until: datetime, size: timedelta) -> list[Window]:
    """Windows from the bookmark (or the beginning, in one window) up to `until`."""
    start = bookmark or EPOCH
    if start >= until:
        return []
    if bookmark is None:
        return [Window(start, until)]
    windows = []
    while start < until:
        end = min(start + size, until)
        windows.append(Window(start, end))
        start = end
    return windows


@dataclass
class Page:
    records: list
    errors: list[str]


@dataclass
class WindowDone:
    window: Window
    objects: int


def _complete_children(client: GraphQLClient, stream: Stream, node: dict) -> None:
    """Fetch the rest of a node's nested connection when its page held only the first ones."""
    connection = node.get(stream.child) if stream.child else None
    if not connection or not (connection.get("pageInfo") or {}).get("hasNextPage"):
        return
    nodes = list(connection.get("nodes") or [])
    cursor = connection["pageInfo"]["endCursor"]
    while cursor:
        found = client.execute(queries.ORDER_LINES_REST, {"id": node["id"], "after": cursor})
        more = (found.get("node") or {}).get(stream.child) or {}
        nodes.extend(more.get("nodes") or [])
        info = more.get("pageInfo") or {}
        cursor = info.get("endCursor") if info.get("hasNextPage") else None
    node[stream.child] = {"nodes": nodes}


def read_window(
    client: GraphQLClient, stream: Stream, window: Window, *, limit: int = PAGINATION_LIMIT
) -> Iterator[Page]:
    """The window's records, a page at a time; raises WindowTooLarge past `limit` objects."""
    after = None
    seen = 0
    search = window_search(window.start, window.end)
    while True:
        data = client.execute(
            stream.page_query, {"first": stream.page_size, "after": after, "query": search}
        )
        connection = data[stream.connection]
        nodes = connection.get("nodes") or []
        seen += len(nodes)
        records, errors = [], []
        for node in nodes:
            try:
                _complete_children(client, stream, node)
                records.append(stream.to_record(node))
            except mapping.MappingError as error:
                errors.append(f"{stream.name}: {error}")
        yield Page(records, errors)
        info = connection.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            return
        if seen >= limit and window.end - window.start > MIN_WINDOW:
            raise WindowTooLarge(f"{stream.name}: more than {limit} objects in {search}")
        after = info.get("endCursor")


def read_incremental(
    client: GraphQLClient,
    stream: Stream,
    bookmark: datetime | None,
    until: datetime,
    *,
    size: timedelta = timedelta(days=1),
    limit: int = PAGINATION_LIMIT,
) -> Iterator[Page | WindowDone]:
    """Pages, and a WindowDone after each complete window (save the bookmark then)."""
    pending = plan(bookmark, until, size)
    while pending:
        window = pending.pop(0)
        objects = 0
        try:
            for page in read_window(client, stream, window, limit=limit):
                objects += len(page.records) + len(page.errors)
                yield page
        except WindowTooLarge:
            pending[:0] = list(window.halves())
            continue
        yield WindowDone(window, objects)
