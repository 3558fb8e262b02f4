"""Segments stay current after ingest: a CSV import or a demo build re-checks membership."""

from pathlib import Path

from sqlalchemy import select

from sync.segments.evaluate import create_segment, evaluate_segment
from sync.segments.models import Segment, SegmentMember
from sync.segments.refresh import TouchedCustomers
from sync.shops import get_shop
from sync.store import Customer, CustomerStatistics, utcnow

DATA = Path(__file__).parent / "data" / "csv"


def _members(db, segment_id):
    db.expire_all()
    return set(
        db.scalars(
            select(Customer.external_id)
            .join(SegmentMember, SegmentMember.customer_id == Customer.id)
            .where(SegmentMember.segment_id == segment_id)
        )
    )


def test_csv_import_rechecks_the_customers_it_touched(cli_runner, db, shop):
    buyers = create_segment(db, shop, "Acheteurs", "number_of_orders >= 1")
    vip = create_segment(db, shop, "VIP", "customer_tags CONTAINS 'vip'")
    for segment in (buyers, vip):
        evaluate_segment(db, segment, utcnow())
    db.commit()
    assert _members(db, buyers.id) == set()

    result = cli_runner(
        "import-csv", "--shop", shop.domain,
        "--customers", str(DATA / "customers.csv"),
        "--orders", str(DATA / "orders.csv"), "--lines", str(DATA / "lines.csv"),
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    ordered = set(
        db.scalars(
            select(Customer.external_id)
            .join(CustomerStatistics, CustomerStatistics.customer_id == Customer.id)
            .where(Customer.shop_id == shop.id, CustomerStatistics.orders_count >= 1)
        )
    )
    assert ordered and _members(db, buyers.id) == ordered
    assert "C1" in _members(db, vip.id)
    assert db.get(Segment, buyers.id).member_count == len(ordered)


def test_demo_build_evaluates_the_shops_segments(cli_runner, db):
    cli_runner("shop", "add", "--platform", "csv", "--domain", "demo.example")
    shop = get_shop(db, "demo.example")
    lapsed = create_segment(db, shop, "Sans commande", "number_of_orders = 0")
    db.commit()
    result = cli_runner("demo-data", "--shop", "demo.example", "--customers", "60",
                        "--now", "2026-11-22")  # fmt: skip
    assert result.exit_code == 0, result.output
    never = set(
        db.scalars(
            select(Customer.external_id)
            .join(CustomerStatistics, CustomerStatistics.customer_id == Customer.id)
            .where(Customer.shop_id == shop.id, CustomerStatistics.orders_count == 0)
        )
    )
    assert never and _members(db, lapsed.id) == never


def test_touched_customers_switch_to_full_evaluation_past_the_limit():
    touched = TouchedCustomers(limit=3)
    touched.add([1, 2])
    assert touched.ids == {1, 2} and not touched.overflow
    touched.add([3, 4])
    assert touched.overflow and touched.ids == set() and touched
    assert not TouchedCustomers()


def test_a_guest_merged_into_a_registered_customer_leaves_member_counts_true(db, shop):
    from datetime import datetime
    from decimal import Decimal

    from connectors import records
    from sync.ingest import upsert_customers, upsert_orders
    from sync.segments.evaluate import evaluate_customers

    now = datetime(2026, 11, 20, 10, 0)
    upsert_orders(db, shop, [records.Order(external_id="o1", email="guest@example.fr",
                                           created_at=now, total=Decimal("30"))])  # fmt: skip
    buyers = create_segment(db, shop, "Acheteurs", "number_of_orders >= 1")
    evaluate_segment(db, buyers, now)
    db.commit()
    assert db.get(Segment, buyers.id).member_count == 1

    result = upsert_customers(db, shop, [records.Customer(
        external_id="42", email="guest@example.fr", created_at=now, updated_at=now)])  # fmt: skip
    evaluate_customers(db, shop, result.customer_ids, now)
    db.commit()
    assert _members(db, buyers.id) == {"42"}
    assert db.get(Segment, buyers.id).member_count == 1
