"""Shopify data sync jobs: the backfill (bulk operations) and incremental windows.

`backfill(shop_id)` reads everything with bulk operations (plain cursor pagination stops at
25,000 objects): the four bulk queries are started together (Shopify runs up to five at
once per shop since 2026-01), so Shopify prepares the later results while we ingest the
earlier ones; each result is streamed to a temporary file and ingested in batches, one
transaction per batch. Orders come in two passes over the file (the orders, then their line
items by `__parentId`), so memory stays flat whatever the shop's size. The bookmark of each
stream is then set to the moment the backfill started: the incremental sync resumes there,
so nothing changed during the backfill is missed.

`sync_incremental(shop_id)` reads each stream in windows of `updated_at` from its bookmark
(connectors.shopify.streams), saving the bookmark in `shops.sync_cursors` after each
complete window.

Each stream of each job is a SyncRun (stream `shopify:<name>`) with records done and total
and a heartbeat a person can watch; progress lines with the rate go to the log (or to
`report`). A shop without `read_all_orders` only shows 60 days of orders: the orders run
and the shop's Shopify warnings say so in plain words. Touched customers get their segments
re-checked at the end (sync.segments.refresh).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors import readahead
from connectors.shopify import bulk, mapping
from connectors.shopify.graphql import GraphQLClient
from connectors.shopify.streams import (
    ORDER,
    STREAMS,
    Page,
    WindowDone,
    isoformat,
    parse_bookmark,
    read_incremental,
)
from sync.ingest import (
    upsert_carts,
    upsert_customers,
    upsert_order_lines,
    upsert_orders,
    upsert_products,
)
from sync.ingest.result import IngestError, IngestResult
from sync.ingest.writer import batch_size_for
from sync.queue import current_job_id, job_sessions, job_settings, rq_queue
from sync.runs import fail_run, finish_run, queue_run, record_progress, start_run
from sync.secrets import SecretBox
from sync.segments.refresh import TouchedCustomers, refresh_segments
from sync.settings import Settings
from sync.shopify_app import ALL_ORDERS_SCOPE, MISSING_ALL_ORDERS
from sync.shops import read_credentials
from sync.store import Shop, utcnow

log = logging.getLogger(__name__)

UPSERTS = {
    "products": upsert_products,
    "customers": upsert_customers,
    "orders": upsert_orders,
    "checkouts": upsert_carts,
}
PROGRESS_SECONDS = 2.0
# Shopify's search index trails writes by a few seconds: windows stop this far before now.
DEFAULT_LAG = timedelta(seconds=30)
DEFAULT_WINDOW = timedelta(days=1)


class ShopifySyncError(RuntimeError):
    """A sync that cannot run: unknown shop, not a Shopify shop, uninstalled."""


@dataclass
class StreamOutcome:
    stream: str
    run_id: int
    status: str = "queued"
    records: int = 0
    errors: int = 0
    seconds: float = 0.0
    error: str | None = None

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


@dataclass
class SyncOutcome:
    shop_id: int
    kind: str
    streams: list[StreamOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    touched: TouchedCustomers = field(default_factory=TouchedCustomers)

    @property
    def records(self) -> int:
        return sum(item.records for item in self.streams)

    @property
    def ok(self) -> bool:
        return all(item.status == "succeeded" for item in self.streams)

    def as_dict(self) -> dict:
        return {
            "shop_id": self.shop_id,
            "kind": self.kind,
            "ok": self.ok,
            "records": self.records,
            "warnings": list(self.warnings),
            "streams": [
                {
                    "stream": s.stream,
                    "run_id": s.run_id,
                    "status": s.status,
                    "records": s.records,
                    "errors": s.errors,
                    "seconds": round(s.seconds, 3),
                    "records_per_second": round(s.rate),
                    "error": s.error,
                }
                for s in self.streams
            ],
        }


def _log(message: str) -> None:
    log.info("%s", message)


def make_client(settings: Settings, sessions: sessionmaker[Session], shop_id: int, **kwargs):
    """A GraphQL client for the shop whose tokens come from sync.shopify_tokens (refreshed
    before expiry, or at once when Shopify answers 401)."""
    from sync.shopify_tokens import access_token

    with sessions() as session:
        domain = session.get(Shop, shop_id).domain

    def provide(force_refresh: bool) -> str:
        with sessions() as session:
            shop = session.get(Shop, shop_id)
            return access_token(session, shop, settings, force_refresh=force_refresh)

    return GraphQLClient(
        domain,
        provide,
        api_version=settings.shopify_api_version,
        base_url=settings.shopify_base_url or None,
        **kwargs,
    )


def granted_scopes(settings: Settings, shop: Shop) -> set[str]:
    credentials = read_credentials(shop, SecretBox.from_settings(settings))
    return {s.strip() for s in (credentials.get("scope") or "").split(",") if s.strip()}


def note_scope_warning(session: Session, shop: Shop, scopes: set[str]) -> str | None:
    """Without read_all_orders, say so on the shop (the admin shows Shopify warnings)."""
    values = dict((shop.settings or {}).get("shopify") or {})
    warnings = [w for w in values.get("warnings") or [] if w != MISSING_ALL_ORDERS]
    missing = ALL_ORDERS_SCOPE not in scopes
    if missing:
        warnings.append(MISSING_ALL_ORDERS)
    if warnings != (values.get("warnings") or []):
        values["warnings"] = warnings
        shop.settings = {**(shop.settings or {}), "shopify": values}
    return MISSING_ALL_ORDERS if missing else None


def save_bookmark(sessions: sessionmaker[Session], shop_id: int, stream: str, moment) -> None:
    """The stream's bookmark, in its own short transaction (after the window's data)."""
    with sessions.begin() as session:
        shop = session.get(Shop, shop_id)
        shop.sync_cursors = {**(shop.sync_cursors or {}), stream: isoformat(moment)}


class StreamIngest:
    """Batches of one stream's records into ingest, with the run's progress kept current."""

    def __init__(
        self,
        session: Session,
        sessions: sessionmaker[Session],
        shop: Shop,
        outcome: StreamOutcome,
        touched: TouchedCustomers,
        report: Callable[[str], None],
        label: str,
    ):
        self.session = session
        self.sessions = sessions
        self.shop = shop
        self.outcome = outcome
        self.touched = touched
        self.report = report
        self.label = label
        self.started = time.monotonic()
        self.last_progress = 0.0
        self.total: int | None = None
        self.last_error: str | None = None

    def refuse(self, message: str) -> None:
        self.outcome.errors += 1
        self.last_error = message
        log.warning("%s", message)

    def write(self, upsert, records: list) -> None:
        """One batch in one transaction; a record ingest refuses is set aside, not the batch."""
        while records:
            try:
                result: IngestResult = upsert(
                    self.session, self.shop, records, batch_size=max(len(records), 1)
                )
                self.session.commit()
                break
            except IngestError as error:
                self.session.rollback()
                kept = [r for r in records if _key(r) != str(error.external_id)]
                if len(kept) == len(records):
                    raise
                self.refuse(f"{self.label}: {error}")
                records = kept
            except BaseException:
                self.session.rollback()
                raise
        else:
            return
        self.outcome.records += len(records)
        self.touched.add(result.customer_ids)
        self.progress()

    def progress(self, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last_progress < PROGRESS_SECONDS:
            return
        self.last_progress = now
        elapsed = max(now - self.started, 1e-6)
        self.outcome.seconds = elapsed
        record_progress(
            self.sessions,
            self.outcome.run_id,
            done=self.outcome.records,
            total=self.total,
            errors=self.outcome.errors,
            last_error=self.last_error,
        )
        of = f" of {self.total:,}" if self.total else ""
        self.report(
            f"{self.label}: {self.outcome.records:,}{of} records "
            f"{'done' if final else 'so far'} in {elapsed:.1f} s "
            f"({self.outcome.records / elapsed:,.0f} records/s)"
        )


def _key(record) -> str:
    """The id an IngestError names a record by."""
    if hasattr(record, "line_key"):
        return f"{record.order_external_id}/{record.line_key}"
    return record.external_id


def _batches(objects: Iterable[dict], to_record, size: int, on_error: Callable[[str], None]):
    """Shopify objects mapped to records, `size` at a time; an unmappable one is reported
    (MappingError names it) and skipped."""
    batch = []
    for node in objects:
        try:
            batch.append(to_record(node))
        except mapping.MappingError as error:
            on_error(str(error))
            continue
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Job:
    """What both jobs share: the shop, the runs, the outcome, failure handling."""

    def __init__(self, settings, sessions, shop_id: int, kind: str, *, report, job_id, client):
        self.settings = settings
        self.sessions = sessions
        self.shop_id = shop_id
        self.kind = kind
        self.report = report
        self.job_id = job_id
        self.session = sessions()
        shop = self.session.get(Shop, shop_id)
        if shop is None:
            self.session.close()
            raise ShopifySyncError(f"no shop with id {shop_id}")
        if shop.platform != "shopify":
            self.session.close()
            raise ShopifySyncError(f"shop {shop.domain} is a {shop.platform} shop, not Shopify")
        if shop.uninstalled_at is not None:
            self.session.close()
            raise ShopifySyncError(f"shop {shop.domain} uninstalled the app: nothing to sync")
        self.shop = shop
        self.outcome = SyncOutcome(shop_id, kind)
        self.client = client or make_client(settings, sessions, shop_id)
        self.batch_size = batch_size_for(self.session, None, 2000)
        self.scope_warning = note_scope_warning(self.session, shop, granted_scopes(settings, shop))
        if self.scope_warning:
            self.outcome.warnings.append(self.scope_warning)
            self.report(f"{shop.domain}: {self.scope_warning}")
        self.session.commit()
        self.outcomes = {
            name: StreamOutcome(
                f"shopify:{name}", queue_run(sessions, shop_id, f"shopify:{name}", kind)
            )
            for name in ORDER
        }
        self.outcome.streams = list(self.outcomes.values())

    def ingest_for(self, name: str) -> StreamIngest:
        return StreamIngest(
            self.session,
            self.sessions,
            self.shop,
            self.outcomes[name],
            self.outcome.touched,
            self.report,
            f"{self.shop.domain} {self.kind} {name}",
        )

    def finish(self, name: str, ingest: StreamIngest) -> None:
        outcome = self.outcomes[name]
        ingest.progress(final=True)
        note = ingest.last_error
        if name == "orders" and self.scope_warning:
            note = self.scope_warning if not note else f"{self.scope_warning} | {note}"
        finish_run(
            self.sessions,
            outcome.run_id,
            done=outcome.records,
            errors=outcome.errors,
            last_error=note,
        )
        outcome.status = "succeeded"

    def fail(self, name: str, error: BaseException) -> None:
        """This stream and those not yet run fail with the reason."""
        self.session.rollback()
        failed = False
        for other in ORDER:
            outcome = self.outcomes[other]
            if other == name:
                failed = True
                outcome.status, outcome.error = "failed", str(error)
                fail_run(self.sessions, outcome.run_id, error)
            elif failed and outcome.status == "queued":
                outcome.status = "failed"
                outcome.error = f"not run: {name} failed first"
                fail_run(self.sessions, outcome.run_id, outcome.error)

    def close(self) -> None:
        self.session.close()


def run_backfill(
    settings: Settings,
    sessions: sessionmaker[Session],
    shop_id: int,
    *,
    report: Callable[[str], None] = _log,
    job_id: str | None = None,
    client: GraphQLClient | None = None,
    directory: str | None = None,
) -> SyncOutcome:
    """Everything of every stream through bulk operations; see the module docstring."""
    job = Job(settings, sessions, shop_id, "backfill", report=report, job_id=job_id, client=client)
    try:
        started_at = datetime.now(UTC).replace(microsecond=0)
        operations = {}
        current = None
        try:
            for name in ORDER:
                current = name
                operations[name] = bulk.start(job.client, STREAMS[name].bulk_query)
        except Exception as error:
            job.fail(current, error)
            raise
        for name in ORDER:
            outcome = job.outcomes[name]
            start_run(sessions, outcome.run_id, job_id)
            ingest = job.ingest_for(name)
            path = None
            try:

                def on_poll(operation, ingest=ingest, run_id=outcome.run_id, name=name):
                    ingest.total = _expected(name, operation) or None
                    record_progress(sessions, run_id, done=0, total=ingest.total)

                operation = bulk.wait(
                    job.client, operations[name], on_poll=on_poll, sleep=job.client.sleep
                )
                ingest.total = _expected(name, operation)
                path = bulk.download(job.client, operation.url, directory)
                _ingest_bulk_file(job, name, path, ingest)
                job.finish(name, ingest)
                save_bookmark(sessions, shop_id, name, started_at)
            except Exception as error:
                job.fail(name, error)
                raise
            finally:
                if path and os.path.exists(path):
                    os.unlink(path)
        report(f"{job.shop.domain}: backfill done, {job.outcome.records:,} records")
        return job.outcome
    finally:
        job.close()


def prefetched(batches: Iterator[list], depth: int = 2) -> Iterator[list]:
    """Batches read and mapped by a thread while the caller writes the previous ones."""
    return readahead.prefetched(batches, depth, name="shopify-bulk-reader")


def _expected(name: str, operation: bulk.BulkOperation) -> int:
    """Records the stream will write: orders and their lines are written apart (both count);
    products and checkouts are written with their variants and lines inside."""
    if name in ("products", "checkouts"):
        return operation.root_object_count
    return operation.object_count


def _ingest_bulk_file(job: Job, name: str, path: str, ingest: StreamIngest) -> None:
    stream = STREAMS[name]
    size = job.batch_size
    refuse = ingest.refuse
    if name == "orders":
        for batch in prefetched(_batches(bulk.parents(path), mapping.order, size, refuse)):
            ingest.write(upsert_orders, batch)
        for batch in prefetched(_batches(bulk.children(path), mapping.line_item, size, refuse)):
            ingest.write(upsert_order_lines, batch)
        return
    objects = bulk.read(path)
    if stream.child:
        objects = bulk.reassemble(objects, stream.child)
    for batch in prefetched(_batches(objects, stream.to_record, size, refuse)):
        ingest.write(UPSERTS[name], batch)


def run_incremental(
    settings: Settings,
    sessions: sessionmaker[Session],
    shop_id: int,
    *,
    report: Callable[[str], None] = _log,
    job_id: str | None = None,
    client: GraphQLClient | None = None,
    lag: timedelta = DEFAULT_LAG,
    window: timedelta = DEFAULT_WINDOW,
    limit: int | None = None,
    page_size: int | None = None,
) -> SyncOutcome:
    """Each stream from its bookmark in windows of `updated_at`; bookmark after each window.

    `limit` (objects a window may hold before it is split) and `page_size` default to
    Shopify's 25,000 and each stream's own size; tests make them small."""
    job = Job(
        settings, sessions, shop_id, "incremental", report=report, job_id=job_id, client=client
    )
    try:
        until = datetime.now(UTC).replace(microsecond=0) - lag
        cursors = dict(job.shop.sync_cursors or {})
        for name in ORDER:
            outcome = job.outcomes[name]
            bookmark = parse_bookmark(cursors.get(name))
            with sessions.begin() as session:
                from sync.store import SyncRun

                run = session.get(SyncRun, outcome.run_id)
                run.cursor_from = isoformat(bookmark) if bookmark else None
                run.cursor_to = isoformat(until)
            start_run(sessions, outcome.run_id, job_id)
            ingest = job.ingest_for(name)
            extra = {"limit": limit} if limit else {}
            stream = STREAMS[name]
            if page_size:
                stream = replace(stream, page_size=page_size)
            try:
                for item in read_incremental(
                    job.client, stream, bookmark, until, size=window, **extra
                ):
                    if isinstance(item, Page):
                        for message in item.errors:
                            ingest.refuse(message)
                        if item.records:
                            ingest.write(UPSERTS[name], item.records)
                    elif isinstance(item, WindowDone):
                        save_bookmark(sessions, shop_id, name, item.window.end)
                job.finish(name, ingest)
            except Exception as error:
                job.fail(name, error)
                raise
        return job.outcome
    finally:
        job.close()


def _as_job(kind: str, shop_id: int, **kwargs) -> dict:
    settings = job_settings()
    sessions = job_sessions()
    runner = run_backfill if kind == "backfill" else run_incremental
    try:
        outcome = runner(settings, sessions, shop_id, job_id=current_job_id(), **kwargs)
    except ShopifySyncError as error:
        log.warning("Shopify %s for shop %s not run: %s", kind, shop_id, error)
        return {"shop_id": shop_id, "kind": kind, "ok": False, "error": str(error)}
    refresh_segments(settings, shop_id, outcome.touched)
    return outcome.as_dict()


def backfill(shop_id: int) -> dict:
    """The backfill as a job (RQ or inline)."""
    return _as_job("backfill", shop_id)


def sync_incremental(shop_id: int, lag_seconds: int | None = None) -> dict:
    """The incremental sync as a job (RQ or inline). On RQ it schedules its next run, every
    INCREMENTAL_EVERY: webhooks carry changes within seconds; this catches what they miss."""
    lag = DEFAULT_LAG if lag_seconds is None else timedelta(seconds=lag_seconds)
    try:
        return _as_job("incremental", shop_id, lag=lag)
    finally:
        if current_job_id() is not None:
            schedule_incremental(shop_id, utcnow() + INCREMENTAL_EVERY)


INCREMENTAL_EVERY = timedelta(minutes=15)


def schedule_incremental(
    shop_id: int, at: datetime | None = None, settings: Settings | None = None
) -> str | None:
    """Schedule the shop's incremental sync on RQ (one job per shop and 15-minute slot);
    nothing without Redis (run `sync_incremental` from cron then)."""
    settings = settings or job_settings()
    if settings.jobs_inline:
        return None
    at = at or utcnow()
    slot = int(at.replace(tzinfo=UTC).timestamp() // INCREMENTAL_EVERY.total_seconds())
    job_id = f"shopify-incremental-{shop_id}-{slot}"
    queue = rq_queue(settings)
    if queue.fetch_job(job_id) is None:
        queue.enqueue_at(
            at.replace(tzinfo=UTC),
            sync_incremental,
            shop_id,
            job_id=job_id,
            description=f"Shopify incremental sync of shop {shop_id}",
        )
    return job_id


def schedule_all_incremental(
    session: Session, now: datetime | None = None, settings: Settings | None = None
) -> list[str]:
    """Every installed Shopify shop's next incremental sync (for `cible worker` at start)."""
    now = now or utcnow()
    shop_ids = session.scalars(
        select(Shop.id).where(Shop.platform == "shopify", Shop.uninstalled_at.is_(None))
    ).all()
    return [job for shop_id in shop_ids if (job := schedule_incremental(shop_id, now, settings))]
