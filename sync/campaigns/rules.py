"""A campaign's rules as pure functions: audience, pages, schedule, server-known caps.

Each takes the facts of one storefront view (`View`) and the campaign's rule document and
answers yes or no, without touching the database: decide gathers the facts once per
request (segment memberships, the visitor's exposures) and then runs these for every live
campaign of the shop. Shapes are checked by the API (plugin_app/api/campaign_schemas.py);
anything missing here means "no constraint".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sync.campaigns import messages
from sync.messages import Message

PAGE_TYPES = ("home", "product", "collection", "cart", "other")
DEVICES = ("desktop", "mobile")
URL_OPERATORS = ("contains", "equals", "regex", "starts_with")
VISITOR_KINDS = ("all", "identified", "anonymous")
TRIGGER_TYPES = ("load", "delay", "scroll", "exit_intent", "page_views", "cart_value", "cart_items")
MAX_REGEX = 200


@dataclass(frozen=True)
class View:
    """What decide knows about this page view."""

    identified: bool = False
    device: str | None = None
    country: str | None = None
    returning: bool = False
    url: str = ""
    page_type: str | None = None
    product: str | None = None
    category: str | None = None
    segment_ids: frozenset[int] = field(default_factory=frozenset)


# ---- audience --------------------------------------------------------------------------


def audience_matcher(
    audience: dict, include: frozenset, exclude: frozenset
) -> Callable[[View], bool]:
    """Whether a view is in the campaign's audience, as a function of the view with the
    audience read once (decide checks every candidate campaign on every request): segments
    (member of any included, of no excluded), identified or anonymous, device, country,
    new or returning."""
    visitors = audience.get("visitors") or "all"
    devices = frozenset(audience.get("devices") or ())
    countries = frozenset(audience.get("countries") or ())
    returning = audience.get("returning")
    returning = None if returning is None else bool(returning)
    if not (include or exclude or devices or countries) and visitors == "all":
        if returning is None:
            return _everyone
        return lambda view: view.returning == returning

    def matches(view: View) -> bool:
        if include and not (include & view.segment_ids):
            return False
        if exclude and (exclude & view.segment_ids):
            return False
        if visitors == "identified" and not view.identified:
            return False
        if visitors == "anonymous" and view.identified:
            return False
        if devices and view.device not in devices:
            return False
        if countries and (view.country or "").upper() not in countries:
            return False
        return returning is None or returning == view.returning

    return matches


def _everyone(_view: View) -> bool:
    return True


# ---- pages -----------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def compiled_regex(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def check_regex(pattern: str) -> Message | None:
    """Why a page-rule regex is refused (None when it is fine); Python's own words for a
    syntax error stay English."""
    if len(pattern) > MAX_REGEX:
        return messages.URL_PATTERN_TOO_LONG(limit=MAX_REGEX)
    try:
        compiled_regex(pattern)
    except re.error as error:
        return messages.URL_PATTERN_INVALID(pattern=repr(pattern), reason=str(error))
    return None


def url_matches(rule: dict, url: str) -> bool:
    op, value = rule.get("op"), rule.get("value") or ""
    if op == "contains":
        return value.lower() in url.lower()
    if op == "equals":
        return url.rstrip("/").lower() == value.rstrip("/").lower()
    if op == "starts_with":
        return url.lower().startswith(value.lower())
    if op == "regex":
        return compiled_regex(value).search(url) is not None
    return False


# The keys of a campaign's `pages` (sync/campaigns/schema.py): an empty one matches all.
PAGE_RULES = ("url", "url_exclude", "page_types", "products", "categories")


def page_matcher(pages: dict) -> Callable[[View], bool]:
    """Whether a view is on the campaign's pages, as a function of the view with the rules
    read once (decide checks every live campaign on every request, most of them with no
    rule): every non-empty rule list must match (any of its items); url_exclude must not."""
    if not any(pages.get(name) for name in PAGE_RULES):
        return _every_page
    urls = tuple(pages.get("url") or ())
    excluded = tuple(pages.get("url_exclude") or ())
    types = frozenset(pages.get("page_types") or ())
    products = frozenset(pages.get("products") or ())
    categories = frozenset(c.lower() for c in pages.get("categories") or ())

    def matches(view: View) -> bool:
        if types and view.page_type not in types:
            return False
        if products and view.product not in products:
            return False
        if categories and (view.category or "").lower() not in categories:
            return False
        if urls and not any(url_matches(rule, view.url) for rule in urls):
            return False
        return not any(url_matches(rule, view.url) for rule in excluded)

    return matches


def _every_page(_view: View) -> bool:
    return True


# ---- schedule --------------------------------------------------------------------------


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_time(now: datetime, timezone: str) -> datetime:
    """Naive UTC `now` as the shop's local wall-clock time (naive)."""
    return now.replace(tzinfo=UTC).astimezone(zone(timezone)).replace(tzinfo=None)


def to_utc(local: datetime, timezone: str) -> datetime:
    """A wall-clock time in the shop's zone (naive, or aware: converted) as naive UTC."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone(timezone))
    return local.astimezone(UTC).replace(tzinfo=None)


def _minutes(text: str) -> int:
    hours, _, minutes = text.partition(":")
    return int(hours) * 60 + int(minutes or 0)


def scheduled(
    starts_at: datetime | None,
    ends_at: datetime | None,
    weekdays,
    hours: dict | None,
    timezone: str,
    now: datetime,
) -> bool:
    """Within [starts_at, ends_at) (naive UTC), on one of the local weekdays (1 = Monday)
    and within the local hours {"from": "09:00", "to": "18:00"} (overnight when to < from)."""
    if starts_at is not None and now < starts_at:
        return False
    if ends_at is not None and now >= ends_at:
        return False
    if not weekdays and not hours:
        return True
    local = local_time(now, timezone)
    if weekdays and local.isoweekday() not in weekdays:
        return False
    if hours:
        start, end = _minutes(hours["from"]), _minutes(hours["to"])
        minute = local.hour * 60 + local.minute
        inside = start <= minute < end if start <= end else (minute >= start or minute < end)
        if not inside:
            return False
    return True


# ---- frequency, as far as the server knows -------------------------------------------


@dataclass(frozen=True)
class History:
    """A visitor's past with one campaign (from campaign_exposures, or as the visitor's
    browser recorded it: decide.history_from_browser)."""

    variant_id: int | None
    impressions: int = 0
    closes: int = 0
    last_impression_at: datetime | None = None
    submitted: bool = False
    ordered_since: bool = False


def capped(frequency: dict, history: History | None, now: datetime) -> bool:
    """Whether the server-known caps stop this campaign for this visitor: at most N times,
    once per N days, never after a conversion (a submission, or an order after the first
    impression), never after N closes. Per-session caps are the loader's."""
    if history is None or not frequency:
        return False
    max_times = frequency.get("max_times")
    if max_times and history.impressions >= max_times:
        return True
    every_days = frequency.get("every_days")
    if (
        every_days
        and history.last_impression_at is not None
        and now < history.last_impression_at + timedelta(days=every_days)
    ):
        return True
    if frequency.get("stop_after_conversion") and (history.submitted or history.ordered_since):
        return True
    closes = frequency.get("stop_after_closes")
    if closes and history.closes >= closes:
        return True
    return False
