"""Order and order-line upserts: customers resolved (by platform id, or by email for guest
checkouts), lines replaced as a set, and the touched customers' statistics recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from connectors import records
from sync.ingest import normalise as clean
from sync.ingest.customers import newest_by_key
from sync.ingest.result import IngestError, IngestResult
from sync.ingest.statistics import create_statistics, statistics_statements
from sync.ingest.writer import (
    analyze_if_grown,
    analyze_statement,
    assign_ids,
    batch_size_for,
    batches,
    copy_applies,
    copy_new_rows,
    executed_meanwhile,
    in_filters,
    naive_now,
    select_in,
    selected_meanwhile,
    stored_by_external_id,
    upsert_rows,
    write_new_and_stored,
)
from sync.store import CHANNELS, ORDER_STATUSES, Customer, Order, OrderLine, Shop

customers = Customer.__table__
orders = Order.__table__
order_lines = OrderLine.__table__

ORDER_COLUMNS = (
    "customer_id", "customer_external_id", "email", "status", "total", "currency", "channel",
    "discount_code", "created_at", "created_date", "updated_at",
)  # fmt: skip
# The columns ingest's own statements find rows by (analyze_if_grown keeps their statistics).
LOOKUP_COLUMNS = ("shop_id", "external_id", "customer_id", "status")
LINE_LOOKUP_COLUMNS = ("shop_id", "order_external_id", "order_id")
# A line's key under its stored order, and while it waits for it (a partial unique index:
# migration 0010).
LINE_KEY = ("order_id", "line_key")
WAITING_LINE_KEY = ("shop_id", "order_external_id", "line_key")
WAITING_LINE = order_lines.c.order_id.is_(None)
LINE_COLUMNS = (
    "order_id", "product_external_id", "sku", "title", "category", "vendor", "quantity",
    "unit_price",
)  # fmt: skip


def order_row(shop: Shop, record: records.Order, now) -> dict:
    refuse = clean.Refuser(shop.domain, "order", record.external_id)
    created_at = clean.utc(record.created_at, refuse, "created_at")
    if created_at is None:
        raise refuse("created_at is missing")
    return {
        "shop_id": shop.id,
        "external_id": clean.external_id(record.external_id, refuse),
        "customer_id": None,
        "customer_external_id": clean.customer_reference(record.customer_external_id),
        "email": clean.email(record.email),
        "status": clean.choice(record.status, ORDER_STATUSES, refuse, "status"),
        "total": clean.money(record.total, refuse, "total"),
        "currency": clean.currency(record.currency, refuse, shop.currency),
        "channel": clean.choice(record.channel, CHANNELS, refuse, "channel"),
        "discount_code": clean.text(record.discount_code, 255),
        "created_at": created_at,
        "created_date": clean.local_day(created_at, clean.shop_zone(shop.timezone)),
        "updated_at": clean.utc(record.updated_at, refuse, "updated_at") or created_at,
        "ingested_at": now,
    }


class LineRefuser(clean.Refuser):
    """A Refuser naming the line as `order/line key`, formatted only when a line is refused
    (lines are most of a load: one f-string per line is measurable). One serves all the
    lines of an order, its `line_key` set before each."""

    __slots__ = ("line_key",)

    def __init__(self, shop_domain: str, order_external_id: object, line_key: object):
        # The base class's fields set here rather than through super().__init__: one call
        # less per line.
        self.shop_domain = shop_domain
        self.kind = "order line"
        self.external_id = order_external_id
        self.line_key = line_key

    def __call__(self, reason: str) -> IngestError:
        return IngestError(
            self.shop_domain, self.kind, f"{self.external_id}/{self.line_key}", reason
        )


def line_row(shop: Shop, line: records.OrderLine, order_external_id: object) -> dict:
    """The row of a line that arrives on its own (CSV), its order's external id as sent."""
    refuse = LineRefuser(shop.domain, order_external_id, line.line_key)
    order_key = clean.external_id(order_external_id, refuse, "order_external_id")
    return _line_fields(shop.id, None, order_key, line, refuse)


def _line_fields(
    shop_id: int, order_id: int | None, order_key: str, line: records.OrderLine, refuse
) -> dict:
    """A line's row under its order's cleaned external id (and id, when stored)."""
    quantity = clean.integer(line.quantity, refuse, "quantity", default=1)
    if quantity < 0:
        raise refuse(f"quantity {quantity} is negative")
    return {
        "shop_id": shop_id,
        "order_id": order_id,
        "order_external_id": order_key,
        "line_key": clean.external_id(line.line_key, refuse, "line_key"),
        "product_external_id": clean.text(line.product_external_id, 255),
        "sku": clean.text(line.sku, 255),
        "title": clean.text(line.title, 512),
        "category": clean.text(line.category, 255),
        "vendor": clean.text(line.vendor, 255),
        "quantity": quantity,
        "unit_price": clean.money(line.unit_price, refuse, "unit_price"),
    }


