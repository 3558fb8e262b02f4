"""Browser tests: Debian's Chromium, driven by Playwright, on the demo store over real HTTP.

One browser per test session, a new context (fresh storage, its own viewport) per test.
`playwright install` cannot download browsers here: Chromium is the system's
(/usr/bin/chromium, `apt-get install chromium`); without it these tests are skipped.
Every page a test opens is watched for console errors and uncaught exceptions: a test
fails if the storefront script (or the demo theme) logs one.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from plugin_app import create_app
from sync.campaigns.editing import create_campaign, set_status
from sync.campaigns.models import Campaign
from sync.demo.campaigns import add_demo_campaigns
from sync.demo_data import build_demo_shop, demo_shop
from sync.settings import Settings
from sync.store import session_factory
from tests.conftest import TEST_SECRET_KEY, _empty_all_tables

CHROMIUM = Path(os.environ.get("CIBLE_TEST_CHROMIUM", "/usr/bin/chromium"))
DEMO_DOMAIN = "demo.cible.local"
DEMO_CUSTOMERS = 300


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install '.[test]'")
    playwright = sync_api.sync_playwright().start()
    launched = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    yield launched
    launched.close()
    playwright.stop()


@pytest.fixture(scope="module")
def demo_site(browser, database_url, tmp_path_factory):
    """The demo store over real HTTP with a demo shop of a few hundred customers, built
    once per test module and backend (a build per test would double the suite's time);
    the database is emptied when the module is done, as `db_url` does after each test."""
    settings = Settings(
        env="testing",
        instance_path=tmp_path_factory.mktemp("instance"),
        database_url=database_url,
        secret_key=TEST_SECRET_KEY,
    )
    app = create_app({"CIBLE_SETTINGS": settings, "TESTING": True})
    received = ReceivedPosts(app.wsgi_app)
    app.wsgi_app = received
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    db = session_factory(database_url)()
    shop = demo_shop(db, DEMO_DOMAIN)
    db.commit()
    build_demo_shop(db, shop, DEMO_CUSTOMERS, 1, date.today())
    yield Store(db, shop, f"http://127.0.0.1:{server.server_port}", received)
    db.close()
    received.wait_idle()  # a beacon of the last page may still be in its transaction
    server.shutdown()
    thread.join(timeout=5)
    _empty_all_tables(database_url)


@pytest.fixture
def front(demo_site):
    """The demo site as `make demo` leaves it (its demo campaigns live, nothing else);
    `front.only(...)` replaces the campaigns with a test's own."""
    demo_site.db.rollback()
    demo_site.remove_campaigns()
    add_demo_campaigns(demo_site.db, demo_site.shop)
    demo_site.db.commit()
    demo_site.received.bodies.clear()
    return demo_site


@pytest.fixture
def store(db, app, live_server):
    """The same, built for one test only, with the test's own `db` session and `app`
    (for tests that need those fixtures too)."""
    shop = demo_shop(db, DEMO_DOMAIN)
    db.commit()
    build_demo_shop(db, shop, DEMO_CUSTOMERS, 1, date.today())
    received = ReceivedPosts(app.wsgi_app)
    app.wsgi_app = received
    return Store(db, shop, live_server, received)


class ReceivedPosts:
    """WSGI middleware keeping the storefront POST bodies the server received. Playwright
    does not report keep-alive fetches and beacons sent while a page unloads; the server
    sees them all."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.bodies: list[tuple[str, bytes]] = []
        self.busy = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ["REQUEST_METHOD"] == "POST" and path.startswith("/storefront/v1/"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
            self.bodies.append((path.rsplit("/", 1)[-1], body))
        with self.lock:
            self.busy += 1
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            with self.lock:
                self.busy -= 1

    def wait_idle(self, timeout: float = 5.0) -> None:
        time.sleep(0.3)  # a beacon sent as the last page closed is still on its way
        wait_until(lambda: self.busy == 0, timeout)

    def of(self, endpoint: str) -> list[dict]:
        return [json.loads(body) for name, body in self.bodies if name == endpoint]


class Store:
    def __init__(self, db, shop, base_url: str, received: ReceivedPosts):
        self.db, self.shop, self.base_url, self.received = db, shop, base_url, received

    def url(self, path: str = "/demo/store/") -> str:
        return self.base_url + path

    def remove_campaigns(self) -> None:
        """End (not delete) every campaign: a beacon of the previous test may still be on
        its way, and its events must find their campaign. Renamed, so the demo campaigns
        can be made again under their own names."""
        for campaign in self.db.query(Campaign).filter(
            Campaign.shop_id == self.shop.id, Campaign.status != "ended"
        ):
            set_status(self.db, self.shop, campaign, "ended")
            campaign.name = f"{campaign.name} (ended, #{campaign.id})"

    def only(self, *documents: dict) -> list[Campaign]:
        """Make these the shop's only live campaigns (the demo ones are deleted)."""
        self.remove_campaigns()
        made = []
        for document in documents:
            campaign = create_campaign(self.db, self.shop, document)
            set_status(self.db, self.shop, campaign, "live")
            made.append(campaign)
        self.db.commit()
        return made


class Watched:
    """A page with its console errors, uncaught exceptions and storefront requests."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        self.requests: list[tuple[str, str, str | None]] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on(
            "request",
            lambda r: (
                "/storefront/v1/" in r.url and self.requests.append((r.method, r.url, r.post_data))
            ),
        )

    def posts(self, endpoint: str) -> list[str]:
        return [
            body
            for method, url, body in self.requests
            if method == "POST" and url.endswith(endpoint)
        ]


@pytest.fixture
def new_page(browser):
    """Open pages in new contexts: `new_page(**context_options)` -> Watched."""
    contexts, watched = [], []

    def open_page(**options):
        options.setdefault("viewport", {"width": 1280, "height": 800})
        options.setdefault("reduced_motion", "reduce")
        context = browser.new_context(**options)
        contexts.append(context)
        page = Watched(context.new_page())
        watched.append(page)
        return page

    yield open_page
    errors = [error for page in watched for error in page.errors]
    for context in contexts:
        context.close()
    assert not errors, f"console errors: {errors}"


@pytest.fixture
def page(new_page):
    """A desktop page (1280x800, reduced motion so shapes are stable)."""
    return new_page()


def popups(page) -> int:
    """How many Cible overlays (popup, slide-in, banner) the page shows."""
    return page.evaluate("document.querySelectorAll('cible-root').length")


def wait_until(predicate, timeout: float = 5.0, step: float = 0.05):
    """Poll a database-side condition (events reach the server asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def popup(**overrides) -> dict:
    """A campaign document: a popup with a title, text and a close button."""
    document = {
        "name": "Test popup",
        "kind": "popup",
        "triggers": [{"type": "load"}],
        "variants": [
            {
                "key": "a",
                "content": {
                    "title": "Offre test",
                    "html": "<p>Un texte de campagne.</p>",
                    "button": {"label": "Continuer", "action": "close"},
                },
            }
        ],
    }
    document.update(overrides)
    return document
