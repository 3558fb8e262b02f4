"""The members' fingerprint that lets a full evaluation skip an unchanged membership: kept
exact by full and incremental evaluation, dropped when members go unseen, and never
trusted over the data (PostgreSQL; SQLite keeps none and always diffs)."""

from __future__ import annotations

from sqlalchemy import select, text

from sync.segments.evaluate import (
    create_segment,
    evaluate_customers,
    evaluate_segment,
    forget_members,
    member_fingerprint,
)
from sync.segments.models import Segment, SegmentMember
from sync.store import Customer
from tests.segments import shopdata
from tests.segments.conftest import NOW


def stored_fingerprint(db, segment) -> int:
    return db.scalar(
        select(member_fingerprint(SegmentMember.customer_id)).where(
            SegmentMember.segment_id == segment.id
        )
    )


def test_the_fingerprint_follows_every_change_of_the_members(db, shop, people, backend):
    vip = create_segment(db, shop, "VIP", "customer_tags CONTAINS 'vip'")
    first = evaluate_segment(db, vip, NOW)
    db.commit()
    if backend != "postgresql":
        assert vip.members_fingerprint is None
        return
    assert first.entered == 1 and vip.members_fingerprint == stored_fingerprint(db, vip)
    ana, dan = people["ana"], people["dan"]
    ana.tags, dan.tags = ["newsletter"], ["vip"]
    people["bob"].tags = ["vip"]
    db.commit()
    assert evaluate_customers(db, shop, [ana.id, dan.id], NOW) == {vip.id: (1, 1)}
    db.commit()
    db.refresh(vip)
    assert vip.members_fingerprint == stored_fingerprint(db, vip)
    # bob changed unreported: same count as stored, but not the same members.
    result = evaluate_segment(db, vip, NOW)
    assert (result.entered, result.exited, result.size) == (1, 0, 2)
    assert vip.members_fingerprint == stored_fingerprint(db, vip)
    # Nothing changed since: the evaluation confirms without applying anything.
    again = evaluate_segment(db, vip, NOW)
    assert (again.entered, again.exited, again.size) == (0, 0, 2)


def test_a_swap_of_members_with_the_same_count_is_not_taken_for_no_change(
    db, shop, people, backend
):
    vip = create_segment(db, shop, "VIP", "customer_tags CONTAINS 'vip'")
    evaluate_segment(db, vip, NOW)
    db.commit()
    people["ana"].tags, people["chloe"].tags = [], ["vip"]
    db.commit()
    result = evaluate_segment(db, vip, NOW)
    assert (result.entered, result.exited, result.size) == (1, 1, 1)
    members = db.scalars(
        select(Customer.external_id)
        .join(SegmentMember, SegmentMember.customer_id == Customer.id)
        .where(SegmentMember.segment_id == vip.id)
    ).all()
    assert members == ["chloe"]


def test_members_leaving_unseen_drop_the_fingerprint(db, shop, people, backend):
    buyers = create_segment(db, shop, "Buyers", "number_of_orders >= 1")
    evaluate_segment(db, buyers, NOW)
    db.commit()
    forget_members(db, [people["ana"].id])
    db.execute(text("DELETE FROM customers WHERE id = :id"), {"id": people["ana"].id})
    db.commit()
    refreshed = db.get(Segment, buyers.id)
    db.refresh(refreshed)
    assert refreshed.members_fingerprint is None
    result = evaluate_segment(db, refreshed, NOW)
    assert result.size == refreshed.member_count == 2
    if backend == "postgresql":
        assert refreshed.members_fingerprint == stored_fingerprint(db, refreshed)


def test_an_order_reported_late_is_applied_by_the_full_evaluation(db, shop, people):
    big = create_segment(db, shop, "Big", "amount_spent > 100")
    evaluate_segment(db, big, NOW)
    db.commit()
    shopdata.order(db, shop, people["chloe"], "o99", NOW, "900.00")
    db.commit()
    assert evaluate_segment(db, big, NOW).entered == 1


def test_many_customers_rechecked_through_one_shared_lookup_agree_with_full_evaluation(
    db, shop, people, monkeypatch
):
    from sync.segments import evaluate
    from sync.segments.templates import TEMPLATES, add_template

    monkeypatch.setattr(evaluate, "SHARED_LOOKUP_FROM", 1)
    for template in TEMPLATES:
        add_template(db, shop, template.key, "en")
    db.commit()
    evaluate_customers(db, shop, [person.id for person in people.values()], NOW)
    db.commit()
    segments = db.scalars(select(Segment)).all()
    incremental = {
        segment.name: set(
            db.scalars(
                select(SegmentMember.customer_id).where(SegmentMember.segment_id == segment.id)
            )
        )
        for segment in segments
    }
    assert any(incremental.values())
    for segment in segments:
        result = evaluate_segment(db, segment, NOW)
        assert (result.entered, result.exited) == (0, 0), segment.name
        assert result.size == len(incremental[segment.name])
