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
    Integer,
    and_,
    any_,
    case,
    cast,
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
from sqlalchemy.orm import Session

from sync.segments.compile import (
    ABANDON_AFTER,
    ABANDONED_BEFORE,
    CUSTOMER_IDS,
    compile_segment,
    id_in,
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
    session.execute(select(Segment.id).where(Segment.id == segment.id).with_for_update())
    shop = session.get(Shop, segment.shop_id)
    matches = compile_segment(from_json(segment.ast), shop, at, dialect_of(session))
    if dialect_of(session) == "postgresql":
        entered, exited = _apply_postgresql(session, segment.id, matches, at)
        if entered + exited >= REANALYZE_AFTER:
            # Fresh statistics after a large change (a first materialisation), so the
            # next evaluations plan the membership difference with the right sizes.
            session.execute(text("ANALYZE segment_members"))
    else:
        entered, exited = _apply_portable(session, segment.id, matches, at)
    size = session.scalar(
        select(func.count())
        .select_from(SegmentMember)
        .where(SegmentMember.segment_id == segment.id)
    )
    _record_size(session, segment, size, entered, exited, at)
    segment.last_evaluated_at = at
    session.flush()
    return Evaluation(segment.id, segment.name, size, entered, exited, at)


def _record_size(session, segment, size, entered, exited, at) -> None:
    segment.member_count = size
    session.execute(
        insert(SegmentSize).values(
            segment_id=segment.id, at=at, size=size, entered=entered, exited=exited
        )
    )


def _apply_postgresql(session: Session, segment_id: int, matches, at) -> tuple[int, int]:
    """One statement: the query runs once and one full join with the stored members
    yields the difference; leavers are deleted, newcomers inserted, both logged."""
    found = matches.cte("matches")
    current = (
        select(SegmentMember.customer_id)
        .where(SegmentMember.segment_id == segment_id)
        .cte("current_members")
    )
    diff = (
        select(found.c.id.label("entering"), current.c.customer_id.label("leaving"))
        .select_from(found.join(current, current.c.customer_id == found.c.id, full=True))
        .where(or_(found.c.id.is_(None), current.c.customer_id.is_(None)))
        .cte("diff")
    )
    gone = (
        delete(SegmentMember)
        .where(
            SegmentMember.segment_id == segment_id,
            # = ANY(one array of the leavers): index lookups driven by the (usually small)
            # difference, whatever the planner believes about the members table.
            SegmentMember.customer_id
            == any_(
                func.coalesce(
                    cast(
                        select(func.array_agg(diff.c.leaving))
                        .where(diff.c.leaving.is_not(None))
                        .scalar_subquery(),
                        postgresql.ARRAY(BigInteger),
                    ),
                    literal([], postgresql.ARRAY(BigInteger)),
                )
            ),
        )
        .returning(SegmentMember.customer_id)
        .cte("gone")
    )
    new = (
        insert(SegmentMember)
        .from_select(
            ["segment_id", "customer_id", "since"],
            select(literal(segment_id), diff.c.entering, literal(at)).where(
                diff.c.entering.is_not(None)
            ),
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
        func.coalesce(func.sum(case((logged.c.kind == "entered", 1), else_=0)), 0).cast(Integer),
        func.coalesce(func.sum(case((logged.c.kind == "exited", 1), else_=0)), 0).cast(Integer),
    )
    entered, exited = session.execute(counts).one()
    return entered, exited


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
    newcomers = matches.where(Customer.id.not_in(members))
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
    segments = session.scalars(shop_segments(session, shop.id).with_for_update()).all()
    if not segments:
        return {}
    dialect = dialect_of(session)
    statement = _recheck_statement(shop, segments, at, dialect, ids)
    values = {CUSTOMER_IDS: ids, ABANDONED_BEFORE: at - ABANDON_AFTER}
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
            _record_size(session, segment, segment.member_count + came - went, came, went, at)
    session.flush()
    return changes


def _recheck_statement(shop: Shop, segments, at: datetime, dialect: str, ids):
    """All the shop's segments as one statement of (segment id, customer id), built once
    per day and segment version and then run with other customer ids and times."""
    key = (
        shop.id,
        shop.timezone,
        dialect,
        local_today(at, shop.timezone),
        tuple((s.id, s.query, s.updated_at) for s in segments),
    )
    statement = _RECHECK_STATEMENTS.get(key)
    if statement is None:
        if len(_RECHECK_STATEMENTS) >= 256:
            _RECHECK_STATEMENTS.clear()
        selects = [
            select(literal(s.id).label("segment_id"), Customer.id.label("customer_id")).where(
                Customer.id.in_(compile_segment(from_json(s.ast), shop, at, dialect, ids))
            )
            for s in segments
        ]
        statement = _RECHECK_STATEMENTS[key] = union_all(*selects)
    return statement


_RECHECK_STATEMENTS: dict = {}


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
        .values(member_count=Segment.member_count - leaving)
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
