"""The settings page: connection, storefront installation, signing secret, data and privacy,
language and API tokens. Every change is a POST form carrying the session's CSRF token.
"""

from __future__ import annotations

import json
import os

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from plugin_app import db
from plugin_app.admin import admin
from plugin_app.admin.auth import current_shop
from plugin_app.admin.sync_status import latest_progress
from plugin_app.api.tokens import create_token, revoke_token, shop_tokens
from plugin_app.i18n import LANGUAGES, chosen_language
from sync.identity import shop_signing_secret
from sync.privacy import (
    apply_retention,
    erase_customer,
    export_customer,
    find_customer,
    retention_days,
)

RETENTION_CHOICES = (90, 180, 395, 730)
EMBED_HANDLE = "cible-embed"


def shopify_api_key(settings) -> str:
    """The Shopify app's client id (the app embed's deep link names it)."""
    return getattr(settings, "shopify_api_key", None) or os.environ.get("CIBLE_SHOPIFY_API_KEY", "")


def _page(new_token: str | None = None, status: int = 200):
    shop = current_shop()
    settings = db.settings()
    api_key = shopify_api_key(settings)
    deep_link = (
        f"https://{shop.domain}/admin/themes/current/editor?context=apps"
        f"&activateAppId={api_key}/{EMBED_HANDLE}"
        if api_key
        else None
    )
    script_url = f"{settings.public_url.rstrip('/')}/storefront/v1/{shop.public_id}/loader.js"
    runs = latest_progress(db.session(), shop.id, limit=1)
    body = render_template(
        "admin/settings.html",
        active="settings",
        last_run=runs[0] if runs else None,
        deep_link=deep_link,
        script_url=script_url,
        signing_secret=shop_signing_secret(settings, shop.public_id),
        tokens=shop_tokens(shop),
        new_token=new_token,
        chosen=chosen_language(shop) or "auto",
        languages=LANGUAGES,
        retention=retention_days(shop),
        retention_choices=RETENTION_CHOICES,
    )
    return body, status


@admin.get("/settings")
def settings_page():
    return _page()


@admin.post("/settings/language")
def settings_language():
    shop = current_shop()
    choice = request.form.get("language", "auto")
    if choice not in (*LANGUAGES, "auto"):
        flash(_("Unknown language."), "critical")
        return redirect(url_for("admin.settings_page"))
    values = dict(shop.settings or {})
    if choice == "auto":
        values.pop("admin_language", None)
    else:
        values["admin_language"] = choice
    shop.settings = values
    db.session().commit()
    return redirect(url_for("admin.settings_page") + "#language")


@admin.post("/settings/tokens")
def settings_token_create():
    shop = current_shop()
    try:
        _entry, token = create_token(shop, request.form.get("name", ""))
    except ValueError as error:
        flash(str(error), "critical")
        return redirect(url_for("admin.settings_page") + "#tokens")
    db.session().commit()
    # Shown once, in this answer only: never stored in clear, never put in the session.
    return _page(new_token=token)


@admin.post("/settings/tokens/<token_id>/revoke")
def settings_token_revoke(token_id: str):
    shop = current_shop()
    if not revoke_token(shop, token_id):
        abort(404, description=_("No such token."))
    db.session().commit()
    flash(_("The token is revoked: scripts using it are refused from now on."), "success")
    return redirect(url_for("admin.settings_page") + "#tokens")


@admin.post("/settings/retention")
def settings_retention():
    shop = current_shop()
    days = request.form.get("days", type=int)
    if days not in RETENTION_CHOICES:
        flash(_("Choose one of the retention periods offered."), "critical")
        return redirect(url_for("admin.settings_page") + "#privacy")
    shop.settings = {**(shop.settings or {}), "retention_days": days}
    removed = apply_retention(db.session(), shop)
    db.session().commit()
    flash(
        _(
            "Storefront events are kept %(days)s days; %(count)s older ones were deleted.",
            days=days,
            count=removed,
        ),
        "success",
    )
    return redirect(url_for("admin.settings_page") + "#privacy")


def _customer_from_form():
    shop = current_shop()
    reference = request.form.get("customer", "")[:320]
    found = find_customer(db.session(), shop.id, reference)
    if found is None:
        flash(_("No customer of this shop matches “%(ref)s”.", ref=reference), "critical")
    return found


@admin.post("/settings/privacy/export")
def settings_customer_export():
    found = _customer_from_form()
    if found is None:
        return redirect(url_for("admin.settings_page") + "#privacy")
    data = export_customer(db.session(), current_shop().id, found.id)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="customer-{found.id}-data.json"'},
    )


@admin.post("/settings/privacy/erase")
def settings_customer_erase():
    found = _customer_from_form()
    if found is None:
        return redirect(url_for("admin.settings_page") + "#privacy")
    label = found.email or found.external_id
    erase_customer(db.session(), db.settings(), current_shop(), found.id)
    db.session().commit()
    flash(_("Customer %(ref)s and all their data are erased.", ref=label), "success")
    return redirect(url_for("admin.settings_page") + "#privacy")