def upsert_orders(
    session: Session, shop: Shop, records: Iterable[records.Order], *, batch_size: int | None = None
) -> IngestResult:
    """Upsert orders (and their lines when given) in batches, in the caller's transaction.

    Statistics of every customer whose counted orders may have changed (the new owner and,
    when an order moved, the previous one) are recomputed before returning.
    """
    shop = clean.ShopFacts.of(shop)
    result = IngestResult()
    for batch in batches(records, batch_size_for(session, batch_size, 2000)):
        now = naive_now()
        # The batch's stored customers and orders are looked up while its rows are built.
        with selected_meanwhile(session, _lookups(shop.id, batch)) as found:
            prepared: dict[str, tuple[dict, records.Order]] = {}
            for record in batch:
                row = order_row(shop, record, now)
                previous = prepared.get(row["external_id"])
                if previous is None or row["updated_at"] >= previous[0]["updated_at"]:
                    prepared[row["external_id"]] = (row, record)
        by_reference, by_email, previous_owner = found
        result.merge(
            _write_orders(
                session, shop, list(prepared.values()), now,
                dict(by_reference), owners_of(by_email), dict(previous_owner),
            )
        )  # fmt: skip
    return result


def _lookups(shop_id: int, batch: list[records.Order]) -> list[tuple]:
    """The reads a batch of orders needs, as `select_in` arguments: its customers by
    platform id and (guest checkouts) by email, and its orders already stored. The keys
    are cleaned as order_row cleans them; a record order_row refuses makes the batch fail
    anyway."""
    external_ids, references, emails = set(), set(), set()
    for record in batch:
        if record.external_id is not None:
            external_ids.add(str(record.external_id).strip())
        reference = clean.customer_reference(record.customer_external_id)
        if reference:
            references.add(reference)
        elif record.email is not None:
            emails.add(clean.email(record.email))
    emails.discard(None)
    return [
        (select(customers.c.external_id, customers.c.id).where(customers.c.shop_id == shop_id),
         customers.c.external_id, sorted(references)),
        (select(customers.c.email, customers.c.is_guest, customers.c.id)
         .where(customers.c.shop_id == shop_id), customers.c.email, sorted(emails)),
        (select(orders.c.external_id, orders.c.customer_id).where(orders.c.shop_id == shop_id),
         orders.c.external_id, sorted(external_ids)),
    ]  # fmt: skip


ORDER_UPSERT = dict(
    key=("shop_id", "external_id"), version="updated_at",
    compare=ORDER_COLUMNS, update=ORDER_COLUMNS + ("ingested_at",),
    returning=("id", "external_id", "customer_id"),
)  # fmt: skip


def _write_orders(
    session: Session,
    shop: Shop,
    prepared: list,
    now,
    by_reference: dict[str, int],
    by_email: dict[str, int],
    previous_owner: dict[str, int | None],
) -> IngestResult:
    """Write a batch's order rows (`prepared`: deduplicated (row, record) pairs), given its
    stored customers by platform id and by email and its stored orders' owners.

    Orders found stored are upserted; the new ones go in by one COPY when it applies
    (writer.copy_new_rows), their figures then added to their customers' statistics.
    """
    rows = [row for row, _ in prepared]
    result = IngestResult()
    result.customer_ids |= _resolve_customers(session, shop, prepared, now, by_reference, by_email)
    lines_of = {row["external_id"]: record.lines for row, record in prepared}
    new_rows = [row for row in rows if row["external_id"] not in previous_owner]
    # Lines stored before their order (CSV) are the only lines a new order can have: without
    # any in the shop, new orders skip the linking update and the stored-lines lookup.
    waiting = bool(new_rows) and _has_waiting_lines(session, shop.id)
    copied: list[dict] = []
    if copy_applies(session, new_rows):
        # Stored orders are upserted, new ones COPYed with ids taken first (their lines
        # point at them), unless another writer stored one of them since the lookup.
        stored_rows = [row for row in rows if row["external_id"] in previous_owner]
        written = upsert_rows(session, orders, stored_rows, **ORDER_UPSERT)
        assign_ids(session, orders, new_rows)
        if copy_new_rows(session, orders, new_rows) is None:
            # Those stored meanwhile are updated orders: their owners' statistics and
            # their lines are then brought up to date as any updated order's.
            keys = [row["external_id"] for row in new_rows]
            stored = stored_by_external_id(session, orders, shop.id, keys, "customer_id")
            previous_owner = {**previous_owner, **stored}
            written += upsert_rows(session, orders, new_rows, **ORDER_UPSERT)
        else:
            copied = new_rows
    else:
        written = upsert_rows(session, orders, rows, **ORDER_UPSERT)
    batch = _WrittenOrders(shop, written, copied, previous_owner, waiting, lines_of)
    # The statistics read only the orders, written by now: PostgreSQL brings them up to
    # date (and links waiting lines, and analyses a grown table) while Python builds the
    # lines.
    with executed_meanwhile(session, batch.statements(session)):
        line_rows = batch.line_rows()
    _replace_lines(session, shop, line_rows, batch.may_have_lines)
    result.unchanged_or_stale = len(rows) - batch.count
    result.inserted, result.updated = batch.inserted, batch.updated
    result.customer_ids |= batch.customer_ids
    return result


