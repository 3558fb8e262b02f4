"""Job functions (RQ or inline): plain functions that take ids and open their own session."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from sync.queue import job_settings
from sync.runs import fail_run, finish_run, queue_run, start_run
from sync.store import session_factory


def sessions() -> sessionmaker[Session]:
    """The session factory for the database of the settings this job runs with."""
    return session_factory(job_settings().resolved_database_url())


def current_job_id() -> str | None:
    from rq import get_current_job

    job = get_current_job()
    return job.id if job is not None else None


def recompute_statistics(shop_id: int, run_id: int | None = None) -> int:
    """Recompute every customer's statistics of a shop from its orders.

    Ingest keeps statistics current for the customers it touches; this whole-shop pass is
    for after a change of the counting rules or a manual repair of the orders table.
    Returns the number of customers updated; the run records it.
    """
    from sync.ingest import recompute_customer_statistics

    factory = sessions()
    run_id = run_id or queue_run(factory, shop_id, "statistics", "recompute")
    start_run(factory, run_id, current_job_id())
    try:
        with factory.begin() as session:
            updated = recompute_customer_statistics(session, shop_id)
    except Exception as error:
        fail_run(factory, run_id, error)
        raise
    finish_run(factory, run_id, done=updated)
    return updated
