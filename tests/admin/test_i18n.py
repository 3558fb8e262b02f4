"""The admin in French and English: language choice, translated pages, CLDR formats, and
catalogues that are complete and compiled."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from plugin_app.admin.formats import format_date, format_money, format_number
from sync import schema_messages
from sync.campaigns import messages as campaign_messages
from sync.campaigns.editing import CampaignError, read_document
from sync.campaigns.schema import CampaignDocument
from sync.runs import queue_run
from sync.segments import messages as segment_messages
from sync.store import Customer, session_factory
from tests.admin.conftest import AdminClient, page_text

TRANSLATIONS = Path(__file__).resolve().parents[2] / "plugin_app" / "translations"
FR_PO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
FR_MO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.mo"
# Every sentence sync/ raises that the admin shows translated.
ERROR_TEMPLATES = segment_messages.ALL + campaign_messages.ALL + schema_messages.ALL


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


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\((\w+)\)s", text))


def test_every_error_template_has_a_french_translation():
    """Walks every template sync/ raises errors with: each is in the French catalogue,
    translated (not fuzzy, not empty), with the same placeholders as its English msgid."""
    with FR_PO.open("rb") as source:
        po = {m.id: m for m in read_po(source) if m.id}
    assert len({t.code for t in ERROR_TEMPLATES}) == len(ERROR_TEMPLATES), "codes must differ"
    missing = [
        t.msgid
        for t in ERROR_TEMPLATES
        if t.msgid not in po or not po[t.msgid].string or po[t.msgid].fuzzy
    ]
    assert not missing, f"untranslated (run `make translations` and translate): {missing[:10]}"
    for template in ERROR_TEMPLATES:
        french = po[template.msgid].string
        assert _placeholders(french) == _placeholders(template.msgid), template.code


TYPO = "city = 'Lyon'\nAND number_of_ordrs >= 1"


@pytest.mark.parametrize(
    "language, expected",
    [
        ("fr-FR,fr;q=0.9", "attribut inconnu number_of_ordrs"),
        ("en-GB,en;q=0.8", "unknown attribute number_of_ordrs"),
    ],
)
def test_a_segment_typo_is_explained_in_the_admins_language(
    live_server, filled_shop, language, expected
):
    client = AdminClient(live_server, filled_shop.domain, language=language)
    for method, path, body in (
        ("POST", "/segments/preview", {"query": TYPO}),  # the editor's live check
        ("POST", "/segments", {"name": "Typo", "query": TYPO}),  # its save
    ):
        answer = client.api(method, path, json=body)
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        assert (error["line"], error["column"]) == (2, 5)
        assert error["localized"] == {
            "language": language[:2],
            "message": expected,
            "suggestion": "number_of_orders",
        }
        # What scripts read stays English and stable, whatever the language.
        assert error["message"] == "unknown attribute number_of_ordrs"
        assert error["code"] == "unknown_attribute"
        assert error["params"] == {"attribute": "number_of_ordrs"}
        assert answer.json()["message"].startswith("line 2, column 5: unknown attribute")


def test_words_inside_a_french_error_are_french_and_typed_words_stay(live_server, filled_shop):
    client = AdminClient(live_server, filled_shop.domain, language="fr")

    def error_of(query: str) -> dict:
        answer = client.api("POST", "/segments/preview", json={"query": query})
        assert answer.status_code == 422, answer.text
        return answer.json()["error"]

    quoted = error_of("city = Nantes")
    assert quoted["localized"]["message"].startswith("attendu : une valeur (un nombre")
    assert quoted["localized"]["message"].endswith("; trouvé : 'Nantes'")
    assert quoted["localized"]["suggestion"] == "'Nantes' (le texte s’écrit entre apostrophes)"
    assert quoted["suggestion"] == "'Nantes' (text goes between single quotes)"
    assert quoted["replacement"] == "'Nantes'"  # what "did you mean" puts in the query

    operator = error_of("number_of_orders CONTAINS 3")
    assert operator["localized"]["message"].startswith(
        "number_of_orders (entier) accepte les opérateurs =, !=, >, >=, <, <=, BETWEEN"
    )
    assert operator["localized"]["message"].endswith("; pas CONTAINS")
    assert operator["message"].startswith("number_of_orders (integer) takes the operators")

    ended = error_of("(city = 'x'")
    assert ended["localized"]["message"] == (
        "attendu : ')' pour fermer la parenthèse ; trouvé : la fin de la requête"
    )
    kind = error_of("number_of_orders > 'two'")
    assert kind["localized"]["message"] == (
        "number_of_orders attend un nombre entier comme 3, pas 'two'"
    )


def test_a_refused_campaign_is_explained_in_the_admins_language(live_server, filled_shop):
    empty = {"name": "Vide", "kind": "popup", "variants": [{"key": "a", "content": {}}]}
    for language, expected in (
        ("fr", "la variante a n’affiche rien : donnez-lui un titre, du HTML, une image ou un "
         "formulaire"),
        ("en", "variant a shows nothing: give it a title, html, image or form"),
    ):  # fmt: skip
        client = AdminClient(live_server, filled_shop.domain, language=language)
        answer = client.api("POST", "/campaigns", json=empty)
        assert answer.status_code == 422, answer.text
        body = answer.json()
        assert body["localized"] == {
            "language": language,
            "message": expected,
            "fields": {"variants": {"0": {"content": [expected]}}},
        }
        assert body["message"] == "variant a shows nothing: give it a title, html, image or form"
        assert body["code"] == "variant_shows_nothing"


def test_a_refused_launch_is_flashed_in_french(live_server, filled_shop):
    client = AdminClient(live_server, filled_shop.domain, language="fr")
    created = client.api(
        "POST",
        "/campaigns",
        json={
            "name": "Sans poids",
            "kind": "popup",
            "variants": [{"key": "a", "weight": 0, "content": {"title": "Bonjour"}}],
        },
    )
    assert created.status_code == 201, created.text
    public_id = created.json()["id"]
    answer = client.form(f"/admin/campaigns/{public_id}/status", {"status": "live"})
    assert answer.status_code == 200
    assert "donnez à une variante un poids supérieur à 0 avant la mise en ligne" in page_text(
        answer.text
    )


def test_every_message_of_the_campaign_document_is_a_template():
    """marshmallow's own messages included: none would reach a French merchant in English."""
    assert schema_messages.untemplated(CampaignDocument()) == []


