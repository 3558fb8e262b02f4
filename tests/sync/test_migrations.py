"""The migrations make exactly the schema the models describe, and 0007 undoes cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import sync.campaigns.models  # noqa: F401  (registers the campaign tables)
import sync.segments.models  # noqa: F401  (registers the segment tables)
from sync.migrations import downgrade, upgrade
from sync.store import Base, engine_for

# Created by migration 0002 on PostgreSQL only, spelt as the compiler spells the anniversary
# expression; the models cannot declare it for SQLite too.
MIGRATION_ONLY = {"ix_customers_shop_birthday"}


def test_models_and_migrations_agree(db_url):
    with engine_for(db_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [
            difference
            for difference in compare_metadata(context, Base.metadata)
            if not (difference[0] == "remove_index" and difference[1].name in MIGRATION_ONLY)
        ]
    assert differences == []


def _order_foreign_keys(url) -> set[str]:
    engine = engine_for(url)
    try:
        return {key["referred_table"] for key in inspect(engine).get_foreign_keys("orders")}
    finally:
        engine.dispose()


def test_orders_lose_their_foreign_keys_and_get_them_back_on_downgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
    upgrade(url)
    assert _order_foreign_keys(url) == set()
    downgrade(url, "0004")
    assert _order_foreign_keys(url) == {"shops", "customers"}
    upgrade(url)
    assert _order_foreign_keys(url) == set()
