"""`cible demo-data`: a realistic, deterministic French demo shop (what `make demo` serves)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext

from plugin_app.db import session, settings
from sync.demo_data import Progress, build_demo_shop, customer_count, demo_shop
from sync.queue import enqueue
from sync.segments.jobs import evaluate_shop_job
from sync.shops import ShopError


def _today() -> str:
    return date.today().isoformat()


def _progress(step: Progress) -> None:
    rate = step.customers_done / step.seconds if step.seconds else 0.0
    click.echo(
        f"  {step.customers_done:,}/{step.customers_total:,} customers, "
        f"{step.orders:,} orders, {step.lines:,} lines, {step.carts:,} carts "
        f"({step.seconds:.1f} s, {rate:,.0f} customers/s)"
    )


@click.command(
    "demo-data",
    help="Fill a shop with demo data: a chocolatier-and-coffee shop in Nantes. The same "
    "--seed and --now always give the same data; running again rewrites the same records.",
)
@click.option("--shop", "domain", required=True, help="Domain of the shop (created if missing).")
@click.option(
    "--customers",
    type=click.IntRange(min=0),
    required=True,
    help="How many customers (guest buyers come on top).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option(
    "--now",
    "now",
    default=_today,
    show_default="today",
    help="The demo's today (ISO date): lapsed customers and birthdays are relative to it.",
)
@click.option("--if-empty", is_flag=True, help="Do nothing when the shop already has customers.")
@with_appcontext
def demo_data(domain: str, customers: int, seed: int, now: str, if_empty: bool) -> None:
    try:
        today = date.fromisoformat(now)
    except ValueError as error:
        raise click.BadParameter(
            f"{now!r} is not an ISO date such as 2026-03-10", param_hint="--now"
        ) from error
    db = session()
    try:
        shop = demo_shop(db, domain)
    except ShopError as error:
        raise click.ClickException(str(error)) from error
    existing = customer_count(db, shop)
    if if_empty and existing:
        click.echo(f"{shop.domain} already has {existing:,} customers: nothing to do (--if-empty)")
        return
    db.commit()
    click.echo(
        f"building demo data for {shop.domain}: {customers:,} customers, seed {seed}, "
        f"today {today.isoformat()}"
    )
    counts = build_demo_shop(db, shop, customers, seed, today, progress=_progress)
    # The whole shop changed: one full evaluation of its segments (if it has any).
    enqueue(settings(), evaluate_shop_job, shop.id, job_id=f"segments-evaluate-shop-{shop.id}")
    click.echo(
        f"done: {counts['customers']:,} customers (+{counts['guest_buyers']:,} guest buyers), "
        f"{counts['orders']:,} orders, {counts['lines']:,} lines, {counts['carts']:,} carts, "
        f"{counts['products']:,} products in {counts['seconds']:.1f} s"
    )
