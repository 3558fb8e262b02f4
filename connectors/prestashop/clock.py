"""PrestaShop dates are shop-local wall-clock strings without a zone: converting them.

The Webservice writes and filters `date_add`/`date_upd` as `YYYY-MM-DD HH:MM:SS` in the
shop's own time zone (PS_TIMEZONE). We keep UTC everywhere else, so every date crosses
this module on its way in (to UTC) and every filter on its way out (to shop-local).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

FORMAT = "%Y-%m-%d %H:%M:%S"
# The "no date" PrestaShop writes in DATETIME columns; the smallest value a filter accepts.
ZERO_DATETIME = "0000-00-00 00:00:00"


class ShopClock:
    """Conversions between UTC and one shop's local wall clock."""

    def __init__(self, timezone: str):
        self.timezone = timezone
        self.zone = ZoneInfo(timezone)

    def to_utc(self, value: str | None) -> datetime | None:
        """A Webservice date string as naive UTC (None for empty or zero dates)."""
        local = parse_local(value)
        if local is None:
            return None
        return local.replace(tzinfo=self.zone).astimezone(UTC).replace(tzinfo=None)

    def to_local(self, value: datetime) -> str:
        """A UTC datetime (naive or aware) as the Webservice's local string."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(self.zone).strftime(FORMAT)

    def window_start(self, cursor_utc: datetime, overlap: timedelta, now_utc: datetime) -> str:
        """The local lower bound of a polling window starting `overlap` before the cursor.

        When the clocks went back between the cursor and now (autumn), the hour after the
        change repeats local times already passed: the bound moves back by the difference,
        so that saves in the repeated hour are not taken for ones already read.
        """
        start = cursor_utc - overlap
        shift = self._offset(cursor_utc) - self._offset(now_utc)
        if shift > timedelta(0):
            start -= shift
        return self.to_local(start)

    def _offset(self, moment: datetime) -> timedelta:
        return moment.replace(tzinfo=UTC).astimezone(self.zone).utcoffset()


def parse_local(value: str | None) -> datetime | None:
    if value is None:
        return None
    value = str(value).strip()
    if not value or value.startswith("0000-00-00"):
        return None
    return datetime.fromisoformat(value[:19])


def parse_day(value: str | None) -> date | None:
    """A Webservice DATE (birthdays): None for empty and zero dates."""
    if value is None:
        return None
    value = str(value).strip()
    if not value or value.startswith("0000-00-00"):
        return None
    return date.fromisoformat(value[:10])
