"""The `cible` command: Flask's own commands (run, routes, shell) plus Cible's."""

from __future__ import annotations

from flask.cli import FlaskGroup

from plugin_app import create_app
from plugin_app.commands import (
    admin_link,
    campaigns,
    db,
    demo,
    importing,
    jobs,
    prestashop,
    privacy,
    segments,
    shops,
    webhooks,
)

cli = FlaskGroup(
    create_app=create_app,
    help="Cible: synced shop data, live segments and on-site campaigns.\n\n"
    "Settings come from CIBLE_* environment variables (see README.md).",
)
for command in (
    db.db,
    shops.shop,
    importing.import_csv_command,
    demo.demo_data,
    segments.segment,
    campaigns.campaign,
    jobs.worker,
    jobs.jobs,
    admin_link.admin_link,
    webhooks.webhooks,
    privacy.privacy,
    prestashop.prestashop,
):
    cli.add_command(command)


def main() -> None:
    cli.main(prog_name="cible")
