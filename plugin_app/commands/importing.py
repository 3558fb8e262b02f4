"""`cible import-csv`: a shop's customers, orders and order lines from CSV files."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from plugin_app.db import session, settings
from sync.csv_import import CsvImportError, import_csv
from sync.segments.refresh import refresh_segments
from sync.shops import ShopError, create_shop, get_shop, normalise_domain
from sync.store import session_factory

CSV_FILE = click.Path(exists=True, dir_okay=False, readable=True)


@click.command(
    "import-csv",
    help="Import customers, orders and order lines from CSV files (format: docs/csv-import.md)."
    "\n\nFiles are imported in the order customers, orders, lines. A refused line is "
    "reported as FILE:LINE: REASON on stderr and skipped; the exit status is 1 when any "
    "line was refused. Importing the same files again changes nothing.",
)
@click.option("--shop", "domain", required=True, help="The shop's domain.")
@click.option(
    "--create",
    is_flag=True,
    help="Create the shop (platform csv) when it does not exist yet.",
)
@click.option(
    "--timezone",
    default=None,
    help="With --create: the shop's time zone, in which dates without an offset are read "
    "[default: Europe/Paris].",
)
@click.option("--currency", default=None, help="With --create: the shop's currency [default: EUR].")
@click.option("--customers", type=CSV_FILE, help="Customers CSV file.")
@click.option("--orders", type=CSV_FILE, help="Orders CSV file.")
@click.option("--lines", type=CSV_FILE, help="Order lines CSV file.")
@click.option(
    "--batch-size",
    default=2000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Rows written per transaction.",
)
@with_appcontext
def import_csv_command(domain, create, timezone, currency, customers, orders, lines, batch_size):
    if not (customers or orders or lines):
        raise click.UsageError("give at least one of --customers, --orders, --lines")
    if not create and (timezone or currency):
        raise click.UsageError(
            "--timezone and --currency are for --create (an existing shop keeps its own)"
        )
    shop_id = _shop_id(domain, create, timezone, currency)

    def report(message: str) -> None:
        click.echo(message, err=True)

    try:
        outcome = import_csv(
            session_factory(settings().resolved_database_url()),
            shop_id,
            customers=customers,
            orders=orders,
            lines=lines,
            batch_size=batch_size,
            report=report,
        )
    except CsvImportError as error:
        raise click.ClickException(str(error)) from error
    for item in outcome.files:
        click.echo(item.summary())
    refresh_segments(settings(), shop_id, outcome.touched)
    if not outcome.ok:
        click.get_current_context().exit(1)


def _shop_id(domain: str, create: bool, timezone: str | None, currency: str | None) -> int:
    db = session()
    try:
        found = get_shop(db, domain)
    except ShopError:
        if not create:
            raise click.ClickException(
                f"no shop with domain {normalise_domain(domain)}: add --create "
                "--timezone Europe/Paris --currency EUR to create it, or check `cible shop list`"
            ) from None
        try:
            found = create_shop(
                db,
                platform="csv",
                domain=domain,
                timezone=timezone or "Europe/Paris",
                currency=currency or "EUR",
            )
        except ShopError as error:
            raise click.ClickException(str(error)) from error
        db.commit()
        click.echo(
            f"created shop {found.domain} (csv, {found.timezone}, {found.currency})", err=True
        )
        return found.id
    if create and timezone and timezone != found.timezone:
        click.echo(
            f"shop {found.domain} exists with time zone {found.timezone}: --timezone ignored",
            err=True,
        )
    if create and currency and currency.upper() != found.currency:
        click.echo(
            f"shop {found.domain} exists with currency {found.currency}: --currency ignored",
            err=True,
        )
    db.commit()
    return found.id
