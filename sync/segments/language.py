"""The segment query language: tokenizer, parser, AST, canonical JSON and text.

`parse(text)` gives an AST of frozen dataclasses; `to_text(ast)` writes it back in one
canonical spelling and `to_json(ast)` / `from_json(data)` give a stable JSON form, so a
stored segment can be shown, diffed and re-parsed without loss. Positions (line, column)
ride along for error messages but take no part in equality or JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sync.messages import Message, Template
from sync.segments import messages
from sync.segments.errors import SegmentQueryError, suggest

KEYWORDS = (
    "AND",
    "OR",
    "NOT",
    "BETWEEN",
    "IN",
    "CONTAINS",
    "STARTS",
    "WITH",
    "IS",
    "NULL",
    "TRUE",
    "FALSE",
    "TODAY",
    "YESTERDAY",
)
OPERATORS = (
    "=",
    "!=",
    ">",
    ">=",
    "<",
    "<=",
    "BETWEEN",
    "IN",
    "CONTAINS",
    "NOT CONTAINS",
    "STARTS WITH",
    "IS NULL",
    "IS NOT NULL",
)
RELATIVE_UNITS = ("d", "w", "m", "y")

Position = tuple[int, int]


@dataclass(frozen=True)
class Value:
    """A literal. kind: int, decimal, string, bool, date, relative, day (today/yesterday).

    value holds int, Decimal, str, bool, date, (signed amount, unit) or the day's name.
    """

    kind: str
    value: object
    pos: Position = field(default=(1, 1), compare=False, repr=False)


@dataclass(frozen=True)
class Argument:
    name: str
    value: Value
    pos: Position = field(default=(1, 1), compare=False, repr=False)


@dataclass(frozen=True)
class Condition:
    """`attribute(args) operator values`: one test that is true or false for a customer."""

    attribute: str
    operator: str
    values: tuple[Value, ...] = ()
    args: tuple[Argument, ...] = ()
    pos: Position = field(default=(1, 1), compare=False, repr=False)
    operator_pos: Position = field(default=(1, 1), compare=False, repr=False)

    def arg(self, name: str) -> Value | None:
        for argument in self.args:
            if argument.name == name:
                return argument.value
        return None


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Condition | And | Or | Not


# ---- tokens ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # IDENT STRING NUMBER DATE RELATIVE OP LPAREN RPAREN COMMA COLON EOF
    text: str
    line: int
    column: int

    @property
    def pos(self) -> Position:
        return (self.line, self.column)

    def keyword(self) -> str | None:
        if self.kind == "IDENT" and self.text.upper() in KEYWORDS:
            return self.text.upper()
        return None


TOKEN_PATTERNS = [
    ("SPACE", r"[ \t\r\n]+"),
    ("STRING", r"'(?:[^']|'')*'"),
    ("RELATIVE", r"[+-]\d+[dwmyDWMY](?![A-Za-z0-9_])"),
    ("DATE", r"\d{4}-\d{2}-\d{2}(?![0-9])"),
    ("NUMBER", r"[+-]?\d+(?:\.\d+)?(?![A-Za-z0-9_.])"),
    ("IDENT", r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"),
    ("OP", r"!=|<>|>=|<=|=|>|<"),
    ("LPAREN", r"\("),
    ("RPAREN", r"\)"),
    ("COMMA", r","),
    ("COLON", r":"),
]
TOKEN_RE = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in TOKEN_PATTERNS))


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    index, line, line_start = 0, 1, 0
    while index < len(text):
        match = TOKEN_RE.match(text, index)
        column = index - line_start + 1
        if match is None:
            if text[index] == "'":
                message = messages.UNCLOSED_STRING()
            elif text[index] == '"':
                message = messages.DOUBLE_QUOTES()
            elif re.match(r"\d+[dwmyDWMY]\b", text[index:]):
                message = messages.UNSIGNED_RELATIVE_DATE()
            else:
                message = messages.UNEXPECTED_CHARACTER(character=repr(text[index]))
            raise SegmentQueryError(message, query=text, line=line, column=column)
        kind, piece = match.lastgroup, match.group()
        if kind != "SPACE":
            tokens.append(Token(kind, piece, line, column))
        newlines = piece.count("\n")
        if newlines:
            line += newlines
            line_start = match.start() + piece.rfind("\n") + 1
        index = match.end()
    tokens.append(Token("EOF", "", line, index - line_start + 1))
    return tokens


# ---- parser ----------------------------------------------------------------------------


class Parser:
    """Recursive descent over `or_expr := and_expr (OR and_expr)*` and so on down."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(
        self,
        message: Message,
        token: Token | None = None,
        suggestion: str | Message | None = None,
        replacement: str | None = None,
    ):
        token = token or self.token
        raise SegmentQueryError(
            message,
            query=self.text,
            line=token.line,
            column=token.column,
            suggestion=suggestion,
            replacement=replacement,
        )

    def describe(self, token: Token) -> str | Message:
        return messages.END_OF_QUERY() if token.kind == "EOF" else repr(token.text)

    def expect(self, kind: str, template: Template, **params) -> Token:
        """The next token when it is of `kind`; else `template`'s error, with what was found."""
        if self.token.kind != kind:
            self.fail(template(**params, found=self.describe(self.token)))
        return self.advance()

    def expect_keyword(self, word: str) -> Token:
        if self.token.keyword() != word:
            self.fail(messages.EXPECTED_KEYWORD(keyword=word, found=self.describe(self.token)))
        return self.advance()

    def parse(self) -> Node:
        if self.token.kind == "EOF":
            self.fail(messages.EMPTY_QUERY())
        node = self.or_expr()
        if self.token.kind != "EOF":
            hint = None
            if self.token.kind == "IDENT":
                hint = suggest(self.token.text, ["AND", "OR"])
            self.fail(
                messages.EXPECTED_AND_OR_END(found=self.describe(self.token)), suggestion=hint
            )
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.token.keyword() == "OR":
            self.advance()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.unary()]
        while self.token.keyword() == "AND":
            self.advance()
            items.append(self.unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self) -> Node:
        if self.token.keyword() == "NOT":
            self.advance()
            return Not(self.unary())
        if self.token.kind == "LPAREN":
            self.advance()
            node = self.or_expr()
            self.expect("RPAREN", messages.EXPECTED_CLOSING_PARENTHESIS)
            return node
        return self.condition()

    def condition(self) -> Condition:
        token = self.token
        if token.kind != "IDENT" or token.keyword():
            self.fail(messages.EXPECTED_CONDITION(found=self.describe(token)))
        self.advance()
        args: list[Argument] = []
        if self.token.kind == "LPAREN":
            self.advance()
            while True:
                name = self.expect("IDENT", messages.EXPECTED_ARGUMENT_NAME)
                self.expect("COLON", messages.EXPECTED_ARGUMENT_COLON, argument=name.text)
                args.append(Argument(name.text.lower(), self.value(), name.pos))
                if self.token.kind == "COMMA":
                    self.advance()
                    continue
                self.expect("RPAREN", messages.EXPECTED_ARGUMENT_SEPARATOR)
                break
        operator_token = self.token
        operator, values = self.operator()
        return Condition(
            attribute=_attribute_name(token.text),
            operator=operator,
            values=tuple(values),
            args=tuple(args),
            pos=token.pos,
            operator_pos=operator_token.pos,
        )

    def operator(self) -> tuple[str, list[Value]]:
        token = self.token
        if token.kind == "OP":
            self.advance()
            return ("!=" if token.text == "<>" else token.text), [self.value()]
        word = token.keyword()
        if word == "BETWEEN":
            self.advance()
            low = self.value()
            self.expect_keyword("AND")
            return "BETWEEN", [low, self.value()]
        if word == "IN":
            self.advance()
            self.expect("LPAREN", messages.EXPECTED_LIST_OPENING)
            values = [self.value()]
            while self.token.kind == "COMMA":
                self.advance()
                values.append(self.value())
            self.expect("RPAREN", messages.EXPECTED_LIST_SEPARATOR)
            return "IN", values
        if word == "CONTAINS":
            self.advance()
            return "CONTAINS", [self.value()]
        if word == "NOT":
            self.advance()
            self.expect_keyword("CONTAINS")
            return "NOT CONTAINS", [self.value()]
        if word == "STARTS":
            self.advance()
            self.expect_keyword("WITH")
            return "STARTS WITH", [self.value()]
        if word == "IS":
            self.advance()
            if self.token.keyword() == "NOT":
                self.advance()
                self.expect_keyword("NULL")
                return "IS NOT NULL", []
            self.expect_keyword("NULL")
            return "IS NULL", []
        hint = None
        if token.kind == "IDENT":
            hint = suggest(token.text, ["CONTAINS", "BETWEEN", "IN", "IS", "STARTS WITH"])
        self.fail(messages.EXPECTED_OPERATOR(found=self.describe(token)), suggestion=hint)

    def value(self) -> Value:
        token = self.token
        if token.kind == "STRING":
            self.advance()
            return Value("string", token.text[1:-1].replace("''", "'"), token.pos)
        if token.kind == "NUMBER":
            self.advance()
            if "." in token.text:
                return Value("decimal", Decimal(token.text), token.pos)
            return Value("int", int(token.text), token.pos)
        if token.kind == "DATE":
            self.advance()
            try:
                return Value("date", date.fromisoformat(token.text), token.pos)
            except ValueError:
                self.fail(messages.NOT_A_CALENDAR_DATE(date=token.text), token)
        if token.kind == "RELATIVE":
            self.advance()
            return Value("relative", (int(token.text[:-1]), token.text[-1].lower()), token.pos)
        word = token.keyword()
        if word in ("TRUE", "FALSE"):
            self.advance()
            return Value("bool", word == "TRUE", token.pos)
        if word in ("TODAY", "YESTERDAY"):
            self.advance()
            return Value("day", word.lower(), token.pos)
        hint, replacement = None, None
        if token.kind == "IDENT":
            hint = suggest(token.text, ["true", "false", "today", "yesterday"])
            if hint is None:
                replacement = f"'{token.text}'"
                hint = messages.QUOTE_THE_TEXT(text=replacement)
        self.fail(
            messages.EXPECTED_VALUE(found=self.describe(token)),
            suggestion=hint,
            replacement=replacement,
        )


