"""A small chocolate shop with four customers whose every segment attribute is known."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.segments import shopdata

# "Now" for the fixture shop (Europe/Paris): 13:00 local on Sunday 22 November 2026.
NOW = datetime(2026, 11, 22, 12, 0)

DARK = {
    "category": "Chocolat noir",
    "sku": "DARK70",
    "product_external_id": "p1",
    "vendor": "Valrhona",
}


@pytest.fixture
def people(db, shop):
    """ana (loyal, Nantes), bob (B2B, lapsed, Rennes), chloe (new, no order), dan (29 Feb)."""
    ana = shopdata.customer(
        db,
        shop,
        "ana",
        email="ana@Gmail.com",
        gender="female",
        birth_date=date(1996, 11, 25),
        tags=["vip", "newsletter"],
        city="Nantes",
        postal_code="44000",
        region="Pays de la Loire",
        country="FR",
        latitude=47.2184,
        longitude=-1.5536,
        email_subscription_status="SUBSCRIBED",
        loyalty_tier="gold",
        loyalty_points=150,
        language="fr",
        attributes={"favorite_chocolate": "dark"},
        created_at=datetime(2024, 1, 10, 9, 0),
    )
    bob = shopdata.customer(
        db,
        shop,
        "bob",
        email="bob@example.FR",
        gender="male",
        birth_date=date(1970, 2, 28),
        tags=["b2b"],
        company="Hôtel du Port",
        industry="hospitality",
        city="Rennes",
        country="FR",
        latitude=48.1173,
        longitude=-1.6778,
        created_at=datetime(2020, 5, 5, 10, 0),
    )
    # Created at 23:30 UTC on the 21st: the 22nd in Paris (a day boundary).
    chloe = shopdata.customer(db, shop, "chloe", created_at=datetime(2026, 11, 21, 23, 30))
    dan = shopdata.customer(
        db,
        shop,
        "dan",
        email="dan@gmail.com",
        birth_date=date(2000, 2, 29),
        country="BE",
        sms_subscription_status="SUBSCRIBED",
        loyalty_points=0,
        created_at=datetime(2025, 6, 1, 8, 0),
    )
    shopdata.order(db, shop, ana, "o1", datetime(2026, 10, 1, 10), "120.00", lines=[DARK])
    shopdata.order(
        db,
        shop,
        ana,
        "o2",
        datetime(2026, 11, 20, 9),
        "480.00",
        channel="store",
        lines=[
            {"category": "Pralines", "sku": "PRA", "product_external_id": "p2", "vendor": "Maison"}
        ],
    )
    shopdata.order(
        db,
        shop,
        ana,
        "o3",
        datetime(2026, 11, 21, 9),
        "900.00",
        status="cancelled",
        lines=[{"category": "Truffes", "sku": "TRU", "product_external_id": "p3"}],
    )
    shopdata.order(db, shop, bob, "o4", datetime(2025, 1, 15, 10), "60.00", lines=[DARK])
    shopdata.order(
        db,
        shop,
        dan,
        "o5",
        datetime(2026, 8, 1, 10),
        "40.00",
        lines=[{"category": "Lait", "sku": "DARK70", "product_external_id": "p4"}],
    )
    # Carts: ana abandoned this morning; bob's latest is too fresh, an older one counts;
    # chloe abandoned one; dan's carts became orders.
    shopdata.cart(db, shop, ana, "c1", datetime(2026, 11, 22, 8), items_count=2, value=45.5)
    shopdata.cart(db, shop, bob, "c2", datetime(2026, 11, 22, 11, 30))
    shopdata.cart(db, shop, bob, "c3", datetime(2026, 11, 1, 15))
    shopdata.cart(db, shop, bob, "c4", datetime(2026, 11, 5, 15), items_count=0)
    shopdata.cart(db, shop, chloe, "c5", datetime(2026, 11, 10, 15), value=15)
    shopdata.cart(db, shop, dan, "c6", datetime(2026, 7, 31, 15))
    shopdata.cart(
        db,
        shop,
        dan,
        "c7",
        datetime(2026, 11, 15, 15),
        order_external_id="o9",
        completed_at=datetime(2026, 11, 15, 15, 5),
    )
    shopdata.visitor(db, shop, ana, "t-ana", datetime(2026, 11, 21, 20))
    for day in (date(2026, 9, 1), date(2026, 11, 15), date(2026, 11, 21)):
        shopdata.page_view(
            db, shop, ana, datetime(day.year, day.month, day.day, 10), category="Chocolat noir"
        )
    shopdata.page_view(db, shop, ana, datetime(2026, 11, 1, 10), product_external_id="p9")
    shopdata.page_view(
        db, shop, bob, datetime(2026, 11, 20, 10), kind="cart_add", category="Chocolat noir"
    )
    # Campaign events: bob saw "noel" twice and clicked once; dan saw it once and signed up
    # through "welcome".
    for owner, kind, campaign, moment in (
        (bob, "impression", "noel", datetime(2026, 10, 1, 10)),
        (bob, "impression", "noel", datetime(2026, 11, 20, 10)),
        (bob, "click", "noel", datetime(2026, 11, 20, 10, 1)),
        (dan, "impression", "noel", datetime(2026, 11, 21, 10)),
        (dan, "submit", "welcome", datetime(2026, 11, 2, 10)),
    ):
        shopdata.page_view(db, shop, owner, moment, kind=kind, campaign=campaign, variant="a")
    db.commit()
    return {"ana": ana, "bob": bob, "chloe": chloe, "dan": dan}
