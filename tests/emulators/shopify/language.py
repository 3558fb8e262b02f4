"""A small GraphQL reader for the emulator: documents, selections, arguments and variables.

Enough of the language for what an Admin API client sends (operations with variables,
aliases, arguments of every literal kind, inline fragments and named fragments, block
strings), so the emulator answers only the fields a query selects and refuses a query it
cannot read, the way Shopify does, instead of returning whole objects whatever was asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TOKEN = re.compile(
    r'(?P<block>"""(?:[^"\\]|\\.|"(?!""))*""")'
    r'|(?P<string>"(?:[^"\\\n]|\\.)*")'
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[_A-Za-z][_0-9A-Za-z]*)"
    r"|(?P<spread>\.\.\.)"
    r"|(?P<punct>[!$():=@\[\]{}|&])"
    r"|(?P<skip>[\s,]+|#[^\n]*)"
)


class GraphQLSyntaxError(ValueError):
    """A document the emulator cannot read (Shopify answers these with a 200 and errors)."""


@dataclass
class Variable:
    name: str


@dataclass
class Field:
    name: str
    alias: str | None = None
    arguments: dict = field(default_factory=dict)
    selections: list = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass
class InlineFragment:
    type_condition: str | None
    selections: list


@dataclass
class FragmentSpread:
    name: str


@dataclass
class Operation:
    kind: str
    name: str | None
    selections: list


@dataclass
class Document:
    operations: list[Operation]
    fragments: dict[str, InlineFragment]


def _tokens(source: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(source):
        match = TOKEN.match(source, position)
        if match is None:
            raise GraphQLSyntaxError(f"Parse error on {source[position : position + 12]!r}")
        position = match.end()
        kind = match.lastgroup
        if kind != "skip":
            tokens.append((kind, match.group()))
    tokens.append(("end", ""))
    return tokens


def _unquote(kind: str, text: str) -> str:
    if kind == "block":
        body = text[3:-3].replace('\\"""', '"""')
        lines = body.split("\n")
        indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
        cut = min(indents) if indents else 0
        lines = [lines[0]] + [line[cut:] for line in lines[1:]]
        return "\n".join(lines).strip("\n")
    import json

    return json.loads(text)


class _Parser:
    def __init__(self, source: str):
        self.tokens = _tokens(source)
        self.at = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        return self.tokens[min(self.at + offset, len(self.tokens) - 1)]

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        token_kind, token = self.peek()
        if (value is not None and token != value) or (kind is not None and token_kind != kind):
            wanted = value or kind
            raise GraphQLSyntaxError(f"Parse error on {token!r}: expected {wanted!r}")
        self.at += 1
        return token

    def accept(self, value: str) -> bool:
        if self.peek()[1] == value and self.peek()[0] in ("punct", "spread"):
            self.at += 1
            return True
        return False

    def document(self) -> Document:
        operations, fragments = [], {}
        while self.peek()[0] != "end":
            kind, token = self.peek()
            if token == "{":
                operations.append(Operation("query", None, self.selection_set()))
            elif token in ("query", "mutation", "subscription"):
                self.at += 1
                name = self.take(kind="name") if self.peek()[0] == "name" else None
                if self.accept("("):
                    while not self.accept(")"):
                        self.variable_definition()
                self.directives()
                operations.append(Operation(token, name, self.selection_set()))
            elif token == "fragment":
                self.at += 1
                name = self.take(kind="name")
                self.take("on")
                condition = self.take(kind="name")
                self.directives()
                fragments[name] = InlineFragment(condition, self.selection_set())
            else:
                raise GraphQLSyntaxError(f"Parse error on {token!r} ({kind})")
        if not operations:
            raise GraphQLSyntaxError("The document holds no operation")
        return Document(operations, fragments)

    def variable_definition(self) -> None:
        self.take("$")
        self.take(kind="name")
        self.take(":")
        self.type_reference()
        if self.accept("="):
            self.value()
        self.directives()

    def type_reference(self) -> None:
        if self.accept("["):
            self.type_reference()
            self.take("]")
        else:
            self.take(kind="name")
        self.accept("!")

    def directives(self) -> None:
        while self.accept("@"):
            self.take(kind="name")
            if self.accept("("):
                self.arguments_body()

    def selection_set(self) -> list:
        self.take("{")
        selections = []
        while not self.accept("}"):
            if self.peek()[0] == "end":
                raise GraphQLSyntaxError("Parse error: unclosed selection set")
            selections.append(self.selection())
        if not selections:
            raise GraphQLSyntaxError("Parse error: empty selection set")
        return selections

    def selection(self):
        if self.peek()[0] == "spread":
            self.at += 1
            if self.peek()[1] == "on":
                self.at += 1
                condition = self.take(kind="name")
                self.directives()
                return InlineFragment(condition, self.selection_set())
            if self.peek()[1] == "{" or self.peek()[1] == "@":
                self.directives()
                return InlineFragment(None, self.selection_set())
            return FragmentSpread(self.take(kind="name"))
        name = self.take(kind="name")
        alias = None
        if self.accept(":"):
            alias, name = name, self.take(kind="name")
        arguments = {}
        if self.accept("("):
            arguments = self.arguments_body()
        self.directives()
        selections = self.selection_set() if self.peek()[1] == "{" else []
        return Field(name, alias, arguments, selections)

    def arguments_body(self) -> dict:
        arguments = {}
        while not self.accept(")"):
            name = self.take(kind="name")
            self.take(":")
            arguments[name] = self.value()
        return arguments

    def value(self):
        kind, token = self.peek()
        if token == "$" and kind == "punct":
            self.at += 1
            return Variable(self.take(kind="name"))
        if kind in ("string", "block"):
            self.at += 1
            return _unquote(kind, token)
        if kind == "number":
            self.at += 1
            return float(token) if any(c in token for c in ".eE") else int(token)
        if token == "[" and kind == "punct":
            self.at += 1
            values = []
            while not self.accept("]"):
                values.append(self.value())
            return values
        if token == "{" and kind == "punct":
            self.at += 1
            values = {}
            while not self.accept("}"):
                name = self.take(kind="name")
                self.take(":")
                values[name] = self.value()
            return values
        if kind == "name":
            self.at += 1
            return {"true": True, "false": False, "null": None}.get(token, token)
        raise GraphQLSyntaxError(f"Parse error on {token!r}: expected a value")


def parse(source: str) -> Document:
    if not isinstance(source, str) or not source.strip():
        raise GraphQLSyntaxError("No query string was present")
    return _Parser(source).document()


def resolve(value, variables: dict):
    """An argument value with its variables replaced by what the request sent."""
    if isinstance(value, Variable):
        return variables.get(value.name)
    if isinstance(value, list):
        return [resolve(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, variables) for key, item in value.items()}
    return value


def flatten(selections: list, fragments: dict, typename: str | None) -> list[Field]:
    """The fields that apply to an object of `typename`, fragments expanded."""
    fields: list[Field] = []
    for selection in selections:
        if isinstance(selection, Field):
            fields.append(selection)
        elif isinstance(selection, InlineFragment):
            if selection.type_condition in (None, typename, "Node"):
                fields.extend(flatten(selection.selections, fragments, typename))
        elif isinstance(selection, FragmentSpread):
            fragment = fragments.get(selection.name)
            if fragment is None:
                raise GraphQLSyntaxError(f"Fragment {selection.name} was used, but not defined")
            if fragment.type_condition in (None, typename, "Node"):
                fields.extend(flatten(fragment.selections, fragments, typename))
    return fields