class _WrittenOrders:
    """A batch's written orders: those upserted (`upserted`, as RETURNed) and those COPYed
    (`copied`, the rows with their ids), and what follows from them: the counts, the
    statements to run once they are stored (ANALYZE when the table has grown, waiting
    lines linked, statistics), and their lines' rows."""

    def __init__(self, shop, upserted, copied, previous_owner, waiting, lines_of):
        self.shop = shop
        self.copied = copied
        self.count = len(upserted) + len(copied)
        self.lines_of = lines_of
        self.updated = 0
        # Customers whose statistics are recomputed: those of upserted orders (and an
        # updated order's previous owner). The orders one COPY inserted are added to their
        # customers' figures instead (sync.ingest.statistics).
        self.touched: set[int] = set()
        ids = {row["external_id"]: row["id"] for row in copied}
        self.new_orders = list(ids)
        for row in upserted:
            if row.external_id in previous_owner:
                self.updated += 1
                self.touched.add(previous_owner[row.external_id])
            else:
                self.new_orders.append(row.external_id)
            self.touched.add(row.customer_id)
            ids[row.external_id] = row.id
        self.touched.discard(None)
        self.inserted = self.count - self.updated
        self.customer_ids = self.touched | {row["customer_id"] for row in copied}
        self.customer_ids.discard(None)
        self.waiting = waiting and bool(self.new_orders)
        self.with_lines = {
            external_id: order_id
            for external_id, order_id in ids.items()
            if lines_of[external_id] is not None
        }
        # Orders that can have stored lines to replace: updated ones, and new ones whose
        # waiting lines join them.
        self.may_have_lines = {
            order_id
            for external_id, order_id in self.with_lines.items()
            if self.waiting or external_id in previous_owner
        }

    def statements(self, session: Session) -> list:
        statements = []
        analyze = analyze_statement(session, orders, self.inserted, LOOKUP_COLUMNS)
        if analyze is not None:
            statements.append(analyze)
        if self.waiting:
            statements += _link_waiting_lines(session, self.shop.id, self.new_orders)
        return statements + statistics_statements(session, self.shop.id, self.touched, self.copied)

    def line_rows(self) -> list[dict]:
        return _line_rows(self.shop, self.with_lines, self.lines_of)


def _resolve_customers(
    session: Session, shop: Shop, prepared: list, now, known: dict, by_email: dict
) -> set[int]:
    """Set `customer_id` on each order row; returns the ids of guest profiles created.

    A platform customer id is looked up as is in `known` (unknown: the order waits,
    unlinked, for the customer). Without one, the email finds the shop's customer in
    `by_email` (owners_of: a registered one before a guest); an unknown email gets a guest
    profile so guest buyers can be segmented.
    """
    rows = [row for row, _ in prepared]
    guest_rows = [(row, record) for row, record in prepared
                  if not row["customer_external_id"] and row["email"]]  # fmt: skip
    created = _create_guests(
        session,
        shop,
        [(row, record) for row, record in guest_rows if row["email"] not in by_email],
        now,
    )
    by_email.update(created)
    for row in rows:
        if row["customer_external_id"]:
            row["customer_id"] = known.get(row["customer_external_id"])
        elif row["email"]:
            row["customer_id"] = by_email[row["email"]]
    return set(created.values())


