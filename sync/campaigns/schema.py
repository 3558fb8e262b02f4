"""The campaign document's shape (marshmallow): what the API, the CLI and the demo accept.

One schema for every way a campaign is written, so the storefront's decide never meets a
rule it cannot read. Unknown fields are refused (a typo in `frequncy` must not silently
drop a cap). Content is checked separately by sync.campaigns.content (sanitising).

Every message is a template (sync/campaigns/messages.py; marshmallow's own ones through
sync/schema_messages.py's `TemplatedSchema`), so the admin shows each field's error in the
merchant's language while the API's `fields` keep their English text.
"""

from __future__ import annotations

from datetime import datetime

from marshmallow import ValidationError, fields, validate, validates_schema

from sync.campaigns import messages
from sync.campaigns.models import GOALS, KINDS
from sync.campaigns.rules import (
    DEVICES,
    PAGE_TYPES,
    TRIGGER_TYPES,
    URL_OPERATORS,
    VISITOR_KINDS,
    check_regex,
)
from sync.messages import Message, Text
from sync.schema_messages import FieldTemplate, TemplatedSchema

SLOT = validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$", error=FieldTemplate(messages.SLOT_NAME))
KEY = validate.Regexp(r"^[a-z0-9_-]{1,32}$", error=FieldTemplate(messages.VARIANT_KEY))
HOUR = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error=FieldTemplate(messages.TIME_OF_DAY))
COUNTRY = validate.Regexp(r"^[A-Za-z]{2}$", error=FieldTemplate(messages.COUNTRY_CODE))


def refused(message: Message, field: str | None = None) -> ValidationError:
    """A schema's own refusal: English for marshmallow, the message kept for translation."""
    return ValidationError(Text(message), field) if field else ValidationError(Text(message))


def _strings(max_items: int = 100, length: int = 255, **kwargs):
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=length)),
        validate=validate.Length(max=max_items),
        **kwargs,
    )


class SegmentsRule(TemplatedSchema):
    include = fields.List(fields.Integer(strict=True), load_default=list)
    exclude = fields.List(fields.Integer(strict=True), load_default=list)

    @validates_schema
    def disjoint(self, data, **_kwargs):
        both = set(data.get("include", [])) & set(data.get("exclude", []))
        if both:
            raise refused(messages.INCLUDED_AND_EXCLUDED(segments=str(sorted(both))))


class Audience(TemplatedSchema):
    segments = fields.Nested(SegmentsRule, load_default=lambda: {"include": [], "exclude": []})
    visitors = fields.String(load_default="all", validate=validate.OneOf(VISITOR_KINDS))
    devices = fields.List(fields.String(validate=validate.OneOf(DEVICES)), load_default=list)
    countries = fields.List(
        fields.String(validate=COUNTRY),
        load_default=list,
    )
    returning = fields.Boolean(load_default=None, allow_none=True)


class UrlRule(TemplatedSchema):
    op = fields.String(required=True, validate=validate.OneOf(URL_OPERATORS))
    value = fields.String(required=True, validate=validate.Length(min=1, max=1000))

    @validates_schema
    def regex(self, data, **_kwargs):
        if data.get("op") == "regex":
            problem = check_regex(data["value"])
            if problem:
                raise refused(problem, "value")


class Pages(TemplatedSchema):
    url = fields.List(fields.Nested(UrlRule), load_default=list, validate=validate.Length(max=50))
    url_exclude = fields.List(
        fields.Nested(UrlRule), load_default=list, validate=validate.Length(max=50)
    )
    page_types = fields.List(fields.String(validate=validate.OneOf(PAGE_TYPES)), load_default=list)
    products = _strings(load_default=list)
    categories = _strings(load_default=list)


