"""Checks a parsed query against the catalogue, so compilation only sees sound ASTs.

Every refusal points at the spot (attribute, operator, argument or value) and suggests
the nearest known name or value, so a merchant can fix a typo without reading docs.
"""

from __future__ import annotations

from sync.messages import Message
from sync.segments import catalog, messages
from sync.segments.errors import SegmentQueryError, suggest
from sync.segments.language import Condition, Node, Value, conditions, parse, value_text


class Validator:
    def __init__(self, query: str):
        self.query = query

    def fail(self, message: Message, pos, suggestion: str | None = None):
        line, column = pos
        raise SegmentQueryError(
            message, query=self.query, line=line, column=column, suggestion=suggestion
        )

    def check(self, node: Node) -> None:
        for condition in conditions(node):
            self.condition(condition)

    def condition(self, condition: Condition) -> None:
        attribute = catalog.find(condition.attribute)
        if attribute is None:
            self.fail(
                messages.UNKNOWN_ATTRIBUTE(attribute=condition.attribute),
                condition.pos,
                suggest(condition.attribute, [a.name for a in catalog.ATTRIBUTES]),
            )
        self.arguments(condition, attribute)
        if condition.operator not in attribute.operators:
            self.fail(
                messages.OPERATOR_NOT_TAKEN(
                    attribute=condition.attribute,
                    type=messages.TYPE_NAMES[attribute.type](),
                    operators=", ".join(attribute.operators),
                    operator=condition.operator,
                ),
                condition.operator_pos,
            )
        for value in condition.values:
            self.value(condition.attribute, attribute.type, attribute.values, value)
        if attribute.type == "enum":
            for value in condition.values:
                if value.value not in attribute.values:
                    self.fail(
                        messages.NOT_A_VALUE_OF(
                            value=value_text(value),
                            attribute=condition.attribute,
                            values=", ".join(attribute.values),
                        ),
                        value.pos,
                        _quoted(suggest(str(value.value), attribute.values)),
                    )

    def value(self, name: str, type_: str, allowed, value: Value) -> None:
        kinds = catalog.TYPE_VALUE_KINDS[type_]
        if value.kind not in kinds:
            hint = None
            if type_ in ("string", "enum", "tags") and value.kind in ("int", "decimal"):
                hint = "'" + value_text(value) + "'"
            self.fail(
                messages.WRONG_VALUE_KIND(
                    attribute=name,
                    expected=messages.TYPE_EXAMPLES[type_](),
                    value=value_text(value),
                ),
                value.pos,
                hint,
            )

    def arguments(self, condition: Condition, attribute: catalog.Attribute) -> None:
        if condition.args and not attribute.is_function:
            self.fail(messages.NO_ARGUMENTS(attribute=condition.attribute), condition.pos)
        seen = set()
        for argument in condition.args:
            parameter = attribute.parameter(argument.name)
            if parameter is None:
                self.fail(
                    messages.UNKNOWN_ARGUMENT(
                        attribute=condition.attribute,
                        argument=argument.name,
                        arguments=", ".join(p.name for p in attribute.parameters),
                    ),
                    argument.pos,
                    suggest(argument.name, [p.name for p in attribute.parameters]),
                )
            if argument.name in seen:
                self.fail(messages.ARGUMENT_TWICE(argument=argument.name), argument.pos)
            seen.add(argument.name)
            label = f"{condition.attribute}({argument.name}:)"
            self.value(label, parameter.type, parameter.values, argument.value)
            if parameter.values and parameter.type == "string":
                if argument.value.value not in parameter.values and parameter.name in (
                    "date",
                    "channel",
                    "type",
                ):
                    self.fail(
                        messages.NOT_A_VALUE_OF(
                            value=value_text(argument.value),
                            attribute=label,
                            values=", ".join(parameter.values),
                        ),
                        argument.value.pos,
                        _quoted(suggest(str(argument.value.value), parameter.values)),
                    )
        for name in attribute.required:
            if name not in seen:
                self.fail(
                    messages.ARGUMENT_NEEDED(
                        attribute=condition.attribute, argument=name, example=attribute.example
                    ),
                    condition.pos,
                )
        if attribute.one_of and len(seen & set(attribute.one_of)) != 1:
            self.fail(
                messages.EXACTLY_ONE_ARGUMENT(
                    attribute=condition.attribute,
                    arguments=", ".join(n + ":" for n in attribute.one_of),
                    example=attribute.example,
                ),
                condition.pos,
            )
        if attribute.at_most_one_of and len(seen & set(attribute.at_most_one_of)) > 1:
            self.fail(
                messages.AT_MOST_ONE_ARGUMENT(
                    attribute=condition.attribute,
                    arguments=", ".join(n + ":" for n in attribute.at_most_one_of),
                ),
                condition.pos,
            )
        if condition.attribute == "customer_within_distance":
            self.distance(condition)

    def distance(self, condition: Condition) -> None:
        limits = {"latitude": (-90, 90), "longitude": (-180, 180), "km": (0, 20040)}
        for argument in condition.args:
            low, high = limits[argument.name]
            if not low <= argument.value.value <= high:
                self.fail(
                    messages.OUT_OF_RANGE(argument=argument.name, low=low, high=high),
                    argument.value.pos,
                )


def _quoted(value: str | None) -> str | None:
    return None if value is None else f"'{value}'"


def check(node: Node, query: str = "") -> Node:
    """The AST unchanged when the catalogue accepts it; SegmentQueryError otherwise."""
    Validator(query).check(node)
    return node


def parse_and_check(query: str) -> Node:
    return check(parse(query), query)


def is_time_relative(node: Node) -> bool:
    """Whether time alone can move customers in or out (re-evaluate it daily)."""
    for condition in conditions(node):
        attribute = catalog.find(condition.attribute)
        if attribute is not None and attribute.time_relative:
            return True
        values = list(condition.values) + [a.value for a in condition.args]
        if any(v.kind in ("relative", "day") for v in values):
            return True
    return False
