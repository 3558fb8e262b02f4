"""A variant's content: merchant HTML sanitised at save, variables filled in at decide.

Merchant HTML goes through nh3 (ammonia) when a campaign is saved: scripts, styles,
event-handler attributes, `javascript:` and other unsafe URLs are removed, links get
`rel="noopener noreferrer"`. Variables (`{{ first_name }}`, `{{ cart_total }}`,
`{{ loyalty_points }}`, optionally `{{ first_name | default: "ami" }}`) stay in the stored
text and are substituted per visitor at decide: in `html` the value is HTML-escaped; in the
plain-text fields (title, button label, form texts) it is inserted as text, which the
loader sets with `textContent`, never as HTML. Links and images accept only http(s),
relative, mailto: and tel: URLs.

A refusal is a `ContentError` carrying a `sync.messages.Message` (templates in
sync/campaigns/messages.py): English as `str(error)`, translated by the admin.
"""

from __future__ import annotations

import html as html_module
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from json.encoder import encode_basestring as encode_string

import nh3

from sync.campaigns import messages
from sync.messages import Message

VARIABLES = ("first_name", "cart_total", "loyalty_points")
VARIABLE_RE = re.compile(
    r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*default\s*:\s*\"([^\"{}]*)\"\s*)?\}\}"
)
TEXT_FIELDS = ("title",)
BUTTON_ACTIONS = ("link", "close")
FORM_FIELDS = ("email", "phone")
URL_SCHEMES = {"http", "https", "mailto", "tel"}
ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "div",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "img",
    "ins",
    "li",
    "mark",
    "ol",
    "p",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "target"},
    "img": {"src", "alt", "width", "height", "loading"},
    "*": {"class", "lang", "dir"},
}
MAX_HTML = 20_000
# Currency symbols for the amounts we write into content ({{ cart_total }}).
NARROW_SPACE, NO_BREAK_SPACE = "\u202f", "\u00a0"
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF", "CAD": "$", "JPY": "¥"}


class ContentError(ValueError):
    """Content that cannot be stored as it is (an unsafe URL, an unknown variable)."""

    def __init__(self, message: Message):
        super().__init__(str(message))
        self.message = message


def _field(where: str) -> Message | str:
    """A content field's name, translated with its sentence."""
    template = messages.CONTENT_FIELDS.get(where)
    return template() if template else where


