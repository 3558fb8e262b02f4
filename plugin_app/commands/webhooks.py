"""`cible webhooks`: the webhook inbox (recorded deliveries), counted and replayed."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from plugin_app.db import session, settings
from sync.store import WebhookDelivery
from sync.webhooks import replay_pending


@click.group(help="Recorded webhook deliveries: status and replay.")
def webhooks() -> None:
    pass


@webhooks.command("replay", help="Process deliveries still waiting (e.g. after Redis was down).")
@click.option(
    "--older-than",
    default=30,
    show_default=True,
    help="Only deliveries received at least this many seconds ago.",
)
@with_appcontext
def replay(older_than: int) -> None:
    count = replay_pending(settings(), older_than_seconds=older_than)
    where = "processed" if settings().jobs_inline else "enqueued"
    click.echo(f"{count} deliveries {where}")


@webhooks.command("status", help="How many deliveries are in each state, per platform.")
@with_appcontext
def status() -> None:
    rows = session().execute(
        select(WebhookDelivery.platform, WebhookDelivery.status, func.count())
        .group_by(WebhookDelivery.platform, WebhookDelivery.status)
        .order_by(WebhookDelivery.platform, WebhookDelivery.status)
    )
    found = False
    for platform, state, count in rows:
        found = True
        click.echo(f"{platform}\t{state}\t{count}")
    if not found:
        click.echo("no deliveries")
