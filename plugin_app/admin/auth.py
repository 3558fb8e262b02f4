"""Which shop an admin request is for, and who may open it.

The admin shows personal data, so a request reaches a page only with a shop in its
session, and every query then uses that shop's id. A session is opened in every mode by a
signed launch link (plugin_app/admin/launch.py); in development, demo and tests, also by
`?shop=DOMAIN`, which production ignores. Sessions end after ADMIN_SESSION_MAX_AGE
whatever the browser keeps. Issue 7 adds Shopify session tokens and CSRF for forms (the
admin has no POST form yet).
"""

from __future__ import annotations

import time

from flask import g, redirect, request, session, url_for

from plugin_app import db
from plugin_app.admin import admin, shopify_embedded
from plugin_app.admin.launch import LaunchError, read_launch_token
from plugin_app.admin.problems import OPEN_ADMIN_HINT, render_problem
from sync.store import Shop, shop_by_domain

ADMIN_SESSION_MAX_AGE = 12 * 3600
# Endpoints that need no shop: the launch link itself and the stylesheet.
OPEN_ENDPOINTS = {"admin.launch", "admin.static"}
# Endpoints that run without a shop in development, to let the merchant pick one.
PICKER_ENDPOINTS = {"admin.home"}


def open_session(shop: Shop) -> None:
    """Start a fresh admin session for this shop (nothing of a previous one is kept)."""
    session.clear()
    session["shop_id"] = shop.id
    session["opened_at"] = int(time.time())


def session_shop() -> Shop | None:
    """The shop of the current session, or None when there is none or it has ended."""
    bearer = shopify_embedded.bearer_shop()  # an API call from the embedded admin
    if bearer is not None:
        return bearer
    shop_id = session.get("shop_id")
    opened_at = session.get("opened_at")
    if not isinstance(shop_id, int) or not isinstance(opened_at, int):
        return None
    if time.time() - opened_at > ADMIN_SESSION_MAX_AGE:
        session.clear()
        return None
    shop = db.session().get(Shop, shop_id)
    if shop is None or shop.uninstalled_at is not None:
        session.clear()
        return None
    return shop


def uninstalled_problem(shop: Shop):
    return render_problem(
        403,
        "Cible is uninstalled from this shop",
        f"{shop.domain} uninstalled Cible; install it again from the shop's back office "
        "to open its admin.",
    )


def current_shop() -> Shop:
    """The request's shop; only called from views the shop check has let through."""
    return g.shop


@admin.before_request
def require_shop():
    g.shop = None
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    embedded = shopify_embedded.resolve()  # Shopify session tokens, no cookies
    if embedded is not None or g.shop is not None:
        return embedded
    production = db.settings().production
    domain = request.args.get("shop")
    if domain and not production:
        chosen = shop_by_domain(db.session(), domain)
        if chosen is None:
            return render_problem(
                404,
                "No such shop",
                f"There is no shop with domain {domain}.",
                "Pick one of the shops on the admin home page, or add one with "
                "`cible shop add --platform csv --domain your-shop.example`.",
            )
        if chosen.uninstalled_at is not None:
            return uninstalled_problem(chosen)
        open_session(chosen)
    g.shop = session_shop()
    if g.shop is not None or (not production and request.endpoint in PICKER_ENDPOINTS):
        return None
    if production:
        return render_problem(
            401,
            "Open Cible from your shop",
            "This page shows your customers' personal data, so it opens only from a "
            "signed link for one shop.",
            OPEN_ADMIN_HINT,
        )
    return redirect(url_for("admin.home"))


@admin.after_request
def protect_response(response):
    """Personal data: never cached, never leaked through Referer, no foreign scripts.

    Images may come from any https address: the campaign preview shows a popup's image
    from wherever the merchant hosts it (Referrer-Policy keeps the page's address out of
    those requests)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Issue 7 widens frame-ancestors to the shop's own admin when pages are embedded.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data: https:; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'self'"
    )
    return shopify_embedded.finish_response(response)


@admin.get("/launch")
def launch():
    """Follow a launch link: open a session for its shop and go to the admin home."""
    token = request.args.get("token", "")
    try:
        shop_id = read_launch_token(db.settings(), token)
    except LaunchError as error:
        status = 400 if not token else 401
        title = "This link has expired" if error.expired else "This link cannot be used"
        return render_problem(status, title, str(error), OPEN_ADMIN_HINT)
    shop = db.session().get(Shop, shop_id)
    if shop is None:
        return render_problem(
            401,
            "This shop is gone",
            "The shop this link was made for is no longer connected to this Cible.",
            OPEN_ADMIN_HINT,
        )
    if shop.uninstalled_at is not None:
        return uninstalled_problem(shop)
    open_session(shop)
    return redirect(url_for("admin.home"))
