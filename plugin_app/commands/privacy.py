"""`cible privacy`: customers' data requests (Shopify customers/data_request) for merchants."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from plugin_app.db import session, settings
from sync.compliance import list_exports
from sync.shops import ShopError, get_shop


@click.group(help="Customers' data requests: list the exports, print one to send it.")
def privacy() -> None:
    pass


def _shop(domain: str):
    try:
        return get_shop(session(), domain)
    except ShopError as error:
        raise click.ClickException(str(error)) from error


@privacy.command("requests", help="List a shop's data-request exports (newest last).")
@click.argument("domain")
@with_appcontext
def requests_command(domain: str) -> None:
    exports = list_exports(settings(), _shop(domain))
    if not exports:
        click.echo("no data requests")
    for path in exports:
        click.echo(f"{path.stem}\t{path}")


@privacy.command("export", help="Print one export (JSON) to send to the customer.")
@click.argument("domain")
@click.argument("name")
@with_appcontext
def export_command(domain: str, name: str) -> None:
    for path in list_exports(settings(), _shop(domain)):
        if path.stem == name or path.name == name:
            click.echo(path.read_text())
            return
    raise click.ClickException(f"no export named {name}: see `cible privacy requests {domain}`")
