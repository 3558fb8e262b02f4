"""Customer statistics (orders count, amount spent, average order, first/last order) recomputed
from the orders table in one set-based statement.

Recomputing instead of incrementing is what keeps the figures right when a batch is retried,
when two workers ingest at once, when an order is cancelled or refunded, or when an order
moves to another customer: the statement always states the truth of the orders table.
The rule itself is written down in docs/data-rules.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import (
    ARRAY,
    BigInteger,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from sync.ingest.writer import chunks, executed_meanwhile, id_filter, uses_psycopg
from sync.store import UNCOUNTED_ORDER_STATUSES, Customer, Order

customers = Customer.__table__
orders = Order.__table__
# Enough ids for one statement; PostgreSQL takes them as one array parameter anyway.
STATISTICS_CHUNK = 10000


def recompute_customer_statistics(
    session: Session, shop_id: int, customer_ids: Iterable[int] | None = None
) -> int:
    """Recompute the statistics of `customer_ids` (None: every customer of the shop).

    Runs in the caller's transaction; returns how many customer rows actually changed.
    """
    if customer_ids is None:
        return _recompute(session, shop_id, None)
    ids = _sorted_ids(customer_ids)
    return sum(_recompute(session, shop_id, part) for part in chunks(ids, STATISTICS_CHUNK))


@contextmanager
def statistics_recomputed_meanwhile(
    session: Session, shop_id: int, customer_ids: Iterable[int]
) -> Iterator[None]:
    """Recompute the statistics of `customer_ids` while the caller's block does Python work
    that does not touch the session (order ingest builds the lines meanwhile).

    On PostgreSQL with psycopg the statement runs in the server as the block runs
    (writer.executed_meanwhile); elsewhere it runs first. Either way the statistics are
    current when the block is left, in the caller's transaction.
    """
    ids = _sorted_ids(customer_ids)
    if not ids or not uses_psycopg(session):
        recompute_customer_statistics(session, shop_id, ids)
        yield
        return
    statements = [
        postgresql_statement(len(part)).bindparams(ids=list(part), shop_id=shop_id)
        for part in chunks(ids, STATISTICS_CHUNK)
    ]
    with executed_meanwhile(session, statements):
        yield


def _sorted_ids(customer_ids: Iterable[int]) -> list[int]:
    return sorted({int(customer_id) for customer_id in customer_ids if customer_id is not None})


# Both statements write the figures `f` they computed for the customers `c` it matches,
# and only to rows whose figures differ. The `+ 0` on shop_id keeps those columns out of
# index choice (with stale statistics PostgreSQL would otherwise scan every row of the shop
# through a shop_id index).
_UPDATE = """
    UPDATE customers AS c
    SET (orders_count, total_spent, average_order_value, first_order_at, last_order_at,
         first_order_date, last_order_date)
      = (f.n, f.spent, f.average, f.first_at, f.last_at, f.first_day, f.last_day)
    FROM {figures}
    WHERE c.id = {matched}.id AND c.shop_id + 0 = :shop_id
      AND (c.orders_count, c.total_spent, c.average_order_value, c.first_order_at,
           c.last_order_at, c.first_order_date, c.last_order_date)
          IS DISTINCT FROM
          (f.n, f.spent, f.average, f.first_at, f.last_at, f.first_day, f.last_day)
