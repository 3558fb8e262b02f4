"""The error a merchant sees for a segment query: where (line, column, caret) and why."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """The closest known name to a mistyped one, when one is near enough to be meant."""
    choices = list(choices)
    lowered = {choice.lower(): choice for choice in choices}
    found = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[found[0]] if found else None


class SegmentQueryError(ValueError):
    """A query that cannot be parsed, validated or compiled, with the spot to fix.

    `line` and `column` are 1-based; `str(error)` is the full message a person reads:
    the reason, the query line, a caret under the spot, and "did you mean" when a known
    name or value is near.
    """

    def __init__(
        self,
        message: str,
        *,
        query: str = "",
        line: int = 1,
        column: int = 1,
        suggestion: str | None = None,
    ):
        self.message = message
        self.query = query
        self.line = line
        self.column = column
        self.suggestion = suggestion
        super().__init__(self.render())

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
            "line": self.line,
            "column": self.column,
            "suggestion": self.suggestion,
            "caret": self.caret if self.query else None,
        }
