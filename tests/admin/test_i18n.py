"""The admin in French and English: language choice, translated pages, CLDR formats, and
catalogues that are complete and compiled."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from plugin_app.admin.formats import format_date, format_money, format_number
from sync.store import Customer
from tests.admin.conftest import AdminClient, page_text

TRANSLATIONS = Path(__file__).resolve().parents[2] / "plugin_app" / "translations"
FR_PO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
FR_MO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.mo"


def test_browser_language_picks_french_or_english(live_server, filled_shop):
    french = AdminClient(live_server, filled_shop.domain, language="fr-FR,fr;q=0.9")
    text = page_text(french.page("/admin/").text)
    assert "Accueil" in text and "Réglages" in text and "Prochaines étapes" in text
    english = AdminClient(live_server, filled_shop.domain, language="en-GB,en;q=0.8")
    text = page_text(english.page("/admin/").text)
    assert "Home" in text and "Settings" in text and "Next steps" in text
    assert "Réglages" not in text


def test_the_shop_language_applies_when_the_browser_names_neither(live_server, db, filled_shop):
    filled_shop.language = "fr"
    db.commit()
    client = AdminClient(live_server, filled_shop.domain, language="de-DE")
    assert '<html lang="fr">' in client.page("/admin/segments").text


def test_the_settings_switch_overrides_the_browser(live_server, filled_shop):
    client = AdminClient(live_server, filled_shop.domain, language="en")
    answer = client.form("/admin/settings/language", {"language": "fr"})
    assert answer.status_code == 200
    assert "Langue de l’administration" in answer.text
    assert "Clients" in page_text(client.page("/admin/customers").text)
    client.form("/admin/settings/language", {"language": "auto"})
    assert "Customers" in page_text(client.page("/admin/customers").text)
    refused = client.form("/admin/settings/language", {"language": "xx"})
    assert "Unknown language" in refused.text


def test_figures_and_dates_follow_the_language(live_server, db, filled_shop):
    customer = db.query(Customer).filter_by(shop_id=filled_shop.id, external_id="c7").one()
    french = AdminClient(live_server, filled_shop.domain, language="fr")
    page = french.page(f"/admin/customers/{customer.id}").text
    assert "800,00\u00a0€" in page
    english = AdminClient(live_server, filled_shop.domain, language="en")
    assert "€800.00" in english.page(f"/admin/customers/{customer.id}").text
    assert format_money(Decimal("1234.5"), "EUR", "fr") == "1\u202f234,50\u00a0€"
    assert format_number(1234567, "fr") == "1\u202f234\u202f567"
    assert format_number(1234567, "en") == "1,234,567"
    assert format_date(datetime(2026, 3, 12).date(), "fr") == "12 mars 2026"
    assert format_date(datetime(2026, 3, 12).date(), "en") == "Mar 12, 2026"


def test_compiled_catalogue_matches_its_source():
    with FR_PO.open("rb") as source:
        po = read_po(source)
    with FR_MO.open("rb") as compiled:
        mo = read_mo(compiled)

    def plain(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    expected = {plain(m.id): plain(m.string) for m in po if m.id and not m.fuzzy}
    found = {plain(m.id): plain(m.string) for m in mo if m.id}
    assert found == expected, "run `make translations` to recompile the .mo files"


def test_every_admin_text_has_a_french_translation():
    root = TRANSLATIONS.parent.parent
    method_map = [
        ("plugin_app/admin/**.py", "python"),
        ("plugin_app/admin/templates/**.html", "jinja2"),
    ]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
    extracted = {
        message[2] if isinstance(message[2], str) else tuple(message[2])
        for message in extract_from_dir(str(root), method_map, keywords=keywords)
        if message[0].startswith("plugin_app")
    }
    with FR_PO.open("rb") as source:
        po = read_po(source)
    translated = {
        m.id: m.string
        for m in po
        if m.id and (m.string if isinstance(m.string, str) else all(m.string))
    }
    missing = sorted(str(message) for message in extracted if message not in translated)
    assert not missing, f"untranslated (run `make translations` and translate): {missing[:10]}"
