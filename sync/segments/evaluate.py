"""Membership kept current: full evaluation, incremental re-checks, entries and exits.

Full evaluation runs a segment's compiled query and applies the difference to the stored
members set-based in the database (on PostgreSQL one statement of data-modifying CTEs),
recording every entry and exit with the evaluation time. Incremental evaluation re-checks
only the customers an ingest touched, against every segment of the shop. Both lock the
segment rows first, so two workers never apply the same difference twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    and_,
    any_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.util import ClauseAdapter

from sync.segments.compile import (
    ABANDON_AFTER,
    ABANDONED_BEFORE,
    CUSTOMER_IDS,
    CUSTOMERS,
    CUSTOMERS_WITH_STATISTICS,
    STATISTICS,
    compile_segment,
    id_in,
    matched_id,
)
from sync.segments.days import local_today, utc_naive
from sync.segments.language import from_json, to_json
from sync.segments.models import Segment, SegmentEvent, SegmentMember, SegmentSize
from sync.segments.validate import is_time_relative, parse_and_check
from sync.store import Customer, Shop

# Rows entered or exited in one evaluation after which PostgreSQL re-reads the members
# table's statistics (autovacuum would, later).
REANALYZE_AFTER = 10_000


class SegmentError(ValueError):
    """A segment that cannot be created or found as asked (name taken, unknown name)."""


@dataclass(frozen=True)
class Evaluation:
    segment_id: int
    name: str
    size: int
    entered: int
    exited: int
    at: datetime


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def matching_ids(session: Session, shop: Shop, query: str, now: datetime) -> list[int]:
    node = parse_and_check(query)
    return list(session.scalars(compile_segment(node, shop, now, dialect_of(session))))


def count_matching(session: Session, shop: Shop, query: str, now: datetime) -> int:
    node = parse_and_check(query)
    matches = compile_segment(node, shop, now, dialect_of(session)).subquery()
    return session.scalar(select(func.count()).select_from(matches))


def matching_external_ids(
    session: Session, shop: Shop, query: str, now: datetime, limit: int | None = None
) -> list[str]:
    node = parse_and_check(query)
    matches = compile_segment(node, shop, now, dialect_of(session))
    statement = select(Customer.external_id).where(Customer.id.in_(matches)).order_by(Customer.id)
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.scalars(statement))


# ---- stored segments -------------------------------------------------------------------


def create_segment(
    session: Session, shop: Shop, name: str, query: str, template: str | None = None
) -> Segment:
    """A new segment (not evaluated yet); SegmentQueryError for a bad query."""
    name = name.strip()
    if not name:
        raise SegmentError("a segment needs a name")
    node = parse_and_check(query)
    taken = session.scalar(
        select(Segment.id).where(Segment.shop_id == shop.id, Segment.name == name)
    )
    if taken is not None:
        raise SegmentError(f"{shop.domain} already has a segment named {name!r}")
    segment = Segment(
        shop_id=shop.id,
        name=name,
        query=query,
        ast=to_json(node),
        template=template,
        time_relative=is_time_relative(node),
        member_count=0,
    )
    session.add(segment)
    session.flush()
    return segment


def change_query(session: Session, segment: Segment, query: str) -> Segment:
    node = parse_and_check(query)
    segment.query = query
    segment.ast = to_json(node)
    segment.time_relative = is_time_relative(node)
    session.flush()
    return segment


def find_segment(session: Session, shop: Shop, name: str) -> Segment:
    segment = session.scalar(
        select(Segment).where(Segment.shop_id == shop.id, Segment.name == name)
    )
    if segment is None:
        known = session.scalars(select(Segment.name).where(Segment.shop_id == shop.id)).all()
        raise SegmentError(
            f"{shop.domain} has no segment named {name!r}"
            + (f" (segments: {', '.join(known)})" if known else " (no segments yet)")
        )
    return segment


def shop_segments(session: Session, shop_id: int, only_time_relative: bool = False):
    statement = select(Segment).where(Segment.shop_id == shop_id).order_by(Segment.id)
    if only_time_relative:
        statement = statement.where(Segment.time_relative.is_(True))
    return statement


# ---- full evaluation -------------------------------------------------------------------


def evaluate_segment(session: Session, segment: Segment, now: datetime) -> Evaluation:
    """Apply the segment's current membership in the caller's transaction."""
    at = utc_naive(now).replace(microsecond=0)
    # Locked and re-read: the count and fingerprint compared below must be the stored ones,
    # not what this session loaded before another worker changed them.
    session.execute(
        select(Segment)
        .where(Segment.id == segment.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    shop = session.get(Shop, segment.shop_id)
    matches = compile_segment(from_json(segment.ast), shop, at, dialect_of(session))
    if dialect_of(session) == "postgresql":
        _without_jit(session)
        if _unchanged(session, segment, matches):
            # The usual case: incremental re-checks already applied every data change.
            _record_size(session, segment, segment.member_count, 0, 0, at)
            segment.last_evaluated_at = at
            session.flush()
            return Evaluation(segment.id, segment.name, segment.member_count, 0, 0, at)
        size, entered, exited, fingerprint = _apply_postgresql(session, segment.id, matches, at)
        segment.members_fingerprint = fingerprint
        if entered + exited >= REANALYZE_AFTER:
            # Fresh statistics after a large change (a first materialisation), so the
            # next evaluations plan the membership difference with the right sizes.
            session.execute(text("ANALYZE segment_members"))
    else:
        entered, exited = _apply_portable(session, segment.id, matches, at)
        if entered or exited:
            segment.members_fingerprint = None  # no 64-bit hash to keep it with on SQLite
        size = session.scalar(
            select(func.count())
            .select_from(SegmentMember)
            .where(SegmentMember.segment_id == segment.id)
        )
    _record_size(session, segment, size, entered, exited, at)
    segment.last_evaluated_at = at
    session.flush()
    return Evaluation(segment.id, segment.name, size, entered, exited, at)


def member_fingerprint(ids) -> ColumnElement:
    """XOR of a 64-bit hash of each id (0 for none): the same set gives the same value, and
    XOR being its own inverse, adding or removing a member updates it in place. Two
    different sets of the same size share it by chance only (about 1 in 2**64)."""
    return func.coalesce(func.bit_xor(func.hashint8extended(ids, 0)), 0)


def _without_jit(session: Session) -> None:
    """JIT compilation pays for itself on long analytical queries, not here: compiling a
    membership statement costs tens of ms, more than the rows it would speed up."""
    session.execute(text("SET LOCAL jit = off"))


def _unchanged(session: Session, segment: Segment, matches) -> bool:
    """Whether the matching customers are exactly the stored members, by their count and
    fingerprint: one pass over the query, as cheap as counting it, instead of a full join
    with the stored members. A segment without a known fingerprint is never unchanged."""
    if segment.members_fingerprint is None:
        return False
    found = matches.subquery()
    count, fingerprint = session.execute(
        select(func.count(), member_fingerprint(found.c.id)).select_from(found)
    ).one()
    return (count, fingerprint) == (segment.member_count, segment.members_fingerprint)


def _record_size(session, segment, size, entered, exited, at) -> None:
    segment.member_count = size
    session.execute(
        insert(SegmentSize).values(
            segment_id=segment.id, at=at, size=size, entered=entered, exited=exited
        )
    )


def _apply_postgresql(session: Session, segment_id: int, matches, at) -> tuple[int, int, int, int]:
    """One statement, one pass: the query runs once and one full join with the stored
    members is folded into three figures (the new size, the ids entering, the ids leaving)
    rather than materialised row by row; leavers are deleted, newcomers inserted, both
    logged. Returns (size, entered, exited, fingerprint of the new members)."""
    found = matches.cte("matches")
    current = (
        select(SegmentMember.customer_id)
        .where(SegmentMember.segment_id == segment_id)
        .cte("current_members")
    )
    ids = postgresql.ARRAY(BigInteger)
    diff = (
        select(
            func.count(found.c.id).label("size"),
            member_fingerprint(found.c.id).label("fingerprint"),
            func.array_agg(aggregate_order_by(found.c.id, found.c.id))
            .filter(current.c.customer_id.is_(None))
            .label("entering"),
            func.array_agg(current.c.customer_id).filter(found.c.id.is_(None)).label("leaving"),
        )
        .select_from(found.join(current, current.c.customer_id == found.c.id, full=True))
        .cte("diff")
    )
    none = literal([], ids)
    gone = (
        delete(SegmentMember)
        .where(
            SegmentMember.segment_id == segment_id,
            # = ANY(one array of the leavers): index lookups driven by the (usually small)
            # difference, whatever the planner believes about the members table.
            SegmentMember.customer_id
            == any_(func.coalesce(select(diff.c.leaving).scalar_subquery(), none)),
        )
        .returning(SegmentMember.customer_id)
        .cte("gone")
    )
    entering = func.unnest(func.coalesce(diff.c.entering, none)).label("customer_id")
    new = (
        insert(SegmentMember)
        .from_select(
            ["segment_id", "customer_id", "since"],
            select(literal(segment_id), entering, literal(at, DateTime())).select_from(diff),
        )
        .returning(SegmentMember.customer_id)
        .cte("new")
    )
    logged = (
        insert(SegmentEvent)
        .from_select(
            ["segment_id", "customer_id", "kind", "at"],
            union_all(
                select(literal(segment_id), new.c.customer_id, literal("entered"), literal(at)),
                select(literal(segment_id), gone.c.customer_id, literal("exited"), literal(at)),
            ),
        )
        .returning(SegmentEvent.kind)
        .cte("logged")
    )
    counts = select(
        select(diff.c.size).scalar_subquery(),
        func.coalesce(func.sum(case((logged.c.kind == "entered", 1), else_=0)), 0).cast(Integer),
        func.coalesce(func.sum(case((logged.c.kind == "exited", 1), else_=0)), 0).cast(Integer),
        select(diff.c.fingerprint).scalar_subquery(),
    )
    size, entered, exited, fingerprint = session.execute(counts).one()
    return size, entered, exited, fingerprint


def _apply_portable(session: Session, segment_id: int, matches, at) -> tuple[int, int]:
    """Four set-based statements (SQLite has no data-modifying CTEs)."""
    members = select(SegmentMember.customer_id).where(SegmentMember.segment_id == segment_id)
    leaving = and_(
        SegmentMember.segment_id == segment_id, SegmentMember.customer_id.not_in(matches)
    )
    exited = session.execute(
        insert(SegmentEvent).from_select(
            ["segment_id", "customer_id", "kind", "at"],
            select(
                literal(segment_id), SegmentMember.customer_id, literal("exited"), literal(at)
            ).where(leaving),
        )
    ).rowcount
    session.execute(delete(SegmentMember).where(leaving))
    newcomers = matches.where(matched_id(matches).not_in(members))
    entered = session.execute(
        insert(SegmentEvent).from_select(
            ["segment_id", "customer_id", "kind", "at"],
            select(literal(segment_id), Customer.id, literal("entered"), literal(at)).where(
                Customer.id.in_(newcomers)
            ),
        )
    ).rowcount
    session.execute(
        insert(SegmentMember).from_select(
            ["segment_id", "customer_id", "since"],
            select(literal(segment_id), Customer.id, literal(at)).where(Customer.id.in_(newcomers)),
        )
    )
    return entered, exited


def evaluate_shop(
    session: Session, shop: Shop, now: datetime, only_time_relative: bool = False
) -> list[Evaluation]:
    segments = session.scalars(shop_segments(session, shop.id, only_time_relative)).all()
    return [evaluate_segment(session, segment, now) for segment in segments]


# ---- incremental evaluation ------------------------------------------------------------


def evaluate_customers(
    session: Session, shop: Shop, customer_ids, now: datetime
) -> dict[int, tuple[int, int]]:
    """Re-check only these customers against every segment of the shop.

    Returns {segment id: (entered, exited)} for the segments whose membership changed.
    Two statements find the new and the stored membership of these customers for all
    segments at once, whatever their number.
    """
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    at = utc_naive(now).replace(microsecond=0)
    segments = session.scalars(
        shop_segments(session, shop.id).with_for_update().execution_options(populate_existing=True)
    ).all()
    if not segments:
        return {}
    dialect = dialect_of(session)
    statement = _recheck_statement(shop, segments, at, dialect, ids)
    values = {CUSTOMER_IDS: ids, ABANDONED_BEFORE: at - ABANDON_AFTER}
    if dialect == "postgresql":
        _recheck_settings(session)
        rows = session.execute(statement, {**values, RECHECK_AT: at}).all()
        changes = {segment_id: (entered, exited) for segment_id, entered, exited, _ in rows}
        flips = {segment_id: flip for segment_id, _, _, flip in rows}
        for segment in segments:
            if segment.id in changes:
                came, went = changes[segment.id]
                segment.member_count = segment.member_count + came - went
                if segment.members_fingerprint is not None:
                    segment.members_fingerprint ^= flips[segment.id]
        if changes:
            session.execute(
                insert(SegmentSize),
                [
                    {"segment_id": s, "at": at, "size": segment_sizes, "entered": e, "exited": x}
                    for s, (e, x), segment_sizes in (
                        (segment.id, changes[segment.id], segment.member_count)
                        for segment in segments
                        if segment.id in changes
                    )
                ],
            )
        session.flush()
        return changes
    wanted = {tuple(row) for row in session.execute(statement, values)}
    stored = {
        tuple(row)
        for row in session.execute(
            select(SegmentMember.segment_id, SegmentMember.customer_id).where(
                SegmentMember.segment_id.in_([s.id for s in segments]),
                id_in(SegmentMember.customer_id, ids, dialect),
            )
        )
    }
    entering, leaving = wanted - stored, stored - wanted
    if entering:
        session.execute(
            insert(SegmentMember),
            [{"segment_id": s, "customer_id": c, "since": at} for s, c in sorted(entering)],
        )
    for segment_id, customer_id in leaving:
        session.execute(
            delete(SegmentMember).where(
                SegmentMember.segment_id == segment_id, SegmentMember.customer_id == customer_id
            )
        )
    events = [
        {"segment_id": s, "customer_id": c, "kind": "entered", "at": at}
        for s, c in sorted(entering)
    ] + [
        {"segment_id": s, "customer_id": c, "kind": "exited", "at": at} for s, c in sorted(leaving)
    ]
    if events:
        session.execute(insert(SegmentEvent), events)
    changes: dict[int, tuple[int, int]] = {}
    for segment in segments:
        came = sum(1 for s, _ in entering if s == segment.id)
        went = sum(1 for s, _ in leaving if s == segment.id)
        if came or went:
            changes[segment.id] = (came, went)
            segment.members_fingerprint = None  # no 64-bit hash to keep it with on SQLite
            _record_size(session, segment, segment.member_count + came - went, came, went, at)
    session.flush()
    return changes


def _recheck_settings(session: Session) -> None:
    """Settings of the re-check's own transaction (SET LOCAL: they end with it), in one
    round trip.

    - synchronous_commit off: the COMMIT returns without waiting for the WAL to reach the
      disk (it does within about 0.6 s, wal_writer_delay x 3): the flush was a quarter or
      more of re-checking one customer. Membership is derived data: a database crash in that
      window can undo the last re-checks only, whole (members, history, count and
      fingerprint together, so the segment stays consistent), and the segment's next full
      evaluation re-derives them: its fingerprint no longer matches the query. Any later
      ordinary commit flushes the WAL before it. Ingest makes the same choice.
    - jit off: as for full evaluation; the re-check's estimated cost can pass
      jit_above_cost on a large shop, and compiling costs more than the statement.
    - plan_cache_mode force_custom_plan: the statement's text is the same at every run,
      so psycopg prepares it on the server after a few runs, and PostgreSQL would then
      switch to a generic plan, made without knowing how many customers are re-checked:
      measured at 100,000 customers, 1.7-3.9 s instead of about 100 ms for 1,000 of them.
      A custom plan costs 2-10 ms of planning and fits each run.
    """
    session.execute(
        select(
            func.set_config("synchronous_commit", "off", True),
            func.set_config("jit", "off", True),
            func.set_config("plan_cache_mode", "force_custom_plan", True),
        )
    )


def _recheck_postgresql(segment_ids: list[int], wanted):
    """One statement for every segment and every re-checked customer: the wanted pairs
    (segment, customer) against the stored ones, leavers deleted, newcomers inserted, both
    logged, and per segment the counts and the fingerprint flip returned: one round trip
    whatever the number of segments and customers. Built once with the wanted pairs (see
    _recheck_statement); the customers and the time are parameters."""
    found = wanted.cte("wanted")
    at = bindparam(RECHECK_AT, type_=DateTime())
    stored = (
        select(SegmentMember.segment_id, SegmentMember.customer_id)
        .where(
            SegmentMember.segment_id == any_(literal(segment_ids, postgresql.ARRAY(BigInteger))),
            SegmentMember.customer_id
            == any_(bindparam(CUSTOMER_IDS, type_=postgresql.ARRAY(BigInteger))),
        )
        .cte("stored")
    )
    diff = (
        select(
            found.c.segment_id.label("in_segment"),
            found.c.customer_id.label("in_customer"),
            stored.c.segment_id.label("out_segment"),
            stored.c.customer_id.label("out_customer"),
        )
        .select_from(
            found.join(
                stored,
                and_(
                    stored.c.segment_id == found.c.segment_id,
                    stored.c.customer_id == found.c.customer_id,
                ),
                full=True,
            )
        )
        .where(or_(found.c.segment_id.is_(None), stored.c.segment_id.is_(None)))
        .cte("diff")
    )
    gone = (
        delete(SegmentMember)
        .where(
            SegmentMember.segment_id == diff.c.out_segment,
            SegmentMember.customer_id == diff.c.out_customer,
        )
        .returning(SegmentMember.segment_id, SegmentMember.customer_id)
        .cte("gone")
    )
    new = (
        insert(SegmentMember)
        .from_select(
            ["segment_id", "customer_id", "since"],
            select(diff.c.in_segment, diff.c.in_customer, at).where(diff.c.in_segment.is_not(None)),
        )
        .returning(SegmentMember.segment_id, SegmentMember.customer_id)
        .cte("new")
    )
    logged = (
        insert(SegmentEvent)
        .from_select(
            ["segment_id", "customer_id", "kind", "at"],
            union_all(
                select(new.c.segment_id, new.c.customer_id, literal("entered"), at),
                select(gone.c.segment_id, gone.c.customer_id, literal("exited"), at),
            ),
        )
        .returning(SegmentEvent.segment_id, SegmentEvent.customer_id, SegmentEvent.kind)
        .cte("logged")
    )
    return select(
        logged.c.segment_id,
        func.sum(case((logged.c.kind == "entered", 1), else_=0)).cast(Integer),
        func.sum(case((logged.c.kind == "exited", 1), else_=0)).cast(Integer),
        # Entering and leaving ids both flip the fingerprint (XOR is its own inverse).
        member_fingerprint(logged.c.customer_id),
    ).group_by(logged.c.segment_id)


def _recheck_statement(shop: Shop, segments, at: datetime, dialect: str, ids):
    """The re-check of all the shop's segments, built once per day and set of segment
    queries and then run with other customer ids and times: on PostgreSQL the whole
    re-check (_recheck_postgresql), elsewhere the (segment id, customer id) pairs wanted.
    The key holds what the statement is made of, not the segments' updated_at, which
    every change of a member count moves.

    Kept as one object, so SQLAlchemy computes its cache key once (it is memoised on the
    statement) and finds its compiled form in the engine's cache at every run, and the
    SQL text is the same each time, so psycopg prepares it on the server after a few
    runs (prepare_threshold)."""
    shared = dialect == "postgresql" and len(ids) >= SHARED_LOOKUP_FROM
    key = (
        shop.id,
        shop.timezone,
        dialect,
        shared,
        local_today(at, shop.timezone),
        tuple((s.id, s.query) for s in segments),
    )
    statement = _RECHECK_STATEMENTS.get(key)
    if statement is None:
        if len(_RECHECK_STATEMENTS) >= 256:
            _RECHECK_STATEMENTS.clear()
        selects = [
            _wanted_pairs(s.id, compile_segment(from_json(s.ast), shop, at, dialect, ids))
            for s in segments
        ]
        if shared:
            selects = _through_shared_lookup(shop, selects, ids, dialect)
        statement = union_all(*selects)
        if dialect == "postgresql":
            statement = _recheck_postgresql([s.id for s in segments], statement)
        _RECHECK_STATEMENTS[key] = statement
    return statement


def _wanted_pairs(segment_id: int, matches):
    """(segment id, customer id) of the matching customers: the segment's own select with
    its columns replaced, rather than `id IN (...)` around it (one join level less for
    the planner, per segment and run)."""
    return matches.with_only_columns(
        literal(segment_id, BigInteger).label("segment_id"),
        matched_id(matches).label("customer_id"),
    )


def _through_shared_lookup(shop: Shop, selects, ids, dialect: str):
    """The re-checked customers' rows are read once (one index lookup each) into a CTE
    that every segment's conditions then read, instead of once per segment. For a handful
    of customers the per-segment lookups are cheaper than the CTE. The CTE holds only the
    columns the conditions read: customer rows are wide (tags, attributes), and the CTE
    is materialised in memory.

    The CTE carries the figures the conditions read too (customers joined with their
    statistics row), so it stands for both tables: for customers, for customer_statistics
    (its customer_id and shop_id being the customer's id and shop_id) and for the two
    joined (CUSTOMERS_WITH_STATISTICS, the very join object of the selects, replaced whole).
    """
    read = {
        (element.table.name, element.key)
        for each in selects
        for element in visitors.iterate(each)
        if isinstance(element, Column) and element.table in (CUSTOMERS, STATISTICS)
    }
    columns = [
        column
        for column in CUSTOMERS.columns
        if (CUSTOMERS.name, column.key) in read or column.key in ("id", "shop_id")
    ]
    figures = [
        column
        for column in STATISTICS.columns
        if (STATISTICS.name, column.key) in read and column.key not in ("customer_id", "shop_id")
    ]
    touched = select(*columns, *figures).where(
        Customer.shop_id == shop.id, id_in(Customer.id, ids, dialect)
    )
    if figures:
        touched = touched.select_from(CUSTOMERS_WITH_STATISTICS)
    touched = touched.cte("touched")
    adapter = ClauseAdapter(
        touched,
        equivalents={
            STATISTICS.c.customer_id: {CUSTOMERS.c.id},
            STATISTICS.c.shop_id: {CUSTOMERS.c.shop_id},
        },
    )
    return [adapter.traverse(each) for each in selects]


_RECHECK_STATEMENTS: dict = {}
# Re-checked customers from which their rows are read once for all segments (PostgreSQL).
SHARED_LOOKUP_FROM = 20
# The re-check's time, a parameter of the built statement.
RECHECK_AT = "recheck_at"


# ---- customers leaving the shop ------------------------------------------------------


def forget_members(session: Session, customer_ids) -> None:
    """Take customers about to be deleted out of their segments' member counts.

    Their member rows and history go with them (ON DELETE CASCADE); without this the
    stored counts would stay one too high until the segment's next full evaluation.
    Call it in the same transaction, just before deleting the customers.
    """
    ids = sorted(set(customer_ids))
    if not ids:
        return
    leaving = (
        select(func.count())
        .select_from(SegmentMember)
        .where(SegmentMember.segment_id == Segment.id, SegmentMember.customer_id.in_(ids))
        .scalar_subquery()
    )
    session.execute(
        update(Segment)
        .where(
            Segment.id.in_(
                select(SegmentMember.segment_id).where(SegmentMember.customer_id.in_(ids))
            )
        )
        # Their member rows go by cascade, unseen: the fingerprint is unknown from now on.
        .values(member_count=Segment.member_count - leaving, members_fingerprint=None)
    )


# ---- history ---------------------------------------------------------------------------


def history(session: Session, segment: Segment, limit: int = 100) -> dict:
    """Latest entries and exits and the size after each evaluation, newest first."""
    events = session.execute(
        select(SegmentEvent.at, SegmentEvent.kind, Customer.external_id)
        .join(Customer, Customer.id == SegmentEvent.customer_id)
        .where(SegmentEvent.segment_id == segment.id)
        .order_by(SegmentEvent.at.desc(), SegmentEvent.id.desc())
        .limit(limit)
    ).all()
    sizes = session.execute(
        select(SegmentSize.at, SegmentSize.size, SegmentSize.entered, SegmentSize.exited)
        .where(SegmentSize.segment_id == segment.id)
        .order_by(SegmentSize.at.desc(), SegmentSize.id.desc())
        .limit(limit)
    ).all()
    return {
        "events": [{"at": a, "kind": k, "customer": c} for a, k, c in events],
        "sizes": [{"at": a, "size": s, "entered": e, "exited": x} for a, s, e, x in sizes],
    }
