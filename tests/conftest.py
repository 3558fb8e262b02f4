"""Shared fixtures: real databases (SQLite always, PostgreSQL when CIBLE_TEST_POSTGRES_URL is
set), a real Redis when CIBLE_TEST_REDIS_URL is set, the Flask app over real HTTP.

Every test that uses `db_url` (directly or through `db`, `settings`, `app`...) runs once
per available database backend.
"""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from sync.migrations import upgrade
from sync.settings import Settings
from sync.store import engine_for, session_factory

POSTGRES_URL = os.environ.get("CIBLE_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("CIBLE_TEST_REDIS_URL", "")
TEST_SECRET_KEY = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"

# Which databases the suite runs on: SQLite always, PostgreSQL where its URL is set;
# CIBLE_TEST_BACKENDS=postgresql narrows a run to one (CI runs SQLite in its own pass).
BACKENDS = [
    name
    for name in os.environ.get("CIBLE_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if name == "sqlite" or (name == "postgresql" and POSTGRES_URL)
]


def _create_postgres_database() -> tuple[str, str]:
    """A fresh database per test session, so parallel runs never share rows."""
    admin_url = make_url(POSTGRES_URL)
    name = f"cible_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False), name


def _drop_postgres_database(url: str, name: str) -> None:
    engine_for(url).dispose()
    admin = create_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'cible.sqlite3'}"
        upgrade(url)
        yield url
        engine_for(url).dispose()
    else:
        url, name = _create_postgres_database()
        upgrade(url)
        yield url
        _drop_postgres_database(url, name)


def _empty_all_tables(url: str) -> None:
    engine = engine_for(url)
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{t}"' for t in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            for table in tables:
                connection.execute(text(f'DELETE FROM "{table}"'))
            # After the commit: inside a transaction SQLite ignores this pragma, and the
            # pooled connection would keep foreign keys (and their cascades) off.
            connection.commit()
            connection.execute(text("PRAGMA foreign_keys=ON"))
        connection.commit()


@pytest.fixture
def db_url(database_url):
    """The migrated database of this backend, emptied after each test."""
    yield database_url
    _empty_all_tables(database_url)


@pytest.fixture
def backend(db_url) -> str:
    return make_url(db_url).get_backend_name()


@pytest.fixture
def settings(db_url, tmp_path) -> Settings:
    return Settings(
        env="testing",
        instance_path=tmp_path,
        database_url=db_url,
        secret_key=TEST_SECRET_KEY,
    )


@pytest.fixture
def db(settings):
    session = session_factory(settings.database_url)()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def shop(db):
    from sync.shops import create_shop

    created = create_shop(
        db, platform="csv", domain="chocolats.example.fr", timezone="Europe/Paris"
    )
    db.commit()
    return created


@pytest.fixture
def app(settings):
    from plugin_app import create_app

    return create_app({"CIBLE_SETTINGS": settings, "TESTING": True})


@pytest.fixture
def cli_runner(app):
    """Runs `cible` commands in-process against the test app (and its database)."""
    from plugin_app.cli import cli

    runner = app.test_cli_runner()

    def invoke(*args, **kwargs):
        return runner.invoke(cli, list(args), **kwargs)

    return invoke


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on a free localhost port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def redis_url():
    """A real Redis (CIBLE_TEST_REDIS_URL), skipped where none is configured."""
    if not REDIS_URL:
        pytest.skip("CIBLE_TEST_REDIS_URL is not set")
    return REDIS_URL


@pytest.fixture
def redis_settings(settings, redis_url) -> Settings:
    """Settings with jobs on Redis, in a queue of this test's own."""
    from dataclasses import replace

    from sync.queue import redis_connection

    queue_name = f"cible-test-{secrets.token_hex(4)}"
    yield replace(settings, redis_url=redis_url, queue_name=queue_name)
    connection = redis_connection(redis_url)
    for key in connection.scan_iter(f"*{queue_name}*"):
        connection.delete(key)


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