def owners_by_email(session: Session, shop_id: int, emails: set[str]) -> dict[str, int]:
    """The customer each email belongs to: a registered one before a guest, oldest first."""
    found = select_in(
        session,
        select(customers.c.email, customers.c.is_guest, customers.c.id).where(
            customers.c.shop_id == shop_id
        ),
        customers.c.email,
        sorted(emails),
    )
    return owners_of(found)


def owners_of(found: Iterable) -> dict[str, int]:
    """{email: customer id} from (email, is_guest, id) rows: for each email a registered
    customer before a guest, the oldest first."""
    owners: dict[str, tuple] = {}
    for found_email, is_guest, customer_id in found:
        rank = (bool(is_guest), customer_id)
        if found_email not in owners or rank < owners[found_email]:
            owners[found_email] = rank
    return {found_email: rank[1] for found_email, rank in owners.items()}


def _create_guests(session: Session, shop: Shop, guest_rows: list, now) -> dict[str, int]:
    """Guest profiles for buyers without an account, one per email (`guest:<email>`)."""
    if not guest_rows:
        return {}
    profiles: dict[str, dict] = {}
    for row, record in sorted(guest_rows, key=lambda pair: pair[0]["created_at"]):
        profile = profiles.get(row["email"])
        if profile is None:
            profiles[row["email"]] = profile = {
                "shop_id": shop.id,
                "external_id": f"guest:{row['email']}"[:255],
                "is_guest": True,
                "email": row["email"],
                "first_name": None,
                "last_name": None,
                "email_subscription_status": "NOT_SUBSCRIBED",
                "sms_subscription_status": "NOT_SUBSCRIBED",
                "tags": [],
                "attributes": {},
                "created_at": row["created_at"],
                "created_date": row["created_date"],
                "updated_at": row["created_at"],
                "ingested_at": now,
            }
        profile["first_name"] = profile["first_name"] or clean.text(record.first_name, 255)
        profile["last_name"] = profile["last_name"] or clean.text(record.last_name, 255)
    written = upsert_rows(
        session, customers, list(profiles.values()),
        key=("shop_id", "external_id"), version="updated_at",
        compare=("first_name", "last_name"), update=("first_name", "last_name"),
        returning=("id", "email"),
    )  # fmt: skip
    created = {row.email: row.id for row in written}
    create_statistics(session, shop.id, created.values())
    missing = sorted(set(profiles) - set(created))
    if missing:
        created.update(owners_by_email(session, shop.id, set(missing)))
    return created


def _has_waiting_lines(session: Session, shop_id: int) -> bool:
    """Whether the shop keeps lines whose order has not arrived (an index lookup)."""
    return bool(
        session.scalar(
            select(
                exists()
                .where(order_lines.c.order_id.is_(None))
                .where(order_lines.c.shop_id == shop_id)
            )
        )
    )


def _line_rows(shop: Shop, order_ids: dict[str, int], lines_of) -> list[dict]:
    """The rows of the lines the written orders carry (`order_ids`: external id, already
    cleaned, -> id), one per line key of an order (the last one sent)."""
    rows: list[dict] = []
    for order_key, order_id in order_ids.items():
        refuse = LineRefuser(shop.domain, order_key, None)
        lines = lines_of[order_key]
        if len(lines) == 1:
            refuse.line_key = lines[0].line_key
            rows.append(_line_fields(shop.id, order_id, order_key, lines[0], refuse))
            continue
        by_key: dict[str, dict] = {}
        for line in lines:
            refuse.line_key = line.line_key
            row = _line_fields(shop.id, order_id, order_key, line, refuse)
            by_key[row["line_key"]] = row
        rows.extend(by_key.values())
    return rows


def _replace_lines(
    session: Session, shop: Shop, rows: list[dict], may_have_lines: set[int]
) -> None:
    """Make the stored lines of each written order with lines exactly the set its record
    carries (`rows`, from _line_rows).

    Only the orders in `may_have_lines` (ids of updated orders, or of new ones whose
    waiting lines have just joined them) can have stored lines to delete; the others'
    lines are only inserted, and nothing is returned since nothing here needs the written
    rows.
    """
    if not rows and not may_have_lines:
        return
    stored = select_in(
        session,
        select(order_lines.c.id, order_lines.c.order_id, order_lines.c.line_key).where(
            order_lines.c.shop_id == shop.id
        ),
        order_lines.c.order_id,
        sorted(may_have_lines),
    )
    gone = []
    if stored:
        keep = {(row["order_id"], row["line_key"]) for row in rows}
        gone = [line_id for line_id, order_id, key in stored if (order_id, key) not in keep]
    for condition in in_filters(session, order_lines.c.id, gone):
        session.execute(
            delete(order_lines).where(order_lines.c.shop_id == shop.id).where(condition)
        )
    is_new = [row["order_id"] not in may_have_lines for row in rows]
    write_new_and_stored(
        session, order_lines, rows, is_new,
        key=LINE_KEY, version=None, compare=LINE_COLUMNS, update=LINE_COLUMNS, returning=(),
    )  # fmt: skip
    analyze_if_grown(session, order_lines, len(rows), LINE_LOOKUP_COLUMNS)


