"""Sentences for people, kept as English templates plus their values, translated by whoever
shows them.

`sync` knows no Flask and no request, so it cannot know the reader's language. An error it
raises carries a `Message`: a `Template` (a stable code and an English msgid with named
%(placeholders)s, marked with `N_` so that `make translations` extracts it) and the values
to fill in. `str(message)` is the English text the CLI and the API's `message` show; the
admin renders the same message with Flask-Babel's gettext in the request's language
(plugin_app/i18n.py). A value that is itself a `Message` (a type's name, "the end of the
query") is translated too; any other value (what the merchant typed, an attribute or an
operator's name) is put in as it is.

Some libraries carry only strings (marshmallow's error dicts): a `Text` is the English
sentence as a `str`, so such a library and JSON treat it as the string it is, and it keeps
its `Message` for whoever translates it later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


def N_(msgid: str) -> str:
    """Marks an English msgid for extraction (`pybabel extract -k N_`); translates nothing."""
    return msgid


def _same(msgid: str) -> str:
    return msgid


@dataclass(frozen=True)
class Template:
    """One sentence: `code` is stable for API clients, `msgid` is the English text."""

    code: str
    msgid: str

    def __call__(self, **params: object) -> Message:
        return Message(self, params)


@dataclass(frozen=True)
class Message:
    template: Template
    params: Mapping[str, object] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.template.code

    def render(self, translate: Callable[[str], str] = _same) -> str:
        """The sentence with its values, each template passed through `translate` first."""
        values = {
            name: value.render(translate) if isinstance(value, Message) else value
            for name, value in self.params.items()
        }
        return translate(self.template.msgid) % values

    def plain_params(self) -> dict[str, object]:
        """The values as JSON can carry them (a nested message as its English text)."""
        return {
            name: str(value) if isinstance(value, Message) else value
            for name, value in self.params.items()
        }

    def __str__(self) -> str:
        return self.render()


class Text(str):
    """A message's English text that still knows its message (`text.message`)."""

    message: Message

    def __new__(cls, message: Message) -> Text:
        made = super().__new__(cls, str(message))
        made.message = message
        return made

    def __getnewargs__(self) -> tuple[Message]:
        return (self.message,)


def templates_in(namespace: Mapping[str, object]) -> tuple[Template, ...]:
    """Every Template a module defines, at top level or inside a dict, each once (for tests
    and docs)."""
    found: list[Template] = []
    for value in namespace.values():
        if isinstance(value, Template):
            found.append(value)
        elif isinstance(value, dict):
            found.extend(v for v in value.values() if isinstance(v, Template))
    return tuple(dict.fromkeys(found))
