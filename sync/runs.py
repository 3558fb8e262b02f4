"""A sync run's life: queued -> running -> succeeded | failed, each transition one function.

Runs are written in their own short transactions (a separate session), so that progress
is visible to the admin and the CLI while the run's data is still being written, and a
failure is recorded even when the run's own transaction rolls back.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sync.store import SyncRun, utcnow


def queue_run(sessions: sessionmaker[Session], shop_id: int, stream: str, kind: str) -> int:
    with sessions.begin() as session:
        run = SyncRun(shop_id=shop_id, stream=stream, kind=kind, status="queued")
        session.add(run)
        session.flush()
        return run.id


def start_run(sessions: sessionmaker[Session], run_id: int, job_id: str | None = None) -> None:
    with sessions.begin() as session:
        run = session.get(SyncRun, run_id)
        run.status = "running"
        run.job_id = job_id
        run.started_at = run.heartbeat_at = utcnow()
        run.finished_at = None


def record_progress(
    sessions: sessionmaker[Session],
    run_id: int,
    *,
    done: int,
    total: int | None = None,
    errors: int | None = None,
    last_error: str | None = None,
) -> None:
    with sessions.begin() as session:
        run = session.get(SyncRun, run_id)
        run.records_done = done
        if total is not None:
            run.records_total = total
        if errors is not None:
            run.errors_count = errors
        if last_error is not None:
            run.last_error = last_error[:4000]
        run.heartbeat_at = utcnow()


def finish_run(
    sessions: sessionmaker[Session], run_id: int, *, done: int, errors: int = 0, last_error=None
) -> None:
    with sessions.begin() as session:
        run = session.get(SyncRun, run_id)
        run.status = "succeeded"
        run.records_done = done
        run.errors_count = errors
        run.last_error = last_error[:4000] if last_error else None
        run.finished_at = run.heartbeat_at = utcnow()


def fail_run(sessions: sessionmaker[Session], run_id: int, error: BaseException | str) -> None:
    with sessions.begin() as session:
        run = session.get(SyncRun, run_id)
        run.status = "failed"
        run.last_error = (str(error) or error.__class__.__name__)[:4000]
        run.finished_at = run.heartbeat_at = utcnow()


def latest_runs(session: Session, shop_id: int, limit: int = 20) -> list[SyncRun]:
    return list(
        session.scalars(
            select(SyncRun)
            .where(SyncRun.shop_id == shop_id)
            .order_by(SyncRun.created_at.desc(), SyncRun.id.desc())
            .limit(limit)
        )
    )
