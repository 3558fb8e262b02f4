"""The error a merchant sees for a segment query: where (line, column, caret) and why."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from sync.messages import Message


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """The closest known name to a mistyped one, when one is near enough to be meant."""
    choices = list(choices)
    lowered = {choice.lower(): choice for choice in choices}
    found = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[found[0]] if found else None


class SegmentQueryError(ValueError):
    """A query that cannot be parsed, validated or compiled, with the spot to fix.

    `line` and `column` are 1-based; `str(error)` is the full message a person reads in
    English (the CLI, the API): the reason, the query line, a caret under the spot, and
    "did you mean" when a known name or value is near. `reason` (and `hint`, when the
    suggestion is a sentence) are the `Message`s behind it, which the admin translates;
    every reason is a template of sync/segments/messages.py. `replacement` is the text
    that takes the spot's word when the merchant accepts the suggestion.
    """

    def __init__(
        self,
        reason: Message,
        *,
        query: str = "",
        line: int = 1,
        column: int = 1,
        suggestion: str | Message | None = None,
        replacement: str | None = None,
    ):
        if not isinstance(reason, Message):
            raise TypeError("a segment query error's reason is a Message of segments.messages")
        self.reason = reason
        self.message = str(reason)
        self.query = query
        self.line = line
        self.column = column
        self.hint = suggestion if isinstance(suggestion, Message) else None
        self.suggestion = None if suggestion is None else str(suggestion)
        self.replacement = replacement if replacement is not None else self.suggestion
        super().__init__(self.render())

    @property
    def code(self) -> str:
        return self.reason.code

    @property
    def caret(self) -> str:
        lines = self.query.splitlines() or [""]
        text = lines[min(self.line, len(lines)) - 1]
        return f"{text}\n{' ' * (self.column - 1)}^"

    def render(self) -> str:
        text = f"line {self.line}, column {self.column}: {self.message}"
        if self.query:
            text += "\n" + self.caret
        if self.suggestion:
            text += f"\ndid you mean {self.suggestion}?"
        return text

    def as_dict(self) -> dict:
        return {
            "message": self.message,
            "code": self.code,
            "params": self.reason.plain_params(),
            "line": self.line,
            "column": self.column,
            "suggestion": self.suggestion,
            "replacement": self.replacement,
            "caret": self.caret if self.query else None,
        }
