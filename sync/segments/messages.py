"""Every sentence the segment language says to a merchant: parse and validation errors.

Each is a `Template` (sync/messages.py): a stable code an API client can rely on, and the
English msgid, which `make translations` extracts (`N_`) for the admin's French catalogue.
Placeholders hold what the merchant typed or a name from the catalogue (kept as they are),
or another message from this page (translated with it).
"""

from __future__ import annotations

from sync.messages import N_, Template, templates_in

# ---- words put into other sentences ---------------------------------------------------

END_OF_QUERY = Template("end_of_query", N_("the end of the query"))

TYPE_NAMES = {
    "integer": Template("type_integer", N_("integer")),
    "decimal": Template("type_decimal", N_("decimal")),
    "date": Template("type_date", N_("date")),
    "string": Template("type_string", N_("string")),
    "enum": Template("type_enum", N_("enum")),
    "tags": Template("type_tags", N_("tags")),
    "boolean": Template("type_boolean", N_("boolean")),
}
TYPE_EXAMPLES = {
    "integer": Template("example_integer", N_("a whole number such as 3")),
    "decimal": Template("example_decimal", N_("a number such as 49.90")),
    "date": Template("example_date", N_("a date such as 2026-11-27, -90d, today or yesterday")),
    "string": Template("example_string", N_("text between single quotes")),
    "enum": Template("example_enum", N_("one of the listed values, between single quotes")),
    "tags": Template("example_tags", N_("a tag between single quotes")),
    "boolean": Template("example_boolean", N_("true or false")),
}
QUOTE_THE_TEXT = Template("quote_the_text", N_("%(text)s (text goes between single quotes)"))

# ---- reading the query (sync/segments/language.py) ------------------------------------

UNCLOSED_STRING = Template("unclosed_string", N_("this string is not closed: add a ' at its end"))
DOUBLE_QUOTES = Template(
    "double_quotes", N_("strings are written between single quotes: 'like this'")
)
UNSIGNED_RELATIVE_DATE = Template(
    "unsigned_relative_date",
    N_("a relative date carries its sign: -90d (past) or +7d (future)"),
)
UNEXPECTED_CHARACTER = Template("unexpected_character", N_("unexpected character %(character)s"))
EMPTY_QUERY = Template(
    "empty_query", N_("the query is empty: write a condition such as number_of_orders > 0")
)
EXPECTED_AND_OR_END = Template(
    "expected_and_or_end", N_("expected AND, OR or the end of the query, found %(found)s")
)
EXPECTED_KEYWORD = Template("expected_keyword", N_("expected %(keyword)s, found %(found)s"))
EXPECTED_CLOSING_PARENTHESIS = Template(
    "expected_closing_parenthesis",
    N_("expected ')' to close the parenthesis, found %(found)s"),
)
EXPECTED_CONDITION = Template(
    "expected_condition",
    N_("expected a condition (an attribute such as number_of_orders), found %(found)s"),
)
EXPECTED_ARGUMENT_NAME = Template(
    "expected_argument_name", N_("expected an argument name such as since:, found %(found)s")
)
EXPECTED_ARGUMENT_COLON = Template(
    "expected_argument_colon",
    N_("expected ':' after the argument name %(argument)s, found %(found)s"),
)
EXPECTED_ARGUMENT_SEPARATOR = Template(
    "expected_argument_separator",
    N_("expected ',' or ')' in the argument list, found %(found)s"),
)
EXPECTED_LIST_OPENING = Template(
    "expected_list_opening", N_("expected '(' to open the list of values, found %(found)s")
)
EXPECTED_LIST_SEPARATOR = Template(
    "expected_list_separator",
    N_("expected ',' or ')' in the list of values, found %(found)s"),
)
EXPECTED_OPERATOR = Template(
    "expected_operator",
    N_(
        "expected an operator (= != > >= < <= BETWEEN IN CONTAINS NOT CONTAINS "
        "STARTS WITH IS NULL IS NOT NULL), found %(found)s"
    ),
)
NOT_A_CALENDAR_DATE = Template(
    "not_a_calendar_date", N_("%(date)s is not a calendar date (YYYY-MM-DD)")
)
EXPECTED_VALUE = Template(
    "expected_value",
    N_(
        "expected a value: a number, 'text', true/false, a date 2026-11-27, "
        "a relative date such as -90d, today or yesterday; found %(found)s"
    ),
)

# ---- checking it against the catalogue (sync/segments/validate.py) ---------------------

UNKNOWN_ATTRIBUTE = Template("unknown_attribute", N_("unknown attribute %(attribute)s"))
OPERATOR_NOT_TAKEN = Template(
    "operator_not_taken",
    N_("%(attribute)s (%(type)s) takes the operators %(operators)s; not %(operator)s"),
)
NOT_A_VALUE_OF = Template(
    "not_a_value_of", N_("%(value)s is not a value of %(attribute)s: one of %(values)s")
)
WRONG_VALUE_KIND = Template(
    "wrong_value_kind", N_("%(attribute)s expects %(expected)s, not %(value)s")
)
NO_ARGUMENTS = Template("no_arguments", N_("%(attribute)s takes no arguments"))
UNKNOWN_ARGUMENT = Template(
    "unknown_argument",
    N_("%(attribute)s has no argument %(argument)s: it takes %(arguments)s"),
)
ARGUMENT_TWICE = Template("argument_twice", N_("argument %(argument)s is given twice"))
ARGUMENT_NEEDED = Template(
    "argument_needed", N_("%(attribute)s needs the argument %(argument)s: e.g. %(example)s")
)
EXACTLY_ONE_ARGUMENT = Template(
    "exactly_one_argument",
    N_("%(attribute)s needs exactly one of %(arguments)s e.g. %(example)s"),
)
AT_MOST_ONE_ARGUMENT = Template(
    "at_most_one_argument", N_("%(attribute)s takes at most one of %(arguments)s")
)
OUT_OF_RANGE = Template("out_of_range", N_("%(argument)s must be between %(low)s and %(high)s"))

ALL = templates_in(globals())
BY_CODE = {template.code: template for template in ALL}
