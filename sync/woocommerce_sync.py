"""WooCommerce sync jobs: the full backfill and the incremental catch-up, with runs to watch.

Each run first makes sure our webhooks exist and are active (WooCommerce disables a webhook
after repeated failures and never re-enables it), then reads products, customers and orders
page by page (100 per page, ordered by id so pages stay stable while the store changes),
hands them to ingest in batches (a commit per batch) and records progress in one SyncRun per
stream (`woocommerce:<stream>`).

Cursors live in `shops.sync_cursors`:
- `woocommerce:orders` / `woocommerce:products`: the start time (UTC) of the last complete
  pass; the next incremental asks `modified_after` that time minus an overlap (clock skew
  between the store and us), `dates_are_gmt=true`. Never saved past the run's own start, so
  a record changed during a run is read again next time.
- `woocommerce:customers_max_id`: customers have no modified filter, so an incremental run
  reads them newest id first and stops at the highest id already seen (new customers);
  changes to existing customers come by webhook, and every full run rescans them all.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from connectors.woocommerce import (
    WooCommerceClient,
    customer_from_payload,
    ensure_webhooks,
    order_from_payload,
    product_from_payload,
)
from connectors.woocommerce.client import prefetched
from connectors.woocommerce.schemas import MappingError
from sync.ingest import upsert_customers, upsert_orders, upsert_products
from sync.ingest.result import IngestError
from sync.queue import current_job_id, enqueue, job_sessions, job_settings
from sync.runs import fail_run, finish_run, queue_run, record_progress, start_run
from sync.secrets import SecretBox
from sync.segments.refresh import TouchedCustomers, refresh_segments
from sync.settings import Settings
from sync.shops import read_credentials, store_credentials
from sync.store import Shop, utcnow

log = logging.getLogger(__name__)

STREAMS = ("products", "customers", "orders")
# Records handed to ingest (and committed) at once: twenty pages.
BATCH_RECORDS = 2000
# The incremental window starts this much before the last pass began (store clock skew).
OVERLAP = timedelta(minutes=5)
# Pages requested at once during a scan (the store's latency bounds a backfill).
PAGE_READERS = 3
CURSOR = "woocommerce:{stream}"
CUSTOMERS_MAX_ID = "woocommerce:customers_max_id"

MAPPERS = {
    "products": product_from_payload,
    "customers": customer_from_payload,
    "orders": order_from_payload,
}
UPSERTS = {
    "products": upsert_products,
    "customers": upsert_customers,
    "orders": upsert_orders,
}


class WooCommerceSyncError(RuntimeError):
    """A shop that cannot be synced as asked (not WooCommerce, no keys)."""


def delivery_url(settings: Settings, shop: Shop) -> str:
    """Where WooCommerce delivers this shop's webhooks."""
    return f"{settings.public_url.rstrip('/')}/webhooks/woocommerce/{shop.public_id}"


def shop_credentials(settings: Settings, shop: Shop) -> dict:
    if shop.platform != "woocommerce":
        raise WooCommerceSyncError(f"{shop.domain} is a {shop.platform} shop, not WooCommerce")
    credentials = read_credentials(shop, SecretBox.from_settings(settings))
    if not credentials.get("consumer_key"):
        raise WooCommerceSyncError(
            f"{shop.domain} has no WooCommerce keys: connect it from the Cible plugin"
        )
    return credentials


def client_for(settings: Settings, shop: Shop, **options) -> WooCommerceClient:
    credentials = shop_credentials(settings, shop)
    return WooCommerceClient(
        credentials["store_url"],
        credentials["consumer_key"],
        credentials["consumer_secret"],
        **options,
    )


def webhook_secret(settings: Settings, shop: Shop) -> str:
    """The shop's webhook secret, made (and sealed with the keys) on first use."""
    box = SecretBox.from_settings(settings)
    credentials = read_credentials(shop, box) if shop.credentials else {}
    if not credentials.get("webhook_secret"):
        credentials["webhook_secret"] = secrets.token_urlsafe(32)
        store_credentials(shop, box, credentials)
    return credentials["webhook_secret"]


def check_webhooks(
    session: Session, settings: Settings, shop: Shop, client: WooCommerceClient
) -> dict:
    """Ensure our webhooks (created, re-enabled, repointed); the report is kept in
    shop.settings["woocommerce"]["webhooks"] for the admin. The caller commits."""
    report = ensure_webhooks(client, delivery_url(settings, shop), webhook_secret(settings, shop))
    state = dict(shop.settings or {})
    woo = dict(state.get("woocommerce") or {})
    woo["webhooks"] = {**report.as_dict(), "checked_at": utcnow().isoformat()}
    state["woocommerce"] = woo
    shop.settings = state
    return report.as_dict()


