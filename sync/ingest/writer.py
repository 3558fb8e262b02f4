"""The versioned batch upsert every ingest function writes through, on SQLite and PostgreSQL.

One `INSERT ... ON CONFLICT DO UPDATE ... WHERE` per batch and table: the WHERE lets a row
through only when its version (`updated_at`) is newer than the stored one, or equal with
different content, so a retried or reordered batch changes nothing and older data never
overwrites newer. Rows not written are simply not RETURNed, which is how callers count them.

On PostgreSQL with psycopg 3, batches of at least COPY_MIN_ROWS go through a fast path: the
rows are COPYed into a session-local staging table and upserted from it with one
`INSERT ... SELECT`, which avoids building and parsing a statement with tens of thousands of
parameters. Smaller batches (webhooks) and SQLite use a multi-row `INSERT ... VALUES`
(SQLAlchemy's insertmanyvalues).

Per-batch costs are kept flat so that big batches pay off: lookups by key take one text
parameter on PostgreSQL that it unpacks into an array (`any_of`), instead of thousands of IN
parameters or a list psycopg adapts element by element, callers that
need nothing back skip RETURNING, the default batch is POSTGRESQL_BATCH_SIZE on the COPY
path, and `analyze_if_grown` refreshes the planner's statistics when a load has doubled a
table within a run. `executed_meanwhile` and `selected_meanwhile` let PostgreSQL run
statements while Python works on the same connection (psycopg's pipeline mode). Tables
with dates or timestamps are COPYed in binary (`_binary_copy_types`).
"""

from __future__ import annotations

import json
from collections import namedtuple
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from itertools import islice
from operator import itemgetter

