"""Customer upserts, with what a customer's arrival settles: its waiting orders and carts are
linked, and a guest profile with the same email is merged into it.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import itemgetter

from sqlalchemy import BigInteger, String, case, delete, exists, select, text, update
from sqlalchemy.orm import Session

from connectors import records
from sync.ingest import normalise as clean
from sync.ingest.result import IngestResult
from sync.ingest.statistics import create_statistics, recompute_customer_statistics
from sync.ingest.writer import (
    analyze_if_grown,
    batch_size_for,
    batches,
    chunks,
    in_filters,
    is_postgresql,
    naive_now,
    select_in,
    stored_by_external_id,
    write_new_and_stored,
)
from sync.segments.evaluate import forget_members
from sync.store import SUBSCRIPTION_STATUSES, Cart, Customer, Order, Shop

customers = Customer.__table__
orders = Order.__table__
carts = Cart.__table__

# The columns ingest's own statements find rows by (analyze_if_grown keeps their statistics).
LOOKUP_COLUMNS = ("shop_id", "external_id", "email", "is_guest")
# What a customer record carries: compared and overwritten by a newer version.
PROFILE_COLUMNS = (
    "is_guest", "email", "first_name", "last_name", "gender", "birth_date", "phone", "language",
    "city", "region", "postal_code", "country", "latitude", "longitude",
    "email_subscription_status", "email_consent_at", "email_consent_source",
    "sms_subscription_status", "sms_consent_at", "tags", "loyalty_tier", "loyalty_points",
    "company", "industry", "attributes", "created_at", "created_date", "updated_at",
)  # fmt: skip


def customer_row(shop: Shop, record: records.Customer, now) -> dict:
    refuse = clean.Refuser(shop.domain, "customer", record.external_id)
    zone = clean.shop_zone(shop.timezone)
    created_at = clean.utc(record.created_at, refuse, "created_at")
    updated_at = clean.utc(record.updated_at, refuse, "updated_at") or created_at
    attributes = record.attributes or {}
    if not isinstance(attributes, dict):
        raise refuse("attributes must be a mapping of names to values")
    return {
        "shop_id": shop.id,
        "external_id": clean.external_id(record.external_id, refuse),
        "is_guest": False,
        "email": clean.email(record.email),
        "first_name": clean.text(record.first_name, 255),
        "last_name": clean.text(record.last_name, 255),
        "gender": clean.text(record.gender, 16),
        "birth_date": clean.day(record.birth_date, refuse, "birth_date"),
        "phone": clean.text(record.phone, 64),
        "language": clean.text(record.language, 16),
        "city": clean.text(record.city, 255),
        "region": clean.text(record.region, 255),
        "postal_code": clean.text(record.postal_code, 32),
        "country": clean.country(record.country, refuse),
        "latitude": clean.number(record.latitude, refuse, "latitude"),
        "longitude": clean.number(record.longitude, refuse, "longitude"),
        "email_subscription_status": clean.choice(
            record.email_subscription_status, SUBSCRIPTION_STATUSES, refuse,
            "email_subscription_status",
        ),
        "email_consent_at": clean.utc(record.email_consent_at, refuse, "email_consent_at"),
        "email_consent_source": clean.text(record.email_consent_source, 255),
        "sms_subscription_status": clean.choice(
            record.sms_subscription_status, SUBSCRIPTION_STATUSES, refuse,
            "sms_subscription_status",
        ),
        "sms_consent_at": clean.utc(record.sms_consent_at, refuse, "sms_consent_at"),
        "tags": clean.tags(record.tags),
        "loyalty_tier": clean.text(record.loyalty_tier, 64),
        "loyalty_points": clean.integer(record.loyalty_points, refuse, "loyalty_points"),
        "company": clean.text(record.company, 255),
        "industry": clean.text(record.industry, 255),
        "attributes": attributes,
        "created_at": created_at,
        "created_date": clean.local_day(created_at, zone),
        "updated_at": updated_at,
        "ingested_at": now,
    }  # fmt: skip


def newest_by_key(rows: list[dict], key: str | tuple[str, ...], version: str | None) -> list[dict]:
    """One row per key (a statement cannot write the same row twice): the newest, or the
    last one sent when versions are equal."""
    key_of = itemgetter(*key) if isinstance(key, tuple) else itemgetter(key)
    kept: dict = {}
    if version is None:
        for row in rows:
            kept[key_of(row)] = row
        return list(kept.values())
    for row in rows:
        row_key = key_of(row)
        previous = kept.get(row_key)
        if previous is None or (row[version] or clean.EPOCH) >= (previous[version] or clean.EPOCH):
            kept[row_key] = row
    return list(kept.values())


def upsert_customers(
    session: Session,
    shop: Shop,
    records: Iterable[records.Customer],
    *,
    batch_size: int | None = None,
) -> IngestResult:
    """Upsert customer records in batches, in the caller's transaction (never commits)."""
    shop = clean.ShopFacts.of(shop)
    result = IngestResult()
    for batch in batches(records, batch_size_for(session, batch_size, 2000)):
        now = naive_now()
        rows = newest_by_key(
            [customer_row(shop, record, now) for record in batch], "external_id", "updated_at"
        )
        result.merge(_write_customers(session, shop, rows))
    return result


