"""A merchant's walk through the admin in headless Chromium, in English and in French:
open the admin, watch a sync progress, write a segment with a typo and see the error at
its spot, fix it and see the count, save it and find it in the list, build a popup for
it, preview it with the storefront's renderer, launch it, and read its results after
simulated traffic (decide and events posted to the storefront endpoints over HTTP).

Reuses tests/browser/conftest.py (F2's): `browser`, `new_page` (fails on console errors)
and `store` (the demo shop behind the live server).
"""

from __future__ import annotations

import base64
import re
import threading
import time

import pytest
import requests
from sqlalchemy import func, select

from sync.identity import sign_identity
from sync.runs import finish_run, queue_run, record_progress, start_run
from sync.segments.models import Segment, SegmentMember
from sync.store import Customer, CustomerStatistics, session_factory

# A 1x1 PNG, for images the tests serve themselves.
PNG_PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)

LANGUAGES = {
    "en": {
        "locale": "en-US",
        "home": "Next steps",
        "of_records": "100 of 1,000 records",
        "later": "600 of 1,000 records",
        "succeeded": "Succeeded",
        "line": "Line 1, column 1",
        "typo": "unknown attribute number_of_ordrs",
        "did_you_mean": "Did you mean number_of_orders?",
        "not_saved": "Could not save: unknown attribute number_of_ordrs",
        "match": "customers match",
        "list": "Change over 7 days",
        "launched": "Live",
        "leads": "leads with",
    },
    "fr": {
        "locale": "fr-FR",
        "home": "Prochaines étapes",
        "of_records": "100 enregistrements sur 1\u202f000",
        "later": "600 enregistrements sur 1\u202f000",
        "succeeded": "Réussie",
        "line": "Ligne 1, colonne 1",
        "typo": "attribut inconnu number_of_ordrs",
        "did_you_mean": "Vouliez-vous dire number_of_orders ?",
        "not_saved": "Enregistrement impossible : attribut inconnu number_of_ordrs",
        "match": "clients correspondent",
        "list": "Évolution sur 7 jours",
        "launched": "En ligne",
        "leads": "est en tête avec",
    },
}
QUERY = "number_of_orders >= 1"
TYPO = "number_of_ordrs >= 1"


def text_of(page, selector: str) -> str:
    return page.locator(selector).inner_text()


def wait_for_text(page, selector: str, expected: str, timeout: float = 8000) -> None:
    page.wait_for_function(
        "([s, t]) => { const n = document.querySelector(s); return n && n.innerText.includes(t); }",
        arg=[selector, expected],
        timeout=timeout,
    )


