"""Stored segments: full and incremental evaluation, entries and exits, templates, jobs."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from sync.queue import use_settings
from sync.segments import jobs
from sync.segments.errors import SegmentQueryError
from sync.segments.evaluate import (
    SegmentError,
    change_query,
    create_segment,
    evaluate_customers,
    evaluate_segment,
    evaluate_shop,
    find_segment,
    history,
)
from sync.segments.models import Segment, SegmentEvent, SegmentMember, SegmentSize
from sync.segments.templates import TEMPLATES, add_template
from sync.store import Customer
from tests.segments import shopdata
from tests.segments.conftest import NOW
from tests.segments.shopdata import members


def events(db, segment) -> list[tuple[str, str, datetime]]:
    rows = db.execute(
        select(Customer.external_id, SegmentEvent.kind, SegmentEvent.at)
        .join(Customer, Customer.id == SegmentEvent.customer_id)
        .where(SegmentEvent.segment_id == segment.id)
    )
    return sorted(tuple(row) for row in rows)


def test_full_evaluation_records_entries_and_exits(db, shop, people):
    segment = create_segment(db, shop, "Buyers", "number_of_orders >= 1")
    first = evaluate_segment(db, segment, NOW)
    db.commit()
    assert (first.size, first.entered, first.exited) == (3, 3, 0)
    assert members(db, segment) == {"ana", "bob", "dan"}
    assert segment.member_count == 3 and segment.last_evaluated_at == NOW
    # Nothing changed: nothing is recorded twice.
    again = evaluate_segment(db, segment, NOW + timedelta(hours=1))
    db.commit()
    assert (again.size, again.entered, again.exited) == (3, 0, 0)
    # bob's only order is refunded, chloe orders: one leaves, one enters.
    later = NOW + timedelta(days=1)
    from sync.store import Order

    refunded = db.scalar(select(Order).where(Order.external_id == "o4"))
    refunded.status = "refunded"
    shopdata.refresh_statistics(db, people["bob"])
    shopdata.order(db, shop, people["chloe"], "o10", later)
    db.commit()
    result = evaluate_segment(db, segment, later)
    db.commit()
    assert (result.size, result.entered, result.exited) == (3, 1, 1)
    assert members(db, segment) == {"ana", "chloe", "dan"}
    assert events(db, segment) == [
        ("ana", "entered", NOW),
        ("bob", "entered", NOW),
        ("bob", "exited", later),
        ("chloe", "entered", later),
        ("dan", "entered", NOW),
    ]
    sizes = db.scalars(
        select(SegmentSize.size)
        .where(SegmentSize.segment_id == segment.id)
        .order_by(SegmentSize.id)
    ).all()
    assert sizes == [3, 3, 3]
    seen = history(db, segment)
    assert seen["events"][0]["at"] == later and len(seen["events"]) == 5
    assert [s["entered"] for s in seen["sizes"]] == [1, 0, 3]


def test_incremental_evaluation_rechecks_only_the_given_customers(db, shop, people):
    vip = create_segment(db, shop, "VIP", "customer_tags CONTAINS 'vip'")
    big = create_segment(db, shop, "Big", "amount_spent > 100")
    evaluate_shop(db, shop, NOW)
    db.commit()
    assert members(db, vip) == {"ana"} and members(db, big) == {"ana"}
    ana, dan = people["ana"], people["dan"]
    ana.tags = ["newsletter"]
    dan.tags = ["vip"]
    shopdata.order(db, shop, dan, "o11", NOW, "500.00")
    people["bob"].tags = ["vip"]  # changed but not reported: not re-checked
    db.commit()
    changes = evaluate_customers(db, shop, [ana.id, dan.id], NOW)
    db.commit()
    assert changes == {vip.id: (1, 1), big.id: (1, 0)}
    assert members(db, vip) == {"dan"} and members(db, big) == {"ana", "dan"}
    db.refresh(vip)
    db.refresh(big)
    assert (vip.member_count, big.member_count) == (1, 2)
    assert evaluate_customers(db, shop, [ana.id, dan.id], NOW) == {}
    assert evaluate_customers(db, shop, [], NOW) == {}
    # A full evaluation then catches bob, and agrees with the incremental counts.
    result = evaluate_segment(db, vip, NOW)
    assert (result.entered, result.size) == (1, 2)


def test_time_relative_segments_move_with_time_alone(db, shop, people):
    soon = create_segment(
        db, shop, "Birthday", "anniversary(date: 'birth_date') BETWEEN today AND +7d"
    )
    fixed = create_segment(db, shop, "Nantes", "city = 'Nantes'")
    assert soon.time_relative and not fixed.time_relative
    evaluate_shop(db, shop, NOW)
    db.commit()
    assert members(db, soon) == {"ana"}
    results = evaluate_shop(db, shop, NOW + timedelta(days=4), only_time_relative=True)
    db.commit()
    assert [r.name for r in results] == ["Birthday"]
    assert members(db, soon) == set()


def test_segment_names_and_queries_are_checked(db, shop, people):
    create_segment(db, shop, "VIP", "customer_tags CONTAINS 'vip'")
    with pytest.raises(SegmentError, match="already has a segment named 'VIP'"):
        create_segment(db, shop, "VIP", "number_of_orders > 1")
    with pytest.raises(SegmentQueryError):
        create_segment(db, shop, "Bad", "number_of_order > 1")
    with pytest.raises(SegmentError, match="no segment named 'Nope'.*VIP"):
        find_segment(db, shop, "Nope")
    segment = find_segment(db, shop, "VIP")
    change_query(db, segment, "last_order_date < -30d")
    assert segment.time_relative and segment.ast["attribute"] == "last_order_date"


def test_every_template_is_a_valid_segment_named_in_the_shop_language(db, shop, people):
    assert len(TEMPLATES) == 11
    for template in TEMPLATES:
        segment = add_template(db, shop, template.key, "fr")
        assert segment.name == template.fr and segment.template == template.key
        evaluate_segment(db, segment, NOW)
    db.commit()
    by_key = {s.template: s for s in db.scalars(select(Segment)).all()}
    assert members(db, by_key["vip"]) == {"ana"}
    assert members(db, by_key["birthday_7_days"]) == {"ana"}
    assert members(db, by_key["near_nantes"]) == {"ana"}
    assert members(db, by_key["dark_chocolate_90_days"]) == {"ana"}
    assert members(db, by_key["b2b_hospitality"]) == {"bob"}
    assert members(db, by_key["lapsed_6_months"]) == {"bob"}
    assert members(db, by_key["new_without_order"]) == {"chloe"}
    assert members(db, by_key["best_customers"]) == {"ana"}
    assert members(db, by_key["women_25_34"]) == {"ana"}
    assert members(db, by_key["loyalty_members"]) == {"ana"}
    assert members(db, by_key["abandoned_cart_last_day"]) == {"ana"}
    with pytest.raises(SegmentError, match="no template"):
        add_template(db, shop, "nope")
    english = add_template(db, shop, "vip", "en")
    assert english.name == "VIP customers"


def test_jobs_evaluate_by_id(settings, db, shop, people):
    segment = create_segment(db, shop, "Buyers", "number_of_orders >= 1")
    db.commit()
    token = use_settings(settings)
    try:
        assert jobs.evaluate_segment_job(segment.id, NOW.isoformat())["size"] == 3
        assert jobs.evaluate_time_relative(shop.id, NOW.isoformat()) == []
        dan = people["dan"]
        dan.orders_count = 0
        db.commit()
        changes = jobs.evaluate_customers_job(shop.id, [dan.id], NOW.isoformat())
        assert changes == {str(segment.id): [0, 1]}
        assert jobs.evaluate_segment_job(10**9) == {"segment_id": 10**9, "skipped": "deleted"}
    finally:
        from sync.queue import _current_settings

        _current_settings.reset(token)


@pytest.mark.parametrize(
    "timezone, now, midnight",
    [
        ("Europe/Paris", datetime(2026, 11, 22, 12), datetime(2026, 11, 22, 23)),
        ("Europe/Paris", datetime(2026, 3, 28, 23, 30), datetime(2026, 3, 29, 22)),
        ("America/New_York", datetime(2026, 11, 22, 4), datetime(2026, 11, 22, 5)),
    ],
)
def test_the_daily_run_is_at_the_shop_local_midnight(timezone, now, midnight):
    assert jobs.next_local_midnight(timezone, now) == midnight


def test_incremental_and_full_evaluation_agree_for_every_template(db, shop, people):
    for template in TEMPLATES:
        add_template(db, shop, template.key, "en")
    db.commit()
    ids = [person.id for person in people.values()]
    evaluate_customers(db, shop, ids[:2], NOW)
    evaluate_customers(db, shop, ids[2:], NOW)
    db.commit()
    incremental = {s.name: members(db, s) for s in db.scalars(select(Segment)).all()}
    assert incremental["VIP customers"] == {"ana"}
    for segment in db.scalars(select(Segment)).all():
        result = evaluate_segment(db, segment, NOW)
        assert (result.entered, result.exited) == (0, 0), segment.name
        assert members(db, segment) == incremental[segment.name]


def test_erasing_a_shop_erases_its_segments(db, shop, people):
    from sync.shops import erase_shop

    segment = create_segment(db, shop, "Buyers", "number_of_orders >= 1")
    evaluate_segment(db, segment, NOW)
    db.commit()
    erase_shop(db, shop.id)
    db.commit()
    for table in (Segment, SegmentMember, SegmentEvent, SegmentSize):
        assert db.scalars(select(table)).all() == []
