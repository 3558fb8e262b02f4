"""The segments JSON API over real HTTP: the admin's editor, list and member pages use it."""

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests
from sqlalchemy import select

from connectors import records
from sync.ingest import upsert_customers, upsert_orders
from sync.segments.models import SegmentMember
from sync.shops import create_shop
from sync.store import Customer


@pytest.fixture
def shop_with_customers(db, shop):
    now = datetime.utcnow()
    people = [
        records.Customer(external_id=f"c{n}", email=f"client{n}@example.fr",
                         first_name=f"Prénom{n}", last_name="Martin" if n % 2 else "Durand",
                         city="Nantes" if n < 6 else "Lyon", tags=["vip"] if n < 3 else [],
                         created_at=now - timedelta(days=400), updated_at=now - timedelta(days=400))
        for n in range(10)
    ]  # fmt: skip
    upsert_customers(db, shop, people)
    orders = [
        records.Order(external_id=f"o{n}", customer_external_id=f"c{n}",
                      created_at=now - timedelta(days=10 * n), total=Decimal(100 * (n + 1)),
                      lines=[records.OrderLine(line_key="1", category="Chocolat noir",
                                               unit_price=Decimal(100 * (n + 1)))])
        for n in range(8)
    ]  # fmt: skip
    upsert_orders(db, shop, orders)
    db.commit()
    return shop


@pytest.fixture
def api(live_server, shop_with_customers):
    """A browser-like session with the admin open for the shop (development mode)."""
    client = requests.Session()
    opened = client.get(f"{live_server}/admin/?shop={shop_with_customers.domain}", timeout=10)
    assert opened.status_code == 200
    client.base = f"{live_server}/api/v1"
    # Writes with a session carry its CSRF token (plugin_app/admin/csrf.py).
    client.headers["X-CSRF-Token"] = client.get(f"{client.base}/session").json()["csrf_token"]
    return client


def test_without_an_admin_session_the_api_answers_401(live_server, shop_with_customers):
    response = requests.get(f"{live_server}/api/v1/segments", timeout=10)
    assert response.status_code == 401
    assert "open the admin" in response.json()["message"]


def test_preview_counts_and_samples_while_typing(api):
    response = api.post(
        f"{api.base}/segments/preview",
        json={"query": "amount_spent >= 500 AND city = 'Lyon'", "sample": 2},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    # Lyon: c6..c9; orders for c6 (700) and c7 (800) only.
    assert body["count"] == 2
    assert [row["external_id"] for row in body["sample"]] == ["c6", "c7"]


def test_a_typo_is_refused_at_the_spot_with_a_suggestion(api):
    response = api.post(f"{api.base}/segments/preview", json={"query": "number_of_order > 2"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["line"], error["column"]) == (1, 1)
    assert error["suggestion"] == "number_of_orders"
    assert error["caret"].endswith("\n^")


def test_create_list_change_and_delete_a_segment(api, db):
    created = api.post(
        f"{api.base}/segments",
        json={"name": "VIP de Nantes", "query": "customer_tags CONTAINS 'vip'"},
    )
    assert created.status_code == 201, created.text
    segment = created.json()
    assert segment["member_count"] == 3  # evaluated inline at once
    assert segment["last_evaluated_at"] is not None

    listed = api.get(f"{api.base}/segments").json()["segments"]
    assert [(s["name"], s["member_count"]) for s in listed] == [("VIP de Nantes", 3)]

    taken = api.post(f"{api.base}/segments", json={"name": "VIP de Nantes", "query": "age > 3"})
    assert taken.status_code == 409

    changed = api.patch(f"{api.base}/segments/{segment['id']}", json={"query": "city = 'Nantes'"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["member_count"] == 6
    bad = api.patch(f"{api.base}/segments/{segment['id']}", json={"query": "city = "})
    assert bad.status_code == 422

    history = api.get(f"{api.base}/segments/{segment['id']}/history").json()
    assert [size["size"] for size in history["sizes"]] == [6, 3]
    kinds = sorted(event["kind"] for event in history["events"])
    assert kinds.count("entered") == 6 and kinds.count("exited") == 0

    assert api.delete(f"{api.base}/segments/{segment['id']}").status_code == 204
    assert api.get(f"{api.base}/segments/{segment['id']}").status_code == 404
    assert db.scalars(select(SegmentMember)).all() == []


def test_members_are_paged_searchable_and_exported_as_csv(api):
    segment = api.post(
        f"{api.base}/segments", json={"name": "Acheteurs", "query": "number_of_orders >= 1"}
    ).json()
    assert segment["member_count"] == 8
    url = f"{api.base}/segments/{segment['id']}/members"
    first = api.get(url, params={"per_page": 5}).json()
    second = api.get(url, params={"per_page": 5, "page": 2}).json()
    assert first["total"] == 8 and len(first["members"]) == 5 and len(second["members"]) == 3
    found = api.get(url, params={"q": "DURAND"}).json()
    assert {m["external_id"] for m in found["members"]} == {"c0", "c2", "c4", "c6"}
    assert api.get(url, params={"per_page": 100000}).status_code == 400

    exported = api.get(url, params={"format": "csv"})
    assert exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted(r["external_id"] for r in rows) == [f"c{n}" for n in range(8)]
    assert rows[0]["total_spent"] == "100.00"


def test_templates_and_catalogue_for_the_editor(api):
    templates = api.get(f"{api.base}/segments/templates").json()["templates"]
    assert any(t["key"] == "vip" for t in templates)
    made = api.post(f"{api.base}/segments/from-template", json={"key": "vip"})
    assert made.status_code == 201 and made.json()["member_count"] == 3
    unknown = api.post(f"{api.base}/segments/from-template", json={"key": "nope"})
    assert unknown.status_code == 400
    catalogue = api.get(f"{api.base}/segments/catalog").json()["attributes"]
    assert "number_of_orders" in {attribute["name"] for attribute in catalogue}


def test_writes_must_be_json_and_input_is_validated(api):
    form = api.post(f"{api.base}/segments", data={"name": "x", "query": "age > 3"})
    assert form.status_code == 415
    missing = api.post(f"{api.base}/segments", json={"name": "sans requête"})
    assert missing.status_code == 400
    assert "query" in missing.json()["fields"]


def test_another_shops_segment_is_invisible(api, db, live_server):
    other = create_shop(db, platform="csv", domain="autre.example.fr")
    db.add(Customer(shop_id=other.id, external_id="x", tags=[], attributes={}))
    db.commit()
    theirs = requests.Session()
    theirs.get(f"{live_server}/admin/?shop=autre.example.fr", timeout=10)
    theirs.headers["X-CSRF-Token"] = theirs.get(f"{live_server}/api/v1/session").json()[
        "csrf_token"
    ]
    made = theirs.post(
        f"{live_server}/api/v1/segments", json={"name": "Tous", "query": "number_of_orders >= 0"}
    ).json()
    assert made["member_count"] == 1
    assert api.get(f"{api.base}/segments/{made['id']}").status_code == 404
    assert api.get(f"{api.base}/segments/{made['id']}/members").status_code == 404
    assert api.delete(f"{api.base}/segments/{made['id']}").status_code == 404
