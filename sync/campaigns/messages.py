"""The sentences a refused campaign change says to a merchant (sync/campaigns/editing.py).

Templates as in sync/segments/messages.py: a stable code and an English msgid that
`make translations` extracts (`N_`), which the admin shows in the merchant's language.
The field-by-field details of an invalid document (`fields`, marshmallow's messages) are
not among them: they stay English.
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

ALL = templates_in(globals())
