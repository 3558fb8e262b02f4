"""Background jobs: RQ on Redis when CIBLE_REDIS_URL is set, inline in the process otherwise.

Web handlers and the CLI call `enqueue(settings, func, *args)`; jobs are plain functions
that take ids. A job reads its settings from `job_settings()`: the caller's settings when
it runs inline, the worker's environment when it runs in `cible worker`.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from redis import Redis
from rq import Queue, Retry, get_current_job
from sqlalchemy.orm import Session, sessionmaker

from sync.settings import Settings, load_settings
from sync.store import session_factory

log = logging.getLogger(__name__)

# Seconds between attempts after a failure, on RQ (inline jobs retry at once).
RETRY_INTERVALS = [10, 60, 300, 900]
JOB_TIMEOUT = 3600

_current_settings: contextvars.ContextVar[Settings | None] = contextvars.ContextVar(
    "cible_job_settings", default=None
)


def job_settings() -> Settings:
    """The settings a running job uses (inline: the caller's; worker: the environment's)."""
    return _current_settings.get() or load_settings()


def use_settings(settings: Settings) -> contextvars.Token:
    return _current_settings.set(settings)


def job_sessions() -> sessionmaker[Session]:
    """Sessions on the database of the settings the running job uses."""
    return session_factory(job_settings().resolved_database_url())


def current_job_id() -> str | None:
    """The RQ id of the job running now (None inline), for runs a person can trace."""
    job = get_current_job()
    return job.id if job is not None else None


@lru_cache(maxsize=4)
def redis_connection(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)


def rq_queue(settings: Settings) -> Queue:
    return Queue(settings.queue_name, connection=redis_connection(settings.redis_url))


@dataclass(frozen=True)
class JobHandle:
    """What the caller learns about an enqueued job."""

    id: str | None
    inline: bool
    result: object = None


class JobFailed(RuntimeError):
    """An inline job failed on every attempt."""


def enqueue(
    settings: Settings,
    func: Callable,
    *args,
    job_id: str | None = None,
    retries: int | None = None,
    description: str | None = None,
    **kwargs,
) -> JobHandle:
    """Run `func(*args, **kwargs)` as a job; `job_id` deduplicates a job still waiting.

    Inline, the job runs now, attempts up to `retries` + 1 times, and a final failure is
    raised to the caller as JobFailed (the CLI prints it; domain state such as a sync run
    records it too). On RQ a job whose id is already queued or running is not enqueued
    twice, and failures retry with backoff before landing in the failed registry.
    """
    retries = settings.job_retries if retries is None else retries
    if settings.jobs_inline:
        return JobHandle(None, True, run_inline(settings, func, args, kwargs, retries))
    queue = rq_queue(settings)
    if job_id is not None:
        existing = queue.fetch_job(job_id)
        if existing is not None and existing.get_status(refresh=True) in (
            "queued",
            "started",
            "scheduled",
            "deferred",
        ):
            return JobHandle(existing.id, False)
    job = queue.enqueue(
        func,
        args=args,
        kwargs=kwargs,
        job_id=job_id,
        description=description,
        job_timeout=JOB_TIMEOUT,
        result_ttl=86400,
        failure_ttl=30 * 86400,
        retry=Retry(max=retries, interval=RETRY_INTERVALS[:retries]) if retries else None,
    )
    return JobHandle(job.id, False)


def run_inline(settings: Settings, func: Callable, args, kwargs, retries: int):
    token = use_settings(settings)
    try:
        for attempt in range(retries + 1):
            try:
                return func(*args, **kwargs)
            except Exception as error:
                log.warning(
                    "job %s failed (attempt %d of %d): %s",
                    func.__name__,
                    attempt + 1,
                    retries + 1,
                    error,
                )
                if attempt == retries:
                    raise JobFailed(f"{func.__name__} failed: {error}") from error
    finally:
        _current_settings.reset(token)
