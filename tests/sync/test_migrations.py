"""The migrations make exactly the schema the models describe; 0007, 0009 and 0010 undo
cleanly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

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


def test_statistics_move_to_their_own_table_and_back(tmp_path):
    """Migration 0009 gives every customer a customer_statistics row with its figures, and
    its downgrade puts them back on customers."""
    url = f"sqlite:///{tmp_path / 'statistics.sqlite3'}"
    upgrade(url, "0008")
    engine = engine_for(url)
    figures = "orders_count, total_spent, average_order_value, last_order_date"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO shops (id, public_id, platform, domain, timezone, currency, "
                "language, sync_cursors, settings, installed_at, created_at, updated_at) "
                "VALUES (1, 'p', 'csv', 'a.example.fr', 'UTC', 'EUR', 'en', '{}', '{}', "
                "'2026-01-01', '2026-01-01', '2026-01-01')"
            )
        )
        for number, (count, spent) in enumerate([(3, "120.50"), (0, "0")], start=1):
            connection.execute(
                text(
                    "INSERT INTO customers (id, shop_id, external_id, is_guest, tags, "
                    "attributes, email_subscription_status, sms_subscription_status, "
                    f"ingested_at, {figures}) VALUES (:id, 1, :id, 0, '[]', '{{}}', "
                    "'NOT_SUBSCRIBED', 'NOT_SUBSCRIBED', '2026-01-01', :n, :spent, :average, "
                    ":last)"
                ),
                {"id": number, "n": count, "spent": spent,
                 "average": "40.17" if count else None, "last": "2026-03-12" if count else None},
            )  # fmt: skip
    engine.dispose()
    upgrade(url)
    engine = engine_for(url)
    with engine.connect() as connection:
        moved = connection.execute(
            text(f"SELECT customer_id, shop_id, {figures} FROM customer_statistics ORDER BY 1")
        ).all()
        assert "orders_count" not in {
            c["name"] for c in inspect(connection).get_columns("customers")
        }
    engine.dispose()
    # SQLite's own values, as a plain SQL read gives them.
    assert [tuple(row) for row in moved] == [
        (1, 1, 3, 120.5, 40.17, "2026-03-12"),
        (2, 1, 0, 0, None, None),
    ]
    downgrade(url, "0008")
    engine = engine_for(url)
    with engine.connect() as connection:
        back = connection.execute(text(f"SELECT id, {figures} FROM customers ORDER BY 1")).all()
        assert "customer_statistics" not in inspect(connection).get_table_names()
    engine.dispose()
    assert [tuple(row) for row in back] == [
        (1, 3, 120.5, 40.17, "2026-03-12"),
        (2, 0, 0, None, None),
    ]


def _line_keys(url) -> tuple[set, list]:
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            keys = {
                tuple(key["column_names"])
                for key in inspect(connection).get_unique_constraints("order_lines")
            }
            lines = connection.execute(
                text("SELECT id, order_id, order_external_id, line_key FROM order_lines ORDER BY 1")
            ).all()
        return keys, [tuple(line) for line in lines]
    finally:
        engine.dispose()


def test_order_lines_keyed_by_their_order_and_back(tmp_path):
    """Migration 0010 keys lines by (order, line key), waiting lines by their order's
    external id alone, and keeps every line; its downgrade restores the external key."""
    url = f"sqlite:///{tmp_path / 'lines.sqlite3'}"
    upgrade(url, "0009")
    engine = engine_for(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO order_lines (id, shop_id, order_id, order_external_id, line_key, "
                "quantity, unit_price) VALUES (1, 1, 7, 'o7', '1', 1, 2), "
                "(2, 1, 7, 'o7', '2', 1, 2), (3, 1, NULL, 'o8', '1', 1, 2)"
            )
        )
    engine.dispose()
    before = [(1, 7, "o7", "1"), (2, 7, "o7", "2"), (3, None, "o8", "1")]
    assert _line_keys(url) == ({("shop_id", "order_external_id", "line_key")}, before)
    upgrade(url)
    assert _line_keys(url) == ({("order_id", "line_key")}, before)
    engine = engine_for(url)
    with engine.connect() as connection:
        for duplicate in ("(4, 1, 7, 'o7', '1', 1, 2)", "(4, 1, NULL, 'o8', '1', 1, 2)"):
            with pytest.raises(IntegrityError):
                connection.execute(
                    text(
                        "INSERT INTO order_lines (id, shop_id, order_id, order_external_id, "
                        f"line_key, quantity, unit_price) VALUES {duplicate}"
                    )
                )
            connection.rollback()
    engine.dispose()
    downgrade(url, "0009")
    assert _line_keys(url) == ({("shop_id", "order_external_id", "line_key")}, before)
