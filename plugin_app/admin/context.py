"""What every admin template can use: the request's shop, its formats, the pages to link."""

from __future__ import annotations

from flask import g

from plugin_app.admin import admin
from plugin_app.admin.formats import ShopFormats, formats_for

# Before a shop is chosen (the shop picker, error pages) figures are written in English.
NO_SHOP_FORMATS = ShopFormats(language="en", currency="EUR", zone="UTC")


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


@admin.context_processor
def admin_context() -> dict:
    shop = g.get("shop")
    return {
        "shop": shop,
        "fmt": formats_for(shop) if shop is not None else NO_SHOP_FORMATS,
        "page_window": page_window,
    }
