"""What a merchant wants to know about syncing: is it running, how far, how fast, when done.

Read from sync_runs (sync/runs.py writes progress in its own transactions, so these reads
see a run moving while it works). Speed is records per second since the run started,
the ETA what remains at that speed; a last error is put in plain words when it is one of
the usual ones (the raw text stays available for support).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.store import SyncRun, utcnow

# (pattern in the raw error, plain words): first match wins.
PLAIN_ERRORS = (
    (
        r"\b429\b|rate.?limit|throttl",
        _l("The platform asked us to slow down; the sync waits and resumes by itself."),
    ),
    (
        r"\b401\b|unauthori[sz]ed|invalid.*token|access.?token",
        _l("The shop refused our access: reinstall Cible from the shop's back office to renew it."),
    ),
    (
        r"\b403\b|forbidden|scope",
        _l("The shop did not grant Cible access to this data: approve the permissions again."),
    ),
    (
        r"\b404\b|not found",
        _l("The shop's address did not answer as expected: check the shop's domain in Settings."),
    ),
    (
        r"\b5\d\d\b|server error|bad gateway|unavailable",
        _l("The platform had a temporary problem; the sync will try again."),
    ),
    (r"timed? ?out|timeout", _l("The platform took too long to answer; the sync will try again.")),
    (
        r"connection|resolve|refused|network",
        _l("Cible could not reach the shop: check that it is online and its address is right."),
    ),
    (
        r"csv|column|delimiter|encoding",
        _l("A file could not be read: check its columns and encoding (UTF-8)."),
    ),
)


def plain_error(raw: str | None) -> str | None:
    """The usual causes in words a merchant can act on; the raw message otherwise."""
    if not raw:
        return None
    for pattern, words in PLAIN_ERRORS:
        if re.search(pattern, raw, re.IGNORECASE):
            return str(words)
    return raw.splitlines()[0][:300]


@dataclass
class RunProgress:
    id: int
    stream: str
    kind: str
    status: str
    done: int
    total: int | None
    errors: int
    percent: float | None
    per_second: float | None
    eta_seconds: int | None
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    raw_error: str | None

    def as_json(self) -> dict:
        def iso(moment):
            return moment.isoformat() + "Z" if moment else None

        return {
            "id": self.id,
            "stream": self.stream,
            "kind": self.kind,
            "status": self.status,
            "records_done": self.done,
            "records_total": self.total,
            "errors": self.errors,
            "percent": self.percent,
            "per_second": self.per_second,
            "eta_seconds": self.eta_seconds,
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "error": self.error,
            "raw_error": self.raw_error,
        }


def progress_of(run: SyncRun, now: datetime | None = None) -> RunProgress:
    now = now or utcnow()
    done = run.records_done or 0
    total = run.records_total
    percent = min(100.0, round(100.0 * done / total, 1)) if total else None
    if run.status == "succeeded" and total is None:
        percent = 100.0
    per_second = eta = None
    if run.started_at is not None:
        end = run.finished_at or (run.heartbeat_at if run.status != "running" else now) or now
        seconds = max((end - run.started_at).total_seconds(), 0.001)
        if done:
            per_second = round(done / seconds, 1)
        if run.status == "running" and total and per_second:
            eta = int(max(0, total - done) / per_second)
    return RunProgress(
        id=run.id,
        stream=run.stream,
        kind=run.kind,
        status=run.status,
        done=done,
        total=total,
        errors=run.errors_count or 0,
        percent=percent,
        per_second=per_second,
        eta_seconds=eta,
        started_at=run.started_at or run.created_at,
        finished_at=run.finished_at,
        error=plain_error(run.last_error),
        raw_error=run.last_error,
    )


def latest_progress(session: Session, shop_id: int, limit: int = 8) -> list[RunProgress]:
    """The newest runs (running ones first) with their progress figures."""
    runs = session.scalars(
        select(SyncRun)
        .where(SyncRun.shop_id == shop_id)
        .order_by(SyncRun.created_at.desc(), SyncRun.id.desc())
        .limit(limit)
    )
    found = [progress_of(run) for run in runs]
    return sorted(found, key=lambda run: run.status not in ("running", "queued"))


def duration_words(seconds: int | None) -> str:
    """A short duration: '45 s', '3 min', '1 h 20 min' (same in French and English)."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
