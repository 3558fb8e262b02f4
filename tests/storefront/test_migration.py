"""Migration 0004 makes exactly the campaign tables the models describe, and undoes them."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import sync.campaigns.models  # noqa: F401  (registers the campaign tables)
from sync.migrations import downgrade, upgrade
from sync.store import Base, engine_for

TABLES = {
    "campaigns",
    "campaign_variants",
    "campaign_segments",
    "campaign_versions",
    "campaign_exposures",
    "campaign_exposure_segments",
    "campaign_conversions",
}


def _ours(difference) -> bool:
    """Differences that concern the campaign tables or the columns 0004 adds."""
    text = repr(difference)
    return any(name in text for name in TABLES) or "storefront_events" in text


def test_models_and_migration_agree(db_url):
    with engine_for(db_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [d for d in compare_metadata(context, Base.metadata) if _ours(d)]
    assert differences == []


def test_downgrade_and_upgrade_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
    upgrade(url)
    assert TABLES <= set(inspect(engine_for(url)).get_table_names())
    downgrade(url, "0002")
    engine_for(url).dispose()
    names = set(inspect(engine_for(url)).get_table_names())
    assert not TABLES & names
    columns = {c["name"] for c in inspect(engine_for(url)).get_columns("storefront_events")}
    assert "campaign" not in columns
    upgrade(url)
    assert TABLES <= set(inspect(engine_for(url)).get_table_names())
    engine_for(url).dispose()
