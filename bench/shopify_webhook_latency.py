"""Shopify webhook latency: N signed deliveries posted with concurrency to the app served by
gunicorn on loopback, with PostgreSQL (and Redis for the jobs); prints p50/p99 from request to
answer (the delivery is stored when the answer leaves: record, commit, enqueue), then how
fast a worker processes the recorded deliveries into the store.

    .venv/bin/python bench/shopify_webhook_latency.py                 # 2,000 webhooks, 8 at once
    .venv/bin/python bench/shopify_webhook_latency.py -n 5000 -c 16
    .venv/bin/python bench/shopify_webhook_latency.py --no-redis      # processed inline

The database (cible_bench_webhooks on the local PostgreSQL) is dropped and recreated; jobs go
to a queue of the benchmark's own on the local Redis, deleted at the end. Target: p99 under
50 ms for the HTTP answer (Shopify allows 5 s).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from rq import SimpleWorker  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench.databases import recreate_database  # noqa: E402
from sync.migrations import upgrade  # noqa: E402
from sync.queue import redis_connection, rq_queue, use_settings  # noqa: E402
from sync.settings import Settings  # noqa: E402
from sync.shops import create_shop  # noqa: E402
from sync.store import Customer, WebhookDelivery, session_factory  # noqa: E402
from tests.emulators.shopify import data as shapes  # noqa: E402
from tests.emulators.shopify.senders import WebhookSender  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cible_bench_webhooks"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
SHOP = "bench-webhooks.myshopify.com"
API_KEY, API_SECRET = "bench-api-key", "bench-api-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def payloads(count: int) -> list[dict]:
    """customers/update payloads in Shopify's REST shape, over count // 2 customers."""
    rng = random.Random(7)
    now = datetime.now(UTC).replace(microsecond=0)
    people = max(1, count // 2)
    result = []
    for index in range(count):
        number = 1 + index % people
        updated = now - timedelta(seconds=count - index)
        customer = shapes.make_customer(number, rng, "EUR", now - timedelta(days=30), updated)
        result.append(shapes.rest_customer(customer))
    return result


def serve(settings: Settings, workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIBLE_")}
    env.update(
        CIBLE_ENV="development",
        CIBLE_DATABASE_URL=settings.database_url,
        CIBLE_REDIS_URL=settings.redis_url,
        CIBLE_QUEUE_NAME=settings.queue_name,
        CIBLE_SECRET_KEY=settings.secret_key,
        CIBLE_SHOPIFY_API_KEY=API_KEY,
        CIBLE_SHOPIFY_API_SECRET=API_SECRET,
        CIBLE_INSTANCE_PATH=str(settings.instance_path),
    )
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    process = subprocess.Popen(
        [gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--threads", str(threads), "--log-level", "warning", "plugin_app:create_app()"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except requests.RequestException:
            pass
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError("gunicorn did not start")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--count", type=int, default=2000)
    parser.add_argument("-c", "--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument("--no-redis", action="store_true", help="process inline (no queue)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    args = parser.parse_args(argv)

    recreate_database(args.database_url)
    upgrade(args.database_url)
    instance = Path("/tmp") / f"cible-bench-{secrets.token_hex(3)}"
    settings = Settings(
        env="development",
        instance_path=instance,
        database_url=args.database_url,
        redis_url="" if args.no_redis else args.redis_url,
        queue_name=f"cible-bench-{secrets.token_hex(4)}",
        secret_key=secrets.token_urlsafe(48),
        shopify_api_key=API_KEY,
        shopify_api_secret=API_SECRET,
    )
    sessions = session_factory(args.database_url)
    with sessions.begin() as session:
        shop_id = create_shop(session, platform="shopify", domain=SHOP).id
    bodies = payloads(args.count)
    process, url = serve(settings, args.workers, args.threads)
    local = threading.local()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def send(payload: dict) -> None:
        if not hasattr(local, "sender"):
            local.sender = WebhookSender(url, SHOP, API_SECRET)
        started = time.perf_counter()
        response = local.sender.send("customers/update", payload)
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    try:
        warm = WebhookSender(url, SHOP, API_SECRET)
        for _ in range(min(50, len(bodies))):  # warm-up: connections, imports
            warm.send("products/delete", {"id": 1})
        latencies.clear()
        statuses.clear()
        began = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(send, bodies))
        wall = time.perf_counter() - began
    finally:
        process.terminate()
        process.wait(timeout=10)
    with sessions() as session:
        stored = session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.shop_id == shop_id, WebhookDelivery.topic == "customers/update")
        )
    ms = [value * 1000 for value in latencies]
    jobs = "inline" if args.no_redis else "Redis"
    print(
        f"webhooks sent        {len(ms):,} (concurrency {args.concurrency}, "
        f"gunicorn {args.workers}x{args.threads}, {jobs})"
    )
    print(f"answers              {json.dumps(statuses)}")
    print(f"stored deliveries    {stored:,}")
    print(f"HTTP answer p50      {statistics.median(ms):.1f} ms")
    print(f"HTTP answer p99      {percentile(ms, 0.99):.1f} ms   (target < 50 ms)")
    print(f"HTTP answer max      {max(ms):.1f} ms")
    print(f"throughput           {len(ms) / wall:,.0f} webhooks/s")
    if not args.no_redis:
        queue = rq_queue(settings)
        token = use_settings(settings)
        began = time.perf_counter()
        try:
            SimpleWorker([queue], connection=queue.connection).work(
                burst=True, logging_level="WARNING"
            )
        finally:
            from sync.queue import _current_settings

            _current_settings.reset(token)
        processing = time.perf_counter() - began
        with sessions() as session:
            done = session.scalar(
                select(func.count())
                .select_from(WebhookDelivery)
                .where(WebhookDelivery.status == "done")
            )
            customers = session.scalar(select(func.count()).select_from(Customer))
        print(f"processed by 1 worker {done:,} deliveries in {processing:.1f} s "
              f"({done / processing:,.0f}/s), {customers:,} customers stored")  # fmt: skip
        connection = redis_connection(settings.redis_url)
        for key in connection.scan_iter(f"*{settings.queue_name}*"):
            connection.delete(key)


if __name__ == "__main__":
    main()
