"""The admin's language: French or English, from the merchant's choice, browser or shop.

Order of precedence: the language picked on the settings page (kept in
`shops.settings["admin_language"]`), then the browser's Accept-Language when it names one
of ours, then the shop's own language (`shops.language`), then English. Interface text is
translated by Flask-Babel from `plugin_app/translations/` (the .po files are the source,
the compiled .mo files are committed beside them and `make translations` rebuilds them;
tests/admin/test_i18n.py checks they agree). Figures and dates go through
plugin_app/admin/formats.py, which uses Babel's CLDR data for the same locale.

Errors raised below Flask (a segment query's, a campaign's) carry a `sync.messages.Message`
whose templates `make translations` extracts from sync/ (the `N_` marker); `translated`
renders one in the request's language, `translated_fields` a whole tree of field-by-field
details (an invalid campaign's `fields`, whose leaves are `sync.messages.Text`s).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, g, request
from flask_babel import Babel, gettext

from sync.messages import Message

LANGUAGES = ("en", "fr")
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
TRANSLATIONS = Path(__file__).parent / "translations"


def language_of(value: str | None) -> str | None:
    """'fr', 'fr-FR', 'fr_CA' -> 'fr'; 'en-GB' -> 'en'; anything else -> None."""
    if not value:
        return None
    code = value.strip().lower()[:2]
    return code if code in LANGUAGES else None


def chosen_language(shop) -> str | None:
    """The language picked on the settings page, or None for 'follow the browser'."""
    if shop is None or not isinstance(shop.settings, dict):
        return None
    return language_of(shop.settings.get("admin_language"))


def select_language() -> str:
    shop = g.get("shop")
    choice = chosen_language(shop)
    if choice:
        return choice
    if request:
        browser = request.accept_languages.best_match(LANGUAGES)
        if browser:
            return browser
    if shop is not None:
        return language_of(shop.language) or "en"
    return "en"


def current_language() -> str:
    """The request's language ('en' or 'fr'), as templates and formats use it."""
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else "en"


def translated(message: Message | str) -> str:
    """A message from sync/ in the request's language: each template (nested ones too) goes
    through gettext, the values the merchant typed go in as they are. A text that kept its
    message (`sync.messages.Text`, a marshmallow template) is translated the same way; a plain
    string (a message no template describes) is shown as it is."""
    if isinstance(message, Message):
        return message.render(gettext)
    kept = getattr(message, "message", None)
    if isinstance(kept, Message):
        return kept.render(gettext)
    return message


def translated_fields(details):
    """Field-by-field details (marshmallow's shape: dicts, lists, messages) with every
    message translated; the shape and the keys stay."""
    if isinstance(details, dict):
        return {key: translated_fields(value) for key, value in details.items()}
    if isinstance(details, list | tuple):
        return [translated_fields(value) for value in details]
    if isinstance(details, str | Message):
        return translated(details)
    return details


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    Babel(app, locale_selector=select_language)