def simulate_traffic(store, settings, campaign_id: str, members: list[str]) -> int:
    """Members of the segment browse the store: decide, then impression (and a click for
    shown variants), all over real HTTP to the storefront endpoints."""
    base = f"{store.base_url}/storefront/v1/{store.shop.public_id}"
    seen = 0
    for number, external_id in enumerate(members):
        identity = sign_identity(settings, store.shop.public_id, external_id).as_dict()
        visitor = f"v_walk{number:04d}{external_id}".replace(".", "_")[:64]
        visitor = visitor if len(visitor) >= 16 else visitor.ljust(16, "x")
        answer = requests.post(
            f"{base}/decide",
            timeout=10,
            json={
                "visitor": visitor,
                "identity": identity,
                "device": "desktop",
                "page": {"url": f"{store.base_url}/demo/store/", "type": "home"},
            },
        )
        assert answer.status_code == 200, answer.text
        chosen = [c for c in answer.json()["campaigns"] if c["id"] == campaign_id]
        if not chosen:
            continue
        entry = chosen[0]
        now = int(time.time() * 1000)
        events = [
            {"type": "impression", "campaign": campaign_id, "variant": entry["variant"], "at": now}
        ]
        if not entry["control"]:
            events.append(
                {
                    "type": "click",
                    "campaign": campaign_id,
                    "variant": entry["variant"],
                    "at": now + 1,
                }
            )
        posted = requests.post(
            f"{base}/events",
            timeout=10,
            json={"visitor": visitor, "identity": identity, "events": events},
        )
        assert posted.status_code == 202, posted.text
        seen += 1
    return seen


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_merchant_builds_launches_and_reads_a_campaign(store, new_page, settings, language):
    words = LANGUAGES[language]
    admin = new_page(locale=words["locale"])
    page = admin.page
    sessions = session_factory(settings.database_url)

    # 1. Open the admin; a sync is running and its progress moves on the home page.
    run_id = queue_run(sessions, store.shop.id, "customers", "full")
    start_run(sessions, run_id)
    record_progress(sessions, run_id, done=100, total=1000)
    page.goto(store.url(f"/admin/?shop={store.shop.domain}"))
    assert words["home"] in page.inner_text("body")
    assert words["of_records"] in text_of(page, "#sync")
    later = threading.Timer(0.5, lambda: record_progress(sessions, run_id, done=600))
    later.start()
    wait_for_text(page, "#sync", words["later"])
    finish_run(sessions, run_id, done=1000)
    wait_for_text(page, "#sync", words["succeeded"])
    later.join()

    # 2. A segment with a typo: the error shows at its spot, as one types, in the admin's
    # language (the attribute stays as typed); saving it is refused with the same words.
    page.goto(store.url("/admin/segments/new"))
    page.fill("#segment-name", f"Walk {language}")
    page.fill("#segment-query", TYPO)
    page.wait_for_selector("#query-error:not([hidden])")
    error = text_of(page, "#query-error")
    assert words["line"] in error and words["typo"] in error, error
    assert words["did_you_mean"] in text_of(page, "#query-error .suggestion")
    assert page.inner_text("mark.query-mark") == "number_of_ordrs"
    page.click("#segment-save")
    wait_for_text(page, "#save-status", words["not_saved"])
    # The preview and save calls answered 422 (the query's error, by design): Chromium
    # logs any 4xx.
    admin.errors[:] = [error for error in admin.errors if "status of 422" not in error]

    # 3. Fixed with the suggestion: the error goes, the live count is the database's.
    page.click("#query-error .suggestion")
    assert page.input_value("#segment-query") == QUERY
    page.wait_for_selector("#query-error", state="hidden")
    page.wait_for_selector("#preview-count[data-count]")
    expected = store.db.scalar(
        select(func.count(CustomerStatistics.customer_id)).where(
            CustomerStatistics.shop_id == store.shop.id, CustomerStatistics.orders_count >= 1
        )
    )
    assert page.get_attribute("#preview-count", "data-count") == str(expected)
    assert words["match"] in text_of(page, "#preview-count")

    # 4. Saved: its page, then the list.
    page.click("#segment-save")
    page.wait_for_url(re.compile(r"/admin/segments/\d+$"))
    segment_id = int(page.url.rsplit("/", 1)[1])
    page.goto(store.url("/admin/segments"))
    assert words["list"] in page.inner_text("body")
    row = page.locator(f'tr[data-segment="{segment_id}"]')
    assert f"Walk {language}" in row.inner_text()

    # 5. A popup for the segment, with a control, previewed by the real renderer.
    page.goto(store.url(f"/admin/segments/{segment_id}"))
    page.click(f'a[href$="/admin/campaigns/new?segment={segment_id}"]')
    page.wait_for_selector("#preview-variant option", state="attached")  # the editor's script ran
    assert page.input_value(f'select[data-segment="{segment_id}"]') == "include"
    page.fill('input[name="name"]', f"Walk popup {language}")
    page.select_option('select[name="goal"]', "click")
    page.fill('[data-variant] [data-field="title"]', "Bonjour {{first_name}}")
    page.fill('[data-variant] [data-field="html"]', "<p>-10 % with WALK10</p>")
    page.fill('[data-variant] [data-field="button_label"]', "Shop now")
    page.click("#add-control")
    page.select_option("#preview-variant", "a")
    page.wait_for_function(
        "() => ['#preview-desktop', '#preview-mobile'].every(s => {"
        " const root = document.querySelector(s + ' cible-root');"
        " return root && root.shadowRoot && root.shadowRoot.textContent.includes('Bonjour'); })"
    )
    mobile = page.evaluate(
        "document.querySelector('#preview-mobile cible-root').shadowRoot.textContent"
    )
    assert "WALK10" in mobile and "{{" not in mobile

    # 6. Saved and launched.
    page.click("#campaign-save")
    page.wait_for_url(re.compile(r"/admin/campaigns/[\w-]+$"))
    campaign_id = page.url.rsplit("/", 1)[1]
    with page.expect_navigation():
        page.click('button[data-action="live"]')
    assert words["launched"] in page.inner_text(".page-title")

    # 7. Traffic from the segment's members, then the results read in plain words.
    members = list(
        store.db.scalars(
            select(Customer.external_id)
            .join(SegmentMember, SegmentMember.customer_id == Customer.id)
            .where(SegmentMember.segment_id == segment_id)
            .order_by(Customer.id)
            .limit(60)
        )
    )
    assert store.db.get(Segment, segment_id).member_count == expected
    assert simulate_traffic(store, settings, campaign_id, members) >= 40
    page.reload()
    reading = text_of(page, "#reading")
    assert words["leads"] in reading, reading
    visitors = [
        int(re.sub(r"\D", "", cell))
        for cell in page.locator("#results tbody tr td:nth-child(2)").all_inner_texts()
    ]
    assert sum(visitors) >= 40


