"""CSV import of a shop's customers, orders and order lines: batches into ingest, runs recorded.

Files are checked (headers) all together before anything is written, then imported in the
order customers, orders, lines, so that orders find their buyers and lines their orders.
Each file streams: rows are validated one by one (connectors.csvfiles) and handed to ingest
in batches, one transaction per batch, so memory stays flat whatever the file size and a
crash loses at most one batch. Each file has a SyncRun (stream `csv:<kind>`) that a person
can watch: records done, refused lines, the last refusal, the heartbeat.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial

from sqlalchemy.orm import Session, sessionmaker

from connectors.csvfiles import CsvFile, CsvFileError, Refusal
from connectors.records import OrderLine
from sync.ingest import upsert_customers, upsert_order_lines, upsert_orders
from sync.ingest.result import IngestError, IngestResult
from sync.queue import current_job_id, job_sessions, job_settings
from sync.runs import fail_run, finish_run, queue_run, record_progress, start_run
from sync.segments.refresh import TouchedCustomers, refresh_segments
from sync.store import Shop

log = logging.getLogger(__name__)

BATCH_SIZE = 2000
PROGRESS_EVERY = 50_000
# Refusal messages kept in an outcome (and a job's result); the count is always exact.
KEPT_REFUSALS = 100
RUN_KIND = "import"
UPSERTS = {
    "customers": upsert_customers,
    "orders": upsert_orders,
    "lines": upsert_order_lines,
}


class CsvImportError(RuntimeError):
    """An import that could not start: unknown shop, no file, or files that cannot be read."""


@dataclass
class FileOutcome:
    kind: str
    path: str
    run_id: int | None = None
    status: str = "queued"
    read: int = 0
    imported: int = 0
    refused: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    error: str | None = None

    def summary(self) -> str:
        if self.status == "failed":
            return f"{self.path}: failed after {self.read} read: {self.error}"
        return (
            f"{self.path}: {self.read} read, {self.imported} imported, {self.refused} refused "
            f"({self.inserted} new, {self.updated} updated, {self.unchanged} unchanged)"
        )


@dataclass
class ImportOutcome:
    shop_id: int
    files: list[FileOutcome]
    refusals: list[str] = field(default_factory=list)
    # Customers whose profile, orders or statistics changed: their segments need a re-check.
    touched: TouchedCustomers = field(default_factory=TouchedCustomers)

    @property
    def refused(self) -> int:
        return sum(item.refused for item in self.files)

    @property
    def failed(self) -> bool:
        return any(item.status == "failed" for item in self.files)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.refused

    def as_dict(self) -> dict:
        return {
            "shop_id": self.shop_id,
            "ok": self.ok,
            "refused": self.refused,
            "files": [asdict(item) for item in self.files],
            "refusals": list(self.refusals),
        }


def _log(message: str) -> None:
    """Where refusals and progress go when nobody is watching (a job): the log."""
    log.info("%s", message)


def open_files(
    paths: dict[str, str | None], *, timezone: str, currency: str, imported_at: datetime
) -> dict[str, CsvFile]:
    """Every given file opened and its header checked; all problems reported together."""
    opened: dict[str, CsvFile] = {}
    problems: list[str] = []
    for kind in ("customers", "orders", "lines"):
        if not paths.get(kind):
            continue
        try:
            opened[kind] = CsvFile(
                paths[kind],
                kind,
                timezone=timezone,
                default_currency=currency,
                imported_at=imported_at,
            )
        except CsvFileError as error:
            problems.append(str(error))
    if problems:
        for csv_file in opened.values():
            csv_file.close()
        raise CsvImportError("\n".join(problems))
    return opened


def _latest(record) -> tuple:
    return (record.updated_at is not None, record.updated_at or datetime.min.replace(tzinfo=UTC))


def _deduplicated(kind: str, batch: list[tuple[int, object]]) -> list[tuple[int, object]]:
    """One record per key in a batch (a statement cannot upsert a row twice).

    Orders and customers keep the newest `updated_at` (the later row on a tie), the rule
    ingest applies across batches; lines keep the later row.
    """
    kept: dict[object, tuple[int, object]] = {}
    for line, record in batch:
        key = (record.order_external_id, record.line_key) if kind == "lines" else record.external_id
        previous = kept.get(key)
        if previous is not None and kind != "lines" and _latest(previous[1]) > _latest(record):
            continue
        kept.pop(key, None)
        kept[key] = (line, record)
    return list(kept.values())


def _record_keys(record) -> tuple[str, ...]:
    """The ids an IngestError may name a record by."""
    if isinstance(record, OrderLine):
        return (record.order_external_id, record.line_key)
    return (record.external_id,)


class FileImport:
    """One file's import: its batches, its run, its counts."""

    def __init__(
        self,
        session: Session,
        sessions: sessionmaker[Session],
        shop: Shop,
        csv_file: CsvFile,
        outcome: FileOutcome,
        *,
        batch_size: int,
        progress_every: int,
        report: Callable[[str], None],
        refusals: list[str],
        touched: TouchedCustomers,
        job_id: str | None = None,
    ):
        self.session = session
        self.sessions = sessions
        self.shop = shop
        self.csv_file = csv_file
        self.outcome = outcome
        self.batch_size = batch_size
        self.progress_every = progress_every
        self.report = report
        self.refusals = refusals
        self.touched = touched
        self.upsert = UPSERTS[csv_file.kind]
        self.job_id = job_id
        self.last_error: str | None = None
        self.ingest_refused = 0
        self.started = time.monotonic()

    def refuse(self, message: str) -> None:
        self.report(message)
        self.last_error = message
        if len(self.refusals) < KEPT_REFUSALS:
            self.refusals.append(message)

    def run(self) -> None:
        outcome, csv_file = self.outcome, self.csv_file
        start_run(self.sessions, outcome.run_id, self.job_id)
        batch: list[tuple[int, object]] = []
        next_progress = self.progress_every
        for item in csv_file:
            if isinstance(item, Refusal):
                self.refuse(str(item))
            else:
                batch.append((csv_file.line, item))
                if len(batch) >= self.batch_size:
                    self.flush(batch)
                    batch = []
            if csv_file.rows_read >= next_progress:
                next_progress += self.progress_every
                self.progress()
        if batch:
            self.flush(batch)
        self.progress(final=True)
        self.count()
        finish_run(
            self.sessions,
            outcome.run_id,
            done=outcome.imported,
            errors=outcome.refused,
            last_error=self.last_error,
        )
        outcome.status = "succeeded"

    def count(self) -> None:
        outcome, csv_file = self.outcome, self.csv_file
        outcome.read = csv_file.rows_read
        outcome.refused = csv_file.rows_refused + self.ingest_refused
        outcome.imported = outcome.read - outcome.refused
        outcome.seconds = round(time.monotonic() - self.started, 3)

    def progress(self, *, final: bool = False) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rows = self.csv_file.rows_read
        verb = "done" if final else "so far"
        self.report(
            f"{self.csv_file.name}: {rows:,} rows {verb} in {elapsed:.1f} s "
            f"({rows / elapsed:,.0f} rows/s)"
        )

    def flush(self, batch: list[tuple[int, object]]) -> None:
        """Ingest one batch in its own transaction; a record ingest refuses is set aside."""
        kind = self.csv_file.kind
        entries = _deduplicated(kind, batch)
        while True:
            try:
                result: IngestResult = self.upsert(
                    self.session,
                    self.shop,
                    [record for _, record in entries],
                    batch_size=max(len(entries), 1),
                )
                self.session.commit()
                break
            except IngestError as error:
                # Our schemas check what ingest checks; should ingest still refuse a
                # record, that row is refused like any other and the batch goes on.
                self.session.rollback()
                refused = [e for e in entries if str(error.external_id) in _record_keys(e[1])]
                if not refused:
                    raise
                entries = [e for e in entries if e not in refused]
                for line, _record in refused:
                    self.ingest_refused += 1
                    self.refuse(str(Refusal(self.csv_file.name, line, error.reason)))
            except BaseException:
                self.session.rollback()
                raise
        self.outcome.inserted += result.inserted
        self.outcome.updated += result.updated
        self.outcome.unchanged += result.unchanged_or_stale
        self.touched.add(result.customer_ids)
        self.count_progress()

    def count_progress(self) -> None:
        refused = self.csv_file.rows_refused + self.ingest_refused
        record_progress(
            self.sessions,
            self.outcome.run_id,
            done=self.csv_file.rows_read - refused,
            errors=refused,
            last_error=self.last_error,
        )


