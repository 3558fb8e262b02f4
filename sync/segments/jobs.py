"""Segment jobs (RQ or inline): full evaluation, incremental re-checks, the daily run.

Jobs take ids, open their own session from `job_settings()`, and commit per segment so
a long shop evaluation makes progress a person can watch (last_evaluated_at).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sync.queue import job_sessions, job_settings, rq_queue
from sync.segments.days import utc_naive
from sync.segments.evaluate import evaluate_customers, evaluate_segment, shop_segments
from sync.segments.models import Segment
from sync.store import Shop, utcnow

log = logging.getLogger(__name__)


def _now(now_iso: str | None) -> datetime:
    return utc_naive(datetime.fromisoformat(now_iso)) if now_iso else utcnow()


def evaluate_segment_job(segment_id: int, now_iso: str | None = None) -> dict:
    """Full evaluation of one segment; returns its size and the entries and exits."""
    with job_sessions()() as session:
        segment = session.get(Segment, segment_id)
        if segment is None:
            log.info("segment %s is gone: nothing to evaluate", segment_id)
            return {"segment_id": segment_id, "skipped": "deleted"}
        result = evaluate_segment(session, segment, _now(now_iso))
        session.commit()
        return {
            "segment_id": segment_id,
            "size": result.size,
            "entered": result.entered,
            "exited": result.exited,
        }


def evaluate_shop_job(
    shop_id: int, only_time_relative: bool = False, now_iso: str | None = None
) -> list[dict]:
    """Full evaluation of a shop's segments (all, or only the time-relative ones)."""
    results = []
    with job_sessions()() as session:
        segment_ids = [
            s.id for s in session.scalars(shop_segments(session, shop_id, only_time_relative))
        ]
    for segment_id in segment_ids:
        results.append(evaluate_segment_job(segment_id, now_iso))
    return results


def evaluate_time_relative(shop_id: int, now_iso: str | None = None) -> list[dict]:
    """The daily run at the shop's local midnight: time alone moved these segments.

    On RQ it schedules its own next run (the worker runs with the scheduler).
    """
    results = evaluate_shop_job(shop_id, True, now_iso)
    settings = job_settings()
    if not settings.jobs_inline:
        schedule_time_relative(shop_id, _now(now_iso))
    return results


def evaluate_customers_job(shop_id: int, customer_ids: list[int], now_iso: str | None = None):
    """After an ingest: re-check the customers it touched against every segment."""
    with job_sessions()() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            return {}
        changes = evaluate_customers(session, shop, customer_ids, _now(now_iso))
        session.commit()
        return {str(k): list(v) for k, v in changes.items()}


def next_local_midnight(timezone: str, now: datetime) -> datetime:
    """Naive UTC of the next midnight in the shop's time zone after `now`."""
    zone = ZoneInfo(timezone)
    local = utc_naive(now).replace(tzinfo=UTC).astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
    return midnight.astimezone(UTC).replace(tzinfo=None)


def schedule_time_relative(shop_id: int, now: datetime) -> str | None:
    """Enqueue the shop's next daily run on RQ at its local midnight (deduplicated by id)."""
    settings = job_settings()
    if settings.jobs_inline:
        return None
    with job_sessions()() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            return None
        timezone = shop.timezone
    at = next_local_midnight(timezone, now)
    job_id = f"segments-daily-{shop_id}-{at:%Y%m%d}"
    queue = rq_queue(settings)
    if queue.fetch_job(job_id) is None:
        queue.enqueue_at(at.replace(tzinfo=UTC), evaluate_time_relative, shop_id, job_id=job_id)
    return job_id