class Trigger(TemplatedSchema):
    type = fields.String(required=True, validate=validate.OneOf(TRIGGER_TYPES))
    seconds = fields.Integer(strict=True, validate=validate.Range(min=0, max=3600))
    percent = fields.Integer(strict=True, validate=validate.Range(min=1, max=100))
    count = fields.Integer(strict=True, validate=validate.Range(min=1, max=1000))
    above = fields.Float(validate=validate.Range(min=0))

    NEEDS = {
        "delay": "seconds",
        "scroll": "percent",
        "page_views": "count",
        "cart_value": "above",
        "cart_items": "above",
    }

    @validates_schema
    def parameters(self, data, **_kwargs):
        needed = self.NEEDS.get(data.get("type"))
        given = set(data) - {"type"}
        if needed and needed not in data:
            raise refused(messages.TRIGGER_NEEDS(trigger=data["type"], parameter=needed))
        extra = given - ({needed} if needed else set())
        if extra:
            raise refused(
                messages.TRIGGER_TAKES_NO(trigger=data.get("type"), parameters=", ".join(extra))
            )


class Frequency(TemplatedSchema):
    per_session = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1))
    every_days = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=3650)
    )
    max_times = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1))
    stop_after_conversion = fields.Boolean(load_default=False)
    stop_after_closes = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1))


class Hours(TemplatedSchema):
    # "from" is a keyword: the field is named from_ and read as "from".
    from_ = fields.String(required=True, data_key="from", validate=HOUR)
    to = fields.String(required=True, validate=HOUR)


class Schedule(TemplatedSchema):
    # Wall-clock times in the shop's time zone (an explicit offset is converted).
    starts_at = fields.DateTime(load_default=None, allow_none=True)
    ends_at = fields.DateTime(load_default=None, allow_none=True)
    weekdays = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=7)), load_default=list
    )
    hours = fields.Nested(Hours, load_default=None, allow_none=True)
    # Read-only in answers; accepted and ignored on input so a document round-trips.
    timezone = fields.String(load_default=None, allow_none=True)

    @validates_schema
    def order(self, data, **_kwargs):
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and _naive(start) >= _naive(end):
            raise refused(messages.ENDS_BEFORE_START(), "ends_at")


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


class Variant(TemplatedSchema):
    key = fields.String(required=True, validate=KEY)
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))
    weight = fields.Integer(strict=True, load_default=1, validate=validate.Range(min=0, max=10_000))
    control = fields.Boolean(load_default=False)
    content = fields.Dict(load_default=dict)


class CampaignDocument(TemplatedSchema):
    """A whole campaign (create), or with partial=True the fields to change."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    slot = fields.String(load_default=None, allow_none=True, validate=SLOT)
    priority = fields.Integer(strict=True, load_default=0, validate=validate.Range(-1000, 1000))
    goal = fields.String(load_default="conversion", validate=validate.OneOf(GOALS))
    audience = fields.Nested(Audience, load_default=lambda: Audience().load({}))
    pages = fields.Nested(Pages, load_default=lambda: Pages().load({}))
    triggers = fields.List(
        fields.Nested(Trigger),
        load_default=lambda: [{"type": "load"}],
        validate=validate.Length(min=1, max=10),
    )
    frequency = fields.Nested(Frequency, load_default=dict)
    schedule = fields.Nested(Schedule, load_default=lambda: Schedule().load({}))
    attribution_days = fields.Integer(
        strict=True, load_default=7, validate=validate.Range(min=1, max=90)
    )
    variants = fields.List(
        fields.Nested(Variant), required=True, validate=validate.Length(min=1, max=10)
    )

    @validates_schema
    def coherent(self, data, partial=None, **_kwargs):
        kind, slot = data.get("kind"), data.get("slot")
        if kind == "inline" and not slot and not partial:
            raise refused(messages.SLOT_NEEDED(), "slot")
        if kind is not None and kind != "inline" and slot:
            raise refused(messages.SLOT_NOT_INLINE(), "slot")
        variants = data.get("variants")
        if variants is not None:
            keys = [v["key"] for v in variants]
            if len(set(keys)) != len(keys):
                raise refused(messages.VARIANT_KEYS_TWICE(), "variants")
            if sum(1 for v in variants if v["control"]) > 1:
                raise refused(messages.ONE_CONTROL(), "variants")
            if all(v["control"] for v in variants):
                raise refused(messages.ONLY_CONTROLS(), "variants")
        for trigger in data.get("triggers") or ():
            if trigger["type"] == "exit_intent" and data.get("kind") == "inline":
                raise refused(messages.INLINE_NOT_ON_EXIT(), "triggers")