def import_csv(
    sessions: sessionmaker[Session],
    shop_id: int,
    *,
    customers: str | None = None,
    orders: str | None = None,
    lines: str | None = None,
    batch_size: int = BATCH_SIZE,
    progress_every: int = PROGRESS_EVERY,
    report: Callable[[str], None] = _log,
    job_id: str | None = None,
) -> ImportOutcome:
    """Import the given files into a shop; refused lines are reported and skipped.

    `report` receives each refusal (`file:line: reason`) and progress line as it happens;
    `job_id` (the RQ job running the import, if any) is recorded in the runs.
    Raises CsvImportError when nothing can be imported (unknown shop, no file, unreadable
    file or header): then no row of any file has been written. A database failure marks
    the running file's run (and those not yet run) failed and is raised.
    """
    paths = {"customers": customers, "orders": orders, "lines": lines}
    if not any(paths.values()):
        raise CsvImportError("nothing to import: give --customers, --orders and/or --lines")
    session = sessions()
    try:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise CsvImportError(f"no shop with id {shop_id}")
        timezone, currency = shop.timezone, shop.currency
        session.commit()
        outcomes = [FileOutcome(kind, str(path)) for kind, path in paths.items() if path]
        for outcome in outcomes:
            outcome.run_id = queue_run(sessions, shop_id, f"csv:{outcome.kind}", RUN_KIND)
        result = ImportOutcome(shop_id, outcomes)
        try:
            opened = open_files(
                paths,
                timezone=timezone,
                currency=currency,
                imported_at=datetime.now(UTC).replace(microsecond=0),
            )
        except CsvImportError as error:
            for outcome in outcomes:
                outcome.status, outcome.error = "failed", str(error)
                fail_run(sessions, outcome.run_id, error)
            raise
        start = partial(
            FileImport,
            session,
            sessions,
            shop,
            batch_size=batch_size,
            progress_every=progress_every,
            report=report,
            refusals=result.refusals,
            touched=result.touched,
            job_id=job_id,
        )
        try:
            _import_opened(sessions, opened, result, start, report)
        finally:
            for csv_file in opened.values():
                csv_file.close()
        return result
    finally:
        session.close()