def _attribute_name(text: str) -> str:
    """Attribute names are case-insensitive, except the key after `attributes.`."""
    head, dot, rest = text.partition(".")
    return head.lower() + dot + rest


def parse(text: str) -> Node:
    """The AST of a query, or SegmentQueryError saying where and why it is wrong."""
    return Parser(text).parse()


# ---- text ------------------------------------------------------------------------------


def value_text(value: Value) -> str:
    kind, raw = value.kind, value.value
    if kind == "string":
        return "'" + str(raw).replace("'", "''") + "'"
    if kind == "bool":
        return "true" if raw else "false"
    if kind == "date":
        return raw.isoformat()
    if kind == "relative":
        amount, unit = raw
        return f"{amount:+d}{unit}"
    if kind == "decimal":
        text = format(raw, "f")
        return text if "." in text else text + ".0"
    return str(raw)


def to_text(node: Node) -> str:
    """The canonical spelling of an AST; `parse(to_text(ast)) == ast`."""
    if isinstance(node, Condition):
        text = node.attribute
        if node.args:
            text += "(" + ", ".join(f"{a.name}: {value_text(a.value)}" for a in node.args) + ")"
        values = [value_text(v) for v in node.values]
        if node.operator == "BETWEEN":
            return f"{text} BETWEEN {values[0]} AND {values[1]}"
        if node.operator == "IN":
            return f"{text} IN ({', '.join(values)})"
        return " ".join([text, node.operator, *values])
    if isinstance(node, Not):
        inner = to_text(node.item)
        return f"NOT ({inner})" if isinstance(node.item, (And, Or)) else f"NOT {inner}"
    joiner = " AND " if isinstance(node, And) else " OR "
    return joiner.join(
        f"({to_text(item)})" if isinstance(item, (And, Or)) else to_text(item)
        for item in node.items
    )


