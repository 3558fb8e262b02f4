"""Jobs inline (the embedded default) and through a real Redis with a real `cible worker`."""

import os
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from sync.jobs import recompute_statistics
from sync.queue import JobFailed, enqueue, rq_queue
from sync.store import Customer, Order, SyncRun

CIBLE = str(Path(sys.executable).with_name("cible"))


def _customer_with_orders_and_stale_statistics(db, shop):
    customer = Customer(shop_id=shop.id, external_id="c1", tags=[], attributes={}, orders_count=0)
    db.add(customer)
    db.flush()
    for number, (status, total) in enumerate(
        [("paid", "30.00"), ("paid", "12.50"), ("cancelled", "99.00")]
    ):
        created = datetime(2026, 11, 1 + number, 10, 0)
        db.add(
            Order(
                shop_id=shop.id,
                external_id=f"o{number}",
                customer_id=customer.id,
                status=status,
                total=Decimal(total),
                created_at=created,
                created_date=created.date(),
            )
        )
    db.commit()
    return customer


def test_inline_job_runs_at_once_and_records_its_run(settings, db, shop):
    customer = _customer_with_orders_and_stale_statistics(db, shop)
    handle = enqueue(settings, recompute_statistics, shop.id)
    assert handle.inline and handle.result == 1
    db.expire_all()
    refreshed = db.get(Customer, customer.id)
    assert (refreshed.orders_count, refreshed.total_spent) == (2, Decimal("42.50"))
    run = db.scalar(select(SyncRun).where(SyncRun.shop_id == shop.id))
    assert (run.stream, run.status, run.records_done) == ("statistics", "succeeded", 1)


def test_inline_job_retries_then_reports_failure(settings):
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError("platform answered 503")
        return "done"

    assert enqueue(settings, flaky, retries=2).result == "done"
    assert len(attempts) == 3

    def broken():
        raise ValueError("bad record 42")

    with pytest.raises(JobFailed, match="broken failed: bad record 42"):
        enqueue(settings, broken, retries=1)


def _worker_environment(settings):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIBLE_")}
    env.update(
        CIBLE_DATABASE_URL=settings.database_url,
        CIBLE_REDIS_URL=settings.redis_url,
        CIBLE_QUEUE_NAME=settings.queue_name,
        CIBLE_SECRET_KEY=settings.secret_key,
        CIBLE_INSTANCE_PATH=str(settings.instance_path),
    )
    return env


def _run_worker(settings):
    return subprocess.run(
        [CIBLE, "worker", "--burst"],
        env=_worker_environment(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_job_through_real_redis_and_real_worker(redis_settings, db, shop):
    customer = _customer_with_orders_and_stale_statistics(db, shop)
    first = enqueue(redis_settings, recompute_statistics, shop.id, job_id=f"stats-{shop.id}")
    again = enqueue(redis_settings, recompute_statistics, shop.id, job_id=f"stats-{shop.id}")
    assert not first.inline and first.id == again.id == f"stats-{shop.id}"
    assert rq_queue(redis_settings).count == 1

    worker = _run_worker(redis_settings)
    assert worker.returncode == 0, worker.stderr

    db.expire_all()
    assert db.get(Customer, customer.id).orders_count == 2
    run = db.scalar(select(SyncRun).where(SyncRun.shop_id == shop.id))
    assert run.status == "succeeded" and run.job_id == f"stats-{shop.id}"
    assert rq_queue(redis_settings).count == 0
    # The worker scheduled the shop's daily re-evaluation of time-relative segments.
    scheduled = ScheduledJobRegistry(queue=rq_queue(redis_settings)).get_job_ids()
    assert [job_id for job_id in scheduled if job_id.startswith(f"segments-daily-{shop.id}-")]


def test_failed_job_is_visible_and_retryable_from_the_cli(redis_settings, cli_runner, app):
    app.config["CIBLE_SETTINGS"] = redis_settings
    handle = enqueue(redis_settings, recompute_statistics, 987654, retries=0)
    worker = _run_worker(redis_settings)
    assert worker.returncode == 0, worker.stderr

    status = cli_runner("jobs", "status")
    assert "failed\t1" in status.output, status.output
    failed = cli_runner("jobs", "failed")
    assert handle.id in failed.output
    assert "IntegrityError" in failed.output or "ForeignKey" in failed.output, failed.output

    retried = cli_runner("jobs", "retry", handle.id)
    assert f"requeued {handle.id}" in retried.output
    assert rq_queue(redis_settings).count == 1


def test_jobs_commands_explain_inline_mode(cli_runner):
    result = cli_runner("jobs", "status")
    assert result.exit_code != 0
    assert "CIBLE_REDIS_URL is not set" in result.output