"""


def _statement(figures: str, matched: str):
    return text(_UPDATE.format(figures=figures, matched=matched)).bindparams(
        bindparam("ids", type_=ARRAY(BigInteger)),
        bindparam("uncounted", value=UNCOUNTED_ORDER_STATUSES, expanding=True),
    )


# Figures computed once per touched customer: the ids are unnested and each one's counted
# orders aggregated in a LATERAL subquery, which PostgreSQL can only run as a lookup on the
# orders' customer index, so the cost follows the number of customers touched, never the size
# of the shop, whatever the planner's statistics say (a bulk load into a fresh table has
# none). A customer without counted orders gets count 0 from the same aggregate, so one
# statement both refreshes and resets.
POSTGRESQL_STATEMENT = _statement(
    """unnest(CAST(:ids AS bigint[])) AS t(id)
    CROSS JOIN LATERAL (
        SELECT count(*) AS n,
               coalesce(sum(o.total), 0)::numeric(14, 2) AS spent,
               CASE WHEN count(*) > 0 THEN round(sum(o.total) / count(*), 2) END AS average,
               min(o.created_at) AS first_at, max(o.created_at) AS last_at,
               min(o.created_date) AS first_day, max(o.created_date) AS last_day
        FROM orders AS o
        WHERE o.customer_id = t.id AND o.shop_id + 0 = :shop_id
          AND o.status NOT IN :uncounted
    ) AS f""",
    "t",
)


# The set-based statement: the touched customers' counted orders aggregated in one pass over
# the orders (a bitmap scan of the customer index that reads each heap page once, or a scan
# of the table when a batch touches a good share of the shop) rather than one lookup per
# customer. A load's batches touch thousands of customers: about a fifth less PostgreSQL
# time for the statement at 100,000 customers (docs/architecture.md). Used from
# SET_BASED_MIN_IDS customers on only, since its plan depends on the planner's statistics
# (analyze_if_grown keeps the orders' current during a load): a webhook's few customers
# keep the lookups above, which never read more than their own orders. Customers without
# counted orders are reset by the outer join, as by the count 0 above.
SET_BASED_STATEMENT = _statement(
    """(
        SELECT t.id, coalesce(a.n, 0) AS n, coalesce(a.spent, 0)::numeric(14, 2) AS spent,
               a.average, a.first_at, a.last_at, a.first_day, a.last_day
        FROM unnest(CAST(:ids AS bigint[])) AS t(id)
        LEFT JOIN (
            SELECT o.customer_id, count(*) AS n, sum(o.total) AS spent,
                   round(sum(o.total) / count(*), 2) AS average,
                   min(o.created_at) AS first_at, max(o.created_at) AS last_at,
                   min(o.created_date) AS first_day, max(o.created_date) AS last_day
            FROM orders AS o
            WHERE o.customer_id = ANY(CAST(:ids AS bigint[])) AND o.shop_id + 0 = :shop_id
              AND o.status NOT IN :uncounted
            GROUP BY o.customer_id
        ) AS a ON a.customer_id = t.id
    ) AS f""",
    "f",
)
# Customers from which one statement aggregates in one pass (SET_BASED_STATEMENT).
SET_BASED_MIN_IDS = 1000


def postgresql_statement(id_count: int):
    """The PostgreSQL statement recomputing `id_count` customers' statistics."""
    return SET_BASED_STATEMENT if id_count >= SET_BASED_MIN_IDS else POSTGRESQL_STATEMENT


def _recompute(session: Session, shop_id: int, ids) -> int:
    if ids is not None and session.get_bind().dialect.name == "postgresql":
        statement = postgresql_statement(len(ids)).bindparams(ids=list(ids), shop_id=shop_id)
        return session.execute(statement).rowcount or 0
    owner = customers.alias("owner")
    # `+ 0` as on PostgreSQL: without it SQLite walks every order of the shop through a
    # shop_id index for each customer instead of the orders' customer index.
    counted = (
        (orders.c.customer_id == owner.c.id)
        & ((orders.c.shop_id + 0) == shop_id)
        & orders.c.status.not_in(UNCOUNTED_ORDER_STATUSES)
    )
    per_customer = select(
        owner.c.id.label("customer_id"),
        func.count(orders.c.id).label("orders_count"),
        func.coalesce(func.sum(orders.c.total), 0).label("total_spent"),
        func.min(orders.c.created_at).label("first_order_at"),
        func.max(orders.c.created_at).label("last_order_at"),
        func.min(orders.c.created_date).label("first_order_date"),
        func.max(orders.c.created_date).label("last_order_date"),
    ).select_from(owner.outerjoin(orders, counted))
    if ids is None:
        per_customer = per_customer.where(owner.c.shop_id == shop_id)
    else:
        per_customer = per_customer.where(
            (owner.c.shop_id + 0) == shop_id, id_filter(session, owner.c.id, ids)
        )
    fresh = per_customer.group_by(owner.c.id).subquery("fresh")
    # `* 1.0` keeps SQLite from dividing integers; PostgreSQL divides numerics either way.
    average = case(
        (
            fresh.c.orders_count > 0,
            func.round(fresh.c.total_spent * literal_column("1.0") / fresh.c.orders_count, 2),
        ),
        else_=None,
    )
    values = {
        "orders_count": fresh.c.orders_count,
        "total_spent": fresh.c.total_spent,
        "average_order_value": average,
        "first_order_at": fresh.c.first_order_at,
        "last_order_at": fresh.c.last_order_at,
        "first_order_date": fresh.c.first_order_date,
        "last_order_date": fresh.c.last_order_date,
    }
    statement = (
        update(customers)
        .where(customers.c.id == fresh.c.customer_id)
        .where(customers.c.shop_id == shop_id)
        .where(or_(*(customers.c[name].is_distinct_from(value) for name, value in values.items())))
        .values(values)
    )
    return session.execute(statement).rowcount or 0