@dataclass
class StreamOutcome:
    stream: str
    run_id: int
    read: int = 0
    written: int = 0
    refused: int = 0
    total: int | None = None
    seconds: float = 0.0
    last_error: str | None = None

    def as_dict(self) -> dict:
        return {
            "stream": self.stream,
            "run_id": self.run_id,
            "read": self.read,
            "written": self.written,
            "refused": self.refused,
            "total": self.total,
            "seconds": round(self.seconds, 3),
            "last_error": self.last_error,
        }


@dataclass
class SyncOutcome:
    shop_id: int
    kind: str
    streams: list[StreamOutcome] = field(default_factory=list)
    webhooks: dict | None = None
    webhooks_error: str | None = None
    touched: TouchedCustomers = field(default_factory=TouchedCustomers)

    @property
    def records(self) -> int:
        return sum(item.read for item in self.streams)

    def as_dict(self) -> dict:
        return {
            "shop_id": self.shop_id,
            "kind": self.kind,
            "records": self.records,
            "streams": [item.as_dict() for item in self.streams],
            "webhooks": self.webhooks,
            "webhooks_error": self.webhooks_error,
        }


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


class StreamReader:
    """One stream of one shop: pages in, batches to ingest, progress out."""

    def __init__(
        self,
        session: Session,
        sessions: sessionmaker[Session],
        shop: Shop,
        client: WooCommerceClient,
        outcome: StreamOutcome,
        touched: TouchedCustomers,
        batch_records: int = BATCH_RECORDS,
    ):
        self.session = session
        self.sessions = sessions
        self.shop = shop
        self.client = client
        self.outcome = outcome
        self.touched = touched
        self.batch_records = batch_records
        self.map = MAPPERS[outcome.stream]
        self.upsert = UPSERTS[outcome.stream]
        self.max_id = 0

    def records(self, pages: Iterator) -> Iterator:
        for page in pages:
            if self.outcome.total is None and page.total is not None:
                self.outcome.total = page.total
            for item in page.items:
                self.outcome.read += 1
                try:
                    record = self.map(item)
                except MappingError as error:
                    self.refuse(str(error))
                    continue
                if str(record.external_id).isdigit():
                    self.max_id = max(self.max_id, int(record.external_id))
                yield record

    def refuse(self, message: str) -> None:
        self.outcome.refused += 1
        self.outcome.last_error = message
        log.warning("woocommerce sync of %s: %s", self.shop.domain, message)

    def run(self, pages: Iterator, stop: Callable[[object], bool] | None = None) -> None:
        batch: list = []
        for record in self.records(pages):
            if stop is not None and stop(record):
                break
            batch.append(record)
            if len(batch) >= self.batch_records:
                self.flush(batch)
                batch = []
        if batch:
            self.flush(batch)

    def flush(self, batch: list) -> None:
        """Ingest one batch in its own transaction; a record ingest refuses is set aside."""
        kept: dict[str, object] = {}
        for record in batch:  # a statement cannot upsert one row twice: keep the last
            kept[record.external_id] = record
        entries = list(kept.values())
        while entries:
            try:
                result = self.upsert(self.session, self.shop, entries, batch_size=len(entries))
                self.session.commit()
                break
            except IngestError as error:
                self.session.rollback()
                refused = [r for r in entries if str(r.external_id) == str(error.external_id)]
                if not refused:
                    raise
                entries = [r for r in entries if r not in refused]
                self.refuse(str(error))
            except BaseException:
                self.session.rollback()
                raise
        else:
            result = None
        if result is not None:
            self.outcome.written += result.inserted + result.updated
            self.touched.add(result.customer_ids)
        record_progress(
            self.sessions,
            self.outcome.run_id,
            done=self.outcome.read - self.outcome.refused,
            total=self.outcome.total,
            errors=self.outcome.refused,
            last_error=self.outcome.last_error,
        )