def test_saving_from_the_editor_keeps_what_the_form_does_not_show(db, shop, live_server, page):
    """A campaign made through the API with more than the form edits survives a save
    (a plain shop: no demo data needed)."""
    from sync.campaigns.editing import campaign_json, create_campaign

    campaign = create_campaign(
        db,
        shop,
        {
            "name": "Rich document",
            "kind": "popup",
            "triggers": [{"type": "delay", "seconds": 5}, {"type": "exit_intent"}],
            "pages": {
                "url": [
                    {"op": "contains", "value": "/noir"},
                    {"op": "starts_with", "value": "/p/"},
                ],
                "url_exclude": [{"op": "contains", "value": "/checkout"}],
                "categories": ["Noir"],
            },
            "schedule": {"weekdays": [1, 2, 3], "hours": {"from": "09:00", "to": "18:00"}},
            "attribution_days": 14,
            "variants": [{"key": "a", "content": {"title": "Rich"}}],
        },
    )
    db.commit()
    before = campaign_json(db, shop, campaign)
    page = page.page
    page.goto(f"{live_server}/admin/?shop={shop.domain}")
    page.goto(f"{live_server}/admin/campaigns/{campaign.public_id}/edit")
    assert page.input_value('input[name="url_contains"]') == "/noir"
    page.fill('input[name="name"]', "Rich document, renamed")
    page.click("#campaign-save")
    page.wait_for_url(re.compile(rf"/admin/campaigns/{campaign.public_id}$"))
    db.expire_all()
    after = campaign_json(db, shop, campaign)
    assert after["name"] == "Rich document, renamed"
    for key in ("triggers", "pages", "attribution_days"):
        assert after[key] == before[key], key
    assert after["schedule"]["weekdays"] == [1, 2, 3]
    assert after["schedule"]["hours"] == before["schedule"]["hours"]


def test_a_refused_save_shows_each_error_in_french_next_to_its_field(
    db, shop, new_page, live_server
):
    """The campaign editor in French: a field's error beside the field (not JSON), a content
    problem beside the variant's content and in the preview's note; a fix clears them."""
    from sync.campaigns.editing import create_campaign

    campaign = create_campaign(
        db,
        shop,
        {
            "name": "Bienvenue",
            "kind": "popup",
            "variants": [{"key": "a", "content": {"title": "Salut"}}],
        },
    )
    db.commit()
    admin = new_page(locale="fr-FR")
    page = admin.page
    page.goto(f"{live_server}/admin/?shop={shop.domain}")
    page.goto(f"{live_server}/admin/campaigns/{campaign.public_id}/edit")
    weight = page.locator('#variants [data-field="weight"]')
    weight.fill("-1")
    page.click("#campaign-save")
    page.wait_for_selector("[data-field-error]")
    assert page.inner_text("#save-status") == "Enregistrement impossible : campagne invalide"
    beside = page.locator('#variants .variant label.field:has([data-field="weight"]) .field__error')
    assert beside.inner_text() == "doit être entre 0 et 10000"
    assert weight.get_attribute("aria-invalid") == "true"
    assert page.locator("[data-field-error]").count() == 1
    assert page.locator("#save-problems").is_hidden()

    weight.fill("1")
    page.fill('#variants [data-field="image_url"]', "javascript:alert(1)")
    expected = (
        "adresse de l’image : seulement des liens http(s), relatifs, mailto: ou tel:, "
        "pas 'javascript:alert(1)'"
    )
    page.wait_for_function(
        "text => document.getElementById('preview-note').textContent.indexOf(text) >= 0",
        arg=expected,
    )
    page.click("#campaign-save")
    content_error = page.locator("#variants [data-content] > .field__error")
    content_error.wait_for()
    assert content_error.inner_text() == expected
    assert page.locator("[data-field-error]").count() == 1  # the weight's is gone
    assert weight.get_attribute("aria-invalid") is None
    assert "{" not in page.inner_text("#save-status")

    # The preview shows the image from its https address (the admin's CSP allows it); the
    # address is answered here, as there is no network.
    shown = []
    page.route("https://example.com/a.png", lambda route: (
        shown.append(route.request.url),
        route.fulfill(status=200, content_type="image/png", body=PNG_PIXEL),
    ))  # fmt: skip
    page.fill('#variants [data-field="image_url"]', "https://example.com/a.png")
    page.wait_for_function(
        "() => [...document.querySelectorAll('*')].some((e) => e.shadowRoot &&"
        " [...e.shadowRoot.querySelectorAll('img')].some((i) => i.complete && i.naturalWidth))"
    )
    assert set(shown) == {"https://example.com/a.png"}  # once, or again per re-render
    page.click("#campaign-save")
    page.wait_for_url(re.compile(rf"/admin/campaigns/{campaign.public_id}$"))
    admin.errors[:] = [error for error in admin.errors if "status of 422" not in error]
