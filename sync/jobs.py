"""Job functions (RQ or inline): plain functions that take ids and open their own session."""

from __future__ import annotations

from sync.queue import current_job_id, job_sessions
from sync.runs import fail_run, finish_run, queue_run, start_run


def recompute_statistics(shop_id: int, run_id: int | None = None) -> int:
    """Recompute every customer's statistics of a shop from its orders.

    Ingest keeps statistics current for the customers it touches; this whole-shop pass is
    for after a change of the counting rules or a manual repair of the orders table.
    Returns the number of customers updated; the run records it.
    """
    from sync.ingest import recompute_customer_statistics

    factory = job_sessions()
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
