"""The admin's customers pages over real HTTP: listing, paging, search, filters, a customer's
history, one shop never seeing another's, escaping, and who may open the admin."""

from __future__ import annotations

import html
import re
import threading
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import requests
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from werkzeug.serving import make_server

from plugin_app.admin.formats import format_datetime, format_money
from plugin_app.admin.launch import LAUNCH_SALT, make_launch_token
from sync.shops import create_shop
from sync.store import Cart, Customer, Order, OrderLine, utcnow
from tests.conftest import TEST_SECRET_KEY

TIMEOUT = 10


def add_customer(db, shop, number: int, **values) -> Customer:
    defaults = {
        "shop_id": shop.id,
        "external_id": f"c{number}",
        "email": f"client{number}@example.fr",
        "first_name": f"Prénom{number}",
        "last_name": f"Nom{number}",
        "city": "Nantes",
        "tags": [],
        "attributes": {},
        "created_at": datetime(2024, 1, 1) + timedelta(days=number),
    }
    customer = Customer(**{**defaults, **values})
    db.add(customer)
    return customer


def add_order(db, shop, customer, external_id, created_at, total, status="paid", lines=()):
    order = Order(
        shop_id=shop.id,
        external_id=external_id,
        customer_id=customer.id,
        customer_external_id=customer.external_id,
        email=customer.email,
        status=status,
        total=Decimal(total),
        currency=shop.currency,
        channel="online",
        created_at=created_at,
        created_date=created_at.date(),
    )
    db.add(order)
    db.flush()
    for key, (title, sku, category, quantity, price) in enumerate(lines, start=1):
        db.add(
            OrderLine(
                shop_id=shop.id,
                order_id=order.id,
                order_external_id=external_id,
                line_key=str(key),
                title=title,
                sku=sku,
                category=category,
                quantity=quantity,
                unit_price=Decimal(price),
            )
        )
    return order


def rows(page_html: str) -> list[str]:
    """The customer names of the list's rows, in order, unescaped."""
    return [
        html.unescape(name) for name in re.findall(r'class="row-link"[^>]*>([^<]*)<', page_html)
    ]


def serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def browser():
    with requests.Session() as session:
        yield session


@pytest.fixture
def production_server(settings):
    """The app in production mode over real HTTP.

    Production cookies are Secure (sent over HTTPS only); this test server speaks plain
    HTTP on localhost, so the cookie is allowed over HTTP here and nowhere else.
    """
    from plugin_app import create_app

    app = create_app(
        {
            "CIBLE_SETTINGS": replace(settings, env="production"),
            "TESTING": True,
            "SESSION_COOKIE_SECURE": False,
        }
    )
    server, thread, url = serve(app)
    yield url
    server.shutdown()
    thread.join(timeout=5)


def open_shop(browser, live_server, shop) -> None:
    response = browser.get(f"{live_server}/admin/?shop={shop.domain}", timeout=TIMEOUT)
    assert response.status_code == 200, response.text


def test_list_shows_customers_with_their_figures(live_server, browser, db, shop):
    shop.language = "fr"
    marie = add_customer(
        db,
        shop,
        1,
        first_name="Marie",
        last_name="Dupont",
        city="Nantes",
        orders_count=3,
        total_spent=Decimal("1234.50"),
        last_order_date=date(2026, 3, 12),
        tags=["vip", "newsletter"],
    )
    add_customer(db, shop, 2, first_name="Paul", last_name="Invité", is_guest=True, city="Lyon")
    db.commit()

    open_shop(browser, live_server, shop)
    response = browser.get(f"{live_server}/admin/customers", timeout=TIMEOUT)

    assert response.status_code == 200
    page = response.text
    assert rows(page) == ["Marie Dupont", "Paul Invité"]  # last order first, never-ordered last
    assert "client1@example.fr" in page
    assert html.escape(format_money(Decimal("1234.50"), "EUR", "fr")) in page
    assert "1\u202f234,50\u00a0€" == format_money(Decimal("1234.50"), "EUR", "fr")
    assert "12 mars 2026" in page
    assert '<span class="badge">vip</span>' in page
    assert '<span class="badge">newsletter</span>' in page
    # The shop is French and the client names no language: the page is in French.
    assert '<span class="badge badge--info">Invité</span>' in page
    assert f'href="/admin/customers/{marie.id}"' in page
    assert 'data-total="2"' in page
    assert response.headers["Cache-Control"] == "no-store"


