"""`cible prestashop sync`: poll (or fully re-read) a PrestaShop shop now.

`cible worker` polls every connected PrestaShop shop every few minutes on its own; without
Redis (no worker), run `cible prestashop sync --all` from cron instead.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from plugin_app.db import session, settings
from sync.prestashop_sync import full_sync, poll_sync
from sync.queue import JobFailed, enqueue
from sync.shops import ShopError, get_shop
from sync.store import Shop


@click.group(help="PrestaShop shops: sync now.")
def prestashop() -> None:
    pass


@prestashop.command("sync", help="Read what changed (or everything, with --full) now.")
@click.option("--shop", "domain", default=None, help="The shop's domain.")
@click.option("--all", "every", is_flag=True, help="Every connected PrestaShop shop.")
@click.option("--full", is_flag=True, help="Read everything again, not only what changed.")
@with_appcontext
def sync_command(domain: str | None, every: bool, full: bool) -> None:
    db = session()
    if every == bool(domain):
        raise click.UsageError("give --shop DOMAIN or --all")
    if every:
        shops = db.scalars(
            select(Shop).where(Shop.platform == "prestashop", Shop.uninstalled_at.is_(None))
        ).all()
    else:
        try:
            shops = [get_shop(db, domain)]
        except ShopError as error:
            raise click.ClickException(str(error)) from error
        if shops[0].platform != "prestashop":
            raise click.ClickException(f"{shops[0].domain} is a {shops[0].platform} shop")
    job = full_sync if full else poll_sync
    failed = False
    for shop in shops:
        try:
            handle = enqueue(settings(), job, shop.id, job_id=f"prestashop-cli-{shop.id}")
        except JobFailed as error:
            click.echo(f"{shop.domain}: failed: {error.__cause__ or error}", err=True)
            failed = True
            continue
        if handle.inline:
            records = ", ".join(f"{n} {k}" for k, n in handle.result["records"].items())
            click.echo(f"{shop.domain}: {records} ({handle.result['seconds']} s)")
        else:
            click.echo(f"{shop.domain}: queued as job {handle.id}")
    if failed:
        raise SystemExit(1)
