"""Customer statistics (orders count, amount spent, average order, first/last order), kept in
customer_statistics: recomputed from the orders table in one set-based statement, or, for
orders this transaction has just inserted, added to.

Recomputing is what keeps the figures right when a batch is retried, when two workers
ingest at once, when an order is cancelled or refunded, or when an order moves to another
customer: the statement states the truth of the orders table. Adding is exact in one
case only, which is the bulk of every load: orders that did not exist and that this
transaction inserted with one COPY (the COPY fails whole if any of them exists, and the
batch then goes through the upsert and the recompute). Their counted figures are summed
from those orders alone, found by id, and added to the stored ones without reading the
customers' other orders. The rule itself is written down in docs/data-rules.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from sync.ingest.writer import chunks, id_filter, uses_psycopg
from sync.store import UNCOUNTED_ORDER_STATUSES, CustomerStatistics, Order

statistics = CustomerStatistics.__table__
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


def create_statistics(session: Session, shop_id: int, customer_ids: Iterable[int]) -> None:
    """The (empty) statistics rows of customers ingest has just inserted; a row that exists
    already (another worker's, for a customer it inserted meanwhile) is left as it is."""
    ids = _sorted_ids(customer_ids)
    if not ids:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_CREATE, {"ids": ",".join(map(str, ids)), "shop_id": shop_id})
        return
    for part in chunks(ids, STATISTICS_CHUNK // 2):
        session.execute(
            sqlite.insert(statistics)
            .values([{"customer_id": customer_id, "shop_id": shop_id} for customer_id in part])
            .on_conflict_do_nothing()
        )


_CREATE = text(
    "INSERT INTO customer_statistics (customer_id, shop_id) "
    "SELECT unnest(CAST(string_to_array(:ids, ',') AS bigint[])), :shop_id "
    "ON CONFLICT DO NOTHING"
)


def statistics_statements(
    session: Session, shop_id: int, customer_ids: Iterable[int], inserted_orders: Sequence[dict]
) -> list:
    """The statements that bring the statistics up to date once a batch's orders are
    written, for the caller to run (order ingest runs them while it builds the lines):
    `customer_ids` are recomputed from the orders table, and the counted figures of
    `inserted_orders` (order rows this transaction has just COPYed, none of which existed
    before it: see the module's docstring) are added to their customers' stored figures.
    A customer in both is only recomputed, which already counts its inserted orders.
    """
    ids = _sorted_ids(customer_ids)
    if not uses_psycopg(session):
        # No COPY path here (writer.copy_new_rows): inserted orders, if any, are recomputed.
        ids = _sorted_ids([*ids, *(row["customer_id"] for row in inserted_orders)])
        parts = chunks(ids, STATISTICS_CHUNK)
        return [_recompute_statement(session, shop_id, part) for part in parts]
    statements = [
        postgresql_statement(len(part)).bindparams(ids=list(part), shop_id=shop_id)
        for part in chunks(ids, STATISTICS_CHUNK)
    ]
    added = added_figures(shop_id, inserted_orders, ids)
    if added is not None:
        statements.append(added)
    return statements


# The counted figures of orders just inserted, aggregated per customer from those orders
# alone and added to the stored ones. Each order is found by id through the primary key
# (the LATERAL subquery, kept apart by OFFSET 0, can only be run as one lookup per id):
# the cost follows the batch, never the shop (`id = ANY(...)` alone let the planner scan
# every order, 180 ms a batch at 400,000 orders against 80). The ids travel as one comma-separated
# text parameter (psycopg adapts a list element by element in Python). Customers being
# recomputed in the same transaction are left out: the recompute already counts these
# orders. LEAST and GREATEST skip NULLs: a customer without orders takes the new dates as
# they are. The average is worked out as the recompute does (the stored sum plus the new
# one, divided by the new count, rounded to the cent), so both ways give the same figures
# to the cent. Customers are matched in id order, the order in which the recompute finds
# them too.
ADD_STATEMENT = text(
    """
    UPDATE customer_statistics AS c
    SET orders_count = c.orders_count + d.n,
        total_spent = c.total_spent + d.spent,
        average_order_value = round((c.total_spent + d.spent) / (c.orders_count + d.n), 2),
        first_order_at = least(c.first_order_at, d.first_at),
        last_order_at = greatest(c.last_order_at, d.last_at),
        first_order_date = least(c.first_order_date, d.first_day),
        last_order_date = greatest(c.last_order_date, d.last_day)
    FROM (
        SELECT o.customer_id AS id, count(*) AS n, sum(o.total) AS spent,
               min(o.created_at) AS first_at, max(o.created_at) AS last_at,
               min(o.created_date) AS first_day, max(o.created_date) AS last_day
        FROM unnest(CAST(string_to_array(:order_ids, ',') AS bigint[])) AS t(id)
        CROSS JOIN LATERAL (SELECT * FROM orders WHERE orders.id = t.id OFFSET 0) AS o
        WHERE o.shop_id = :shop_id AND o.customer_id IS NOT NULL
          AND o.status NOT IN :uncounted
          AND o.customer_id <> ALL(CAST(string_to_array(:recomputed, ',') AS bigint[]))
        GROUP BY o.customer_id
        ORDER BY o.customer_id
    ) AS d
    WHERE c.customer_id = d.id AND c.shop_id = :shop_id
    """
).bindparams(bindparam("uncounted", value=UNCOUNTED_ORDER_STATUSES, expanding=True))


def added_figures(shop_id: int, inserted_orders: Sequence[dict], recomputed: Sequence[int]):
    """ADD_STATEMENT bound to `inserted_orders` (rows COPYed with their ids), leaving out
    the customers in `recomputed`; None when no inserted order has a customer."""
    order_ids = [row["id"] for row in inserted_orders if row["customer_id"] is not None]
    if not order_ids:
        return None
    return ADD_STATEMENT.bindparams(
        order_ids=",".join(map(str, order_ids)),
        recomputed=",".join(map(str, recomputed)),
        shop_id=shop_id,
    )


def _sorted_ids(customer_ids: Iterable[int]) -> list[int]:
    return sorted({int(customer_id) for customer_id in customer_ids if customer_id is not None})


# Both statements write the figures `f` they computed for the customers `c` it matches,
# and only to rows whose figures differ. The `+ 0` on the orders' shop_id keeps that column
# out of index choice (with stale statistics PostgreSQL would otherwise scan every order of
# the shop through a shop_id index).
_UPDATE = """
    UPDATE customer_statistics AS c
    SET (orders_count, total_spent, average_order_value, first_order_at, last_order_at,
         first_order_date, last_order_date)
      = (f.n, f.spent, f.average, f.first_at, f.last_at, f.first_day, f.last_day)
    FROM {figures}
    WHERE c.customer_id = {matched}.id AND c.shop_id = :shop_id
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
    return session.execute(_recompute_statement(session, shop_id, ids)).rowcount or 0


def _recompute_statement(session: Session, shop_id: int, ids):
    """The statement recomputing the statistics of `ids` (None: the whole shop)."""
    if ids is not None and session.get_bind().dialect.name == "postgresql":
        return postgresql_statement(len(ids)).bindparams(ids=list(ids), shop_id=shop_id)
    owner = statistics.alias("owner")
    # `+ 0` as on PostgreSQL: without it SQLite walks every order of the shop through a
    # shop_id index for each customer instead of the orders' customer index.
    counted = (
        (orders.c.customer_id == owner.c.customer_id)
        & ((orders.c.shop_id + 0) == shop_id)
        & orders.c.status.not_in(UNCOUNTED_ORDER_STATUSES)
    )
    per_customer = select(
        owner.c.customer_id.label("customer_id"),
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
            owner.c.shop_id == shop_id, id_filter(session, owner.c.customer_id, ids)
        )
    fresh = per_customer.group_by(owner.c.customer_id).subquery("fresh")
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
    return (
        update(statistics)
        .where(statistics.c.customer_id == fresh.c.customer_id)
        .where(statistics.c.shop_id == shop_id)
        .where(or_(*(statistics.c[name].is_distinct_from(value) for name, value in values.items())))
        .values(values)
    )