def test_empty_shop_says_what_to_do(live_server, browser, shop):
    open_shop(browser, live_server, shop)
    page = browser.get(f"{live_server}/admin/customers", timeout=TIMEOUT).text
    assert "No customers yet" in page
    assert f"cible import-csv --shop {shop.domain}" in page


def test_paging_splits_120_customers_into_three_pages(live_server, browser, db, shop):
    # 90 customers who ordered, then 30 who never did: page 2 straddles the two.
    for number in range(120):
        ordered = date(2025, 1, 1) + timedelta(days=number) if number >= 30 else None
        add_customer(db, shop, number, last_order_date=ordered)
    db.commit()
    open_shop(browser, live_server, shop)

    first = browser.get(f"{live_server}/admin/customers", timeout=TIMEOUT).text
    third = browser.get(f"{live_server}/admin/customers?page=3", timeout=TIMEOUT).text
    beyond = browser.get(f"{live_server}/admin/customers?page=9", timeout=TIMEOUT).text

    assert len(rows(first)) == 50
    assert rows(first)[0] == "Prénom119 Nom119"  # newest last order first
    assert 'href="/admin/customers?page=2"' in first
    assert 'href="/admin/customers?page=3"' in first
    assert "page 1 of 3" in first
    assert len(rows(third)) == 20
    assert rows(third)[-1] == "Prénom0 Nom0"
    assert "Showing 101–120 of 120" in third
    assert rows(beyond) == rows(third)  # past the end: the last page
    second = rows(browser.get(f"{live_server}/admin/customers?page=2").text)
    assert second[39] == "Prénom30 Nom30" and second[40] == "Prénom29 Nom29"
    assert len(set(rows(first) + second + rows(third))) == 120


def test_search_by_email_or_name_ignores_case_and_wildcards(live_server, browser, db, shop):
    add_customer(db, shop, 1, first_name="Élodie", last_name="Martin", email="elo@Chocolat.fr")
    add_customer(db, shop, 2, first_name="Jean", last_name="Dupont", email="jean@cafe.fr")
    add_customer(db, shop, 3, first_name="Anne", last_name="Dupont", email="anne_d@cafe.fr")
    db.commit()
    open_shop(browser, live_server, shop)

    def search(**params):
        response = browser.get(f"{live_server}/admin/customers", params=params, timeout=TIMEOUT)
        assert response.status_code == 200
        return sorted(rows(response.text))

    assert search(q="CHOCOLAT.FR") == ["Élodie Martin"]
    assert search(q="dupont") == ["Anne Dupont", "Jean Dupont"]
    assert search(q="jean DUPONT") == ["Jean Dupont"]  # every word must match
    assert search(q="Élodie") == ["Élodie Martin"]  # non-ASCII as written
    assert search(q="anne_d") == ["Anne Dupont"]
    assert search(q="n_c") == []  # `_` is itself, not a wildcard matching "jean@cafe"
    assert search(q="%") == []
    assert (
        "No customers match this search"
        in browser.get(f"{live_server}/admin/customers?q=nobody").text
    )


def test_city_filter_lists_cities_with_counts(live_server, browser, db, shop):
    for number in range(3):
        add_customer(db, shop, number, city="Nantes")
    add_customer(db, shop, 10, city="Lyon", first_name="Lyonnaise", last_name="Une")
    db.commit()
    open_shop(browser, live_server, shop)

    page = browser.get(f"{live_server}/admin/customers?city=Lyon", timeout=TIMEOUT).text

    assert rows(page) == ["Lyonnaise Une"]
    assert '<option value="Nantes">Nantes (3)</option>' in page
    assert '<option value="Lyon" selected>Lyon (1)</option>' in page
    nantes = browser.get(f"{live_server}/admin/customers", params={"city": "Nantes"}).text
    assert len(rows(nantes)) == 3


