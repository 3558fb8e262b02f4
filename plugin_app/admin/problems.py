"""Admin error pages: what went wrong and what the merchant can do about it, as HTML.

The app answers JSON errors on API routes (plugin_app/errors.py); the admin is read by
people, so its 400/401/403/404 are pages in the admin's own look.
"""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

OPEN_ADMIN_HINT = (
    "Open Cible from your shop's back office (Shopify: Apps, then Cible; WordPress: "
    "WooCommerce, then Cible; PrestaShop: Modules, then Cible, Configure). If you host "
    "Cible yourself, run `cible admin-link --shop your-shop.example` on the server and "
    "open the link it prints within 5 minutes."
)


def with_code(text: str | None) -> Markup | None:
    """Escape the text, then show `command` spans as code (messages quote commands to run)."""
    if text is None:
        return None
    parts = str(escape(text)).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: leave the text as it is
        return escape(text)
    return Markup(
        "".join(f"<code>{part}</code>" if index % 2 else part for index, part in enumerate(parts))
    )


def render_problem(status: int, title: str, message: str, hint: str | None = None):
    body = render_template(
        "admin/problem.html",
        status=status,
        title=title,
        message=with_code(message),
        hint=with_code(hint),
    )
    return body, status


def init_blueprint(blueprint) -> None:
    """Admin pages answer their HTTP errors as admin pages."""

    def page_for(error: HTTPException):
        titles = {
            400: "This request cannot be read",
            401: "Sign-in needed",
            403: "Not allowed",
            404: "Not found",
        }
        return render_problem(
            error.code or 500, titles.get(error.code, error.name), error.description or ""
        )

    for code in (400, 401, 403, 404):
        blueprint.register_error_handler(code, page_for)
