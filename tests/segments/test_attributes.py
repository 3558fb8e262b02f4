"""Every attribute and operator against known data, and `NOT q` as the exact complement."""

from __future__ import annotations

from sqlalchemy import select

from sync.segments import catalog
from sync.segments.compile import compile_segment
from sync.segments.language import conditions, parse
from sync.segments.validate import parse_and_check
from sync.store import Customer
from tests.segments.conftest import NOW

EVERYONE = {"ana", "bob", "chloe", "dan"}
EVERY = " ".join(sorted(EVERYONE))

# (query, who matches at NOW in Europe/Paris; today is 2026-11-22)
CASES = [
    ("number_of_orders = 2", "ana"),
    ("number_of_orders >= 1", "ana bob dan"),
    ("number_of_orders < 1", "chloe"),
    ("number_of_orders > 1", "ana"),
    ("number_of_orders <= 1", "bob chloe dan"),
    ("number_of_orders BETWEEN 1 AND 1", "bob dan"),
    ("number_of_orders IN (0, 2)", "ana chloe"),
    ("number_of_orders != 1", "ana chloe"),
    ("number_of_orders IS NULL", ""),
    ("number_of_orders IS NOT NULL", "ana bob chloe dan"),
    ("amount_spent > 500", "ana"),
    ("amount_spent = 60", "bob"),
    ("amount_spent <= 40.00", "chloe dan"),
    ("amount_spent BETWEEN 40 AND 60.5", "bob dan"),
    ("average_order_value >= 50", "ana bob"),
    ("average_order_value IS NULL", "chloe"),
    ("average_order_value != 300", "bob chloe dan"),
    ("average_order_value IN (300, 40)", "ana dan"),
    ("first_order_date = 2026-10-01", "ana"),
    ("first_order_date > 2026-10-01", ""),
    ("last_order_date < -6m", "bob"),
    ("last_order_date >= -7d", "ana"),
    ("last_order_date > -4w", "ana"),
    ("last_order_date <= -1y", "bob"),
    ("last_order_date BETWEEN 2026-08-01 AND 2026-10-31", "dan"),
    ("last_order_date IS NULL", "chloe"),
    ("last_order_date IS NOT NULL", "ana bob dan"),
    ("last_order_date != 2026-11-20", "bob chloe dan"),
    ("last_order_date = 2026-11-20", "ana"),
    ("orders_placed(since: -90d) = 2", "ana"),
    ("orders_placed(since: -90d) >= 1", "ana"),
    ("orders_placed(since: -90d) = 0", "bob chloe dan"),
    ("orders_placed(since: -90d) != 0", "ana"),
    ("orders_placed(since: -90d) < 2", "bob chloe dan"),
    ("orders_placed(channel: 'store') >= 1", "ana"),
    ("orders_placed(channel: 'online', since: 2026-01-01) IN (1)", "ana dan"),
    ("orders_placed(until: 2025-12-31) = 1", "bob"),
    ("orders_placed(since: 2026-01-01, until: 2026-10-01) BETWEEN 1 AND 5", "ana dan"),
    ("orders_placed > 1", "ana"),
    ("products_purchased(category: 'Chocolat noir', since: -90d) = true", "ana"),
    ("products_purchased(category: 'Chocolat noir', since: -90d) = false", "bob chloe dan"),
    ("products_purchased(category: 'Chocolat noir') = true", "ana bob"),
    ("products_purchased(category: 'Truffes') = true", ""),
    ("products_purchased(sku: 'DARK70') = true", "ana bob dan"),
    ("products_purchased(product_id: 'p2') = true", "ana"),
    ("products_purchased(vendor: 'Valrhona', until: 2026-09-30) = true", "bob"),
    ("products_purchased(vendor: 'Valrhona') != true", "chloe dan"),
    ("products_purchased(vendor: 'Valrhona') != false", "ana bob"),
    ("rfm_group = 'active'", "ana"),
    ("rfm_group = 'dormant'", "bob"),
    ("rfm_group = 'prospects'", "chloe"),
    ("rfm_group = 'needs_attention'", "dan"),
    ("rfm_group IN ('active', 'dormant')", "ana bob"),
    ("rfm_group != 'active'", "bob chloe dan"),
    ("abandoned_checkout_date = today", "ana"),
    ("abandoned_checkout_date >= -30d", "ana bob chloe"),
    ("abandoned_checkout_date >= yesterday", "ana"),
    ("abandoned_checkout_date < 2026-11-05", "bob"),
    ("abandoned_checkout_date IS NULL", "dan"),
    ("abandoned_checkout_date != today", "bob chloe dan"),
    ("abandoned_checkout_value > 40", "ana"),
    ("abandoned_checkout_value = 20", "bob"),
    ("abandoned_checkout_value BETWEEN 10 AND 20", "bob chloe"),
    ("abandoned_checkout_value IS NULL", "dan"),
    ("customer_added_date = today", "chloe"),
    ("customer_added_date = 2026-11-21", ""),
    ("customer_added_date < 2021-01-01", "bob"),
    ("customer_added_date >= -2y", "chloe dan"),
    ("customer_email_domain = 'gmail.com'", "ana dan"),
    ("customer_email_domain = 'Example.fr'", "bob"),
    ("customer_email_domain IS NULL", "chloe"),
    ("customer_email_domain != 'gmail.com'", "bob chloe"),
    ("customer_email_domain CONTAINS 'EXAMPLE'", "bob"),
    ("customer_email_domain STARTS WITH 'gm'", "ana dan"),
    ("customer_email_domain IN ('example.fr', 'other.com')", "bob"),
    ("customer_email_domain NOT CONTAINS 'gmail'", "bob chloe"),
    ("customer_tags CONTAINS 'vip'", "ana"),
    ("customer_tags NOT CONTAINS 'vip'", "bob chloe dan"),
    ("customer_tags CONTAINS 'b2b'", "bob"),
    ("customer_tags CONTAINS 'VIP'", ""),
    ("gender = 'female'", "ana"),
    ("gender != 'female'", "bob chloe dan"),
    ("gender IS NULL", "chloe dan"),
    ("gender IN ('female', 'male')", "ana bob"),
    ("birth_date < 1990-01-01", "bob"),
    ("birth_date IS NULL", "chloe"),
    ("age = 29", "ana"),
    ("age BETWEEN 25 AND 34", "ana dan"),
    ("age > 50", "bob"),
    ("age < 30", "ana dan"),
    ("age <= 26", "dan"),
    ("age >= 26", "ana bob dan"),
    ("age IN (26, 56)", "bob dan"),
    ("age != 29", "bob chloe dan"),
    ("age IS NULL", "chloe"),
    ("age IS NOT NULL", "ana bob dan"),
    ("anniversary(date: 'birth_date') BETWEEN today AND +7d", "ana"),
    ("anniversary(date: 'birth_date') = 2027-02-28", "bob dan"),
    ("anniversary(date: 'birth_date') > +30d", "bob dan"),
    ("anniversary(date: 'birth_date') <= 2026-11-25", "ana"),
    ("anniversary(date: 'birth_date') < today", ""),
    ("anniversary(date: 'birth_date') >= today", "ana bob dan"),
    ("anniversary(date: 'birth_date') IS NULL", "chloe"),
    ("anniversary(date: 'birth_date') != 2026-11-25", "bob chloe dan"),
    ("anniversary(date: 'customer_added_date') = today", "chloe"),
    ("anniversary(date: 'first_order_date') BETWEEN +1d AND +2m", "bob"),
    ("language = 'fr'", "ana"),
    ("city = 'Nantes'", "ana"),
    ("city CONTAINS 'ENN'", "bob"),
    ("city NOT CONTAINS 'nan'", "bob chloe dan"),
    ("postal_code STARTS WITH '44'", "ana"),
    ("region = 'Pays de la Loire'", "ana"),
    ("country IN ('FR', 'BE')", "ana bob dan"),
    ("country != 'FR'", "chloe dan"),
    ("customer_within_distance(latitude: 47.2184, longitude: -1.5536, km: 30) = true", "ana"),
    ("customer_within_distance(latitude: 47.2184, longitude: -1.5536, km: 30) = false", "bob"),
    (
        "customer_within_distance(latitude: 47.2184, longitude: -1.5536, km: 30) != true",
        "bob chloe dan",
    ),
    ("customer_within_distance(latitude: 47.2184, longitude: -1.5536, km: 120) = true", "ana bob"),
    ("customer_within_distance(latitude: 47.2184, longitude: -1.5536, km: 95) = true", "ana"),
    ("email_subscription_status = 'SUBSCRIBED'", "ana"),
    ("sms_subscription_status = 'SUBSCRIBED'", "dan"),
    ("email_subscription_status IN ('NOT_SUBSCRIBED', 'UNSUBSCRIBED')", "bob chloe dan"),
    ("loyalty_tier = 'gold'", "ana"),
    ("loyalty_tier IS NOT NULL", "ana"),
    ("loyalty_points >= 100", "ana"),
    ("loyalty_points IS NULL", "bob chloe"),
    ("loyalty_points < 1", "dan"),
    ("company IS NOT NULL", "bob"),
    ("company STARTS WITH 'hôtel'", "bob"),
    ("industry = 'hospitality'", "bob"),
    ("attributes.favorite_chocolate = 'dark'", "ana"),
    ("attributes.favorite_chocolate != 'dark'", "bob chloe dan"),
    ("attributes.favorite_chocolate IS NULL", "bob chloe dan"),
    ("attributes.favorite_chocolate CONTAINS 'AR'", "ana"),
    ("last_seen_date >= -7d", "ana"),
    ("last_seen_date IS NULL", "bob chloe dan"),
    ("page_views(category: 'Chocolat noir', since: -30d) = 2", "ana"),
    ("page_views(category: 'Chocolat noir') >= 3", "ana"),
    ("page_views(product_id: 'p9') = 1", "ana"),
    ("page_views >= 1", "ana"),
    ("page_views = 0", "bob chloe dan"),
    ("page_views(since: -30d) BETWEEN 2 AND 3", "ana"),
    ("campaign_events(campaign: 'noel', type: 'impression') >= 1", "bob dan"),
    ("campaign_events(campaign: 'noel', type: 'impression', since: -30d) = 1", "bob dan"),
    ("campaign_events(campaign: 'noel', type: 'impression') = 2", "bob"),
    ("campaign_events(campaign: 'noel', type: 'click') >= 1", "bob"),
    ("campaign_events(campaign: 'noel') = 3", "bob"),
    ("campaign_events(campaign: 'welcome', type: 'submit', until: 2026-11-01) = 0", EVERY),
    ("campaign_events(campaign: 'welcome', type: 'submit') = 1", "dan"),
    ("campaign_events(campaign: 'noel', type: 'impression') < 1", "ana chloe"),
    ("gender = 'female' AND (amount_spent > 500 OR last_order_date < -6m)", "ana"),
    ("number_of_orders = 0 OR customer_tags CONTAINS 'b2b'", "bob chloe"),
    ("NOT gender = 'female'", "bob chloe dan"),
    ("NOT (age > 50)", "ana chloe dan"),
    ("NOT last_order_date < -6m", "ana chloe dan"),
    ("NOT customer_email_domain != 'gmail.com'", "ana dan"),
    ("NOT NOT customer_tags CONTAINS 'vip'", "ana"),
    ("NUMBER_OF_ORDERS >= 1 and not GENDER = 'male'", "ana dan"),
]