def test_sorts_are_whitelisted(live_server, browser, db, shop):
    add_customer(db, shop, 1, first_name="Small", last_name="Spender", total_spent=Decimal("10"))
    add_customer(db, shop, 2, first_name="Big", last_name="Spender", total_spent=Decimal("900"))
    add_customer(db, shop, 3, first_name="New", last_name="Comer", created_at=datetime(2026, 1, 1))
    db.commit()
    open_shop(browser, live_server, shop)

    by_spent = browser.get(f"{live_server}/admin/customers?sort=total_spent").text
    newest = browser.get(f"{live_server}/admin/customers?sort=newest").text
    refused = browser.get(f"{live_server}/admin/customers?sort=email;drop table customers")
    bad_page = browser.get(f"{live_server}/admin/customers?page=zero")

    assert rows(by_spent)[:2] == ["Big Spender", "Small Spender"]
    assert rows(newest)[0] == "New Comer"
    assert refused.status_code == 400
    assert "sort" in refused.text
    assert bad_page.status_code == 400


def test_customer_page_shows_profile_orders_lines_and_carts(live_server, browser, db, shop):
    customer = add_customer(
        db,
        shop,
        1,
        first_name="Marie",
        last_name="Dupont",
        phone="+33 6 12 34 56 78",
        postal_code="44000",
        latitude=47.21811,
        longitude=-1.55306,
        email_subscription_status="SUBSCRIBED",
        email_consent_at=datetime(2025, 6, 1, 22, 30),
        email_consent_source="newsletter popup",
        loyalty_tier="Gold",
        loyalty_points=1250,
        company="Chocolaterie Martin",
        industry="Restaurants",
        attributes={"favorite_chocolate": "dark"},
        tags=["vip"],
        orders_count=1,
        total_spent=Decimal("42.00"),
        average_order_value=Decimal("42.00"),
        first_order_date=date(2025, 12, 20),
        last_order_date=date(2025, 12, 20),
    )
    db.flush()
    add_order(
        db,
        shop,
        customer,
        "1001",
        datetime(2025, 12, 20, 9, 0),
        "42.00",
        lines=[
            ("Tablette noire 70%", "TAB-70", "dark", 2, "6.00"),
            ("Coffret", "COF-1", "gifts", 1, "30.00"),
        ],
    )
    add_order(db, shop, customer, "1002", datetime(2026, 1, 5, 9, 0), "15.00", status="cancelled")
    db.add(
        Cart(
            shop_id=shop.id,
            external_id="cart-9",
            customer_id=customer.id,
            value=Decimal("18.50"),
            currency="EUR",
            items_count=3,
            items=[{"title": "Capsules café", "quantity": 3}],
            updated_at=utcnow() - timedelta(days=2),
        )
    )
    db.add(
        Cart(
            shop_id=shop.id,
            external_id="cart-1",
            customer_id=customer.id,
            value=Decimal("42.00"),
            items_count=3,
            order_external_id="1001",
            updated_at=datetime(2025, 12, 20, 8, 50),
        )
    )
    db.commit()
    open_shop(browser, live_server, shop)

    response = browser.get(f"{live_server}/admin/customers/{customer.id}", timeout=TIMEOUT)

    assert response.status_code == 200
    page = html.unescape(response.text)
    for expected in (
        "Marie Dupont",
        "+33 6 12 34 56 78",
        "44000 Nantes",
        "47.21811, -1.55306",
        "Subscribed",
        "newsletter popup",
        "Jun 2, 2025, 00:30",  # consent time shown in Europe/Paris, not UTC
        "Gold",
        "1,250",
        "Chocolaterie Martin",
        "Restaurants",
        "Favorite chocolate",
        "dark",
        "Tablette noire 70%",
        "TAB-70",
        "Coffret",
        "€6.00",
        "€12.00",
        "€42.00",
        "Cancelled",
        "Paid",
        "cart-9",
        "Abandoned",
        "Converted",
        "Capsules café",
        "€18.50",
    ):
        assert expected in page, expected
    assert page.index("#1002") < page.index("#1001")  # newest order first
    assert page.index("cart-9") < page.index("cart-1")  # most recently updated cart first


def test_a_customer_of_another_shop_is_not_found(live_server, browser, db, shop):
    other = create_shop(db, platform="csv", domain="other.example", timezone="UTC")
    db.flush()
    theirs = add_customer(db, other, 1, first_name="Secret", last_name="Person")
    add_customer(db, shop, 2, first_name="Ours", last_name="Client")
    db.commit()
    open_shop(browser, live_server, shop)

    page = browser.get(f"{live_server}/admin/customers/{theirs.id}", timeout=TIMEOUT)
    listing = browser.get(f"{live_server}/admin/customers?q=secret", timeout=TIMEOUT).text
    everyone = browser.get(f"{live_server}/admin/customers", timeout=TIMEOUT).text

    assert page.status_code == 404
    assert "Secret" not in page.text
    assert rows(listing) == []
    assert rows(everyone) == ["Ours Client"]


