"""Storefront fixtures: a shop with customers, segments and campaigns, and HTTP helpers."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests

from connectors import records
from sync.campaigns.editing import create_campaign, set_status
from sync.identity import sign_identity
from sync.ingest import upsert_customers, upsert_orders
from sync.segments.evaluate import create_segment, evaluate_segment
from sync.store import utcnow

ORIGIN = "https://chocolats.example.fr"


def new_visitor() -> str:
    return "v_" + secrets.token_hex(10)


@pytest.fixture
def people(db, shop):
    """ana (VIP, 3 orders, 120 points), bob (one order), chloe (never ordered)."""
    now = utcnow()
    upsert_customers(
        db,
        shop,
        [
            records.Customer(
                external_id="ana",
                email="ana@example.fr",
                first_name="Ana",
                tags=["vip"],
                loyalty_points=120,
                country="FR",
                created_at=now - timedelta(days=400),
                updated_at=now,
            ),
            records.Customer(
                external_id="bob",
                email="bob@example.fr",
                first_name="<b>Bob</b>",
                country="BE",
                created_at=now - timedelta(days=200),
                updated_at=now,
            ),
            records.Customer(
                external_id="chloe",
                email="chloe@example.fr",
                first_name="Chloé",
                created_at=now - timedelta(days=20),
                updated_at=now,
            ),
        ],
    )
    upsert_orders(
        db,
        shop,
        [
            records.Order(
                external_id=f"o{n}",
                customer_external_id=owner,
                created_at=now - timedelta(days=30 + n),
                total=Decimal("50.00"),
            )
            for n, owner in enumerate(["ana", "ana", "ana", "bob"])
        ],
    )
    db.commit()
    return shop


@pytest.fixture
def segments(db, people):
    """Evaluated segments: vip (ana), buyers (ana, bob), never ordered (chloe)."""
    made = {}
    for name, query in (
        ("vip", "customer_tags CONTAINS 'vip'"),
        ("buyers", "number_of_orders >= 1"),
        ("never ordered", "number_of_orders = 0"),
    ):
        segment = create_segment(db, people, name, query)
        evaluate_segment(db, segment, utcnow())
        made[name] = segment.id
    db.commit()
    return made


def popup(name: str = "Offer", **fields) -> dict:
    """A campaign document: one variant "a" showing a title, unless told otherwise."""
    document = {
        "name": name,
        "kind": "popup",
        "triggers": [{"type": "load"}],
        "variants": [{"key": "a", "content": {"title": f"{name} for {{{{ first_name }}}}"}}],
    }
    document.update(fields)
    return document


@pytest.fixture
def launch(db, shop):
    """Create a live campaign from a document; returns its public id."""

    def make(document: dict) -> str:
        campaign = create_campaign(db, shop, document)
        set_status(db, shop, campaign, "live")
        db.commit()
        return campaign.public_id

    return make


@pytest.fixture
def storefront(live_server, shop, settings):
    """POST helpers for decide and events, sending JSON as text/plain like the loader."""

    class Client:
        base = f"{live_server}/storefront/v1/{shop.public_id}"

        def identity(self, customer_id: str, ts: int | None = None) -> dict:
            return sign_identity(settings, shop.public_id, customer_id, ts).as_dict()

        def post(self, path: str, body, headers=None, raw: bytes | None = None):
            data = raw if raw is not None else __import__("json").dumps(body)
            sent = {"Content-Type": "text/plain;charset=UTF-8", **(headers or {})}
            return requests.post(f"{self.base}/{path}", data=data, headers=sent, timeout=10)

        def decide(self, visitor: str | None = None, headers=None, **body) -> list[dict]:
            body.setdefault("page", {"url": "https://chocolats.example.fr/", "type": "home"})
            if visitor is not None:
                body["visitor"] = visitor
            response = self.post("decide", body, headers)
            assert response.status_code == 200, response.text
            return response.json()["campaigns"]

        def ids(self, *args, **kwargs) -> list[str]:
            return [c["id"] for c in self.decide(*args, **kwargs)]

        def events(self, visitor: str, events: list[dict], headers=None, **body):
            return self.post("events", {"visitor": visitor, "events": events, **body}, headers)

    return Client()


def at_ms(moment: datetime | None = None) -> int:
    moment = moment or utcnow()
    return int((moment - datetime(1970, 1, 1)).total_seconds() * 1000)
