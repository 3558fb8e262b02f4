"""CSRF protection: one random token per admin session, required on every admin form.

A form carries it in a hidden `csrf_token` field; the pages' JavaScript sends it as the
`X-CSRF-Token` header on API writes (plugin_app/api/auth.py checks those). The token is
compared in constant time and lives only in the signed session, so another site can
neither read nor guess it. A session opened afresh (launch link, `?shop=`) gets a new one.
"""

from __future__ import annotations

import hmac
import secrets

from flask import g, request, session

from plugin_app.admin import admin

SESSION_KEY = "csrf_token"
FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def csrf_token() -> str:
    """This session's token, made on first use."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def token_is_valid(sent: str | None) -> bool:
    expected = session.get(SESSION_KEY)
    if not sent or not isinstance(expected, str):
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


def sent_token() -> str | None:
    return request.headers.get(HEADER) or request.form.get(FORM_FIELD)


@admin.before_request
def require_csrf_token():
    """Refuse an admin write without this session's token (runs after the shop check)."""
    if request.method in SAFE_METHODS or request.endpoint in {"admin.static"}:
        return None
    if g.get("shopify_session_token"):
        # Embedded in Shopify: the request carries a verified session token, which another
        # site can neither obtain nor make a browser send (plugin_app/admin/shopify_embedded).
        return None
    if token_is_valid(sent_token()):
        return None
    from flask_babel import gettext as _

    from plugin_app.admin.problems import render_problem

    return render_problem(
        403,
        _("This form has expired"),
        _(
            "The form was sent without the security token of your current session (it was "
            "opened before you signed in again, or from another site)."
        ),
        _("Reload the page and send the form again."),
    )
