"""Screenshots of the admin's main pages into docs/screenshots/ (`make screenshots`).

Builds a demo shop in a throwaway SQLite database, serves the app on localhost, sends a
little storefront traffic to one campaign (decide + events over HTTP, so its results page
has figures), then photographs each page with Playwright and Debian's Chromium.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from plugin_app import create_app  # noqa: E402
from sync.campaigns.editing import create_campaign, set_status  # noqa: E402
from sync.demo_data import build_demo_shop, demo_shop  # noqa: E402
from sync.identity import sign_identity  # noqa: E402
from sync.migrations import upgrade  # noqa: E402
from sync.runs import queue_run, record_progress, start_run  # noqa: E402
from sync.segments.models import Segment, SegmentMember  # noqa: E402
from sync.settings import Settings  # noqa: E402
from sync.store import Customer, CustomerStatistics, SyncRun, session_factory, utcnow  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
DOMAIN = "demo.cible.local"


def traffic(base: str, settings: Settings, shop, campaign_id: str, members: list[str]) -> None:
    root = f"{base}/storefront/v1/{shop.public_id}"
    for number, external_id in enumerate(members):
        identity = sign_identity(settings, shop.public_id, external_id).as_dict()
        visitor = f"v_shot{number:05d}_{external_id}"[:64].ljust(16, "x")
        answer = requests.post(
            f"{root}/decide",
            timeout=10,
            json={
                "visitor": visitor,
                "identity": identity,
                "device": "desktop",
                "page": {"url": f"{base}/demo/store/", "type": "home"},
            },
        ).json()
        for entry in answer.get("campaigns", []):
            if entry["id"] != campaign_id:
                continue
            now = int(time.time() * 1000)
            events = [
                {
                    "type": "impression",
                    "campaign": campaign_id,
                    "variant": entry["variant"],
                    "at": now,
                }
            ]
            if not entry["control"] and number % 3:
                events.append(
                    {
                        "type": "click",
                        "campaign": campaign_id,
                        "variant": entry["variant"],
                        "at": now + 1,
                    }
                )
            elif entry["control"] and number % 5 == 0:
                events.append(
                    {
                        "type": "click",
                        "campaign": campaign_id,
                        "variant": entry["variant"],
                        "at": now + 1,
                    }
                )
            requests.post(
                f"{root}/events",
                timeout=10,
                json={"visitor": visitor, "identity": identity, "events": events},
            )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'shots.sqlite3'}"
        upgrade(url)
        settings = Settings(
            env="development",
            instance_path=Path(directory),
            database_url=url,
            secret_key="screenshots-secret-key-0123456789-abcdefgh",
        )
        sessions = session_factory(url)
        db = sessions()
        shop = demo_shop(db, DOMAIN)
        db.commit()
        build_demo_shop(db, shop, 2000, 1, date.today())
        db.commit()
        app = create_app({"CIBLE_SETTINGS": settings})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"

        segment = (
            db.query(Segment)
            .filter_by(shop_id=shop.id)
            .order_by(Segment.member_count.desc())
            .first()
        )
        campaign = create_campaign(
            db,
            shop,
            {
                "name": "Chocolat noir : -10 % pour les fidèles",
                "kind": "popup",
                "goal": "click",
                "priority": 100,
                "audience": {"segments": {"include": [segment.id], "exclude": []}},
                "variants": [
                    {
                        "key": "a",
                        "content": {
                            "title": "Bonjour {{first_name}} !",
                            "html": "<p>-10 % sur le chocolat noir avec le code <b>NOIR10</b>.</p>",
                            "button": {
                                "label": "J’en profite",
                                "action": "link",
                                "url": "https://demo.cible.local/noir",
                            },
                        },
                    },
                    {"key": "control", "control": True},
                ],
            },
        )
        set_status(db, shop, campaign, "live")
        db.commit()
        members = list(
            db.scalars(
                Customer.__table__.select()
                .with_only_columns(Customer.external_id)
                .join(SegmentMember.__table__, SegmentMember.customer_id == Customer.id)
                .where(SegmentMember.segment_id == segment.id)
                .limit(400)
            )
        )
        traffic(base, settings, shop, campaign.public_id, members)
        run_id = queue_run(sessions, shop.id, "orders", "full")
        start_run(sessions, run_id)
        with sessions.begin() as session:
            session.get(SyncRun, run_id).started_at = utcnow() - timedelta(seconds=42)
        record_progress(sessions, run_id, done=6300, total=14800)
        customer = (
            db.query(Customer)
            .join(Customer.statistics)
            .filter(Customer.shop_id == shop.id, CustomerStatistics.orders_count > 3)
            .first()
        )

        shots = {
            "home": "/admin/",
            "segments": "/admin/segments",
            "segment-editor": "/admin/segments/new",
            "segment": f"/admin/segments/{segment.id}",
            "customers": "/admin/customers",
            "customer": f"/admin/customers/{customer.id}",
            "campaigns": "/admin/campaigns",
            "campaign-editor": f"/admin/campaigns/{campaign.public_id}/edit",
            "campaign-results": f"/admin/campaigns/{campaign.public_id}",
            "settings": "/admin/settings",
        }
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            for language, locale in (("en", "en-US"), ("fr", "fr-FR")):
                context = browser.new_context(
                    viewport={"width": 1280, "height": 900}, locale=locale, reduced_motion="reduce"
                )
                page = context.new_page()
                page.goto(f"{base}/admin/?shop={DOMAIN}")
                for name, path in shots.items():
                    if language == "fr" and name not in (
                        "home",
                        "campaign-results",
                        "segment-editor",
                    ):
                        continue
                    page.goto(base + path)
                    if name == "segment-editor":
                        page.fill("#segment-name", "Amateurs de noir à Nantes")
                        page.fill("#segment-query", "city = 'Nantes' AND number_of_ordrs >= 2")
                        page.wait_for_selector("#query-error:not([hidden])")
                    if name == "campaign-editor":
                        page.wait_for_selector("#preview-mobile cible-root", state="attached")
                    page.wait_for_timeout(400)
                    target = OUT / (name + ("" if language == "en" else "-fr") + ".png")
                    page.screenshot(path=str(target), full_page=True)
                    print(f"wrote {target.relative_to(OUT.parent.parent)}")
                context.close()
            browser.close()
        server.shutdown()
        db.close()


if __name__ == "__main__":
    main()