def sanitise_html(markup: str) -> str:
    """Merchant HTML with everything executable removed."""
    return nh3.clean(
        markup,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def safe_url(value: str | None, what: str) -> str | None:
    """An http(s), relative, mailto: or tel: URL; ContentError for anything else."""
    if value is None:
        return None
    url = value.strip()
    if not url:
        return None
    # Browsers ignore control characters and whitespace inside a scheme ("java\tscript:").
    squeezed = re.sub(r"[\x00-\x20]", "", url).lower()
    match = re.match(r"^([a-z][a-z0-9+.\-]*):", squeezed)
    if match and match.group(1) not in URL_SCHEMES:
        raise ContentError(messages.URL_SCHEME_REFUSED(field=_field(what), url=repr(url)))
    if any(ord(c) < 32 for c in url):
        raise ContentError(messages.URL_CONTROL_CHARACTERS(field=_field(what)))
    return url


def check_variables(text: str, where: str) -> None:
    for match in VARIABLE_RE.finditer(text):
        if match.group(1) not in VARIABLES:
            raise ContentError(
                messages.UNKNOWN_VARIABLE(
                    field=_field(where),
                    variable="{{ " + match.group(1) + " }}",
                    variables=", ".join("{{ " + v + " }}" for v in VARIABLES),
                )
            )


def _text(value, where: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ContentError(messages.CONTENT_NOT_TEXT(field=_field(where)))
    value = value.strip()
    if len(value) > limit:
        raise ContentError(messages.CONTENT_TOO_LONG(field=_field(where), limit=limit))
    check_variables(value, where)
    return value or None


def clean_content(content: dict | None, control: bool = False) -> dict:
    """The stored form of a variant's content: sanitised, URLs checked, variables known.

    A control variant has no content ({}).
    """
    if control or not content:
        return {}
    if not isinstance(content, dict):
        raise ContentError(messages.CONTENT_NOT_AN_OBJECT())
    known = {"title", "html", "image_url", "image_alt", "button", "discount_code", "form"}
    unknown = set(content) - known
    if unknown:
        raise ContentError(messages.UNKNOWN_CONTENT_FIELDS(fields=", ".join(sorted(unknown))))
    markup = content.get("html") or ""
    if not isinstance(markup, str):
        raise ContentError(messages.CONTENT_NOT_TEXT(field=_field("html")))
    if len(markup) > MAX_HTML:
        raise ContentError(messages.CONTENT_TOO_LONG(field=_field("html"), limit=MAX_HTML))
    markup = sanitise_html(markup)
    check_variables(markup, "html")
    cleaned: dict = {
        "title": _text(content.get("title"), "title", 200),
        "html": markup,
        "image_url": safe_url(content.get("image_url"), "image_url"),
        "image_alt": _text(content.get("image_alt"), "image_alt", 200),
        "button": None,
        "discount_code": _text(content.get("discount_code"), "discount_code", 64),
        "form": None,
    }
    button = content.get("button")
    if button:
        if not isinstance(button, dict) or set(button) - {"label", "action", "url"}:
            raise ContentError(messages.BUTTON_SHAPE())
        action = button.get("action") or ("link" if button.get("url") else "close")
        if action not in BUTTON_ACTIONS:
            raise ContentError(messages.BUTTON_ACTION(action=repr(action)))
        url = safe_url(button.get("url"), "button url")
        if action == "link" and not url:
            raise ContentError(messages.LINK_BUTTON_NEEDS_URL())
        cleaned["button"] = {
            "label": _text(button.get("label"), "button label", 80) or "OK",
            "action": action,
            "url": url if action == "link" else None,
        }
    form = content.get("form")
    if form:
        known_form = {"fields", "consent_text", "submit_label", "success_text"}
        if not isinstance(form, dict) or set(form) - known_form:
            raise ContentError(messages.FORM_SHAPE(fields=", ".join(sorted(known_form))))
        fields = form.get("fields") or ["email"]
        if not isinstance(fields, list) or not fields or set(fields) - set(FORM_FIELDS):
            raise ContentError(messages.FORM_FIELDS())
        consent = _text(form.get("consent_text"), "form consent_text", 1000)
        if not consent:
            raise ContentError(messages.CONSENT_NEEDED())
        cleaned["form"] = {
            "fields": [f for f in FORM_FIELDS if f in fields],
            "consent_text": consent,
            "submit_label": _text(form.get("submit_label"), "form submit_label", 80) or "OK",
            "success_text": _text(form.get("success_text"), "form success_text", 500),
        }
    return cleaned


# ---- variables, per visitor ------------------------------------------------------------


@dataclass(frozen=True)
class Variables:
    """What a visitor's content may say about them (None: unknown, the default is used)."""

    first_name: str | None = None
    cart_total: str | None = None
    loyalty_points: str | None = None

    def get(self, name: str) -> str | None:
        return getattr(self, name, None)


def format_amount(value, currency: str, language: str) -> str | None:
    """42.5, EUR, fr -> "42,50 €"; en -> "€42.50" (the shop's currency and language)."""
    if value is None:
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    symbol = SYMBOLS.get(currency, currency)
    if language.lower().startswith(("fr", "de", "es", "it", "nl", "pt")):
        whole, _, cents = f"{amount:,.2f}".partition(".")
        return whole.replace(",", NARROW_SPACE) + "," + cents + NO_BREAK_SPACE + symbol
    return f"{symbol}{amount:,.2f}"


def _template(text: str, escape: bool) -> Callable[[Variables], str]:
    """The text with each variable replaced by the visitor's value (HTML-escaped when
    `escape`), or its default, as a function of the variables: the text is parsed once
    (decide fills the same texts thousands of times a second)."""
    pieces = VARIABLE_RE.split(text)  # literal, name, default, literal, ..., literal
    first, literals = pieces[0], pieces[3::3]
    slots = tuple(zip(pieces[1::3], pieces[2::3], literals, strict=True))
    quote = html_module.escape

    def fill(variables: Variables) -> str:
        out = [first]
        for name, default, literal in slots:
            value = getattr(variables, name, None)
            if value is None or value == "":
                out.append(default or "")
            else:
                out.append(quote(value, quote=True) if escape else value)
            out.append(literal)
        return "".join(out)

    return fill


def has_variables(content: dict) -> bool:
    return bool(VARIABLE_RE.search(repr(content)))


def _filled(content: dict, fill: Callable[[str, bool], object]) -> dict:
    """The content with each text that may hold variables replaced by fill(text, escape)
    (escape: the text is HTML)."""
    result = dict(content)
    result["html"] = fill(content.get("html") or "", True)
    for name in ("title", "image_alt", "discount_code"):
        if content.get(name):
            result[name] = fill(content[name], False)
    if content.get("button"):
        button = dict(content["button"])
        button["label"] = fill(button["label"], False)
        result["button"] = button
    if content.get("form"):
        form = dict(content["form"])
        for name in ("consent_text", "submit_label", "success_text"):
            if form.get(name):
                form[name] = fill(form[name], False)
        result["form"] = form
    return result


def renderer(content: dict) -> Callable[[Variables], dict]:
    """A function giving the content for a visitor. Content without variables is returned
    as is (shared, never mutated): decide renders thousands of times a second."""
    if not content or not has_variables(content):
        return lambda _variables: content

    def render(variables: Variables) -> dict:
        return _filled(content, lambda text, escape: _template(text, escape)(variables))

    return render


def compact_json(value) -> str:
    """The storefront's JSON: compact, UTF-8 as is (read by a script, not a person)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# Marks a text filled per visitor inside the JSON written once (a private-use character:
# content that holds one is rendered the slow way instead).
_MARK = "\ue000"
_MARKED_RE = re.compile('"' + _MARK + "(\\d+)" + _MARK + '"')


def json_renderer(content: dict) -> Callable[[Variables], str]:
    """compact_json(renderer(content)(variables)), the same text, built faster: the JSON
    is written once with a mark for each text holding variables, and per visitor only
    those texts are filled and encoded."""
    if not content or not has_variables(content):
        text = compact_json(content)
        return lambda _variables: text
    render = renderer(content)
    if _MARK in compact_json(content):
        return lambda variables: compact_json(render(variables))
    fields: list[tuple[str, bool]] = []

    def mark(text: str, escape: bool) -> str:
        if not VARIABLE_RE.search(text):
            return text  # filled the same for everyone: written once
        fields.append((text, escape))
        return f"{_MARK}{len(fields) - 1}{_MARK}"

    # JSON text, a field's index, JSON text, ..., JSON text
    pieces = _MARKED_RE.split(compact_json(_filled(content, mark)))
    head = pieces[0]
    rest = [
        (_template(*fields[int(i)]), after)
        for i, after in zip(pieces[1::2], pieces[2::2], strict=True)
    ]

    def render_json(variables: Variables) -> str:
        out = [head]
        for fill, after in rest:
            out.append(encode_string(fill(variables)))
            out.append(after)
        return "".join(out)

    return render_json


def render(content: dict, variables: Variables) -> dict:
    return renderer(content)(variables)