def _leaves(details):
    if isinstance(details, dict):
        return [leaf for value in details.values() for leaf in _leaves(value)]
    if isinstance(details, list):
        return [leaf for value in details for leaf in _leaves(value)]
    return [details]


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "inline"},  # no slot
        {"slot": "hero"},  # a popup with a slot
        {"kind": "inline", "slot": "hero", "triggers": [{"type": "exit_intent"}]},
        {"variants": [{"key": "a"}, {"key": "a"}]},
        {"variants": [{"key": "a", "control": True}, {"key": "b", "control": True}]},
        {"variants": [{"key": "a", "control": True}]},
        {"audience": {"segments": {"include": [1], "exclude": [1]}, "visitors": "all"}},
        {"audience": {"devices": ["tv"], "returning": "maybe"}},
        {"pages": {"url": [{"op": "regex", "value": "(["}], "page_types": "home"}},
        {"pages": {"url": [{"op": "regex", "value": "a" * 300}]}},
        {"triggers": [{"type": "scroll", "percent": 50, "seconds": 3}], "priority": 5000},
        {"schedule": {"starts_at": "2026-05-02T00:00:00", "ends_at": "2026-05-01T00:00:00"}},
        {"schedule": {"hours": {"from": "25:00"}, "weekdays": [8]}},
        {"frequency": {"every_days": 0, "stop_after_conversion": "yes"}, "goal": None},
        {"variants": [{"key": "a", "content": {"title": "x", "link": "y"}}], "name": ""},
        {"variants": "a", "attribution_days": 1.5, "triggers": []},
        {"audience": [], "pages": 3},
    ],
)
def test_each_refusal_of_the_campaign_document_carries_its_template(changes):
    document = {"name": "x", "kind": "popup", "variants": [{"key": "a"}], **changes}
    with pytest.raises(CampaignError) as refused:
        read_document(document)
    leaves = _leaves(refused.value.fields)
    assert leaves
    for leaf in leaves:
        assert isinstance(leaf, str)
        assert leaf.message.template in ERROR_TEMPLATES, leaf


INVALID_CAMPAIGN = {
    "kind": "popup",
    "priority": "3",
    "audience": {"countries": ["FRA"]},
    "triggers": [{"type": "delay"}],
    "frequncy": {},
    "variants": [{"key": "a", "weight": -1, "content": {"title": "Bonjour"}}],
}


