"""The segments pages: the list, the editor (a page of JavaScript over the segments API) and
one segment's page (size over time, entries and exits, members paged and searched).

Reads here filter by the session's shop like every admin read; a segment of another shop
is a 404, the same answer as an unknown id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from plugin_app import db
from plugin_app.admin import admin
from plugin_app.admin.auth import current_shop
from plugin_app.admin.charts import size_chart
from plugin_app.i18n import current_language
from sync.segments.models import Segment, SegmentEvent, SegmentMember, SegmentSize
from sync.segments.templates import TEMPLATES
from sync.store import Customer, utcnow

MEMBERS_PAGE = 50
EVENTS_SHOWN = 50


def _segment_or_404(segment_id: int) -> Segment:
    shop = current_shop()
    segment = db.session().scalar(
        select(Segment).where(Segment.id == segment_id, Segment.shop_id == shop.id)
    )
    if segment is None:
        abort(404, description=_("There is no segment #%(id)s in this shop.", id=segment_id))
    return segment


def sizes_a_week_ago(session, segment_ids: list[int]) -> dict[int, int]:
    """Each segment's size as it stood 7 days ago, in one statement (absent: it was not there)."""
    if not segment_ids:
        return {}
    before = utcnow() - timedelta(days=7)
    latest = (
        select(SegmentSize.segment_id, func.max(SegmentSize.at).label("at"))
        .where(SegmentSize.segment_id.in_(segment_ids), SegmentSize.at <= before)
        .group_by(SegmentSize.segment_id)
        .subquery()
    )
    rows = session.execute(
        select(SegmentSize.segment_id, SegmentSize.size).join(
            latest,
            (latest.c.segment_id == SegmentSize.segment_id) & (latest.c.at == SegmentSize.at),
        )
    )
    return {segment_id: size for segment_id, size in rows}


@admin.get("/segments")
def segments():
    shop = current_shop()
    session = db.session()
    found = list(
        session.scalars(select(Segment).where(Segment.shop_id == shop.id).order_by(Segment.name))
    )
    week_ago = sizes_a_week_ago(session, [segment.id for segment in found])
    rows = [
        (
            segment,
            None if segment.id not in week_ago else segment.member_count - week_ago[segment.id],
        )
        for segment in found
    ]
    return render_template("admin/segments.html", active="segments", rows=rows)


def _editor(segment: Segment | None):
    language = current_language()
    templates = [{"key": t.key, "name": t.name(language), "query": t.query} for t in TEMPLATES]
    return render_template(
        "admin/segment_editor.html",
        active="segments",
        segment=segment,
        templates=templates,
        editor_config={
            "language": language,
            "segmentId": segment.id if segment else None,
            "catalogUrl": url_for("api.catalog"),
            "previewUrl": url_for("api.preview"),
            "createUrl": url_for("api.create"),
            "updateUrl": url_for("api.change", segment_id=segment.id) if segment else None,
            "pageUrl": url_for("admin.segment", segment_id=0).rsplit("/0", 1)[0] + "/",
            "messages": {
                "members": _("%(count)s customers match"),
                "oneMember": _("1 customer matches"),
                "noMember": _("No customer matches yet"),
                "checking": _("Counting…"),
                "lineColumn": _("Line %(line)s, column %(column)s"),
                "didYouMean": _("Did you mean %(suggestion)s?"),
                "saved": _("Segment saved"),
                "nameNeeded": _("Give the segment a name"),
                "queryNeeded": _("Write a query first"),
                "failed": _("Could not save: %(reason)s"),
            },
        },
    )


@admin.get("/segments/new")
def segment_new():
    return _editor(None)


@admin.get("/segments/<int:segment_id>/edit")
def segment_edit(segment_id: int):
    return _editor(_segment_or_404(segment_id))


@dataclass
class MembersPage:
    members: list
    total: int
    page: int
    pages: int


@admin.get("/segments/<int:segment_id>")
def segment(segment_id: int):
    found = _segment_or_404(segment_id)
    shop = current_shop()
    session = db.session()
    q = request.args.get("q", "").strip()[:200]
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 1_000_000))
    statement = (
        select(Customer, SegmentMember.since)
        .join(SegmentMember, SegmentMember.customer_id == Customer.id)
        .where(SegmentMember.segment_id == found.id, Customer.shop_id == shop.id)
    )
    for word in q.split():
        statement = statement.where(
            or_(
                *(
                    func.lower(column).contains(word.lower(), autoescape=True)
                    for column in (Customer.email, Customer.first_name, Customer.last_name)
                )
            )
        )
    counted = statement.with_only_columns(func.count(Customer.id))
    total = session.scalar(counted) or 0
    pages = max(1, -(-total // MEMBERS_PAGE))
    page = min(page, pages)
    members = session.execute(
        statement.order_by(SegmentMember.since.desc(), Customer.id.desc())
        .limit(MEMBERS_PAGE)
        .offset((page - 1) * MEMBERS_PAGE)
    ).all()
    sizes = session.execute(
        select(SegmentSize.at, SegmentSize.size)
        .where(SegmentSize.segment_id == found.id)
        .order_by(SegmentSize.at.desc(), SegmentSize.id.desc())
        .limit(365)
    ).all()
    events = session.execute(
        select(SegmentEvent.at, SegmentEvent.kind, Customer)
        .join(Customer, Customer.id == SegmentEvent.customer_id)
        .where(SegmentEvent.segment_id == found.id, Customer.shop_id == shop.id)
        .order_by(SegmentEvent.at.desc(), SegmentEvent.id.desc())
        .limit(EVENTS_SHOWN)
    ).all()
    week_ago = sizes_a_week_ago(session, [found.id])
    return render_template(
        "admin/segment.html",
        active="segments",
        segment=found,
        change=None if found.id not in week_ago else found.member_count - week_ago[found.id],
        chart=size_chart(list(reversed(sizes)), shop.timezone, current_language()),
        events=events,
        result=MembersPage(members, total, page, pages),
        q=q,
        page_url=lambda number: url_for(
            "admin.segment", segment_id=found.id, page=number, **({"q": q} if q else {})
        ),
        csv_url=url_for(
            "api.members", segment_id=found.id, format="csv", **({"q": q} if q else {})
        ),
    )


@admin.post("/segments/<int:segment_id>/delete")
def segment_delete(segment_id: int):
    found = _segment_or_404(segment_id)
    name = found.name
    db.session().delete(found)
    db.session().commit()
    flash(_("Segment “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("admin.segments"))