def test_customer_data_is_escaped(live_server, browser, db, shop):
    evil = '<script>alert("x")</script>'
    customer = add_customer(
        db,
        shop,
        1,
        first_name=evil,
        last_name="<img src=x onerror=alert(1)>",
        city='"><b>Nantes</b>',
        tags=["<i>tag</i>"],
        attributes={"<u>key</u>": "<svg onload=alert(2)>"},
    )
    db.commit()
    open_shop(browser, live_server, shop)

    for url in ("/admin/customers", f"/admin/customers/{customer.id}"):
        page = browser.get(f"{live_server}{url}", timeout=TIMEOUT).text
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "<b>Nantes</b>" not in page
        assert "<i>tag</i>" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    detail = browser.get(f"{live_server}/admin/customers/{customer.id}").text
    assert "<svg" not in detail and "<u>key" not in detail


def test_development_lists_shops_to_pick_when_several(live_server, browser, db, shop):
    create_shop(db, platform="csv", domain="second.example")
    db.commit()

    picker = browser.get(f"{live_server}/admin/", timeout=TIMEOUT)
    unknown = browser.get(f"{live_server}/admin/?shop=nope.example", timeout=TIMEOUT)
    chosen = browser.get(f"{live_server}/admin/?shop=second.example", timeout=TIMEOUT)
    customers = browser.get(f"{live_server}/admin/customers", timeout=TIMEOUT)

    assert "Choose a shop" in picker.text
    assert "second.example" in picker.text and shop.domain in picker.text
    assert unknown.status_code == 404
    assert "no shop with domain nope.example" in unknown.text.lower()
    assert chosen.status_code == 200 and "second.example" in chosen.text
    hostile = browser.get(f"{live_server}/admin/", params={"shop": "<script>x</script>"})
    assert hostile.status_code == 404
    assert "<script>x" not in hostile.text and "&lt;script&gt;x" in hostile.text
    assert "Customers" in customers.text and 'data-total="0"' in customers.text


def test_customers_without_a_chosen_shop_go_to_the_picker(live_server, browser, db, shop):
    create_shop(db, platform="csv", domain="second.example")
    db.commit()
    response = browser.get(f"{live_server}/admin/customers", timeout=TIMEOUT)
    assert response.url.endswith("/admin/")
    assert "Choose a shop" in response.text


def test_production_needs_a_launch_link(production_server, browser, db, shop, settings):
    add_customer(db, shop, 1, first_name="Marie", last_name="Dupont")
    db.commit()

    without = browser.get(f"{production_server}/admin/customers", timeout=TIMEOUT)
    by_domain = browser.get(f"{production_server}/admin/customers?shop={shop.domain}")
    home = browser.get(f"{production_server}/admin/", timeout=TIMEOUT)

    assert without.status_code == 401
    assert "cible admin-link" in without.text
    assert "Marie" not in without.text
    assert by_domain.status_code == 401  # ?shop= never opens anything in production
    assert home.status_code == 401

    token = make_launch_token(settings, shop.id)
    launched = browser.get(f"{production_server}/admin/launch", params={"token": token})
    listing = browser.get(f"{production_server}/admin/customers", timeout=TIMEOUT)

    assert launched.status_code == 200
    assert launched.url == f"{production_server}/admin/"
    assert rows(listing.text) == ["Marie Dupont"]
    # With a session open, ?shop= still cannot switch to another shop in production.
    other = create_shop(db, platform="csv", domain="other.example")
    db.flush()
    add_customer(db, other, 2, first_name="Secret", last_name="Person")
    db.commit()
    switched = browser.get(f"{production_server}/admin/customers?shop=other.example")
    assert rows(switched.text) == ["Marie Dupont"]


