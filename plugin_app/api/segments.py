"""Segments over JSON: list, create, change, delete, live preview, members, CSV export, history.

A segment saved or changed is evaluated through the job queue (inline without Redis, so
the answer already carries its members; on RQ a worker fills them moments later).
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from flask import Response, current_app, g, request
from marshmallow import ValidationError
from sqlalchemy import func, or_, select

from plugin_app.api import api, problem
from plugin_app.api.schemas import (
    MembersQuery,
    PreviewInput,
    SegmentChange,
    SegmentInput,
    TemplateInput,
)
from plugin_app.db import session, settings
from plugin_app.i18n import current_language, translated
from sync.queue import enqueue
from sync.segments.catalog import catalog_json
from sync.segments.compile import compile_segment
from sync.segments.errors import SegmentQueryError
from sync.segments.evaluate import SegmentError, change_query, create_segment, history
from sync.segments.jobs import evaluate_segment_job
from sync.segments.models import Segment, SegmentMember, SegmentSize
from sync.segments.templates import TEMPLATES, add_template
from sync.segments.validate import parse_and_check
from sync.store import Customer, CustomerStatistics, utcnow

SAMPLE_COLUMNS = (Customer.id, Customer.external_id, Customer.first_name, Customer.last_name,
                  Customer.email, Customer.city)  # fmt: skip
CSV_COLUMNS = ("external_id", "email", "first_name", "last_name", "city", "postal_code",
               "country", "orders_count", "total_spent", "last_order_date", "since")  # fmt: skip
# What a member row shows (page and CSV): the columns alone, not whole customers (their
# tags and attributes are wide), the figures from their statistics row.
MEMBER_COLUMNS = (Customer.id, Customer.external_id, Customer.email, Customer.first_name,
                  Customer.last_name, Customer.city, Customer.postal_code, Customer.country,
                  CustomerStatistics.orders_count, CustomerStatistics.total_spent,
                  CustomerStatistics.last_order_date, SegmentMember.since)  # fmt: skip


def _load(schema, data):
    try:
        return schema.load(data if data is not None else {}), None
    except ValidationError as error:
        return None, problem(400, "invalid input", fields=error.messages)


def _query_error(error: SegmentQueryError):
    """422 with the error's spot. `message` and `code` are English and stable for scripts;
    `localized` holds the same reason and hint in the request's language (the admin's, or
    Accept-Language), which the segment editor shows."""
    localized = {
        "language": current_language(),
        "message": translated(error.reason),
        "suggestion": translated(error.hint) if error.hint else error.suggestion,
    }
    return problem(422, str(error), error={**error.as_dict(), "localized": localized})


def _segment_or_404(segment_id: int) -> Segment | None:
    segment = session().get(Segment, segment_id)
    if segment is None or segment.shop_id != g.shop.id:
        return None
    return segment


def _not_found(segment_id: int):
    return problem(404, f"no segment {segment_id} in {g.shop.domain}")


def _size_days_ago(segment: Segment, days: int) -> int | None:
    """The segment's size as it stood `days` ago (None when it did not exist yet)."""
    before = utcnow() - timedelta(days=days)
    return session().scalar(
        select(SegmentSize.size)
        .where(SegmentSize.segment_id == segment.id, SegmentSize.at <= before)
        .order_by(SegmentSize.at.desc(), SegmentSize.id.desc())
        .limit(1)
    )


def _as_json(segment: Segment) -> dict:
    week_ago = _size_days_ago(segment, 7)
    return {
        "id": segment.id,
        "name": segment.name,
        "query": segment.query,
        "template": segment.template,
        "time_relative": segment.time_relative,
        "member_count": segment.member_count,
        "change_7_days": None if week_ago is None else segment.member_count - week_ago,
        "last_evaluated_at": _iso(segment.last_evaluated_at),
        "created_at": _iso(segment.created_at),
        "updated_at": _iso(segment.updated_at),
    }


