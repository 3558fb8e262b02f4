"""`cible db`: the schema, made and changed only by Alembic migrations."""

from __future__ import annotations

import click
from alembic import command
from flask.cli import with_appcontext

from plugin_app.db import settings
from sync.migrations import alembic_config


@click.group(help="Database schema (Alembic migrations).")
def db() -> None:
    pass


@db.command(help="Apply migrations up to REVISION (default: the newest).")
@click.argument("revision", default="head")
@with_appcontext
def upgrade(revision: str) -> None:
    command.upgrade(alembic_config(settings().resolved_database_url()), revision)


@db.command(help="Revert migrations down to REVISION (e.g. -1, or base).")
@click.argument("revision")
@with_appcontext
def downgrade(revision: str) -> None:
    command.downgrade(alembic_config(settings().resolved_database_url()), revision)


@db.command(help="Show the schema revision of the database.")
@with_appcontext
def current() -> None:
    command.current(alembic_config(settings().resolved_database_url()), verbose=True)


@db.command(help="Create a new migration from the models (for developers).")
@click.option("-m", "--message", required=True)
@with_appcontext
def revision(message: str) -> None:
    command.revision(
        alembic_config(settings().resolved_database_url()), message=message, autogenerate=True
    )