def _stream_pages(client: WooCommerceClient, stream: str, kind: str, cursors: dict):
    """The pages a stream reads, and (customers, incremental) where to stop."""
    params = {"orderby": "id", "order": "asc"}
    if stream == "customers":
        # Every role: a wholesale buyer or a subscriber who orders is a customer to us.
        params["role"] = "all"
        known = int(cursors.get(CUSTOMERS_MAX_ID) or 0)
        if kind == "incremental" and known:
            params["order"] = "desc"
            # Newest first, stopping at the first known id: one page, no read-ahead.
            return client.pages("customers", params), (
                lambda record: int(record.external_id) <= known
            )
        return client.pages("customers", params, workers=PAGE_READERS), None
    since = cursors.get(CURSOR.format(stream=stream))
    if kind == "incremental" and since:
        start = datetime.fromisoformat(since) - OVERLAP
        params.update({"modified_after": _iso(start), "dates_are_gmt": "true"})
    return client.pages(stream, params, workers=PAGE_READERS), None


def sync_shop(
    sessions: sessionmaker[Session],
    settings: Settings,
    shop_id: int,
    *,
    kind: str = "full",
    streams=STREAMS,
    job_id: str | None = None,
    client: WooCommerceClient | None = None,
    batch_records: int = BATCH_RECORDS,
) -> SyncOutcome:
    """Read the shop's streams into the store; see the module docstring for the cursors.

    A stream that fails (the store refusing us, or failing after every retry) fails its run
    and the runs after it, and the error is raised, so the job is retried; the cursors of
    the streams already done are kept.
    """
    if kind not in ("full", "incremental"):
        raise ValueError(f"kind must be full or incremental, not {kind!r}")
    session = sessions()
    try:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise WooCommerceSyncError(f"no shop with id {shop_id}")
        client = client or client_for(settings, shop)
        outcome = SyncOutcome(shop_id, kind)
        runs = {name: queue_run(sessions, shop_id, f"woocommerce:{name}", kind) for name in streams}
        try:
            outcome.webhooks = check_webhooks(session, settings, shop, client)
            session.commit()
        except Exception as error:  # a sync without webhooks still syncs; the admin shows it
            session.rollback()
            outcome.webhooks_error = str(error)
            log.warning("woocommerce webhooks of %s not checked: %s", shop.domain, error)
        for position, name in enumerate(streams):
            stream = StreamOutcome(name, runs[name])
            outcome.streams.append(stream)
            started_at = utcnow()
            start_run(sessions, stream.run_id, job_id)
            began = time.monotonic()
            reader = StreamReader(
                session, sessions, shop, client, stream, outcome.touched, batch_records
            )
            try:
                cursors = dict(shop.sync_cursors or {})
                pages, stop = _stream_pages(client, name, kind, cursors)
                reader.run(prefetched(pages), stop)
                cursors = dict(shop.sync_cursors or {})
                if name == "customers":
                    cursors[CUSTOMERS_MAX_ID] = max(
                        int(cursors.get(CUSTOMERS_MAX_ID) or 0), reader.max_id
                    )
                else:
                    cursors[CURSOR.format(stream=name)] = _iso(started_at)
                shop.sync_cursors = cursors
                session.commit()
            except Exception as error:
                session.rollback()
                stream.seconds = time.monotonic() - began
                fail_run(sessions, stream.run_id, error)
                for later in streams[position + 1 :]:
                    fail_run(sessions, runs[later], f"not run: {name} failed first")
                raise
            stream.seconds = time.monotonic() - began
            finish_run(
                sessions,
                stream.run_id,
                done=stream.read - stream.refused,
                errors=stream.refused,
                last_error=stream.last_error,
            )
        state = dict(shop.settings or {})
        woo = dict(state.get("woocommerce") or {})
        woo[f"last_{kind}_sync_at"] = utcnow().isoformat()
        state["woocommerce"] = woo
        shop.settings = state
        session.commit()
        refresh_segments(settings, shop_id, outcome.touched)
        return outcome
    finally:
        session.close()


def full_sync_job(shop_id: int) -> dict:
    """The full backfill as a job: every product, customer and order."""
    return sync_shop(
        job_sessions(), job_settings(), shop_id, kind="full", job_id=current_job_id()
    ).as_dict()


def incremental_sync_job(shop_id: int) -> dict:
    """The catch-up as a job: what changed since the last pass (and new customers)."""
    return sync_shop(
        job_sessions(), job_settings(), shop_id, kind="incremental", job_id=current_job_id()
    ).as_dict()


def enqueue_sync(settings: Settings, shop_id: int, kind: str = "full"):
    job = full_sync_job if kind == "full" else incremental_sync_job
    return enqueue(
        settings,
        job,
        shop_id,
        job_id=f"woocommerce-sync-{shop_id}",
        description=f"WooCommerce {kind} sync of shop {shop_id}",
    )