def _iso(moment) -> str | None:
    return moment.isoformat() + "Z" if moment is not None else None


def _evaluate(segment: Segment) -> None:
    """Commit, then evaluate through the queue (deduplicated per segment on RQ)."""
    session().commit()
    enqueue(settings(), evaluate_segment_job, segment.id, job_id=f"segment-evaluate-{segment.id}")
    session().expire_all()


@api.get("/segments")
def list_segments():
    segments = session().scalars(
        select(Segment).where(Segment.shop_id == g.shop.id).order_by(Segment.name)
    )
    return {"segments": [_as_json(segment) for segment in segments]}


@api.post("/segments")
def create():
    data, error = _load(SegmentInput(), request.get_json(silent=True))
    if error:
        return error
    try:
        segment = create_segment(session(), g.shop, data["name"], data["query"], data["template"])
    except SegmentQueryError as query_error:
        return _query_error(query_error)
    except SegmentError as segment_error:
        return problem(409, str(segment_error))
    _evaluate(segment)
    return _as_json(session().get(Segment, segment.id)), 201


@api.post("/segments/from-template")
def create_from_template():
    data, error = _load(TemplateInput(), request.get_json(silent=True))
    if error:
        return error
    try:
        segment = add_template(session(), g.shop, data["key"])
    except SegmentError as segment_error:
        return problem(409 if "already has" in str(segment_error) else 400, str(segment_error))
    _evaluate(segment)
    return _as_json(session().get(Segment, segment.id)), 201


@api.get("/segments/templates")
def templates():
    language = g.shop.language
    return {
        "templates": [
            {"key": t.key, "name": t.name(language), "en": t.en, "fr": t.fr, "query": t.query}
            for t in TEMPLATES
        ]
    }


@api.get("/segments/catalog")
def catalog():
    """The attribute catalogue: names, types, operators, values, descriptions (autocomplete)."""
    return {"attributes": catalog_json()}


@api.post("/segments/preview")
def preview():
    """Count and sample while the merchant types: nothing is stored."""
    data, error = _load(PreviewInput(), request.get_json(silent=True))
    if error:
        return error
    db = session()
    try:
        node = parse_and_check(data["query"])
    except SegmentQueryError as query_error:
        return _query_error(query_error)
    matches = compile_segment(node, g.shop, utcnow(), db.get_bind().dialect.name)
    count = db.scalar(select(func.count()).select_from(matches.subquery()))
    rows = db.execute(
        select(*SAMPLE_COLUMNS)
        .where(Customer.id.in_(matches))
        .order_by(Customer.id)
        .limit(data["sample"])
    )
    return {
        "count": count,
        "sample": [
            {"id": r.id, "external_id": r.external_id, "email": r.email, "city": r.city,
             "name": " ".join(p for p in (r.first_name, r.last_name) if p) or None}
            for r in rows
        ],
    }  # fmt: skip


@api.get("/segments/<int:segment_id>")
def show(segment_id: int):
    segment = _segment_or_404(segment_id)
    return _as_json(segment) if segment else _not_found(segment_id)


@api.patch("/segments/<int:segment_id>")
def change(segment_id: int):
    segment = _segment_or_404(segment_id)
    if segment is None:
        return _not_found(segment_id)
    data, error = _load(SegmentChange(), request.get_json(silent=True))
    if error:
        return error
    if "name" in data and data["name"].strip() != segment.name:
        name = data["name"].strip()
        taken = session().scalar(
            select(Segment.id).where(Segment.shop_id == g.shop.id, Segment.name == name)
        )
        if taken is not None:
            return problem(409, f"{g.shop.domain} already has a segment named {name!r}")
        segment.name = name
    query_changed = "query" in data and data["query"] != segment.query
    if query_changed:
        try:
            change_query(session(), segment, data["query"])
        except SegmentQueryError as query_error:
            return _query_error(query_error)
    if query_changed:
        _evaluate(segment)
    else:
        session().commit()
    return _as_json(session().get(Segment, segment_id))


