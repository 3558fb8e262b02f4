"""The admin pages over real HTTP: sync progress on the home page, the segments pages,
the customer's segments and campaigns, settings (install steps, secrets, privacy), and
the campaign results read in plain words."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from sqlalchemy import select

from plugin_app.admin.campaigns import reading
from plugin_app.admin.sync_status import plain_error, progress_of
from sync.identity import shop_signing_secret
from sync.runs import fail_run, queue_run, record_progress, start_run
from sync.segments.models import SegmentSize
from sync.shops import create_shop
from sync.store import Customer, Order, SyncRun, session_factory, utcnow
from tests.admin.conftest import AdminClient, page_text


def test_home_shows_sync_progress_speed_eta_and_errors_in_plain_words(admin, settings, filled_shop):
    sessions = session_factory(settings.database_url)
    run_id = queue_run(sessions, filled_shop.id, "orders", "full")
    start_run(sessions, run_id)
    with sessions.begin() as db:
        db.get(SyncRun, run_id).started_at = utcnow() - timedelta(seconds=10)
    record_progress(sessions, run_id, done=250, total=1000)
    text = page_text(admin.page("/admin/").text)
    assert "250 of 1,000 records" in text
    assert "per second" in text and "left" in text  # ~25/s, ~30 s to go
    assert 'data-syncing="true"' in admin.page("/admin/").text
    runs = admin.api("GET", "/sync/runs").json()
    assert runs["running"] and runs["runs"][0]["percent"] == 25.0
    assert 20 <= runs["runs"][0]["per_second"] <= 26 and 25 <= runs["runs"][0]["eta_seconds"] <= 40
    fail_run(sessions, run_id, "HTTP 429 Too Many Requests from shop API")
    text = page_text(admin.page("/admin/").text)
    assert "The platform asked us to slow down" in text
    assert 'data-syncing="false"' in admin.page("/admin/").text


def test_plain_errors_and_progress_figures():
    assert "reinstall Cible" in plain_error("401 Unauthorized: invalid access token")
    assert plain_error("something odd\nwith details") == "something odd"
    assert plain_error(None) is None
    run = SyncRun(
        id=1,
        stream="customers",
        kind="full",
        status="succeeded",
        records_done=10,
        records_total=None,
        errors_count=0,
        started_at=utcnow(),
        finished_at=utcnow(),
    )
    assert progress_of(run).percent == 100.0


def test_segments_list_page_and_members(admin, db, filled_shop):
    made = admin.api(
        "POST", "/segments", json={"name": "Nantais", "query": "city = 'Nantes'"}
    ).json()
    db.add(SegmentSize(segment_id=made["id"], at=utcnow() - timedelta(days=8), size=2))
    db.commit()
    listing = admin.page("/admin/segments").text
    assert "Nantais" in listing and "+4" in listing  # 6 members now, 2 a week ago
    page = admin.page(f"/admin/segments/{made['id']}").text
    assert "<svg" in page and "chart__line" in page
    assert page_text(page).count("Entered") >= 6
    searched = admin.page(f"/admin/segments/{made['id']}?q=Prénom3").text
    searched = searched.split('id="members"')[1].split("</section>")[0]
    assert "Prénom3" in searched and "Prénom4" not in searched
    exported = admin.page(f"/api/v1/segments/{made['id']}/members?format=csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 6 and all(row["city"] == "Nantes" for row in rows)
    customer = db.scalar(
        select(Customer).where(Customer.shop_id == filled_shop.id, Customer.external_id == "c1")
    )
    assert "Nantais" in page_text(admin.page(f"/admin/customers/{customer.id}").text)
    assert admin.form(f"/admin/segments/{made['id']}/delete").status_code == 200
    assert "Nantais" not in admin.page("/admin/segments").text


def test_settings_show_install_steps_deep_link_and_signing_secret(
    live_server, db, settings, monkeypatch
):
    monkeypatch.setenv("CIBLE_SHOPIFY_API_KEY", "abc123key")
    shopify = create_shop(db, platform="shopify", domain="choco.myshopify.com")
    woo = create_shop(db, platform="woocommerce", domain="woo.example.fr")
    db.commit()
    page = AdminClient(live_server, shopify.domain).page("/admin/settings").text
    assert (
        "https://choco.myshopify.com/admin/themes/current/editor?context=apps"
        "&amp;activateAppId=abc123key/cible-embed"
    ) in page
    assert shop_signing_secret(settings, shopify.public_id) not in page
    page = AdminClient(live_server, woo.domain).page("/admin/settings").text
    assert shop_signing_secret(settings, woo.public_id) in page
    assert f"/storefront/v1/{woo.public_id}/loader.js" in page
    assert "Authorization: Bearer …" in page_text(page)


def test_export_then_erase_a_customer(admin, db, filled_shop):
    customer = db.scalar(
        select(Customer).where(Customer.shop_id == filled_shop.id, Customer.external_id == "c2")
    )
    customer_id = customer.id
    exported = admin.form("/admin/settings/privacy/export", {"customer": "client2@example.fr"})
    data = json.loads(exported.text)
    assert data["customer"]["email"] == "client2@example.fr" and len(data["orders"]) == 1
    assert "attachment" in exported.headers["Content-Disposition"]
    erased = admin.form("/admin/settings/privacy/erase", {"customer": f"#{customer_id}"})
    assert "are erased" in erased.text
    db.expire_all()
    assert db.get(Customer, customer_id) is None
    assert db.scalar(select(Order.id).where(Order.customer_external_id == "c2")) is None
    again = admin.form("/admin/settings/privacy/erase", {"customer": f"#{customer_id}"})
    assert "No customer of this shop matches" in again.text
    kept = admin.form("/admin/settings/retention", {"days": "180"})
    assert "kept 180 days" in kept.text
    assert admin.form("/admin/settings/retention", {"days": "3"}).status_code == 200


def results(variants, enough=False):
    return {"variants": variants, "enough_data": enough}


def variant(key, visitors, chance=None, baseline=False, control=False, still=0):
    return {
        "key": key,
        "name": None,
        "visitors": visitors,
        "chance_to_beat_control": chance,
        "baseline": baseline,
        "control": control,
        "visitors_still_needed": still,
    }


def test_the_reading_says_who_leads_and_what_is_still_needed(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert reading(results([]), "en") == "No visitor has seen this campaign yet."
        text = reading(
            results(
                [
                    variant("control", 500, baseline=True, control=True, still=600),
                    variant("b", 500, chance=0.94, still=600),
                ]
            ),
            "en",
        )
        assert (
            text == "Variant B leads with 94% probability; 1,200 more visitors needed to be sure."
        )
        text = reading(
            results(
                [variant("a", 900, baseline=True), variant("b", 900, chance=0.02)], enough=True
            ),
            "en",
        )
        assert text.startswith("Variant A leads: Variant B has a 2% chance of beating it")
        text = reading(
            results(
                [variant("a", 900, baseline=True), variant("b", 900, chance=0.9999)], enough=True
            ),
            "en",
        )
        assert text == "Variant B leads with > 99% probability; that is enough data to decide."
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        text = reading(
            results(
                [
                    variant("control", 500, baseline=True, control=True, still=600),
                    variant("b", 500, chance=0.94, still=600),
                ]
            ),
            "fr",
        )
        assert text == (
            "Variante B est en tête avec une probabilité de 94\u00a0%; "
            "il faut encore 1\u202f200 visiteurs pour en être sûr."
        )
