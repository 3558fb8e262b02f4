"""Reading storefront requests: bounded bodies, JSON sent as text/plain, the decide input.

Browsers send our JSON as `text/plain` (a CORS "simple request": no preflight round trip)
or as `application/json`. Bodies past MAX_BYTES are refused before they are parsed. The
decide body is read by hand rather than by a schema: it is the hottest path of the app,
and its few fields are checked in a few microseconds; unknown fields are ignored there (an
older server keeps answering a newer loader), while events refuse them.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import IO

from flask import Request

from sync.campaigns.decide import DecideInput, Seen
from sync.campaigns.events import MAX_BYTES
from sync.campaigns.rules import DEVICES, PAGE_TYPES

VISITOR_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SLOT_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
JSON_TYPES = ("text/plain", "application/json", "")
MAX_SLOTS = 20
# Campaigns a decide body's `seen` may hold (the loader's record, ended campaigns included);
# past it the record is not used and the visitor's history is read from the database.
MAX_SEEN = 500


class BadRequest(ValueError):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def read_json(request: Request) -> object:
    """The JSON body of a Flask request: see read_json_body."""
    return read_json_body(request.mimetype, request.content_length, request.stream)


def mimetype(content_type: str | None) -> str:
    """`text/plain;charset=UTF-8` -> `text/plain`, as werkzeug's Request.mimetype."""
    return (content_type or "").partition(";")[0].strip().lower()


def read_json_body(mimetype_: str, length: int | None, stream: IO[bytes]) -> object:
    """The JSON body, at most MAX_BYTES; BadRequest (400, 413 or 415) otherwise. `stream`
    must end where the body does (werkzeug's request.stream, or get_input_stream)."""
    if mimetype_ not in JSON_TYPES:
        raise BadRequest("send JSON as text/plain or application/json", 415)
    if length is not None and length > MAX_BYTES:
        raise BadRequest(f"the body is over {MAX_BYTES // 1024} KB", 413)
    body = stream.read(MAX_BYTES + 1)
    if len(body) > MAX_BYTES:
        raise BadRequest(f"the body is over {MAX_BYTES // 1024} KB", 413)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(f"the body is not JSON: {error}") from error


def _text(value, name: str, limit: int) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be text")
    if len(value) > limit:
        raise BadRequest(f"{name} is longer than {limit} characters")
    return value


def _number(value, name: str):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequest(f"{name} must be a number")
    if value < 0 or value > 1e9:
        raise BadRequest(f"{name} is out of range")
    return value


def _object(value, name: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"{name} must be an object")
    return value


def _count(value, name: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1e9:
        raise BadRequest(f"{name} must be a whole number from 0")
    return value


def _seen(value) -> dict[str, Seen] | None:
    """The loader's own record of what this browser was shown, by campaign id:
    `{"<campaign>": {"v": variant key, "n": impressions, "t": last impression (ms since
    1970), "c": closes, "x": submissions}}` (docs/storefront.md, "`seen`: the browser's
    own record")."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadRequest("seen must be an object")
    if len(value) > MAX_SEEN:
        return None  # a browser's record grown that long: the server's own is read instead
    seen = {}
    for campaign, record in value.items():
        name = f"seen.{campaign[:40]}"
        if not isinstance(record, dict):
            raise BadRequest(f"{name} must be an object")
        last = record.get("t")
        if last is not None:
            if isinstance(last, bool) or not isinstance(last, (int, float)):
                raise BadRequest(f"{name}.t must be a time in milliseconds")
            try:
                last = datetime.fromtimestamp(last / 1000, UTC).replace(tzinfo=None)
            except (OverflowError, OSError, ValueError) as error:
                raise BadRequest(f"{name}.t must be a time in milliseconds") from error
        seen[campaign] = Seen(
            variant=_text(record.get("v"), f"{name}.v", 64),
            impressions=_count(record.get("n"), f"{name}.n"),
            closes=_count(record.get("c"), f"{name}.c"),
            last_impression_at=last,
            submitted=_count(record.get("x"), f"{name}.x") > 0,
        )
    return seen


def decide_input(
    payload: object, customer_external_id: str | None, tracking: bool, country: str | None
) -> DecideInput:
    """The decide body as a DecideInput; BadRequest naming the first bad field."""
    if not isinstance(payload, dict):
        raise BadRequest("the body must be a JSON object")
    visitor = payload.get("visitor")
    if visitor is not None and (not isinstance(visitor, str) or not VISITOR_RE.match(visitor)):
        raise BadRequest("visitor: 16 to 64 characters A-Z a-z 0-9 _ -")
    page = _object(payload.get("page"), "page")
    page_type = page.get("type")
    if page_type is not None and page_type not in PAGE_TYPES:
        raise BadRequest(f"page.type: one of {', '.join(PAGE_TYPES)}")
    cart = _object(payload.get("cart"), "cart")
    session = _object(payload.get("session"), "session")
    device = payload.get("device")
    if device is not None and device not in DEVICES:
        raise BadRequest(f"device: one of {', '.join(DEVICES)}")
    slots = payload.get("slots") or []
    if not isinstance(slots, list) or len(slots) > MAX_SLOTS:
        raise BadRequest(f"slots: a list of at most {MAX_SLOTS} slot names")
    for slot in slots:
        if not isinstance(slot, str) or not SLOT_RE.match(slot):
            raise BadRequest("slots: names of letters, digits, - and _")
    returning = session.get("returning")
    if returning is not None and not isinstance(returning, bool):
        raise BadRequest("session.returning must be true or false")
    items = _number(cart.get("items"), "cart.items")
    return DecideInput(
        visitor=visitor if tracking else None,
        customer_external_id=customer_external_id,
        url=_text(page.get("url"), "page.url", 2048) or "",
        page_type=page_type,
        product=_text(page.get("product"), "page.product", 255),
        category=_text(page.get("category"), "page.category", 255),
        cart_value=_number(cart.get("value"), "cart.value"),
        cart_items=None if items is None else int(items),
        returning=bool(returning),
        device=device,
        slots=tuple(slots),
        country=country,
        seen=_seen(payload.get("seen")) if tracking else None,
    )
