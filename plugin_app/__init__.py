"""Cible's web app (top floor): install flows, webhooks, admin pages and storefront endpoints."""

from __future__ import annotations

import logging

from flask import Flask

from sync.settings import Settings, load_settings
from sync.store import session_factory


def create_app(config: dict | None = None) -> Flask:
    """Build an app: defaults, the instance file and CIBLE_* variables, then `config`.

    `config` may carry `CIBLE_SETTINGS` (a ready Settings, as tests do) and any Flask
    option; everything Cible-specific lives in the Settings object at
    `app.config["CIBLE_SETTINGS"]`.
    """
    config = dict(config or {})
    settings: Settings = config.pop("CIBLE_SETTINGS", None) or load_settings()
    settings.check()
    app = Flask(__name__, instance_path=str(settings.instance_path.resolve()))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        CIBLE_SETTINGS=settings,
        SESSION_COOKIE_SAMESITE="None" if settings.production else "Lax",
        SESSION_COOKIE_SECURE=settings.production,
        JSON_SORT_KEYS=False,
    )
    app.config.update(config)
    logging.basicConfig(level=logging.INFO)

    app.extensions["cible.sessions"] = session_factory(settings.resolved_database_url())

    from plugin_app import db, errors, health, i18n
    from plugin_app.admin import admin
    from plugin_app.api import api
    from plugin_app.storefront import storefront

    db.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(admin)
    app.register_blueprint(api)
    app.register_blueprint(storefront)
    from plugin_app import demo_store  # /demo/store, served outside production only

    demo_store.init_app(app)
    from plugin_app.install import shopify as shopify_install
    from plugin_app.proxy import shopify as shopify_proxy
    from plugin_app.webhooks import shopify as shopify_webhooks

    app.register_blueprint(shopify_install.blueprint)
    app.register_blueprint(shopify_webhooks.blueprint)
    app.register_blueprint(shopify_proxy.blueprint)
    from plugin_app.install import woocommerce as woocommerce_install
    from plugin_app.webhooks import woocommerce as woocommerce_webhooks

    app.register_blueprint(woocommerce_install.blueprint)
    app.register_blueprint(woocommerce_webhooks.blueprint)
    from plugin_app.install import prestashop as prestashop_install
    from plugin_app.webhooks import prestashop as prestashop_webhooks

    app.register_blueprint(prestashop_install.blueprint)
    app.register_blueprint(prestashop_webhooks.blueprint)
    from plugin_app.storefront import decide_endpoint

    decide_endpoint.install(app)  # decide is answered before Flask: the hottest path
    return app
