"""CSRF refusals on admin forms and session API writes; API tokens made, used, revoked."""

from __future__ import annotations

import json
import re

import requests
from sqlalchemy import select

from sync.segments.models import Segment
from sync.store import Shop
from tests.admin.conftest import TIMEOUT, AdminClient


def make_token(client: AdminClient, name: str = "script") -> str:
    answer = client.form("/admin/settings/tokens", {"name": name})
    assert answer.status_code == 200
    return re.search(r'id="new-token">([^<]+)<', answer.text).group(1)


def test_an_admin_form_without_the_token_is_refused_and_changes_nothing(admin, db, filled_shop):
    for sent in ({}, {"csrf_token": "forged-" + "x" * 40}):
        answer = admin.post(
            f"{admin.base}/admin/settings/language",
            data={"language": "fr", **sent},
            timeout=TIMEOUT,
        )
        assert answer.status_code == 403
        assert "This form has expired" in answer.text
    db.expire_all()
    assert "admin_language" not in (db.get(Shop, filled_shop.id).settings or {})
    assert admin.form("/admin/settings/language", {"language": "fr"}).status_code == 200


def test_another_sessions_token_does_not_pass(live_server, filled_shop):
    first = AdminClient(live_server, filled_shop.domain)
    second = AdminClient(live_server, filled_shop.domain)
    assert first.csrf != second.csrf
    refused = second.post(
        f"{live_server}/admin/settings/language",
        data={"language": "fr", "csrf_token": first.csrf},
        timeout=TIMEOUT,
    )
    assert refused.status_code == 403


def test_session_api_writes_need_the_csrf_header(admin, db, filled_shop):
    body = {"name": "Nantais", "query": "city = 'Nantes'"}
    url = f"{admin.base}/api/v1/segments"
    assert admin.post(url, json=body, timeout=TIMEOUT).status_code == 403
    wrong = admin.post(url, json=body, headers={"X-CSRF-Token": "nope"}, timeout=TIMEOUT)
    assert wrong.status_code == 403
    assert "X-CSRF-Token" in wrong.json()["message"]
    assert db.scalar(select(Segment.id).where(Segment.shop_id == filled_shop.id)) is None
    made = admin.api("POST", "/segments", json=body)
    assert made.status_code == 201 and made.json()["member_count"] == 6
    # Reads need no token.
    assert admin.get(url, timeout=TIMEOUT).status_code == 200


def test_an_api_token_works_for_its_shop_only_and_stops_when_revoked(
    admin, db, filled_shop, other_shop, live_server
):
    token = make_token(admin, "nightly export")
    db.expire_all()
    stored = json.dumps(db.get(Shop, filled_shop.id).settings)
    assert token not in stored and "nightly export" in stored  # kept hashed only
    script = requests.Session()  # no cookie: only the token
    script.headers["Authorization"] = f"Bearer {token}"
    base = f"{live_server}/api/v1"
    made = script.post(
        f"{base}/segments", json={"name": "Tous", "query": "number_of_orders >= 0"}, timeout=TIMEOUT
    )
    assert made.status_code == 201  # no CSRF header needed with a token
    assert made.json()["member_count"] == 10
    assert script.get(f"{base}/session", timeout=TIMEOUT).json()["shop"]["domain"] == (
        filled_shop.domain
    )
    theirs = (
        AdminClient(live_server, other_shop.domain)
        .api("POST", "/segments", json={"name": "Eux", "query": "number_of_orders >= 0"})
        .json()
    )
    assert script.get(f"{base}/segments/{theirs['id']}", timeout=TIMEOUT).status_code == 404
    names = [s["name"] for s in script.get(f"{base}/segments", timeout=TIMEOUT).json()["segments"]]
    assert names == ["Tous"]

    settings_page = admin.page("/admin/settings").text
    token_id = re.search(r'data-token="([0-9a-f]+)"', settings_page).group(1)
    assert admin.form(f"/admin/settings/tokens/{token_id}/revoke").status_code == 200
    assert script.get(f"{base}/segments", timeout=TIMEOUT).status_code == 401


def test_bad_tokens_are_refused(live_server, filled_shop, admin):
    token = make_token(admin)
    base = f"{live_server}/api/v1/segments"
    for header in (
        f"Bearer {token}x",
        f"Bearer {token[:-3]}",
        "Bearer cible_",
        f"Basic {token}",
        "Bearer " + token.replace(filled_shop.public_id, "someoneelse00000"),
    ):
        answer = requests.get(base, headers={"Authorization": header}, timeout=TIMEOUT)
        assert answer.status_code == 401, header