from sqlalchemy import (
    ARRAY,
    BigInteger,
    DateTime,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    cast,
    column,
    func,
    literal,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import sqltypes

from sync.ingest.normalise import EPOCH

# Records per batch on PostgreSQL (COPY path) when the caller gives no batch size.
POSTGRESQL_BATCH_SIZE = 10000
# Below this many rows the staging table costs more than it saves.
COPY_MIN_ROWS = 200
# Largest IN (...) list sent at once (SQLite allows 32766 parameters per statement).
IN_CHUNK = 5000
# Rows a table must gain before analyze_if_grown considers it worth an ANALYZE.
ANALYZE_MIN_GROWTH = 5000


_ENCODE = json.JSONEncoder(separators=(",", ":")).encode


def json_text(value) -> str:
    """A JSON column's value as COPY sends it: json.dumps(value, separators=(",", ":")),
    with the encoder built once and the empty list and mapping (most customers' tags and
    attributes) written as they are."""
    if not value:
        if value == []:
            return "[]"
        if value == {}:
            return "{}"
    return _ENCODE(value)


def batch_size_for(session: Session, batch_size: int | None, portable: int) -> int:
    """The caller's batch size, else POSTGRESQL_BATCH_SIZE on the COPY path, else `portable`.

    Big batches pay the per-batch costs (lookups, the statistics statement, the caller's
    commit) over more records; they only suit PostgreSQL's COPY path, where a batch is one
    data stream rather than a statement with a parameter per value.
    """
    if batch_size is not None:
        return batch_size
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        return POSTGRESQL_BATCH_SIZE
    return portable


def batches(records: Iterable, size: int) -> Iterator[list]:
    """Consume any iterable (a generator of millions) a list of `size` at a time."""
    if size < 1:
        raise ValueError(f"batch_size must be at least 1, not {size}")
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


def chunks(values: Sequence, size: int = IN_CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def id_filter(session: Session, id_column, ids: Sequence[int]):
    """`id = ANY(:ids)` on PostgreSQL (one array parameter), `id IN (...)` elsewhere."""
    if is_postgresql(session):
        return id_column == any_(bindparam(None, list(ids), type_=ARRAY(BigInteger)))
    return id_column.in_(list(ids))


def any_of(column_, values: Sequence):
    """`column_ = ANY(:values)`: one parameter (PostgreSQL only), whatever the count.

    Keys and ids, the lookups of every batch, travel as one text parameter that PostgreSQL
    unpacks: a JSON array of strings (json.dumps escapes in C), or comma-separated integers.
    psycopg would adapt a list element by element in Python, checking each string for
    characters to quote: 12 ms of client CPU for 10,000 keys, against 4 ms this way.
    """
    values = list(values)
    if values and all(type(value) is str for value in values):
        keys = func.jsonb_array_elements_text(
            cast(bindparam(None, json.dumps(values), type_=Text), postgresql.JSONB)
        ).table_valued("value")
        # The CAST makes the subquery an array expression: `ANY (SELECT ...)` alone would
        # compare with each row the subquery returns, here one array.
        gathered = select(func.array_agg(keys.c.value)).scalar_subquery()
        return column_ == any_(cast(gathered, ARRAY(Text)))
    if values and all(type(value) is int for value in values):
        numbers = func.string_to_array(bindparam(None, ",".join(map(str, values)), type_=Text), ",")
        return column_ == any_(cast(numbers, ARRAY(BigInteger)))
    return column_ == any_(bindparam(None, values, type_=ARRAY(column_.type)))


def in_filters(session: Session, column_, values: Sequence) -> Iterator:
    """`column_ IN values` as few conditions as the backend allows: one parameter on
    PostgreSQL (`any_of`), chunks SQLite accepts elsewhere (one statement per condition)."""
    values = list(values)
    if not values:
        return
    if is_postgresql(session):
        yield any_of(column_, values)
        return
    for part in chunks(values):
        yield column_.in_(part)


def stored_by_external_id(session: Session, table, shop_id: int, external_ids, *columns) -> dict:
    """{external_id: value} for the shop's stored rows among `external_ids`; the value is the
    one column asked for, a tuple of several, or None when only presence matters."""
    statement = select(table.c.external_id, *(table.c[name] for name in columns)).where(
        table.c.shop_id == shop_id
    )
    found = select_in(session, statement, table.c.external_id, sorted(set(external_ids)))
    if len(columns) == 1:
        return {row[0]: row[1] for row in found}
    return {row[0]: (tuple(row[1:]) if columns else None) for row in found}


def select_in(session: Session, statement, column_, values: Sequence) -> list:
    """Rows of `statement` filtered by `column_ IN values`: on PostgreSQL one statement with
    one parameter (`any_of`; rendering thousands of IN parameters cost more than the
    lookup), on SQLite in chunks it accepts."""
    rows: list = []
    for condition in in_filters(session, column_, values):
        rows.extend(session.execute(statement.where(condition)).all())
    return rows


def analyze_if_grown(session: Session, target: Table, written: int, columns: Sequence[str]) -> None:
    """Run `analyze_statement`'s ANALYZE, if it gives one."""
    statement = analyze_statement(session, target, written, columns)
    if statement is not None:
        session.execute(statement)


def analyze_statement(session: Session, target: Table, written: int, columns: Sequence[str]):
    """ANALYZE `columns` of `target` on PostgreSQL once the rows written through this
    connection since the last ANALYZE reach the table's size at that time (at least
    ANALYZE_MIN_GROWTH rows): the statement, for the caller to run once those rows are
    written, or None.

    A bulk load into a fresh table otherwise leaves the planner with no statistics until
    autovacuum catches up, which gives sequential scans where an index lookup is right.
    Doubling as the trigger keeps the cost logarithmic in the load. Only the columns ingest's
    own statements look rows up by are analysed (a third of a whole-table ANALYZE's cost);
    autovacuum analyses the rest as usual. SKIP_LOCKED: another worker analysing the same
    table is enough, and ANALYZE's lock (held until commit) must never make two workers wait
    for each other. The table's size after an ANALYZE is read at the next call.
    """
    if written <= 0 or not is_postgresql(session):
        return None
    seen = session.connection().info.setdefault("cible_analyze_growth", {})
    size, grown = seen.get(target.name) or (None, 0)
    if size is None:
        size = _estimated_rows(session, target)
    grown += written
    if grown >= max(size, ANALYZE_MIN_GROWTH):
        seen[target.name] = (None, 0)
        listed = ", ".join(target.c[name].name for name in columns)
        return text(f"ANALYZE (SKIP_LOCKED) {target.name} ({listed})")
    seen[target.name] = (size, grown)
    return None


def _estimated_rows(session: Session, target: Table) -> int:
    estimate = session.scalar(
        text("SELECT reltuples FROM pg_class WHERE oid = CAST(:name AS regclass)"),
        {"name": target.name},
    )
    return max(int(estimate or 0), 0)


def _write_condition(target: Table, excluded, version: str | None, compare: Sequence[str]):
    differs = or_(*(target.c[name].is_distinct_from(excluded[name]) for name in compare))
    if version is None:
        return differs
    epoch = literal(EPOCH, DateTime())
    incoming = func.coalesce(excluded[version], epoch)
    stored = func.coalesce(target.c[version], epoch)
    return or_(incoming > stored, and_(incoming == stored, differs))


def commit_without_waiting_for_disk(session: Session) -> None:
    """`SET LOCAL synchronous_commit = off` on PostgreSQL: the caller's COMMIT of ingested
    data returns without waiting for its WAL to reach the disk (it does within about
    0.6 s, wal_writer_delay x 3). Safe for ingest: a crash in that window loses only the
    last batches, which the caller never saw as done (a sync's cursor and run state are
    written after them, and any later ordinary commit flushes the WAL before it, so a batch
    recorded as done is on disk). It only loosens durability, never consistency, and only
    for the current transaction (docs/data-rules.md).
    """
    if is_postgresql(session):
        session.execute(text("SET LOCAL synchronous_commit = off"))


def upsert_rows(
    session: Session,
    target: Table,
    rows: list[dict],
    *,
    key: Sequence[str],
    version: str | None,
    compare: Sequence[str],
    update: Sequence[str],
    returning: Sequence[str],
    key_where=None,
) -> list:
    """Insert or update `rows` (dicts with the same keys, unique on `key`); returns the rows
    actually written, as `returning` columns (an empty `returning`: no RETURNING clause, and
    an empty list, for callers that need nothing back).

    `compare` lists the columns whose difference makes an equal-version row worth writing
    (everything the record carries, never bookkeeping such as ingested_at). `key_where` is
    the condition of a partial unique index `key` names (order lines waiting for their
    order).
    """
    if not rows:
        return []
    columns = list(rows[0])
    dialect = session.get_bind().dialect
    commit_without_waiting_for_disk(session)
    if dialect.name == "postgresql":
        if dialect.driver == "psycopg" and len(rows) >= COPY_MIN_ROWS:
            return _copy_upsert(
                session, target, rows, columns, key, version, compare, update, returning,
                key_where,
            )  # fmt: skip
        insert = postgresql.insert(target)
    elif dialect.name == "sqlite":
        insert = sqlite.insert(target)
    else:
        raise RuntimeError(f"ingest supports SQLite and PostgreSQL, not {dialect.name}")
    statement = _on_conflict(insert, target, key, version, compare, update, returning, key_where)
    return _execute(session, statement, rows, returning)


def _on_conflict(insert, target, key, version, compare, update, returning, key_where=None):
    statement = insert.on_conflict_do_update(
        index_elements=list(key),
        index_where=key_where,
        set_={name: insert.excluded[name] for name in update},
        where=_write_condition(target, insert.excluded, version, compare),
    )
    if returning:
        statement = statement.returning(*(target.c[name] for name in returning))
    return statement


def _execute(session: Session, statement, rows, returning) -> list:
    if returning:
        return session.execute(statement, rows).all() if rows else session.execute(statement).all()
    if rows:
        session.execute(statement, rows)
    else:
        session.execute(statement)
    return []


def _copy_upsert(
    session, target, rows, columns, key, version, compare, update, returning, key_where
):
    stage_name = f"cible_stage_{target.name}"
    connection = session.connection()
    session.execute(
        text(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage_name} AS "
            f"SELECT * FROM {target.name} WITH NO DATA"
        )
    )
    json_positions = [
        position
        for position, name in enumerate(columns)
        if isinstance(target.c[name].type, sqltypes.JSON)
    ]
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {stage_name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            values = list(row.values())
            for position in json_positions:
                values[position] = json_text(values[position])
            copy.write_row(values)
    cursor.close()
    stage = table(stage_name, *(column(name) for name in columns))
    insert = postgresql.insert(target).from_select(columns, select(*stage.c))
    statement = _on_conflict(insert, target, key, version, compare, update, returning, key_where)
    written = _execute(session, statement, None, returning)
    session.execute(text(f"TRUNCATE {stage_name}"))
    return written


def copy_applies(session: Session, rows: Sequence) -> bool:
    """Whether `copy_new_rows` takes `rows` (PostgreSQL with psycopg, at least COPY_MIN_ROWS
    rows)."""
    return uses_psycopg(session) and len(rows) >= COPY_MIN_ROWS


def copy_new_rows(
    session: Session, target: Table, rows: list[dict], *, returning: Sequence[str] = ()
) -> list | None:
    """COPY rows the caller found absent straight into `target`, or None: then upsert them.

    New rows (a first load, a backfill, new orders) need neither the staging table nor the
    conflict check: one COPY into the table is the cheapest write PostgreSQL has. Ids are
    taken from the table's sequence first when `returning` asks for "id", so callers get
    the same rows back as from RETURNING. The COPY runs under a savepoint: should another
    writer have stored one of these keys since the caller looked (two workers at once), the
    unique index refuses it, the savepoint is rolled back and None tells the caller to go
    through `upsert_rows`, which applies the version rules (the rows lose the ids given
    them). None as well where the fast path does not apply (`copy_applies`). A caller that
    needs the ids before the COPY (to build rows that point at these) calls `assign_ids`
    first.
    """
    if not rows:
        return []
    if not copy_applies(session, rows):
        return None
    import psycopg
    from psycopg.types.json import set_json_dumps

    commit_without_waiting_for_disk(session)
    if "id" in returning and "id" not in rows[0]:
        assign_ids(session, target, rows)
    columns = list(rows[0])
    binary_types = _binary_copy_types(session, target, columns)
    json_positions = [
        position
        for position, name in enumerate(columns)
        if isinstance(target.c[name].type, sqltypes.JSON) and binary_types is None
    ]
    statement = f"COPY {target.name} ({', '.join(columns)}) FROM STDIN"
    try:
        with session.begin_nested():
            cursor = session.connection().connection.driver_connection.cursor()
            if binary_types is not None:
                statement += " (FORMAT BINARY)"
                set_json_dumps(json_text, cursor)
            with cursor.copy(statement) as copy:
                if binary_types is not None:
                    copy.set_types(binary_types)
                write = copy.write_row
                if json_positions:
                    for row in rows:
                        values = list(row.values())
                        for position in json_positions:
                            values[position] = json_text(values[position])
                        write(values)
                else:
                    for row in rows:
                        write(tuple(row.values()))
            cursor.close()
    except psycopg.errors.UniqueViolation:
        for row in rows:
            row.pop("id", None)
        return None
    if not returning:
        return []
    make = namedtuple("Written", returning)._make
    pick = itemgetter(*returning) if len(returning) > 1 else lambda row: (row[returning[0]],)
    return [make(pick(row)) for row in rows]


def assign_ids(session: Session, target: Table, rows: list[dict]) -> None:
    """Give each row an "id" from `target`'s sequence (PostgreSQL), one statement for all.

    The ids come back as one comma-separated text value rather than as one result row
    each: 14.4 ms for 10,000 ids against 16.7 ms (best of seven, most of it nextval
    itself)."""
    ids = session.scalar(
        text(
            "SELECT string_agg(CAST(nextval(CAST(:sequence AS regclass)) AS text), ',') "
            "FROM generate_series(1, :n)"
        ),
        {"sequence": _id_sequence(session, target), "n": len(rows)},
    )
    for row, new_id in zip(rows, map(int, ids.split(",")), strict=True):
        row["id"] = new_id


def _binary_copy_types(session: Session, target: Table, columns: list[str]) -> list[int] | None:
    """The type oids of `columns` when `target` is COPYed in binary, else None (text).

    Tables with dates or timestamps go in binary: psycopg formats a timestamp as text in
    Python (about 1 µs each, four per order) but in binary in C; an order's row costs
    1.8 µs instead of 6.2, and PostgreSQL reads it for less. Other tables stay in text,
    cheaper for them (a line's numeric price costs more in binary). Binary COPY needs each
    column's exact type, read from the catalogue once per connection.
    """
    if not any(isinstance(target.c[name].type, (sqltypes.DateTime, sqltypes.Date))
               for name in columns):  # fmt: skip
        return None
    known = session.connection().info.setdefault("cible_column_types", {})
    if target.name not in known:
        known[target.name] = dict(
            session.execute(
                text(
                    "SELECT attname, CAST(atttypid AS integer) FROM pg_attribute "
                    "WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 AND NOT attisdropped"
                ),
                {"t": target.name},
            ).all()
        )
    return [known[target.name][target.c[name].name] for name in columns]


def _id_sequence(session: Session, target: Table) -> str:
    """The sequence behind `target`'s id, looked up once per connection: as an argument of
    nextval, pg_get_serial_sequence would be called again for every row (5x the cost)."""
    known = session.connection().info.setdefault("cible_id_sequences", {})
    if target.name not in known:
        known[target.name] = session.scalar(
            text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": target.name}
        )
    return known[target.name]


def write_new_and_stored(
    session: Session, target: Table, rows: list[dict], is_new: list[bool], **upsert
) -> tuple[list, list[dict]]:
    """`upsert_rows` for rows already stored, `copy_new_rows` for the ones found absent
    (`is_new`, parallel to `rows`); everything through `upsert_rows` when the COPY does not
    apply or meets a row stored meanwhile.

    Returns the written rows as `upsert_rows` does, and the rows (dicts) one COPY inserted:
    none of them existed before this transaction (an empty list when the COPY did not run).
    """
    new = [row for row, fresh in zip(rows, is_new, strict=True) if fresh]
    copied = copy_new_rows(session, target, new, returning=upsert["returning"])
    if copied is None:
        return upsert_rows(session, target, rows, **upsert), []
    if len(new) == len(rows):
        return copied, new
    stored = [row for row, fresh in zip(rows, is_new, strict=True) if not fresh]
    return copied + upsert_rows(session, target, stored, **upsert), new


def uses_psycopg(session: Session) -> bool:
    dialect = session.get_bind().dialect
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


@contextmanager
def executed_meanwhile(session: Session, statements: Sequence) -> Iterator[None]:
    """Run `statements` (parameters bound) while the caller's block does Python work.

    One connection otherwise makes Python and PostgreSQL wait for each other, one statement
    at a time. With psycopg the statements are sent in pipeline mode before the block runs,
    so the server executes them meanwhile; leaving the block waits for their results (and
    raises their errors), even when the block raises. The block must not use the session.
    Elsewhere the statements run before the block. Parameters reach psycopg as they are,
    without SQLAlchemy's type processing: numbers, strings and lists of them.
    """
    if not uses_psycopg(session):
        for statement in statements:
            session.execute(statement)
        yield
        return
    dialect = session.get_bind().dialect
    driver_connection = session.connection().connection.driver_connection
    cursor = driver_connection.cursor()
    try:
        with driver_connection.pipeline():
            for statement in statements:
                compiled = statement.compile(
                    dialect=dialect, compile_kwargs={"render_postcompile": True}
                )
                cursor.execute(compiled.string, compiled.params)
            yield
    finally:
        cursor.close()


@contextmanager
def selected_meanwhile(session: Session, lookups: Sequence[tuple]) -> Iterator[list[list]]:
    """`select_in(session, statement, column_, values)` for each lookup of `lookups`, run
    while the caller's block does Python work that does not touch the session; the list
    yielded holds each lookup's rows, in order, once the block is left.

    With psycopg the lookups are sent in pipeline mode before the block runs, so the server
    answers them meanwhile (order ingest looks up a batch's customers and stored orders
    while it builds the batch's rows); rows then come as psycopg gives them, without
    SQLAlchemy's result processing (plain tuples of strings, numbers and booleans).
    Elsewhere the lookups run before the block.
    """
    found: list[list] = []
    if not uses_psycopg(session):
        found.extend(select_in(session, *lookup) for lookup in lookups)
        yield found
        return
    dialect = session.get_bind().dialect
    driver_connection = session.connection().connection.driver_connection
    cursors = []
    try:
        with driver_connection.pipeline():
            for statement, column_, values in lookups:
                cursor = driver_connection.cursor()
                cursors.append(cursor)
                if values:
                    compiled = statement.where(any_of(column_, values)).compile(
                        dialect=dialect, compile_kwargs={"render_postcompile": True}
                    )
                    cursor.execute(compiled.string, compiled.params)
            yield found
            found.extend(
                cursor.fetchall() if values else []
                for cursor, (_, _, values) in zip(cursors, lookups, strict=True)
            )
    finally:
        for cursor in cursors:
            cursor.close()


def naive_now() -> datetime:
    return datetime.utcnow().replace(microsecond=0)
