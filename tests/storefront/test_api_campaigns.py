"""The campaign JSON API over real HTTP: CRUD, status, previews, results, shop isolation."""

from __future__ import annotations

import pytest
import requests

from sync.campaigns.editing import create_campaign
from sync.shops import create_shop
from tests.storefront.conftest import new_visitor, popup


@pytest.fixture
def api(live_server, shop, segments):
    client = requests.Session()
    assert client.get(f"{live_server}/admin/?shop={shop.domain}", timeout=10).status_code == 200
    client.base = f"{live_server}/api/v1"
    client.headers["X-CSRF-Token"] = client.get(f"{client.base}/session").json()["csrf_token"]
    return client


def document(segments) -> dict:
    return {
        "name": "Noël VIP",
        "kind": "slide_in",
        "priority": 5,
        "goal": "click",
        "audience": {"segments": {"include": [segments["vip"]]}, "devices": ["desktop"]},
        "pages": {"page_types": ["home", "collection"]},
        "triggers": [{"type": "delay", "seconds": 5}, {"type": "exit_intent"}],
        "frequency": {"per_session": 1, "every_days": 7},
        "schedule": {"starts_at": "2026-12-01T00:00:00", "ends_at": "2026-12-26T00:00:00"},
        "attribution_days": 3,
        "variants": [
            {
                "key": "a",
                "name": "Texte",
                "weight": 50,
                "content": {
                    "title": "Joyeux Noël {{ first_name }}",
                    "html": "<p onclick='x()'>-15 %<script>bad()</script></p>",
                    "button": {"label": "J'en profite", "url": "/noel"},
                },
            },
            {"key": "control", "weight": 50, "control": True},
        ],
    }


def test_create_read_update_delete(api, segments, shop):
    created = api.post(f"{api.base}/campaigns", json=document(segments))
    assert created.status_code == 201, created.text
    campaign = created.json()
    assert campaign["status"] == "draft" and len(campaign["id"]) >= 12
    assert campaign["variants"][0]["content"]["html"] == "<p>-15 %</p>"
    assert campaign["schedule"] == {
        "starts_at": "2026-12-01T00:00:00",
        "ends_at": "2026-12-26T00:00:00",
        "weekdays": [],
        "hours": None,
        "timezone": "Europe/Paris",
    }
    assert campaign["audience"]["segments"] == {"include": [segments["vip"]], "exclude": []}
    url = f"{api.base}/campaigns/{campaign['id']}"
    assert api.get(url).json() == campaign
    changed = api.patch(url, json={"name": "Noël VIP 2026", "priority": 9})
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["priority"]) == ("Noël VIP 2026", 9)
    assert changed.json()["variants"] == campaign["variants"]
    replaced = api.put(url, json={**document(segments), "name": "Entier"})
    assert replaced.status_code == 200 and replaced.json()["name"] == "Entier"
    listed = api.get(f"{api.base}/campaigns").json()["campaigns"]
    assert [c["id"] for c in listed] == [campaign["id"]]
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


def test_refusals_say_where(api, segments):
    bad = {**document(segments), "frequncy": {}}
    response = api.post(f"{api.base}/campaigns", json=bad)
    assert response.status_code == 422 and "frequncy" in response.json()["fields"]
    unsafe = document(segments)
    unsafe["variants"][0]["content"]["button"]["url"] = "javascript:alert(1)"
    response = api.post(f"{api.base}/campaigns", json=unsafe)
    assert response.status_code == 422 and "javascript" in response.json()["message"]
    inline = {**document(segments), "kind": "inline"}
    assert api.post(f"{api.base}/campaigns", json=inline).status_code == 422
    foreign_segment = document(segments)
    foreign_segment["audience"]["segments"]["include"] = [999_999]
    response = api.post(f"{api.base}/campaigns", json=foreign_segment)
    assert response.status_code == 422 and "999999" in response.json()["message"]
    regex = {**document(segments), "pages": {"url": [{"op": "regex", "value": "(unclosed"}]}}
    assert api.post(f"{api.base}/campaigns", json=regex).status_code == 422
    form = api.post(
        f"{api.base}/campaigns",
        data="name=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 415


def test_status_transitions(api, segments):
    campaign = api.post(f"{api.base}/campaigns", json=document(segments)).json()
    status = f"{api.base}/campaigns/{campaign['id']}/status"
    live = api.post(status, json={"status": "live"})
    assert live.status_code == 200 and live.json()["launched_at"]
    assert api.post(status, json={"status": "paused"}).json()["status"] == "paused"
    assert api.post(status, json={"status": "ended"}).json()["ended_at"]
    again = api.post(status, json={"status": "live"})
    assert again.status_code == 409 and "ended" in again.json()["message"]
    assert api.post(status, json={"status": "sleeping"}).status_code == 400


def test_a_variant_with_results_cannot_be_removed(api, segments, storefront):
    campaign = api.post(f"{api.base}/campaigns", json=document(segments)).json()
    api.post(f"{api.base}/campaigns/{campaign['id']}/status", json={"status": "live"})
    event = {"type": "impression", "campaign": campaign["id"], "variant": "a"}
    assert storefront.events(new_visitor(), [event]).status_code == 202
    response = api.patch(
        f"{api.base}/campaigns/{campaign['id']}",
        json={"variants": [{"key": "b", "content": {"title": "B"}}]},
    )
    assert response.status_code == 409 and "weight to 0" in response.json()["message"]


def test_another_shops_campaigns_are_404(api, db, segments):
    other = create_shop(db, platform="csv", domain="autre.example")
    foreign = create_campaign(db, other, popup("Autre")).public_id
    db.commit()
    url = f"{api.base}/campaigns/{foreign}"
    assert api.get(url).status_code == 404
    assert api.patch(url, json={"name": "mine now"}).status_code == 404
    assert api.delete(url).status_code == 404
    assert api.post(f"{url}/status", json={"status": "live"}).status_code == 404
    assert api.get(f"{url}/results").status_code == 404
    assert api.get(f"{api.base}/campaigns").json()["campaigns"] == []


def test_without_a_session_nothing(live_server, shop):
    assert requests.get(f"{live_server}/api/v1/campaigns", timeout=10).status_code == 401


def test_preview_content_renders_for_a_sample_customer(api, db, people):
    from sqlalchemy import select

    from sync.store import Customer

    bob = db.scalar(select(Customer.id).where(Customer.external_id == "bob"))
    content = {
        "title": "Salut {{ first_name }}",
        "html": "<p>{{ first_name }}<script>x()</script> {{ cart_total }}</p>",
    }
    response = api.post(
        f"{api.base}/campaigns/preview-content",
        json={"content": content, "customer_id": bob, "cart": {"value": 10, "items": 1}},
    )
    assert response.status_code == 200, response.text
    shown = response.json()["content"]
    assert shown["title"] == "Salut <b>Bob</b>"
    assert shown["html"] == "<p>&lt;b&gt;Bob&lt;/b&gt; €10.00</p>"
    sample = api.post(f"{api.base}/campaigns/preview-content", json={"content": content})
    assert sample.json()["customer"]["first_name"]
    missing = api.post(
        f"{api.base}/campaigns/preview-content", json={"content": content, "customer_id": 10**9}
    )
    assert missing.status_code == 404