@api.delete("/segments/<int:segment_id>")
def remove(segment_id: int):
    segment = _segment_or_404(segment_id)
    if segment is None:
        return _not_found(segment_id)
    session().delete(segment)
    session().commit()
    return "", 204


def _members_statement(segment: Segment, search: str):
    """The segment's members (their customer ids), matching `search` when given."""
    statement = (
        select(Customer.id)
        .select_from(SegmentMember)
        .join(Customer, Customer.id == SegmentMember.customer_id)
        .where(SegmentMember.segment_id == segment.id, Customer.shop_id == g.shop.id)
    )
    if search:
        pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", r"\%").replace(
            "_", r"\_"
        ) + "%"  # fmt: skip
        statement = statement.where(
            or_(*(func.lower(column).like(pattern, escape="\\")
                  for column in (Customer.email, Customer.first_name, Customer.last_name)))
        )  # fmt: skip
    return statement


def _member_rows(members):
    """The shown columns (MEMBER_COLUMNS) of these members, with their figures."""
    return members.with_only_columns(*MEMBER_COLUMNS).join(
        CustomerStatistics, CustomerStatistics.customer_id == Customer.id
    )


@api.get("/segments/<int:segment_id>/members")
def members(segment_id: int):
    segment = _segment_or_404(segment_id)
    if segment is None:
        return _not_found(segment_id)
    args, error = _load(MembersQuery(), request.args.to_dict())
    if error:
        return error
    statement = _members_statement(segment, args["q"].strip())
    if args["format"] == "csv":
        return _csv_export(segment, _member_rows(statement))
    total = session().scalar(select(func.count()).select_from(statement.subquery()))
    page_rows = session().execute(
        _member_rows(statement)
        .order_by(Customer.id)
        .limit(args["per_page"])
        .offset((args["page"] - 1) * args["per_page"])
    )
    return {
        "segment_id": segment.id,
        "total": total,
        "page": args["page"],
        "per_page": args["per_page"],
        "members": [
            {"id": r.id, "external_id": r.external_id, "email": r.email,
             "first_name": r.first_name, "last_name": r.last_name, "city": r.city,
             "orders_count": r.orders_count, "total_spent": str(r.total_spent),
             "last_order_date": r.last_order_date.isoformat() if r.last_order_date else None,
             "since": _iso(r.since)}
            for r in page_rows
        ],
    }  # fmt: skip


def _csv_export(segment: Segment, statement) -> Response:
    """Stream every member as CSV, a page of rows at a time (large segments, flat memory).

    The rows are read with a session of the stream's own, closed when the stream ends:
    the request's session is gone by the time the body is sent.
    """
    sessions = current_app.extensions["cible.sessions"]

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        last_id = 0
        with sessions() as db:
            while batch := db.execute(
                statement.where(Customer.id > last_id).order_by(Customer.id).limit(2000)
            ).all():
                for r in batch:
                    writer.writerow(
                        [
                            r.external_id, r.email, r.first_name, r.last_name, r.city,
                            r.postal_code, r.country, r.orders_count, r.total_spent,
                            r.last_order_date or "", _iso(r.since),
                        ]
                    )  # fmt: skip
                    last_id = r.id
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    filename = f"segment-{segment.id}-members.csv"
    return Response(
        rows(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@api.get("/segments/<int:segment_id>/history")
def segment_history(segment_id: int):
    segment = _segment_or_404(segment_id)
    if segment is None:
        return _not_found(segment_id)
    found = history(session(), segment, limit=min(request.args.get("limit", 100, int), 1000))
    return {
        "segment_id": segment.id,
        "sizes": [{**row, "at": _iso(row["at"])} for row in found["sizes"]],
        "events": [{**row, "at": _iso(row["at"])} for row in found["events"]],
    }
