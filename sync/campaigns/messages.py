"""The sentences a refused campaign change says to a merchant: the refusal itself
(sync/campaigns/editing.py), the field-by-field details of an invalid document
(sync/campaigns/schema.py; marshmallow's own messages are in sync/schema_messages.py) and
the content checks (sync/campaigns/content.py).

Templates as in sync/segments/messages.py: a stable code and an English msgid that
`make translations` extracts (`N_`), which the admin shows in the merchant's language.
"""

from __future__ import annotations

from sync.messages import N_, Template, templates_in

STATUS_NAMES = {
    "draft": Template("status_draft", N_("draft")),
    "live": Template("status_live", N_("live")),
    "paused": Template("status_paused", N_("paused")),
    "ended": Template("status_ended", N_("ended")),
}

NOT_AN_OBJECT = Template("not_an_object", N_("a campaign is a JSON object"))
INVALID_CAMPAIGN = Template("invalid_campaign", N_("invalid campaign"))
VARIANT_SHOWS_NOTHING = Template(
    "variant_shows_nothing",
    N_("variant %(variant)s shows nothing: give it a title, html, image or form"),
)
UNKNOWN_SEGMENTS = Template("unknown_segments", N_("no segment %(segments)s in %(shop)s"))
SLOT_NOT_INLINE = Template("slot_not_inline", N_("only inline campaigns fill a slot"))
SLOT_NEEDED = Template("slot_needed", N_("an inline campaign needs the slot it fills"))
VARIANT_HAS_RESULTS = Template(
    "variant_has_results",
    N_(
        "variant %(variant)s has been shown %(count)s times: set its weight to 0 to stop it "
        "(its results stay)"
    ),
)
CANNOT_BECOME = Template("cannot_become", N_("a %(status)s campaign cannot become %(wanted)s"))
ENDED_STAYS_ENDED = Template(
    "ended_stays_ended",
    N_(
        "a %(status)s campaign cannot become %(wanted)s (an ended campaign stays ended: "
        "duplicate it)"
    ),
)
NO_WEIGHT = Template("no_weight", N_("give a variant a weight above 0 before going live"))

# ---- the document's fields (sync/campaigns/schema.py) ----------------------------------

SLOT_NAME = Template("slot_name", N_("a slot name: letters, digits, - and _"))
VARIANT_KEY = Template("variant_key", N_("a variant key: a-z, 0-9, - and _"))
TIME_OF_DAY = Template("time_of_day", N_("a time such as 09:00"))
COUNTRY_CODE = Template("country_code", N_("a two-letter ISO country code such as FR"))
INCLUDED_AND_EXCLUDED = Template(
    "included_and_excluded", N_("segments both included and excluded: %(segments)s")
)
URL_PATTERN_TOO_LONG = Template(
    "url_pattern_too_long", N_("a URL pattern is at most %(limit)s characters")
)
URL_PATTERN_INVALID = Template(
    "url_pattern_invalid",
    N_("URL pattern %(pattern)s is not a regular expression: %(reason)s"),
)
TRIGGER_NEEDS = Template("trigger_needs", N_("a %(trigger)s trigger needs %(parameter)s"))
TRIGGER_TAKES_NO = Template("trigger_takes_no", N_("a %(trigger)s trigger takes no %(parameters)s"))
ENDS_BEFORE_START = Template("ends_before_start", N_("ends_at must be after starts_at"))
VARIANT_KEYS_TWICE = Template("variant_keys_twice", N_("variant keys must be different"))
ONE_CONTROL = Template("one_control", N_("at most one control variant"))
ONLY_CONTROLS = Template("only_controls", N_("a campaign needs a variant that shows something"))
INLINE_NOT_ON_EXIT = Template(
    "inline_not_on_exit", N_("inline content is placed at load, not on exit")
)

# ---- a variant's content (sync/campaigns/content.py) ----------------------------------

CONTENT_FIELDS = {
    "title": Template("content_title", N_("title")),
    "html": Template("content_html", N_("html")),
    "image_url": Template("content_image_url", N_("image_url")),
    "image_alt": Template("content_image_alt", N_("image_alt")),
    "discount_code": Template("content_discount_code", N_("discount_code")),
    "button url": Template("content_button_url", N_("button url")),
    "button label": Template("content_button_label", N_("button label")),
    "form consent_text": Template("content_consent_text", N_("form consent_text")),
    "form submit_label": Template("content_submit_label", N_("form submit_label")),
    "form success_text": Template("content_success_text", N_("form success_text")),
}
URL_SCHEME_REFUSED = Template(
    "url_scheme_refused",
    N_("%(field)s: only http(s), relative, mailto: or tel: links, not %(url)s"),
)
URL_CONTROL_CHARACTERS = Template(
    "url_control_characters", N_("%(field)s: control characters are not allowed in a URL")
)
UNKNOWN_VARIABLE = Template(
    "unknown_variable", N_("%(field)s: unknown variable %(variable)s; use one of %(variables)s")
)
CONTENT_NOT_TEXT = Template("content_not_text", N_("%(field)s must be text"))
CONTENT_TOO_LONG = Template("content_too_long", N_("%(field)s is longer than %(limit)s characters"))
CONTENT_NOT_AN_OBJECT = Template("content_not_an_object", N_("content must be an object"))
UNKNOWN_CONTENT_FIELDS = Template(
    "unknown_content_fields", N_("unknown content fields: %(fields)s")
)
BUTTON_SHAPE = Template("button_shape", N_("button takes label, action (link|close) and url"))
BUTTON_ACTION = Template("button_action", N_("button action must be link or close, not %(action)s"))
LINK_BUTTON_NEEDS_URL = Template("link_button_needs_url", N_("a link button needs a url"))
FORM_SHAPE = Template("form_shape", N_("form takes %(fields)s"))
FORM_FIELDS = Template("form_fields", N_("form fields: a list of email and/or phone"))
CONSENT_NEEDED = Template(
    "consent_needed",
    N_("a capture form needs consent_text: the exact wording the shopper agrees to"),
)

ALL = templates_in(globals())
