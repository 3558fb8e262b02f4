"""`cible admin-link`: print a signed launch link that opens one shop's admin (self-hosters)."""

from __future__ import annotations

from urllib.parse import urlencode

import click
from flask.cli import with_appcontext

from plugin_app.admin.launch import LAUNCH_TOKEN_MAX_AGE, make_launch_token
from plugin_app.db import session, settings
from sync.shops import ShopError, get_shop


@click.command(
    "admin-link",
    help="Print a link that opens the admin of one shop, valid for "
    f"{LAUNCH_TOKEN_MAX_AGE // 60} minutes: anyone holding it can open that shop's admin.",
)
@click.option("--shop", "domain", required=True, help="The shop's domain.")
@click.option(
    "--base-url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="Where this Cible is served, as the browser reaches it.",
)
@with_appcontext
def admin_link(domain: str, base_url: str) -> None:
    try:
        found = get_shop(session(), domain)
    except ShopError as error:
        raise click.ClickException(f"{error} (see `cible shop list`)") from error
    if found.uninstalled_at is not None:
        raise click.ClickException(f"{found.domain} uninstalled Cible: its admin cannot open.")
    if not base_url.startswith(("http://", "https://")):
        raise click.ClickException(
            f"--base-url must start with http:// or https://, not {base_url!r}"
        )
    token = make_launch_token(settings(), found.id)
    click.echo(f"{base_url.rstrip('/')}/admin/launch?{urlencode({'token': token})}")
    click.echo(
        f"valid {LAUNCH_TOKEN_MAX_AGE // 60} minutes; opens the admin of {found.domain}",
        err=True,
    )
