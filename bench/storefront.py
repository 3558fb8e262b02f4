"""Storefront benchmark: `decide` under load, beside a trivial Flask endpoint (the floor).

Builds (or reuses with --reuse) a PostgreSQL shop of N customers (default 100,000) from the
demo generator, loaded with COPY (customers and orders; statistics recomputed set-based;
order lines and carts are not needed here and skipped), 8 segments evaluated, 20 live
campaigns (segments included and excluded, page rules, schedules, frequency caps, inline
slots, A/B variants with a control, variables), and 20,000 known visitors with exposures.
Then serves the app with gunicorn (gthread) on loopback, and a trivial Flask app the same
way, and drives each with wrk at 50 connections, POSTing varied decide bodies (text/plain,
varied visitors and pages, a third of them with a signed identity; as loader.js does, the
others send their browser's record of its exposures, `seen`, unless the visitor is linked
to a customer, i.e. has signed in before: half the known visitors' exposures are then read
from the database). Prints requests/s,
p50 and p99 for both, the CPU each spent per request (the web's workers, and for decide the
bench database's PostgreSQL backends: figures that swing far less with other load on the
machine than requests/s do), the ratios against the targets (throughput >= 60% of the
floor's, p99 <= 2x the floor's), and the gzipped size of loader.js.

    .venv/bin/python bench/storefront.py
    .venv/bin/python bench/storefront.py --reuse --duration 20   # 4 workers x 8 threads
    .venv/bin/python bench/storefront.py --reuse --threads 4
    .venv/bin/python bench/storefront.py --customers 5000       # a quick trial
    .venv/bin/python bench/storefront.py --reuse --in-process 4000   # CPU per call, no server
    .venv/bin/python bench/storefront.py --reuse --database-url postgresql+psycopg://...

Needs PostgreSQL (default: cible_bench_storefront on the local server, dropped and
recreated) and `wrk` (Debian package).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from bench.databases import recreate_database  # noqa: E402
from sync.campaigns.editing import create_campaign, set_status  # noqa: E402
from sync.campaigns.models import Campaign, CampaignExposure, CampaignVariant  # noqa: E402
from sync.demo.generate import DemoGenerator  # noqa: E402
from sync.identity import sign_identity  # noqa: E402
from sync.ingest.customers import customer_row  # noqa: E402
from sync.ingest.statistics import recompute_customer_statistics  # noqa: E402
from sync.migrations import upgrade  # noqa: E402
from sync.segments.evaluate import create_segment, evaluate_segment  # noqa: E402
from sync.settings import Settings  # noqa: E402
from sync.shops import create_shop  # noqa: E402
from sync.store import Customer, Shop, Visitor, session_factory  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cible_bench_storefront"
DOMAIN = "bench-storefront.example.fr"
SECRET_KEY = "bench-storefront-secret-key-0123456789-abcdefghijklmnop"
TODAY = date(2026, 11, 22)
VISITORS = 20_000
BODIES = 4_000
SEGMENTS = {
    "vip": "amount_spent >= 500",
    "buyers": "number_of_orders >= 1",
    "never ordered": "number_of_orders = 0",
    "lapsed": "last_order_date < -180d",
    "recent": "last_order_date >= -30d",
    "subscribed": "email_subscription_status = 'SUBSCRIBED'",
    "nantes": "city = 'Nantes'",
    "loyal": "number_of_orders >= 3",
}
FLOOR_APP = """
from flask import Flask, jsonify, request
app = Flask(__name__)

@app.post("/storefront/v1/<shop>/decide")
def decide(shop):
    request.get_data()
    return jsonify(campaigns=[])