def _write_customers(session: Session, shop: Shop, rows: list[dict]) -> IngestResult:
    keys = [row["external_id"] for row in rows]
    existing = stored_by_external_id(session, customers, shop.id, keys)
    written, _copied = write_new_and_stored(
        session, customers, rows, [row["external_id"] not in existing for row in rows],
        key=("shop_id", "external_id"), version="updated_at",
        compare=PROFILE_COLUMNS, update=PROFILE_COLUMNS + ("ingested_at",),
        returning=("id", "external_id", "email"),
    )  # fmt: skip
    result = IngestResult(unchanged_or_stale=len(rows) - len(written))
    for row in written:
        if row.external_id in existing:
            result.updated += 1
        else:
            result.inserted += 1
        result.customer_ids.add(row.id)
    analyze_if_grown(session, customers, result.inserted, LOOKUP_COLUMNS)
    arrived = [row for row in written if row.external_id not in existing]
    create_statistics(session, shop.id, [row.id for row in arrived])
    to_recompute = link_waiting(session, shop.id, arrived)
    merged_into, merged_away = merge_guests(session, shop.id, written)
    to_recompute |= merged_into
    result.customer_ids |= to_recompute | merged_away
    recompute_customer_statistics(session, shop.id, to_recompute)
    return result


def link_waiting(session: Session, shop_id: int, arrived: list) -> set[int]:
    """Link orders and carts that arrived before their customer (webhooks race); returns the
    customers that received orders, whose statistics must be recomputed."""
    if not arrived:
        return set()
    gained: set[int] = set()
    external_ids = [row.external_id for row in arrived]
    for table in (orders, carts):
        owner = (
            select(customers.c.id)
            .where(customers.c.shop_id == table.c.shop_id)
            .where(customers.c.external_id == table.c.customer_external_id)
            .scalar_subquery()
        )
        for condition in in_filters(session, table.c.customer_external_id, external_ids):
            statement = (
                update(table)
                .where(table.c.shop_id == shop_id)
                .where(table.c.customer_id.is_(None))
                .where(condition)
                .values(customer_id=owner)
                .returning(table.c.customer_id)
            )
            linked = {customer_id for (customer_id,) in session.execute(statement)}
            if table is orders:
                gained |= linked
    # Carts left by email only (no platform customer id) join the customer with that email.
    by_email = {row.email: row.id for row in arrived if row.email}
    if by_email and _has_carts_waiting_by_email(session, shop_id):
        _link_carts_by_email(session, shop_id, by_email)
    return gained


def _has_carts_waiting_by_email(session: Session, shop_id: int) -> bool:
    """Whether any cart of the shop waits for a customer by email alone (usually none)."""
    return bool(
        session.scalar(
            select(
                exists()
                .where(carts.c.shop_id == shop_id)
                .where(carts.c.customer_external_id.is_(None))
                .where(carts.c.customer_id.is_(None))
                .where(carts.c.email.is_not(None))
            )
        )
    )


def _link_carts_by_email(session: Session, shop_id: int, by_email: dict[str, int]) -> None:
    waiting = (
        update(carts)
        .where(carts.c.shop_id == shop_id)
        .where(carts.c.customer_id.is_(None))
        .where(carts.c.customer_external_id.is_(None))
    )
    if is_postgresql(session):
        # One join against the (email, id) pairs as two arrays, not a CASE of thousands.
        pairs = (
            text(
                "SELECT * FROM unnest(CAST(:emails AS text[]), CAST(:ids AS bigint[]))"
                " AS pair(email, id)"
            )
            .columns(email=String(), id=BigInteger())
            .bindparams(emails=list(by_email), ids=list(by_email.values()))
            .subquery("arrived")
        )
        session.execute(
            waiting.where(carts.c.email == pairs.c.email).values(customer_id=pairs.c.id)
        )
        return
    for part in chunks(sorted(by_email)):
        session.execute(
            waiting.where(carts.c.email.in_(part)).values(
                customer_id=case({email: by_email[email] for email in part}, value=carts.c.email)
            )
        )


def merge_guests(session: Session, shop_id: int, written: list) -> tuple[set[int], set[int]]:
    """Fold guest profiles into the registered customer that now has their email.

    The guest's orders and carts move to the registered customer and the guest row is
    deleted. Returns (registered ids that gained orders, guest ids deleted).
    """
    registered = {}
    for row in sorted(written, key=lambda r: r.id):
        if row.email and not row.external_id.startswith("guest:"):
            registered.setdefault(row.email, row.id)
    if not registered:
        return set(), set()
    guests = select_in(
        session,
        select(customers.c.id, customers.c.email)
        .where(customers.c.shop_id == shop_id)
        .where(customers.c.is_guest.is_(True)),
        customers.c.email,
        sorted(registered),
    )
    if not guests:
        return set(), set()
    new_owner = {guest_id: registered[guest_email] for guest_id, guest_email in guests}
    for table in (orders, carts):
        for condition in in_filters(session, table.c.customer_id, list(new_owner)):
            session.execute(
                update(table)
                .where(table.c.shop_id == shop_id)
                .where(condition)
                .values(customer_id=case(new_owner, value=table.c.customer_id))
            )
    forget_members(session, new_owner)
    for condition in in_filters(session, customers.c.id, list(new_owner)):
        session.execute(delete(customers).where(customers.c.shop_id == shop_id).where(condition))
    return set(new_owner.values()), set(new_owner)