def test_bad_or_expired_launch_links_open_nothing(production_server, browser, db, shop):
    db.commit()

    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 6 * 60

    expired = URLSafeTimedSerializer(TEST_SECRET_KEY, salt=LAUNCH_SALT, signer=PastSigner)
    forged = URLSafeTimedSerializer(
        "another-secret-key-of-the-same-length-0123456789", salt=LAUNCH_SALT
    )
    other_salt = URLSafeTimedSerializer(TEST_SECRET_KEY, salt="something-else")
    cases = {
        "expired": (expired.dumps({"shop_id": shop.id}), 401, "expired"),
        "forged": (forged.dumps({"shop_id": shop.id}), 401, "not valid"),
        "other salt": (other_salt.dumps({"shop_id": shop.id}), 401, "not valid"),
        "garbage": ("abc.def.ghi", 401, "not valid"),
        "missing": ("", 400, "no token"),
    }
    for name, (token, status, says) in cases.items():
        response = browser.get(f"{production_server}/admin/launch", params={"token": token})
        assert response.status_code == status, name
        assert says in response.text, name
        after = browser.get(f"{production_server}/admin/customers", timeout=TIMEOUT)
        assert after.status_code == 401, name


def test_admin_link_prints_a_working_link(cli_runner, production_server, browser, db, shop):
    add_customer(db, shop, 1, first_name="Marie", last_name="Dupont")
    db.commit()

    result = cli_runner("admin-link", "--shop", shop.domain, "--base-url", production_server + "/")
    unknown = cli_runner("admin-link", "--shop", "nope.example")

    assert result.exit_code == 0, result.output
    link = result.stdout.strip()
    assert link.startswith(f"{production_server}/admin/launch?token=")
    assert "valid 5 minutes" in result.stderr
    assert browser.get(link, timeout=TIMEOUT).status_code == 200
    assert rows(browser.get(f"{production_server}/admin/customers").text) == ["Marie Dupont"]
    assert unknown.exit_code != 0
    assert "nope.example" in unknown.output


def test_money_and_dates_follow_the_shop_language_and_zone():
    assert format_money(Decimal("1234.5"), "EUR", "fr") == "1\u202f234,50\u00a0€"
    assert format_money(Decimal("1234.5"), "EUR", "en") == "€1,234.50"
    assert format_money(Decimal("-0.001"), "EUR", "en") == "€0.00"
    assert format_money(Decimal("-3"), "USD", "en-US") == "-$3.00"
    assert format_money(Decimal("1500"), "JPY", "en") == "¥1,500"
    assert format_money(Decimal("2"), "XYZ", "en") == "XYZ\u00a02.00"
    assert (
        format_datetime(datetime(2026, 7, 1, 22, 30), "Europe/Paris", "fr") == "2 juil. 2026, 00:30"
    )
    assert (
        format_datetime(datetime(2026, 1, 1, 12, 0), "America/New_York", "en")
        == "Jan 1, 2026, 07:00"
    )


def test_sorting_on_a_figure_keeps_to_the_shop_and_the_search(live_server, browser, db, shop):
    """A sort on a figure without a search picks the page from the statistics table alone,
    and with a search from customers joined to it: either way only this shop's customers
    matching the search, in order of the figure."""
    other = create_shop(db, platform="csv", domain="autre.example.fr")
    add_customer(db, other, 1, first_name="Autre", last_name="Boutique",
                 total_spent=Decimal("5000"))  # fmt: skip
    add_customer(db, shop, 1, first_name="Anne", last_name="Lyon", city="Lyon",
                 total_spent=Decimal("30"))  # fmt: skip
    add_customer(db, shop, 2, first_name="Anne", last_name="Nantes", total_spent=Decimal("300"))
    add_customer(db, shop, 3, first_name="Bob", last_name="Nantes", total_spent=Decimal("900"))
    db.commit()
    open_shop(browser, live_server, shop)

    def listed(**params):
        response = browser.get(f"{live_server}/admin/customers", params=params, timeout=TIMEOUT)
        assert response.status_code == 200
        return rows(response.text)

    assert listed(sort="total_spent") == ["Bob Nantes", "Anne Nantes", "Anne Lyon"]
    assert listed(sort="total_spent", q="anne") == ["Anne Nantes", "Anne Lyon"]
    assert listed(sort="total_spent", city="Nantes") == ["Bob Nantes", "Anne Nantes"]
    assert listed(sort="last_order") == ["Bob Nantes", "Anne Nantes", "Anne Lyon"]
