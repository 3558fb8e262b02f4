"""`cible shop`: add, list and remove shops (for self-hosters and scripts)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from plugin_app.db import session
from sync.shops import ShopError, create_shop, erase_shop, get_shop
from sync.store import PLATFORMS, Customer, Order, Shop


@click.group(help="Shops connected to this Cible.")
def shop() -> None:
    pass


@shop.command("add", help="Add a shop (platform installs create theirs themselves).")
@click.option("--platform", type=click.Choice(PLATFORMS), required=True)
@click.option("--domain", required=True, help="The shop's domain, e.g. chocolats.example.fr")
@click.option("--timezone", default="Europe/Paris", show_default=True)
@click.option("--currency", default="EUR", show_default=True)
@click.option("--name", default=None)
@click.option("--language", default="fr", show_default=True)
@with_appcontext
def add(platform, domain, timezone, currency, name, language) -> None:
    db = session()
    try:
        created = create_shop(
            db,
            platform=platform,
            domain=domain,
            timezone=timezone,
            currency=currency,
            name=name,
            language=language,
        )
    except ShopError as error:
        raise click.ClickException(str(error)) from error
    db.commit()
    click.echo(
        f"added {created.domain} ({created.platform}, {created.timezone}, "
        f"{created.currency}); public id {created.public_id}"
    )


@shop.command("list", help="List shops with their customer and order counts.")
@with_appcontext
def list_shops() -> None:
    db = session()
    customers = dict(
        db.execute(select(Customer.shop_id, func.count()).group_by(Customer.shop_id)).all()
    )
    orders = dict(db.execute(select(Order.shop_id, func.count()).group_by(Order.shop_id)).all())
    shops = db.scalars(select(Shop).order_by(Shop.domain)).all()
    if not shops:
        click.echo("no shops yet: cible shop add --platform csv --domain my-shop.example")
        return
    for item in shops:
        state = "uninstalled" if item.uninstalled_at else "installed"
        click.echo(
            f"{item.domain}\t{item.platform}\t{item.timezone}\t{item.currency}\t{state}\t"
            f"{customers.get(item.id, 0)} customers\t{orders.get(item.id, 0)} orders"
        )


@shop.command("remove", help="Remove a shop and erase all of its data.")
@click.argument("domain")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def remove(domain: str, yes: bool) -> None:
    db = session()
    try:
        found = get_shop(db, domain)
    except ShopError as error:
        raise click.ClickException(str(error)) from error
    if not yes:
        click.confirm(
            f"Erase {found.domain} and all of its customers, orders and carts?", abort=True
        )
    erase_shop(db, found.id)
    db.commit()
    click.echo(f"removed {found.domain} and erased its data")


@shop.command("secret", help="Print the shop's public id and signing secret (for the plugin).")
@click.argument("domain")
@with_appcontext
def secret(domain: str) -> None:
    from plugin_app.db import settings
    from sync.identity import shop_signing_secret

    try:
        found = get_shop(session(), domain)
    except ShopError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"public id:      {found.public_id}")
    click.echo(f"signing secret: {shop_signing_secret(settings(), found.public_id)}")
    click.echo("Paste both into the Cible plugin's settings (WooCommerce > Cible, or the "
               "PrestaShop module's configuration page).")  # fmt: skip
