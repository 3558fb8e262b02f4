"""What every admin template can use: the request's shop, its formats, the pages to link."""

from __future__ import annotations

from flask import current_app, g
from flask_babel import lazy_gettext as _l

from plugin_app.admin import admin
from plugin_app.admin.csrf import csrf_token
from plugin_app.admin.formats import ShopFormats, formats_for
from plugin_app.admin.run_names import kind_name, stream_name
from plugin_app.i18n import LANGUAGE_NAMES, current_language


def page_window(page: int, pages: int, around: int = 2) -> list[int | None]:
    """Page numbers to link: the first, the last and a few around the current; None is a gap.

    page_window(6, 12) -> [1, None, 4, 5, 6, 7, 8, None, 12]
    """
    shown = {1, pages, *range(max(1, page - around), min(pages, page + around) + 1)}
    window: list[int | None] = []
    previous = 0
    for number in sorted(shown):
        if number - previous > 1:
            window.append(None)
        window.append(number)
        previous = number
    return window


KIND_NAMES = {
    "popup": _l("Popup"),
    "slide_in": _l("Slide-in"),
    "banner": _l("Banner"),
    "inline": _l("Inline content"),
}


@admin.context_processor
def admin_context() -> dict:
    shop = g.get("shop")
    language = current_language()
    return {
        "shop": shop,
        "fmt": formats_for(shop, language)
        if shop is not None
        else ShopFormats(language=language, currency="EUR", zone="UTC"),
        "page_window": page_window,
        "csrf_token": csrf_token,
        "language_names": LANGUAGE_NAMES,
        "kind_names": KIND_NAMES,
        "stream_name": stream_name,
        "run_kind_name": kind_name,
        # The campaigns pages appear once the campaign API they use is installed.
        "has_campaigns": "admin.campaigns" in current_app.view_functions,
    }