def _link_waiting_lines(session: Session, shop_id: int, order_external_ids: list[str]) -> list:
    """The statements by which lines that arrived alone before their order (CSV) join it,
    once it is stored."""
    order_id = (
        select(orders.c.id)
        .where(orders.c.shop_id == order_lines.c.shop_id)
        .where(orders.c.external_id == order_lines.c.order_external_id)
        .scalar_subquery()
    )
    return [
        update(order_lines)
        .where(order_lines.c.shop_id == shop_id)
        .where(order_lines.c.order_id.is_(None))
        .where(condition)
        .values(order_id=order_id)
        for condition in in_filters(session, order_lines.c.order_external_id, order_external_ids)
    ]


def detach_orders(session: Session, shop_id: int, customer_ids) -> None:
    """Unlink the orders of customers about to be deleted (orders have no foreign key that
    would set it NULL, migration 0007). Their `customer_external_id` stays, so a customer
    re-created under the same platform id gets them back, as when an order arrives first."""
    for condition in in_filters(session, orders.c.customer_id, sorted(set(customer_ids))):
        session.execute(
            update(orders)
            .where(orders.c.shop_id == shop_id)
            .where(condition)
            .values(customer_id=None)
        )


def upsert_order_lines(
    session: Session,
    shop: Shop,
    records: Iterable[records.OrderLine],
    *,
    batch_size: int | None = None,
) -> IngestResult:
    """Upsert lines that arrive on their own (CSV), keyed by (order external id, line key).

    A line whose order is not stored yet is kept with `order_id` NULL and linked when the
    order arrives. Lines carry no version: a line differing from the stored one replaces it.
    """
    shop = clean.ShopFacts.of(shop)
    result = IngestResult()
    for batch in batches(records, batch_size_for(session, batch_size, 5000)):
        rows = newest_by_key(
            [line_row(shop, line, line.order_external_id) for line in batch],
            ("order_external_id", "line_key"),
            None,
        )
        result.merge(_write_lines(session, shop, rows))
    return result


def _write_lines(session: Session, shop: Shop, rows: list[dict]) -> IngestResult:
    """Upsert lines that came alone: under their order's key when it is stored, else under
    the order's external id, waiting for it."""
    order_external_ids = sorted({row["order_external_id"] for row in rows})
    owner = stored_by_external_id(session, orders, shop.id, order_external_ids, "id", "customer_id")
    for row in rows:
        row["order_id"] = owner.get(row["order_external_id"], (None, None))[0]
    linked = [row for row in rows if row["order_id"] is not None]
    waiting = [row for row in rows if row["order_id"] is None]
    found = select(order_lines.c.order_external_id, order_lines.c.line_key).where(
        order_lines.c.shop_id == shop.id
    )
    stored = set(
        select_in(session, found, order_lines.c.order_id, sorted({r["order_id"] for r in linked}))
    )
    stored.update(
        select_in(
            session,
            found.where(order_lines.c.order_id.is_(None)),
            order_lines.c.order_external_id,
            sorted({row["order_external_id"] for row in waiting}),
        )
    )
    upsert = dict(
        version=None, compare=LINE_COLUMNS, update=LINE_COLUMNS,
        returning=("order_external_id", "line_key"),
    )  # fmt: skip
    written = upsert_rows(session, order_lines, linked, key=LINE_KEY, **upsert)
    written += upsert_rows(
        session, order_lines, waiting, key=WAITING_LINE_KEY, key_where=WAITING_LINE, **upsert
    )
    result = IngestResult(unchanged_or_stale=len(rows) - len(written))
    for row in written:
        if (row.order_external_id, row.line_key) in stored:
            result.updated += 1
        else:
            result.inserted += 1
        customer_id = owner.get(row.order_external_id, (None, None))[1]
        if customer_id is not None:
            result.customer_ids.add(customer_id)
    return result