@pytest.mark.parametrize(
    "language, expected",
    [
        (
            "fr",
            {
                "name": ["ce champ est obligatoire"],
                "priority": ["doit être un nombre entier"],
                "audience": {"countries": {"0": ["un code pays ISO de deux lettres comme FR"]}},
                "triggers": {"0": {"_schema": ["un déclencheur delay a besoin de seconds"]}},
                "frequncy": ["champ inconnu"],
                "variants": {"0": {"weight": ["doit être entre 0 et 10000"]}},
            },
        ),
        (
            "en",
            {
                "name": ["this field is required"],
                "priority": ["must be a whole number"],
                "audience": {"countries": {"0": ["a two-letter ISO country code such as FR"]}},
                "triggers": {"0": {"_schema": ["a delay trigger needs seconds"]}},
                "frequncy": ["unknown field"],
                "variants": {"0": {"weight": ["must be between 0 and 10000"]}},
            },
        ),
    ],
)
def test_an_invalid_campaign_answers_each_field_in_the_admins_language(
    live_server, filled_shop, language, expected
):
    client = AdminClient(live_server, filled_shop.domain, language=language)
    created = client.api(
        "POST",
        "/campaigns",
        json={
            "name": "Bonjour",
            "kind": "popup",
            "variants": [{"key": "a", "content": {"title": "x"}}],
        },
    )
    assert created.status_code == 201, created.text
    for method, path in (("POST", "/campaigns"), ("PUT", f"/campaigns/{created.json()['id']}")):
        answer = client.api(method, path, json=INVALID_CAMPAIGN)
        assert answer.status_code == 422, answer.text
        body = answer.json()
        assert body["code"] == "invalid_campaign"
        assert body["localized"]["fields"] == expected
        # What scripts read stays English, whatever the language.
        assert body["message"] == "invalid campaign"
        assert body["fields"]["priority"] == ["must be a whole number"]
        assert body["fields"]["frequncy"] == ["unknown field"]
    french = "campagne invalide" if language == "fr" else "invalid campaign"
    assert body["localized"]["message"] == french


@pytest.mark.parametrize(
    "language, expected",
    [
        (
            "fr",
            "adresse de l’image : seulement des liens http(s), relatifs, mailto: ou tel:, "
            "pas 'javascript:alert(1)'",
        ),
        (
            "en",
            "image_url: only http(s), relative, mailto: or tel: links, not 'javascript:alert(1)'",
        ),
    ],
)
def test_a_content_problem_is_explained_in_the_admins_language(
    live_server, filled_shop, language, expected
):
    client = AdminClient(live_server, filled_shop.domain, language=language)
    content = {"title": "Bonjour", "image_url": "javascript:alert(1)"}
    english = "image_url: only http(s), relative, mailto: or tel: links, not 'javascript:alert(1)'"
    # The editor's live preview (its note) and its save.
    preview = client.api("POST", "/campaigns/preview-content", json={"content": content})
    assert preview.status_code == 422, preview.text
    assert preview.json()["localized"] == {
        "language": language,
        "message": expected,
        "fields": {"content": [expected]},
    }
    assert preview.json()["message"] == english
    assert preview.json()["code"] == "url_scheme_refused"
    saved = client.api(
        "POST",
        "/campaigns",
        json={"name": "Image", "kind": "popup", "variants": [{"key": "a", "content": content}]},
    )
    assert saved.status_code == 422, saved.text
    assert saved.json()["localized"]["fields"] == {"variants": {"0": {"content": [expected]}}}
    assert saved.json()["fields"] == {"variants": {"0": {"content": [english]}}}
    unknown = client.api(
        "POST", "/campaigns/preview-content", json={"content": {"title": "Hi {{ prenom }}"}}
    )
    assert unknown.json()["localized"]["message"] == (
        "titre : variable inconnue {{ prenom }} ; utilisez l’une de celles-ci : "
        "{{ first_name }}, {{ cart_total }}, {{ loyalty_points }}"
        if language == "fr"
        else "title: unknown variable {{ prenom }}; use one of "
        "{{ first_name }}, {{ cart_total }}, {{ loyalty_points }}"
    )


@pytest.mark.parametrize(
    "language, stream, kind",
    [("fr", "Clients Shopify", "(complète)"), ("en", "Shopify customers", "(full)")],
)
def test_sync_runs_are_named_in_the_admins_language(
    live_server, settings, filled_shop, language, stream, kind
):
    sessions = session_factory(settings.database_url)
    queue_run(sessions, filled_shop.id, "shopify:customers", "full")
    queue_run(sessions, filled_shop.id, "csv:lines", "import")
    queue_run(sessions, filled_shop.id, "acme:widgets", "weekly")
    client = AdminClient(live_server, filled_shop.domain, language=language)
    html = client.page("/admin/").text
    text = page_text(html)
    assert f"{stream} {kind}" in text
    lines = "Fichier des lignes de commande (CSV) (import)"
    assert (lines if language == "fr" else "Order lines file (CSV) (import)") in text
    # The codes stay at hand for support; one no name is known for is shown as it is.
    assert 'title="shopify:customers"' in html and 'title="full"' in html
    assert "acme:widgets (weekly)" in text
    assert "shopify:customers" not in text