# ---- JSON ------------------------------------------------------------------------------


def value_json(value: Value) -> dict:
    raw = value.value
    if value.kind == "date":
        raw = raw.isoformat()
    elif value.kind == "decimal":
        raw = str(raw)
    elif value.kind == "relative":
        raw = value_text(value)
    return {value.kind: raw}


def value_from_json(data: dict) -> Value:
    ((kind, raw),) = data.items()
    if kind == "date":
        return Value(kind, date.fromisoformat(raw))
    if kind == "decimal":
        return Value(kind, Decimal(raw))
    if kind == "relative":
        return Value(kind, (int(raw[:-1]), raw[-1]))
    if kind in ("int", "string", "bool", "day"):
        return Value(kind, raw)
    raise ValueError(f"unknown value kind {kind!r} in segment JSON")


def to_json(node: Node) -> dict:
    """A stable JSON form: {"and": [...]}, {"or": [...]}, {"not": ...} or a condition."""
    if isinstance(node, Condition):
        data: dict = {"attribute": node.attribute, "operator": node.operator}
        if node.args:
            data["args"] = {a.name: value_json(a.value) for a in node.args}
        data["values"] = [value_json(v) for v in node.values]
        return data
    if isinstance(node, Not):
        return {"not": to_json(node.item)}
    key = "and" if isinstance(node, And) else "or"
    return {key: [to_json(item) for item in node.items]}


def from_json(data: dict) -> Node:
    if "and" in data:
        return And(tuple(from_json(item) for item in data["and"]))
    if "or" in data:
        return Or(tuple(from_json(item) for item in data["or"]))
    if "not" in data:
        return Not(from_json(data["not"]))
    try:
        return Condition(
            attribute=data["attribute"],
            operator=data["operator"],
            values=tuple(value_from_json(v) for v in data.get("values", [])),
            args=tuple(
                Argument(name, value_from_json(v)) for name, v in data.get("args", {}).items()
            ),
        )
    except (KeyError, TypeError, ValueError, InvalidOperation) as error:
        raise ValueError(f"not a segment condition: {data!r}") from error


def conditions(node: Node):
    """Every condition in the tree, depth first."""
    if isinstance(node, Condition):
        yield node
    elif isinstance(node, Not):
        yield from conditions(node.item)
    else:
        for item in node.items:
            yield from conditions(item)