"""
WRK_SCRIPT = """
local bodies = {}
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
function setup(thread) counter = counter + 1; thread:set("offset", counter * 997) end
local n = 0
request = function()
  n = n + 1
  local body = bodies[((offset or 0) + n) %% #bodies + 1]
  return wrk.format(nil, nil, nil, body)
end
"""


# ---- build ---------------------------------------------------------------------------------


def copy_rows(session, table: str, columns: list[str], rows) -> None:
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cursor.close()


def build(url: str, customers: int) -> None:
    started = time.perf_counter()
    recreate_database(url)
    upgrade(url)
    session = session_factory(url)()
    shop = create_shop(
        session,
        platform="csv",
        domain=DOMAIN,
        timezone="Europe/Paris",
        currency="EUR",
        language="fr",
    )
    session.commit()
    generator = DemoGenerator(seed=7, now=TODAY, domain=DOMAIN)
    now = datetime.utcnow()
    customer_columns = None
    order_columns = [
        "shop_id",
        "external_id",
        "customer_id",
        "customer_external_id",
        "email",
        "status",
        "total",
        "currency",
        "channel",
        "created_at",
        "created_date",
        "updated_at",
        "ingested_at",
    ]
    counts = {"customers": 0, "orders": 0}
    zone_day = {}
    for chunk in generator.chunks(customers, 5000):
        rows = [customer_row(shop, record, now) for record in chunk.customers]
        if customer_columns is None:
            customer_columns = list(rows[0])
        json_columns = {"tags", "attributes"}
        copy_rows(
            session,
            "customers",
            customer_columns,
            ([json.dumps(v) if k in json_columns else v for k, v in row.items()] for row in rows),
        )
        ids = dict(
            session.execute(
                select(Customer.external_id, Customer.id).where(
                    Customer.shop_id == shop.id,
                    Customer.external_id.in_([r.external_id for r in chunk.customers]),
                )
            ).all()
        )
        order_rows = []
        for order in chunk.orders:
            owner = ids.get(order.customer_external_id)
            if owner is None:
                continue
            day = zone_day.get(order.created_at.date())
            order_rows.append(
                [
                    shop.id,
                    order.external_id,
                    owner,
                    order.customer_external_id,
                    order.email,
                    order.status,
                    order.total,
                    "EUR",
                    order.channel,
                    order.created_at,
                    (order.created_at + timedelta(hours=1)).date() if day is None else day,
                    order.updated_at or order.created_at,
                    now,
                ]
            )
        copy_rows(session, "orders", order_columns, order_rows)
        session.commit()
        counts["customers"] += len(rows)
        counts["orders"] += len(order_rows)
    session.execute(text("ANALYZE customers"))
    session.execute(text("ANALYZE orders"))
    recompute_customer_statistics(session, shop.id)
    session.commit()
    print(
        f"built {counts['customers']:,} customers and {counts['orders']:,} orders with COPY "
        f"in {time.perf_counter() - started:.0f} s"
    )
    segment_ids = {}
    for name, query in SEGMENTS.items():
        segment = create_segment(session, shop, name, query)
        result = evaluate_segment(session, segment, now)
        segment_ids[name] = segment.id
        print(f"  segment {name!r}: {result.size:,} members")
    session.commit()
    add_campaigns(session, shop, segment_ids)
    add_visitors(session, shop)
    session.execute(text("ANALYZE"))
    session.commit()
    print(f"build done in {time.perf_counter() - started:.0f} s")


def _popup(name: str, **fields) -> dict:
    document = {
        "name": name,
        "kind": "popup",
        "triggers": [{"type": "delay", "seconds": 5}, {"type": "exit_intent"}],
        "variants": [
            {
                "key": "a",
                "content": {
                    "title": f'{name}, {{{{ first_name | default: "cher client" }}}}',
                    "html": "<p>Votre panier : {{ cart_total }}. Vos points : {{ loyalty_points }}."
                    "</p><p><strong>-10 %</strong> avec le code <em>BENCH10</em></p>",
                    "button": {"label": "J'en profite", "url": "/promo"},
                },
            }
        ],
    }
    document.update(fields)
    return document


def add_campaigns(session, shop, segments: dict) -> None:
    s = segments
    documents = [
        _popup("VIP", priority=50, audience={"segments": {"include": [s["vip"]]}}),
        _popup(
            "Relance",
            priority=40,
            audience={"segments": {"include": [s["lapsed"]]}},
            frequency={"every_days": 7, "max_times": 3},
        ),
        _popup(
            "Bienvenue",
            priority=30,
            goal="submission",
            audience={"segments": {"exclude": [s["buyers"]]}},
            frequency={"per_session": 1, "stop_after_conversion": True, "stop_after_closes": 2},
            variants=[
                {
                    "key": "a",
                    "content": {
                        "title": "-10 % contre votre e-mail",
                        "form": {"fields": ["email"], "consent_text": "J'accepte."},
                    },
                }
            ],
        ),
        _popup(
            "Fidèles",
            priority=20,
            audience={"segments": {"include": [s["loyal"]], "exclude": [s["recent"]]}},
        ),
        _popup("Nantes", audience={"segments": {"include": [s["nantes"]]}, "devices": ["mobile"]}),
        _popup(
            "Abonnés",
            audience={"segments": {"include": [s["subscribed"]]}},
            pages={"page_types": ["home", "collection"]},
        ),
        _popup(
            "Produits", pages={"page_types": ["product"]}, frequency={"stop_after_conversion": True}
        ),
        _popup("Chocolat noir", pages={"url": [{"op": "contains", "value": "/chocolat-noir"}]}),
        _popup(
            "Panier",
            kind="slide_in",
            pages={"page_types": ["cart"]},
            triggers=[{"type": "exit_intent"}, {"type": "cart_value", "above": 50}],
        ),
        _popup("Regex", pages={"url": [{"op": "regex", "value": r"/p/\d+-truffe"}]}),
        _popup(
            "Noël", schedule={"starts_at": "2026-12-01T00:00:00", "ends_at": "2026-12-25T00:00:00"}
        ),
        _popup("Soldes passées", schedule={"ends_at": "2026-02-01T00:00:00"}),
        _popup(
            "Heures de bureau",
            schedule={"hours": {"from": "09:00", "to": "18:00"}, "weekdays": [1, 2, 3, 4, 5]},
        ),
        _popup(
            "Identifiés",
            audience={"visitors": "identified"},
            frequency={"max_times": 5, "every_days": 1},
        ),
        _popup("Anonymes", audience={"visitors": "anonymous", "returning": True}),
        _popup(
            "A/B",
            priority=5,
            goal="click",
            variants=[
                {"key": "a", "weight": 45, "content": {"title": "Version A"}},
                {"key": "b", "weight": 45, "content": {"title": "Version B {{ first_name }}"}},
                {"key": "control", "weight": 10, "control": True},
            ],
        ),
        _popup("Bandeau", kind="banner", priority=1, frequency={"every_days": 1}),
        _popup(
            "Accueil VIP",
            kind="inline",
            slot="home-hero",
            audience={"segments": {"include": [s["vip"]]}},
            triggers=[{"type": "load"}],
        ),
        _popup(
            "Accueil", kind="inline", slot="home-hero", priority=-1, triggers=[{"type": "load"}]
        ),
        _popup(
            "Pied de page",
            kind="inline",
            slot="footer",
            triggers=[{"type": "load"}],
            pages={"page_types": ["home"]},
        ),
    ]
    for document in documents:
        campaign = create_campaign(session, shop, document)
        set_status(session, shop, campaign, "live")
    session.commit()
    print(f"  {len(documents)} live campaigns")


def add_visitors(session, shop) -> None:
    """Known visitors, a third linked to customers, with exposures to a few campaigns."""
    rng = random.Random(11)
    now = datetime.utcnow()
    customer_ids = session.scalars(select(Customer.id).where(Customer.shop_id == shop.id)).all()
    copy_rows(
        session,
        "visitors",
        [
            "shop_id",
            "token",
            "customer_id",
            "first_seen_at",
            "last_seen_at",
            "last_seen_date",
            "page_views",
        ],
        (
            [
                shop.id,
                f"v_bench_{n:08d}",
                rng.choice(customer_ids) if n % 3 == 0 else None,
                now - timedelta(days=3),
                now,
                now.date(),
                3,
            ]
            for n in range(VISITORS)
        ),
    )
    visitors = session.execute(
        select(Visitor.id, Visitor.customer_id).where(Visitor.shop_id == shop.id)
    ).all()
    variants = session.execute(
        select(CampaignVariant.campaign_id, CampaignVariant.id)
        .join(Campaign, Campaign.id == CampaignVariant.campaign_id)
        .where(Campaign.shop_id == shop.id, CampaignVariant.key == "a")
    ).all()
    rows = []
    for visitor_id, customer_id in visitors:
        for campaign_id, variant_id in rng.sample(variants, 3):
            seen = now - timedelta(hours=rng.randint(1, 200))
            rows.append(
                [
                    shop.id,
                    campaign_id,
                    variant_id,
                    visitor_id,
                    customer_id,
                    seen,
                    seen,
                    rng.randint(1, 4),
                    seen,
                    0,
                    rng.randint(0, 2),
                ]
            )
    copy_rows(
        session,
        "campaign_exposures",
        [
            "shop_id",
            "campaign_id",
            "variant_id",
            "visitor_id",
            "customer_id",
            "first_at",
            "last_at",
            "impressions",
            "last_impression_at",
            "clicks",
            "closes",
        ],
        rows,
    )
    session.commit()
    print(f"  {len(visitors):,} visitors, {len(rows):,} exposures")


# ---- load ----------------------------------------------------------------------------------


def browser_records(session, shop) -> tuple[dict, set]:
    """What each known visitor's browser recorded of its exposures, as loader.js keeps it
    and sends it in decide's `seen` ({campaign: {v, n, t, c, x}}), and the visitors whose
    browser has signed in (linked to a customer): loader.js sends no `seen` for those."""
    records: dict[str, dict] = {}
    rows = session.execute(
        select(
            Visitor.token,
            Campaign.public_id,
            CampaignVariant.key,
            CampaignExposure.impressions,
            CampaignExposure.last_impression_at,
            CampaignExposure.closes,
        )
        .join(CampaignExposure, CampaignExposure.visitor_id == Visitor.id)
        .join(Campaign, Campaign.id == CampaignExposure.campaign_id)
        .join(CampaignVariant, CampaignVariant.id == CampaignExposure.variant_id)
        .where(Visitor.shop_id == shop.id)
    )
    for token, campaign, key, impressions, last, closes in rows:
        record = {"v": key, "n": impressions, "c": closes}
        if last is not None:
            record["t"] = int(last.replace(tzinfo=UTC).timestamp() * 1000)
        records.setdefault(token, {})[campaign] = record
    signed_in = set(
        session.scalars(
            select(Visitor.token).where(Visitor.shop_id == shop.id, Visitor.customer_id.isnot(None))
        )
    )
    return records, signed_in


def bodies_file(url: str, directory: Path) -> tuple[str, Path]:
    """decide bodies, one JSON per line: varied visitors, pages, carts; a third signed. As
    loader.js does, a browser that never signed in sends its own record of its exposures
    (`seen`); one that did (a signed identity, or a visitor linked to a customer) does not,
    and decide reads its history."""
    session = session_factory(url)()
    shop = session.scalar(select(Shop).where(Shop.domain == DOMAIN))
    externals = session.scalars(
        select(Customer.external_id)
        .where(Customer.shop_id == shop.id)
        .order_by(func.random())
        .limit(2000)
    ).all()
    records, signed_in = browser_records(session, shop)
    session.close()
    settings = Settings(env="production", secret_key=SECRET_KEY, database_url=url)
    rng = random.Random(5)
    pages = [
        {"url": "https://shop/", "type": "home"},
        {"url": "https://shop/c/chocolat-noir", "type": "collection", "category": "Chocolat noir"},
        {"url": "https://shop/p/12-truffe-noire", "type": "product", "product": "12"},
        {"url": "https://shop/p/40-tablette", "type": "product", "product": "40"},
        {"url": "https://shop/cart", "type": "cart"},
        {"url": "https://shop/pages/contact", "type": "other"},
    ]
    path = directory / "bodies.txt"
    with path.open("w") as out:
        for n in range(BODIES):
            body = {
                "visitor": f"v_bench_{rng.randrange(VISITORS * 2):08d}",
                "page": rng.choice(pages),
                "cart": {"value": round(rng.uniform(0, 120), 2), "items": rng.randint(0, 5)},
                "session": {"page_views": rng.randint(1, 8), "returning": rng.random() < 0.5},
                "device": rng.choice(["desktop", "mobile"]),
                "slots": ["home-hero", "footer"] if rng.random() < 0.3 else [],
            }
            if n % 3 == 0:
                body["identity"] = sign_identity(
                    settings, shop.public_id, rng.choice(externals)
                ).as_dict()
            elif body["visitor"] not in signed_in:
                body["seen"] = records.get(body["visitor"], {})
            out.write(json.dumps(body, separators=(",", ":")) + "\n")
    return shop.public_id, path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(app: str, workers: int, threads: int, env: dict, cwd: Path) -> tuple:
    port = free_port()
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-w",
            str(workers),
            "-k",
            "gthread",
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app,
        ],
        cwd=cwd,
        env=env,
        start_new_session=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"{app} did not start on port {port}")


def stop(process) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def worker_pids(master: int) -> list[int]:
    """gunicorn's workers: the master's children."""
    children = []
    for task in Path(f"/proc/{master}/task").glob("*/children"):
        children += [int(pid) for pid in task.read_text().split()]
    return children


def backend_pids(url: str) -> list[int]:
    """The PostgreSQL server processes serving the bench database (the web's connections)."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        pids = connection.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        ).scalars()
        pids = list(pids)
    engine.dispose()
    return pids


class CpuMeter:
    """CPU seconds used by the web's workers and by the bench database's PostgreSQL
    backends between start() and stop(): per request, a figure far less sensitive to other
    load on the machine than requests/s (connections opened and closed during the run are
    missed, so the PostgreSQL figure is a lower bound when the pool churns)."""

    def __init__(self, master: int, url: str | None):
        self.master, self.url = master, url

    def _sample(self) -> dict:
        pids = {("web", pid) for pid in [self.master, *worker_pids(self.master)]}
        if self.url:
            pids |= {("postgresql", pid) for pid in backend_pids(self.url)}
        return {key: process_cpu(key[1]) for key in pids}

    def start(self) -> None:
        self.before = self._sample()

    def stop(self) -> dict:
        after = self._sample()
        used = {"web": 0.0, "postgresql": 0.0}
        for key, seconds in after.items():
            if key in self.before:
                used[key[0]] += seconds - self.before[key]
        return used


def milliseconds(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def drive(url: str, script: Path, seconds: int, connections: int) -> dict:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": milliseconds(re.search(r"\s50%\s+(\S+)", output).group(1)),
        "p99": milliseconds(re.search(r"\s99%\s+(\S+)", output).group(1)),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
    }


def in_process(url: str, directory: Path, public_id: str, bodies: Path, requests: int) -> None:
    """CPU per request of each app called as a WSGI callable in a loop, in this process and
    thread: no server, no load generator, no other process: the app's own cost, steady
    from run to run whatever else the machine does (best of three runs)."""
    import importlib
    import io

    lines = [line.encode() for line in bodies.read_text().splitlines()]
    os.environ.update(
        CIBLE_ENV="production",
        CIBLE_SECRET_KEY=SECRET_KEY,
        CIBLE_DATABASE_URL=url,
        CIBLE_REDIS_URL="",
        CIBLE_INSTANCE_PATH=str(directory),
    )
    sys.path.insert(0, str(directory))
    from plugin_app import create_app

    apps = {"floor (trivial Flask)": importlib.import_module("floor_app").app}
    apps["decide"] = create_app()
    path = f"/storefront/v1/{public_id}/decide"

    def environ(body: bytes) -> dict:
        return {
            "REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "",
            "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1",
            "CONTENT_TYPE": "text/plain;charset=UTF-8", "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1", "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
            "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
        }  # fmt: skip

    def ok(status: str, _headers, _exc_info=None) -> None:
        if not status.startswith("200"):
            raise SystemExit(f"in-process decide answered {status}")

    print(f"\nin one process, {requests:,} requests per run (best of 3):")
    for name, app in apps.items():
        for warm in range(min(requests, 2000)):
            b"".join(app(environ(lines[warm % len(lines)]), ok))
        best = float("inf")
        for _run in range(3):
            started = time.process_time()
            for n in range(requests):
                b"".join(app(environ(lines[n % len(lines)]), ok))
            best = min(best, (time.process_time() - started) / requests)
        print(f"  {name:<22} {1000 * best:.3f} ms of CPU per request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="skip the build")
    parser.add_argument("--build-only", action="store_true", help="build, do not load")
    parser.add_argument(
        "--in-process",
        type=int,
        metavar="N",
        help="instead of serving: call each app N times in this process, print CPU/request",
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=int, default=20)
    arguments = parser.parse_args()
    url = arguments.database_url
    if not arguments.reuse:
        build(url, arguments.customers)
    if arguments.build_only:
        return
    from plugin_app.storefront.loader import LOADER_PATH, loader_file

    loader = loader_file(LOADER_PATH)
    with tempfile.TemporaryDirectory() as directory:
        directory = Path(directory)
        public_id, bodies = bodies_file(url, directory)
        script = directory / "decide.lua"
        script.write_text(WRK_SCRIPT % {"bodies": bodies})
        (directory / "floor_app.py").write_text(FLOOR_APP)
        if arguments.in_process:
            in_process(url, directory, public_id, bodies, arguments.in_process)
            return
        env = {
            **os.environ,
            "CIBLE_ENV": "production",
            "CIBLE_SECRET_KEY": SECRET_KEY,
            "CIBLE_DATABASE_URL": url,
            "CIBLE_REDIS_URL": "",
            "CIBLE_INSTANCE_PATH": str(directory),
            "PYTHONPATH": str(ROOT),
        }
        figures = {}
        for name, app, cwd in (
            ("floor (trivial Flask)", "floor_app:app", directory),
            ("decide", "plugin_app:create_app()", ROOT),
        ):
            process, port = serve(app, arguments.workers, arguments.threads, env, cwd)
            try:
                target = f"http://127.0.0.1:{port}/storefront/v1/{public_id}/decide"
                sample = subprocess.run(
                    [
                        "curl",
                        "-s",
                        "-X",
                        "POST",
                        "-H",
                        "Content-Type: text/plain",
                        "--data-binary",
                        bodies.read_text().splitlines()[0],
                        target,
                    ],
                    capture_output=True,
                    text=True,
                ).stdout
                drive(target, script, 3, arguments.connections)  # warm-up
                meter = CpuMeter(process.pid, url if name == "decide" else None)
                meter.start()
                figures[name] = drive(target, script, arguments.duration, arguments.connections)
                figures[name]["cpu"] = meter.stop()
                figures[name]["sample"] = sample[:160]
            finally:
                stop(process)
    floor, decide = figures["floor (trivial Flask)"], figures["decide"]
    print(
        f"\nwrk, {arguments.connections} connections, {arguments.duration} s, gunicorn "
        f"{arguments.workers} workers x {arguments.threads} threads (gthread), loopback"
    )
    for name, f in figures.items():
        print(
            f"  {name:<22} {f['rps']:8,.0f} req/s   p50 {f['p50']:6.1f} ms   "
            f"p99 {f['p99']:6.1f} ms   ({f['requests']:,} requests, {f['non_2xx']} non-2xx)"
        )
        cpu = {where: 1000 * seconds / f["requests"] for where, seconds in f["cpu"].items()}
        print(
            f"  {'':<22} CPU per request: web {cpu['web']:.3f} ms, "
            f"PostgreSQL {cpu['postgresql']:.3f} ms"
        )
    print(f"  decide sample answer: {decide['sample']}")
    ratio, p99 = decide["rps"] / floor["rps"], decide["p99"] / floor["p99"]
    print(
        f"throughput {ratio:.0%} of the floor (target >= 60%): "
        f"{'met' if ratio >= 0.6 else 'NOT met'}"
    )
    print(f"p99 {p99:.2f}x the floor's (target <= 2x): {'met' if p99 <= 2 else 'NOT met'}")
    if loader is None:
        print("loader.js: not present")
    else:
        size = len(loader.gzipped)
        print(
            f"loader.js: {len(loader.body):,} bytes, {size:,} bytes gzipped "
            f"(target <= 6,144): {'met' if size <= 6144 else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
