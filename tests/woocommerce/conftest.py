"""Fixtures for the WooCommerce tests: the store emulator and a Cible server whose public URL
is its own address (so webhook and callback URLs point at it)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace

import pytest
import requests
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from sync.store import Shop, SyncRun, session_factory
from tests.emulators.woocommerce import WooCommerceEmulator
from tests.scale import CUSTOMERS, ORDERS


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


@dataclass
class Cible:
    url: str
    settings: object
    app: object

    def sessions(self):
        return session_factory(self.settings.database_url)

    def shop(self, domain: str) -> Shop:
        with self.sessions()() as session:
            shop = session.scalar(select(Shop).where(Shop.domain == domain))
            session.expunge_all()
            return shop

    def connect(self, emulator: WooCommerceEmulator) -> requests.Response:
        """The merchant clicks Connect: our redirect, the store's authorize, its callback
        to us, and the return page, all over real HTTP."""
        return requests.get(
            f"{self.url}/install/woocommerce", params={"store_url": emulator.url}, timeout=120
        )

    def wait_for_runs(self, shop_id: int, stream: str, count: int = 1, timeout: float = 240):
        """Wait until `count` runs of the stream have finished; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            with self.sessions()() as session:
                runs = session.scalars(
                    select(SyncRun).where(SyncRun.shop_id == shop_id, SyncRun.stream == stream)
                ).all()
                finished = [run for run in runs if run.status in ("succeeded", "failed")]
                if len(finished) >= count:
                    session.expunge_all()
                    return finished
            if time.monotonic() > deadline:
                raise AssertionError(f"{stream} runs not finished after {timeout} s: {runs}")
            time.sleep(0.2)


@pytest.fixture
def cible(settings):
    """The app over real HTTP, with CIBLE_PUBLIC_URL set to its own address."""
    yield from _serve(settings)


@pytest.fixture
def cible_on_redis(redis_settings):
    """The same, with jobs on a real Redis (a queue of the test's own)."""
    yield from _serve(redis_settings)


def _serve(settings):
    from plugin_app import create_app

    server = make_server(
        "127.0.0.1", 0, lambda *a: [], threaded=True, request_handler=_QuietHandler
    )
    url = f"http://127.0.0.1:{server.server_port}"
    current = replace(settings, public_url=url)
    app = create_app({"CIBLE_SETTINGS": current, "TESTING": True})
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Cible(url, current, app)
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def emulator():
    """A small store: 30 customers, 90 orders, 10 products."""
    store = WooCommerceEmulator().start()
    store.seed(customers=30, orders=90, products=10)
    yield store
    store.stop()


@pytest.fixture(scope="module")
def big_emulator():
    """The store of the issue's scale (20,000 customers, 60,000 orders; tests/scale.py),
    seeded once per module; each test starts from no keys and no webhooks."""
    store = WooCommerceEmulator().start()
    store.seed(customers=CUSTOMERS, orders=ORDERS, products=200)
    yield store
    store.stop()
