"""marshmallow's error messages as templates, so an invalid document is explained in the
reader's language.

marshmallow carries its messages as strings and fills them with `str.format`. A
`FieldTemplate` is such a string (the English msgid of a `sync.messages.Template`) whose
`format(**values)` gives a `sync.messages.Text`: the English sentence, still a `str` (the
API's `fields` and the CLI read it as before), which keeps its `Message` for the admin to
translate (plugin_app/i18n.py, `translated_fields`).

`TemplatedSchema` puts a template in place of every message its fields and their
validators would say: marshmallow's built-in ones, found by their English text in
`BUILT_IN` (one place to extend when marshmallow adds one), and those of `Range`, `Length`
and `OneOf`, chosen by the validator's bounds. Sentences a schema raises itself are
`Text`s of its own templates. `untemplated(schema)` lists what would still be English
(the tests require it to be empty for the campaign document).
"""

from __future__ import annotations

import re

from marshmallow import Schema, fields, validate

from sync.messages import N_, Message, Template, Text, templates_in

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


class FieldTemplate(str):
    """A template in the shape marshmallow wants an error message in."""

    template: Template

    def __new__(cls, template: Template) -> FieldTemplate:
        made = super().__new__(cls, template.msgid)
        made.template = template
        return made

    def __getnewargs__(self) -> tuple[Template]:
        return (self.template,)

    def format(self, *_args, **values) -> Text:
        """marshmallow's values (min, max, choices...) kept only where the sentence uses
        them (never the `input`, which can be a whole document)."""
        used = set(PLACEHOLDER.findall(self.template.msgid))
        return Text(self.template(**{k: v for k, v in values.items() if k in used}))

    @property
    def message(self) -> Message:
        """A message marshmallow stores without formatting it (a schema's "unknown")."""
        return self.template()


# ---- marshmallow's own messages --------------------------------------------------------

REQUIRED = Template("field_required", N_("this field is required"))
NOT_NULL = Template("field_not_null", N_("this field cannot be null"))
INVALID_VALUE = Template("field_invalid_value", N_("this value is not valid"))
UNKNOWN_FIELD = Template("field_unknown", N_("unknown field"))
NOT_AN_OBJECT = Template("field_not_an_object", N_("must be an object ({...})"))
NOT_A_LIST = Template("field_not_a_list", N_("must be a list ([...])"))
NOT_TEXT = Template("field_not_text", N_("must be text"))
NOT_UTF8 = Template("field_not_utf8", N_("must be text in UTF-8"))
NOT_AN_INTEGER = Template("field_not_an_integer", N_("must be a whole number"))
NOT_A_NUMBER = Template("field_not_a_number", N_("must be a number"))
NUMBER_TOO_LARGE = Template("field_number_too_large", N_("this number is too large"))
NOT_FINITE = Template("field_not_finite", N_("must be a finite number (not nan or infinity)"))
NOT_A_BOOLEAN = Template("field_not_a_boolean", N_("must be true or false"))
NOT_A_DATETIME = Template(
    "field_not_a_datetime", N_("must be a date and time such as 2026-11-27T09:00:00")
)
NOT_A_DATE = Template("field_not_a_date", N_("must be a date such as 2026-11-27"))
NOT_THE_EXPECTED_FORM = Template("field_pattern", N_("does not have the expected form"))

# ---- validators ------------------------------------------------------------------------

BETWEEN = Template("field_between", N_("must be between %(min)s and %(max)s"))
AT_LEAST = Template("field_at_least", N_("must be %(min)s or more"))
AT_MOST = Template("field_at_most", N_("must be %(max)s or less"))
TEXT_LENGTH = Template("field_text_length", N_("must be %(min)s to %(max)s characters long"))
TEXT_TOO_SHORT = Template("field_text_too_short", N_("must be at least %(min)s characters long"))
TEXT_TOO_LONG = Template("field_text_too_long", N_("must be at most %(max)s characters long"))
LIST_LENGTH = Template("field_list_length", N_("must hold %(min)s to %(max)s items"))
LIST_TOO_SHORT = Template("field_list_too_short", N_("must hold at least %(min)s items"))
LIST_TOO_LONG = Template("field_list_too_long", N_("must hold at most %(max)s items"))
ONE_OF = Template("field_one_of", N_("must be one of: %(choices)s"))