def _import_opened(sessions, opened: dict[str, CsvFile], result: ImportOutcome, start, report):
    """Each file in turn; a failure fails its run and the runs of the files after it."""
    for position, outcome in enumerate(result.files):
        csv_file = opened[outcome.kind]
        if csv_file.ignored_columns:
            report(
                f"{csv_file.name}: columns ignored (not part of the {outcome.kind} format): "
                f"{', '.join(csv_file.ignored_columns)}"
            )
        importer: FileImport = start(csv_file, outcome)
        try:
            importer.run()
        except Exception as error:
            importer.count()
            outcome.status, outcome.error = "failed", str(error)
            fail_run(sessions, outcome.run_id, error)
            for later in result.files[position + 1 :]:
                later.status = "failed"
                later.error = f"not imported: {csv_file.name} failed first"
                fail_run(sessions, later.run_id, later.error)
            raise


def import_files(
    shop_id: int,
    customers: str | None = None,
    orders: str | None = None,
    lines: str | None = None,
) -> dict:
    """The import as a job (RQ or inline): paths on a disk the worker can read.

    Refusals and progress go to the log; the returned dict (ImportOutcome.as_dict) keeps
    the counts and the first refusals. Files that cannot be imported at all give a result
    with `ok` false and `error` rather than an exception, since retrying cannot fix them.
    """
    settings = job_settings()
    sessions = job_sessions()
    try:
        outcome = import_csv(
            sessions,
            shop_id,
            customers=customers,
            orders=orders,
            lines=lines,
            job_id=current_job_id(),
        )
    except CsvImportError as error:
        log.warning("CSV import for shop %s refused: %s", shop_id, error)
        return {"shop_id": shop_id, "ok": False, "error": str(error), "files": [], "refusals": []}
    for item in outcome.files:
        log.info("%s", item.summary())
    refresh_segments(settings, shop_id, outcome.touched)
    return outcome.as_dict()
