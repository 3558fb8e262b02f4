"""manifests/shopify: the app configuration and the theme app extension match Cible's routes,
scopes and handled topics, in the layout Shopify CLI expects."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from urllib.parse import urlparse

import pytest

from plugin_app.install.shopify import SCOPES
from sync.shopify_webhooks import DATA_TOPICS

ROOT = Path(__file__).resolve().parents[2] / "manifests" / "shopify"
EXTENSION = ROOT / "extensions" / "cible-embed"


@pytest.fixture(scope="module")
def config() -> dict:
    return tomllib.loads((ROOT / "shopify.app.toml").read_text())


@pytest.fixture(scope="module")
def routes():
    from plugin_app import create_app
    from sync.settings import Settings

    app = create_app(
        {"CIBLE_SETTINGS": Settings(env="testing", database_url="sqlite://", secret_key="x" * 40)}
    )
    return {rule.rule for rule in app.url_map.iter_rules()}


def test_app_is_embedded_with_managed_install_and_our_routes(config, routes):
    assert config["embedded"] is True
    assert config["client_id"]
    assert config["access_scopes"]["use_legacy_install_flow"] is False
    assert urlparse(config["application_url"]).path in routes
    assert [urlparse(u).path for u in config["auth"]["redirect_urls"]] == [
        "/install/shopify/callback"
    ]
    assert "/install/shopify/callback" in routes


def test_scopes_are_the_ones_the_install_asks_for(config):
    scopes = config["access_scopes"]["scopes"].split(",")
    assert scopes == list(SCOPES)
    for needed in ("read_customers", "read_orders", "read_all_orders", "read_products"):
        assert needed in scopes
    assert "write_app_proxy" in scopes  # required by [app_proxy]


def test_webhooks_cover_every_handled_topic_and_compliance(config, routes):
    subscriptions = config["webhooks"]["subscriptions"]
    topics = {t for s in subscriptions for t in s.get("topics", [])}
    compliance = {t for s in subscriptions for t in s.get("compliance_topics", [])}
    assert compliance == {"customers/data_request", "customers/redact", "shop/redact"}
    required = {
        "orders/create", "orders/updated", "customers/create", "customers/update",
        "customers/delete", "products/create", "products/update", "products/delete",
        "checkouts/create", "checkouts/update", "app/uninstalled", "bulk_operations/finish",
    }  # fmt: skip
    assert required <= topics
    handled = set(DATA_TOPICS) | {"customers/delete", "products/delete", "app/uninstalled",
                                  "bulk_operations/finish"}  # fmt: skip
    assert topics <= handled
    assert {urlparse(s["uri"]).path for s in subscriptions} == {"/webhooks/shopify"}
    assert "/webhooks/shopify" in routes
    assert re.fullmatch(r"\d{4}-(01|04|07|10)", config["webhooks"]["api_version"])


def test_app_proxy_matches_the_proxy_routes_and_the_embed(config, routes):
    proxy = config["app_proxy"]
    assert (proxy["prefix"], proxy["subpath"]) == ("apps", "cible")
    base = urlparse(proxy["url"]).path
    assert base == "/proxy/shopify"
    assert f"{base}/identity" in routes
    liquid = (EXTENSION / "blocks" / "app-embed.liquid").read_text()
    assert f'"/{proxy["prefix"]}/{proxy["subpath"]}/identity"' in liquid


def test_theme_extension_layout_and_app_embed(config):
    extension = tomllib.loads((EXTENSION / "shopify.extension.toml").read_text())
    assert extension["type"] == "theme" and extension["name"]
    liquid = (EXTENSION / "blocks" / "app-embed.liquid").read_text()
    schema = json.loads(liquid.split("{% schema %}", 1)[1].split("{% endschema %}", 1)[0])
    assert schema["target"] == "body"
    assert schema["settings"]
    assert 'window.cibleSettings = {"identityUrl": "/apps/cible/identity"};' in liquid
    loader = re.search(r'<script src="([^"]+)" defer></script>', liquid)
    assert loader is not None
    assert loader.group(1) == "{{ public_url }}/storefront/v1/{{ public_id }}/loader.js"
    assert "app.metafields.cible.public_id" in liquid
    # Every translation key the schema uses exists in each schema locale, en and fr.
    keys = set(re.findall(r'"t:([\w.]+)"', liquid))
    for name in ("en.default.schema.json", "fr.schema.json"):
        strings = json.loads((EXTENSION / "locales" / name).read_text())
        for key in keys:
            value = strings
            for part in key.split("."):
                value = value[part]
            assert isinstance(value, str) and value
    for name in ("en.default.json", "fr.json"):
        assert json.loads((EXTENSION / "locales" / name).read_text())