# marshmallow's English text -> our template (the text is what marshmallow 4 says).
BUILT_IN = {
    "Missing data for required field.": REQUIRED,
    "Field may not be null.": NOT_NULL,
    "Invalid value.": INVALID_VALUE,
    "Unknown field.": UNKNOWN_FIELD,
    "Invalid input type.": NOT_AN_OBJECT,
    "Invalid type.": NOT_AN_OBJECT,
    "Not a valid mapping type.": NOT_AN_OBJECT,
    "Not a valid list.": NOT_A_LIST,
    "Not a valid string.": NOT_TEXT,
    "Not a valid utf-8 string.": NOT_UTF8,
    "Not a valid integer.": NOT_AN_INTEGER,
    "Not a valid number.": NOT_A_NUMBER,
    "Number too large.": NUMBER_TOO_LARGE,
    "Special numeric values (nan or infinity) are not permitted.": NOT_FINITE,
    "Not a valid boolean.": NOT_A_BOOLEAN,
    # DateTime's (its obj_type is "datetime"); "format" is said on dump only.
    "Not a valid {obj_type}.": NOT_A_DATETIME,
    "Not a valid {awareness} {obj_type}.": NOT_A_DATETIME,
    '"{input}" cannot be formatted as a {obj_type}.': NOT_A_DATETIME,
    "Not a valid date.": NOT_A_DATE,
    '"{input}" cannot be formatted as a date.': NOT_A_DATE,
    "String does not match expected pattern.": NOT_THE_EXPECTED_FORM,
}

ALL = templates_in(globals())


def _length_template(validator: validate.Length, is_list: bool) -> Template:
    low, high = validator.min, validator.max
    if is_list:
        return LIST_LENGTH if low and high else LIST_TOO_LONG if high else LIST_TOO_SHORT
    return TEXT_LENGTH if low and high else TEXT_TOO_LONG if high else TEXT_TOO_SHORT


def _template_validator(validator, field: fields.Field) -> None:
    if isinstance(validator, validate.Range) and validator.error is None:
        if validator.min_inclusive and validator.max_inclusive:
            low, high = validator.min is not None, validator.max is not None
            chosen = BETWEEN if low and high else AT_LEAST if low else AT_MOST
            validator.error = FieldTemplate(chosen)
    elif isinstance(validator, validate.Length) and validator.error is None:
        if validator.equal is None:
            chosen = _length_template(validator, isinstance(field, fields.List))
            validator.error = FieldTemplate(chosen)
    elif isinstance(validator, validate.OneOf) and validator.error == validator.default_message:
        validator.error = FieldTemplate(ONE_OF)
    elif isinstance(validator, validate.Regexp) and validator.error in BUILT_IN:
        validator.error = FieldTemplate(BUILT_IN[validator.error])


def _inner_fields(field: fields.Field) -> list[fields.Field]:
    if isinstance(field, fields.List):
        return [field.inner]
    if isinstance(field, fields.Tuple):
        return list(field.tuple_fields)
    if isinstance(field, fields.Dict):
        return [f for f in (field.key_field, field.value_field) if f is not None]
    return []


def template_field(field: fields.Field) -> None:
    """Put templates in place of the field's (and its validators', its items') messages."""
    for key, text in list(field.error_messages.items()):
        if not isinstance(text, FieldTemplate) and text in BUILT_IN:
            field.error_messages[key] = FieldTemplate(BUILT_IN[text])
    for validator in field.validators:
        _template_validator(validator, field)
    for inner in _inner_fields(field):
        template_field(inner)


class TemplatedSchema(Schema):
    """A schema whose every message is a template (nested schemas should be ones too)."""

    error_messages = {"type": FieldTemplate(NOT_AN_OBJECT), "unknown": FieldTemplate(UNKNOWN_FIELD)}

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        template_field(field_obj)


def _validator_message(validator) -> object:
    return getattr(validator, "error", None)


def untemplated(schema: Schema, path: str = "") -> list[str]:
    """Where a message of the schema (nested ones included) would still be plain English."""
    found = [
        f"{path or '<schema>'} {key}"
        for key, text in schema.error_messages.items()
        if not isinstance(text, FieldTemplate)
    ]

    def walk(field: fields.Field, where: str) -> None:
        found.extend(
            f"{where} {key}"
            for key, text in field.error_messages.items()
            if not isinstance(text, FieldTemplate)
        )
        for validator in field.validators:
            if not isinstance(_validator_message(validator), FieldTemplate):
                found.append(f"{where} {type(validator).__name__}")
        for inner in _inner_fields(field):
            walk(inner, f"{where}[]")
        if isinstance(field, fields.Nested):
            found.extend(untemplated(field.schema, where))

    for name, field in schema.fields.items():
        walk(field, f"{path}.{name}" if path else name)
    return found
