"""`cible campaign`: list a shop's campaigns, show one's results, create one from JSON,
change its status, attribute orders (for cron where no worker runs)."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from plugin_app.db import session
from sync.campaigns.attribution import attribute
from sync.campaigns.editing import (
    CampaignError,
    campaign_json,
    create_campaign,
    find_campaign,
    set_status,
)
from sync.campaigns.models import STATUSES, Campaign
from sync.campaigns.results import campaign_results
from sync.shops import ShopError, get_shop

shop_option = click.option("--shop", "domain", required=True, help="The shop's domain.")


def _shop(domain: str):
    try:
        return get_shop(session(), domain)
    except ShopError as error:
        raise click.ClickException(str(error)) from error


def _campaign(shop, campaign_id: str) -> Campaign:
    campaign = find_campaign(session(), shop, campaign_id)
    if campaign is None:
        raise click.ClickException(f"no campaign {campaign_id} in {shop.domain}")
    return campaign


@click.group()
def campaign():
    """Storefront campaigns (docs/storefront.md)."""


@campaign.command("list")
@shop_option
@with_appcontext
def list_campaigns(domain: str):
    """One line per campaign: id, status, kind, priority, name."""
    shop = _shop(domain)
    for row in session().scalars(
        select(Campaign).where(Campaign.shop_id == shop.id).order_by(Campaign.priority.desc())
    ):
        click.echo(f"{row.public_id}  {row.status:<7} {row.kind:<8} {row.priority:>4}  {row.name}")


@campaign.command("show")
@shop_option
@click.argument("campaign_id")
@with_appcontext
def show(domain: str, campaign_id: str):
    """The campaign document as JSON."""
    shop = _shop(domain)
    click.echo(
        json.dumps(
            campaign_json(session(), shop, _campaign(shop, campaign_id)),
            indent=2,
            ensure_ascii=False,
        )
    )


@campaign.command("create")
@shop_option
@click.argument("document", type=click.File("r"))
@click.option("--live", is_flag=True, help="Put it live at once.")
@with_appcontext
def create(domain: str, document, live: bool):
    """Create a campaign from a JSON document (a file, or - for stdin)."""
    shop = _shop(domain)
    try:
        made = create_campaign(session(), shop, json.load(document))
        if live:
            set_status(session(), shop, made, "live")
    except (CampaignError, ValueError) as error:
        details = getattr(error, "fields", None)
        message = f"{error}: {json.dumps(details)}" if details else str(error)
        raise click.ClickException(message) from error
    session().commit()
    click.echo(made.public_id)


@campaign.command("status")
@shop_option
@click.argument("campaign_id")
@click.argument("status", type=click.Choice(STATUSES))
@with_appcontext
def status(domain: str, campaign_id: str, status: str):
    """Put a campaign live, pause or end it."""
    shop = _shop(domain)
    try:
        set_status(session(), shop, _campaign(shop, campaign_id), status)
    except CampaignError as error:
        raise click.ClickException(str(error)) from error
    session().commit()
    click.echo(status)


@campaign.command("results")
@shop_option
@click.argument("campaign_id")
@click.option("--json", "as_json", is_flag=True, help="The full results document.")
@with_appcontext
def results(domain: str, campaign_id: str, as_json: bool):
    """Per-variant figures (orders attributed first)."""
    shop = _shop(domain)
    chosen = _campaign(shop, campaign_id)
    attribute(session(), shop.id, chosen.id)
    session().commit()
    found = campaign_results(session(), chosen)
    if as_json:
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    click.echo(f"{chosen.name} ({chosen.status}), goal: {found['goal']}")
    for v in found["variants"]:
        goal_rate = v["rates"][found["goal"]]["value"]
        chance = v["chance_to_beat_control"]
        click.echo(
            f"  {v['key']:<10} visitors {v['visitors']:>7}  clicks {v['clicks']:>6}  "
            f"submissions {v['submissions']:>6}  conversions {v['conversions']:>6}  "
            f"revenue {v['revenue']:>10}  {found['goal']} rate "
            f"{'-' if goal_rate is None else f'{goal_rate:.2%}'}"
            + ("" if chance is None else f"  chance to beat control {chance:.1%}")
        )
    if found["message"]:
        click.echo(found["message"])
    if found["sample_ratio"] and found["sample_ratio"]["mismatch"]:
        click.echo("Sample ratio mismatch: the split does not follow the weights.")


@campaign.command("attribute")
@shop_option
@with_appcontext
def attribute_command(domain: str):
    """Attribute recent orders to the campaigns their customers saw."""
    shop = _shop(domain)
    added = attribute(session(), shop.id)
    session().commit()
    click.echo(f"{added} conversions added")