def matching(db, shop, query: str) -> set[str]:
    ids = compile_segment(parse_and_check(query), shop, NOW, db.get_bind().dialect.name)
    return set(db.scalars(select(Customer.external_id).where(Customer.id.in_(ids))))


def test_every_attribute_and_operator(db, shop, people):
    wrong = []
    for query, expected in CASES:
        got = matching(db, shop, query)
        if got != set(expected.split()):
            wrong.append(f"{query}: expected {sorted(expected.split())}, got {sorted(got)}")
        complement = matching(db, shop, f"NOT ({query})")
        if complement != EVERYONE - got:
            wrong.append(f"NOT ({query}): {sorted(complement)} is not the complement")
    assert not wrong, "\n".join(wrong)


def test_the_cases_cover_every_attribute_and_operator():
    used = {
        (c.attribute if "." not in c.attribute else "attributes.", c.operator)
        for query, _ in CASES
        for c in conditions(parse(query))
    }
    attributes = {a for a, _ in used}
    assert {a.name for a in catalog.ATTRIBUTES} | {"attributes."} <= attributes
    operators = {o for _, o in used}
    assert set(catalog.TYPE_OPERATORS["string"]) | set(catalog.TYPE_OPERATORS["integer"]) <= (
        operators
    )


def test_a_shop_never_sees_another_shops_customers(db, shop, people):
    from sync.shops import create_shop
    from tests.segments import shopdata

    other = create_shop(db, platform="csv", domain="other.example", timezone="Europe/Paris")
    shopdata.customer(db, other, "zoe", tags=["vip"], gender="female")
    db.commit()
    assert matching(db, shop, "customer_tags CONTAINS 'vip'") == {"ana"}
    assert matching(db, other, "customer_tags CONTAINS 'vip'") == {"zoe"}
    assert matching(db, other, "gender != 'male'") == {"zoe"}
    # On the figures alone, the statistics table is read alone, by its own shop_id.
    assert matching(db, other, "number_of_orders = 0") == {"zoe"}
    assert matching(db, shop, "number_of_orders = 0") == {"chloe"}
