"""`cible worker` runs background jobs; `cible jobs` shows and retries them."""

from __future__ import annotations

import re

import click
from flask.cli import with_appcontext
from rq import Worker
from rq.job import Job
from rq.registry import FailedJobRegistry, StartedJobRegistry
from sqlalchemy import select

from plugin_app.db import session, settings
from sync.prestashop_sync import schedule_all_polling
from sync.queue import rq_queue, use_settings
from sync.segments.jobs import schedule_time_relative
from sync.shopify_sync import schedule_all_incremental
from sync.store import Shop, utcnow
from sync.webhooks import schedule_replay

EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Failed|Exit)\b.*?:")


def _require_redis():
    if not settings().redis_url:
        raise click.ClickException(
            "CIBLE_REDIS_URL is not set: jobs run inline in the process that starts them, "
            "so there is no worker to run and no queue to show. Failed inline jobs are "
            "reported where they ran (sync runs, webhook deliveries)."
        )
    return rq_queue(settings())


@click.command(help="Run an RQ worker (with the scheduler) for Cible's queue.")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--name", default=None, help="Worker name (default: host and pid).")
@with_appcontext
def worker(burst: bool, name: str | None) -> None:
    queue = _require_redis()
    use_settings(settings())
    # Time alone moves customers in and out of some segments: each shop's daily run at its
    # local midnight is (re)scheduled here, deduplicated by job id, so it survives restarts.
    now = utcnow()
    for shop_id in session().scalars(select(Shop.id).where(Shop.uninstalled_at.is_(None))):
        schedule_time_relative(shop_id, now)
    # Webhook deliveries recorded while Redis was down are replayed every minute.
    schedule_replay(settings(), now)
    # PrestaShop sends no webhooks: each connected shop is polled every few minutes.
    schedule_all_polling(session(), now, settings())
    # Shopify: webhooks carry changes at once; an incremental sync every 15 minutes catches
    # what a lost delivery missed.
    schedule_all_incremental(session(), now, settings())
    rq_worker = Worker([queue], connection=queue.connection, name=name)
    rq_worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


@click.group(help="Background jobs on Redis: counts, failures, retries.")
def jobs() -> None:
    pass


@jobs.command("status", help="How many jobs are queued, running and failed.")
@with_appcontext
def status() -> None:
    queue = _require_redis()
    click.echo(f"queue {queue.name}")
    click.echo(f"queued\t{queue.count}")
    click.echo(f"running\t{StartedJobRegistry(queue=queue).count}")
    click.echo(f"failed\t{FailedJobRegistry(queue=queue).count}")
    click.echo(f"workers\t{len(Worker.all(queue=queue))}")


@jobs.command("failed", help="List failed jobs with their last error.")
@with_appcontext
def failed() -> None:
    queue = _require_redis()
    registry = FailedJobRegistry(queue=queue)
    ids = registry.get_job_ids()
    if not ids:
        click.echo("no failed jobs")
        return
    for job in Job.fetch_many(ids, connection=queue.connection):
        if job is None:
            continue
        result = job.latest_result()
        summary = _error_summary(result.exc_string if result else "")
        click.echo(f"{job.id}\t{job.ended_at or ''}\t{job.description}\t{summary}")


def _error_summary(traceback_text: str | None) -> str:
    """The exception line of a traceback (`Class: message`), not its trailing notes."""
    lines = (traceback_text or "").strip().splitlines()
    for line in reversed(lines):
        if EXCEPTION_LINE.match(line):
            return line
    return lines[-1] if lines else "unknown error"


@jobs.command("retry", help="Put failed jobs back in the queue (all, or the ids given).")
@click.argument("job_ids", nargs=-1)
@with_appcontext
def retry(job_ids: tuple[str, ...]) -> None:
    queue = _require_redis()
    registry = FailedJobRegistry(queue=queue)
    ids = list(job_ids) or registry.get_job_ids()
    for job_id in ids:
        registry.requeue(job_id)
        click.echo(f"requeued {job_id}")
