"""Admin test helpers: a browser-like client with a shop's admin open, and a second shop
whose data carries a marker that must never show up in the first shop's answers."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests

from connectors import records
from sync.ingest import upsert_customers, upsert_orders
from sync.shops import create_shop

TIMEOUT = 10


class AdminClient(requests.Session):
    """requests.Session with the admin open for one shop and its CSRF token at hand."""

    def __init__(self, base: str, domain: str, language: str = "en"):
        super().__init__()
        self.base = base
        self.headers["Accept-Language"] = language
        opened = self.get(f"{base}/admin/?shop={domain}", timeout=TIMEOUT)
        assert opened.status_code == 200, opened.text[:500]
        self.csrf = self.get(f"{base}/api/v1/session", timeout=TIMEOUT).json()["csrf_token"]

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.request(
            method, f"{self.base}/api/v1{path}", headers=headers, timeout=TIMEOUT, **kwargs
        )

    def form(self, path: str, data: dict | None = None, **kwargs) -> requests.Response:
        """POST an admin form the way the page does: with the session's token."""
        return self.post(
            f"{self.base}{path}",
            data={"csrf_token": self.csrf, **(data or {})},
            timeout=TIMEOUT,
            **kwargs,
        )

    def page(self, path: str, **kwargs) -> requests.Response:
        return self.get(f"{self.base}{path}", timeout=TIMEOUT, **kwargs)


def page_text(html: str) -> str:
    """The visible text of a page, tags removed and spaces collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def fill_shop(db, shop, prefix: str = "", customers: int = 10) -> None:
    now = datetime.utcnow()
    people = [
        records.Customer(
            external_id=f"{prefix}c{n}",
            email=f"{prefix}client{n}@example.fr",
            first_name=f"{prefix}Prénom{n}",
            last_name="Martin" if n % 2 else "Durand",
            city="Nantes" if n < 6 else "Lyon",
            created_at=now - timedelta(days=400),
            updated_at=now - timedelta(days=400),
        )
        for n in range(customers)
    ]
    upsert_customers(db, shop, people)
    orders = [
        records.Order(
            external_id=f"{prefix}o{n}",
            customer_external_id=f"{prefix}c{n}",
            created_at=now - timedelta(days=10 * n),
            total=Decimal(100 * (n + 1)),
            lines=[
                records.OrderLine(
                    line_key="1", category="Chocolat noir", unit_price=Decimal(100 * (n + 1))
                )
            ],
        )
        for n in range(customers - 2)
    ]
    upsert_orders(db, shop, orders)
    db.commit()


@pytest.fixture
def filled_shop(db, shop):
    fill_shop(db, shop)
    return shop


@pytest.fixture
def other_shop(db):
    other = create_shop(db, platform="woocommerce", domain="autre.example.fr")
    db.commit()
    fill_shop(db, other, prefix="zzsecret")
    return other


@pytest.fixture
def admin(live_server, filled_shop) -> AdminClient:
    return AdminClient(live_server, filled_shop.domain)
