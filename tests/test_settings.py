import logging

import pytest

from sync.settings import DEVELOPMENT_SECRET_KEY, SettingsError, load_settings


def test_defaults_use_sqlite_under_instance_and_inline_jobs(tmp_path):
    settings = load_settings(environ={}, instance_path=tmp_path)
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path / 'cible.sqlite3'}"
    assert settings.jobs_inline
    assert settings.secret_key == DEVELOPMENT_SECRET_KEY


def test_environment_overrides_instance_file(tmp_path):
    (tmp_path / "cible.env").write_text(
        "# instance settings\nCIBLE_REDIS_URL=redis://file:6379/1\nCIBLE_QUEUE_NAME='from-file'\n"
    )
    settings = load_settings(
        environ={"CIBLE_INSTANCE_PATH": str(tmp_path), "CIBLE_QUEUE_NAME": "from-env"}
    )
    assert settings.redis_url == "redis://file:6379/1"
    assert settings.queue_name == "from-env"
    assert not settings.jobs_inline


def test_instance_file_with_unknown_name_is_refused_with_its_line(tmp_path):
    (tmp_path / "cible.env").write_text("CIBLE_ENV=development\nCIBLE_DATABSE_URL=x\n")
    with pytest.raises(SettingsError, match=r"cible.env:2"):
        load_settings(environ={}, instance_path=tmp_path)


def test_development_secret_warns_loudly(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        load_settings(environ={}, instance_path=tmp_path).check()
    assert "DEVELOPMENT secret key" in caplog.text


def test_production_refuses_development_secret(tmp_path):
    settings = load_settings(
        environ={"CIBLE_ENV": "production", "CIBLE_DATABASE_URL": "postgresql://x/y"},
        instance_path=tmp_path,
    )
    with pytest.raises(SettingsError, match="CIBLE_SECRET_KEY"):
        settings.check()


def test_production_refuses_short_secret_and_missing_database(tmp_path):
    short = load_settings(
        environ={"CIBLE_ENV": "production", "CIBLE_SECRET_KEY": "short"}, instance_path=tmp_path
    )
    with pytest.raises(SettingsError, match="at least 32"):
        short.check()
    no_db = load_settings(
        environ={"CIBLE_ENV": "production", "CIBLE_SECRET_KEY": "k" * 40}, instance_path=tmp_path
    )
    with pytest.raises(SettingsError, match="CIBLE_DATABASE_URL"):
        no_db.check()


def test_create_app_refuses_to_start_in_production_with_development_secret(tmp_path):
    from plugin_app import create_app

    settings = load_settings(
        environ={"CIBLE_ENV": "production", "CIBLE_DATABASE_URL": "sqlite:///x.db"},
        instance_path=tmp_path,
    )
    with pytest.raises(SettingsError):
        create_app({"CIBLE_SETTINGS": settings})
