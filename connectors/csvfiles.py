"""Merchant CSV files (customers, orders, order lines) read row by row into neutral records.

Physical stores and exports from other tools arrive as CSV. A file is read one row at a
time (a 1 GB export never sits in memory), each row is validated by the marshmallow schema
of its kind and becomes a `records` record, or a `Refusal` that names the file, the
physical line where the row starts and why, so that a merchant can fix it in a
spreadsheet. The column contract is written for merchants in docs/csv-import.md.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import chain
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from marshmallow import Schema, ValidationError, fields, post_load, validate

from connectors import records

KINDS = ("customers", "orders", "lines")
CUSTOMER_COLUMNS = (
    "external_id",
    "email",
    "first_name",
    "last_name",
    "gender",
    "birth_date",
    "phone",
    "city",
    "region",
    "postal_code",
    "country",
    "latitude",
    "longitude",
    "created_at",
    "updated_at",
    "accepts_email_marketing",
    "accepts_sms_marketing",
    "tags",
    "loyalty_tier",
    "loyalty_points",
    "company",
    "industry",
    "language",
)
ORDER_COLUMNS = (
    "external_id",
    "customer_external_id",
    "email",
    "created_at",
    "updated_at",
    "status",
    "total",
    "currency",
    "channel",
    "discount_code",
)
LINE_COLUMNS = (
    "order_external_id",
    "line_id",
    "product_external_id",
    "sku",
    "title",
    "category",
    "vendor",
    "quantity",
    "unit_price",
)
# Columns, in the order a line key is taken from: the first non-empty one names the line.
LINE_KEY_COLUMNS = ("line_id", "product_external_id", "sku", "title")
REQUIRED_COLUMNS = {
    "customers": ("external_id",),
    "orders": ("external_id", "created_at"),
    "lines": ("order_external_id",),
}
CONSENT_SOURCE = "csv import"
TRUE_WORDS = frozenset({"true", "1", "yes", "oui", "y", "o", "vrai"})
FALSE_WORDS = frozenset({"false", "0", "no", "non", "n", "faux"})
ORDER_STATUS_ALIASES = {"canceled": "cancelled"}
# Numeric(14, 2) in the store: larger amounts would fail a whole batch in the database.
MONEY_LIMIT = Decimal("1000000000000")
CENT = Decimal("0.01")


class CsvFileError(ValueError):
    """A whole file that cannot be imported (no header, missing required column...)."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """A row that was not imported: `file:line: reason`, line 1 being the header."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


def column_name(header: str) -> str:
    """`" First Name "` -> `first_name`: header names are matched case-insensitively."""
    return re.sub(r"\s+", "_", header.strip().lower())


def sniff_delimiter(header_line: str) -> str:
    """`;` when the header has more semicolons than commas outside quotes, else `,`."""
    counts = {",": 0, ";": 0}
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return ";" if counts[";"] > counts[","] else ","


def local_to_utc(value: datetime, zone: ZoneInfo) -> datetime:
    """An aware UTC datetime from an ISO value; naive values are wall-clock time in `zone`.

    A naive time that does not exist (spring forward) or exists twice (fall back) is read
    with fold=0: the offset in force before the change.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone, fold=0)
    return value.astimezone(UTC)


# --- fields ----------------------------------------------------------------------------
# Each field receives a stripped, non-empty string (empty cells are left out of the row).


class Text(fields.String):
    def __init__(self, max_length: int, **kwargs):
        super().__init__(
            validate=validate.Length(max=max_length, error=f"longer than {max_length} characters"),
            **kwargs,
        )


class Email(Text):
    def __init__(self, **kwargs):
        super().__init__(320, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).lower()
        if "@" not in value or any(char.isspace() for char in value):
            raise ValidationError(f"not an email address: {value!r}")
        return value


class Code(fields.String):
    """A code of `length` letters, upper-cased (country FR, currency EUR)."""

    def __init__(self, length: int, example: str, **kwargs):
        self.length = length
        self.example = example
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).upper()
        if len(value) != self.length or not value.isascii() or not value.isalpha():
            raise ValidationError(
                f"expected a {self.length}-letter ISO code such as {self.example}, got {value!r}"
            )
        return value


class Choice(fields.String):
    def __init__(self, choices: tuple[str, ...], aliases: dict[str, str] | None = None, **kw):
        self.choices = choices
        self.aliases = aliases or {}
        super().__init__(**kw)

    def _deserialize(self, value, attr, data, **kwargs):
        word = super()._deserialize(value, attr, data, **kwargs).lower()
        word = self.aliases.get(word, word)
        if word not in self.choices:
            raise ValidationError(f"{value!r} is not one of {', '.join(self.choices)}")
        return word


class Instant(fields.Field):
    """ISO 8601 date or date-time; without an offset it is local to the shop (schema zone)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(f"not an ISO 8601 date or date-time: {value!r}") from None
        return local_to_utc(parsed, self.root.zone)


class Day(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValidationError(f"not an ISO 8601 date (YYYY-MM-DD): {value!r}") from None


class Flag(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        word = value.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValidationError(f"not a yes/no value: {value!r} (use true/false, 1/0, yes/no)")


def decimal_text(value: str, decimal_comma: bool) -> str:
    """`12,50` means 12.50 in files whose delimiter is `;` (French spreadsheets)."""
    if decimal_comma and "," in value and "." not in value:
        return value.replace(",", ".")
    return value


class Amount(fields.Field):
    """Money: a decimal with `.` (or `,` in `;` files), rounded to the cent, 0 or more."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            amount = Decimal(decimal_text(value, self.root.decimal_comma))
        except InvalidOperation:
            raise ValidationError(f"not a number: {value!r}") from None
        if not amount.is_finite():
            raise ValidationError(f"not a number: {value!r}")
        if amount < 0:
            raise ValidationError(f"must be 0 or more, got {value!r}")
        if amount >= MONEY_LIMIT:
            raise ValidationError(f"too large: {value!r}")
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class Coordinate(fields.Field):
    def __init__(self, limit: float, **kwargs):
        self.limit = limit
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            number = float(decimal_text(value, self.root.decimal_comma))
        except ValueError:
            raise ValidationError(f"not a number: {value!r}") from None
        if not -self.limit <= number <= self.limit:
            raise ValidationError(f"must be between -{self.limit:g} and {self.limit:g}")
        return number


class Count(fields.Field):
    """A whole number, 0 or more (quantities, loyalty points)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            number = int(value)
        except ValueError:
            raise ValidationError(f"not a whole number: {value!r}") from None
        if number < 0:
            raise ValidationError(f"must be 0 or more, got {value!r}")
        if number > 2_147_483_647:
            raise ValidationError(f"too large: {value!r}")
        return number


class Tags(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        tags = []
        for tag in value.split(";"):
            tag = tag.strip()
            if tag and tag not in tags:
                tags.append(tag)
        return tags


REQUIRED = {"required": "required, but empty"}


# --- schemas ---------------------------------------------------------------------------


class RowSchema(Schema):
    """A row of one kind of file; `zone`, `decimal_comma` and the rest come from the file."""

    def __init__(
        self,
        *,
        zone: ZoneInfo,
        decimal_comma: bool = False,
        imported_at: datetime | None = None,
        default_currency: str | None = None,
        only: tuple[str, ...] | None = None,
    ):
        # Only the file's columns: a field absent from the header costs nothing per row.
        super().__init__(only=only)
        self.zone = zone
        self.decimal_comma = decimal_comma
        self.imported_at = imported_at or datetime.now(UTC).replace(microsecond=0)
        self.default_currency = default_currency


class CustomerRow(RowSchema):
    external_id = Text(255, required=True, error_messages=REQUIRED)
    email = Email()
    first_name = Text(255)
    last_name = Text(255)
    gender = Text(16)
    birth_date = Day()
    phone = Text(64)
    city = Text(255)
    region = Text(255)
    postal_code = Text(32)
    country = Code(2, "FR")
    latitude = Coordinate(90)
    longitude = Coordinate(180)
    created_at = Instant()
    updated_at = Instant()
    accepts_email_marketing = Flag()
    accepts_sms_marketing = Flag()
    tags = Tags()
    loyalty_tier = Text(64)
    loyalty_points = Count()
    company = Text(255)
    industry = Text(255)
    language = Text(16)
    attributes = fields.Dict()

    @post_load
    def make_record(self, data: dict, **_kwargs) -> records.Customer:
        """Marketing consent: a yes gives SUBSCRIBED since the row's last change."""
        consent_at = data.get("updated_at") or data.get("created_at") or self.imported_at
        email_yes = data.pop("accepts_email_marketing", None)
        sms_yes = data.pop("accepts_sms_marketing", None)
        if email_yes:
            data["email_subscription_status"] = "SUBSCRIBED"
            data["email_consent_at"] = consent_at
            data["email_consent_source"] = CONSENT_SOURCE
        if sms_yes:
            data["sms_subscription_status"] = "SUBSCRIBED"
            data["sms_consent_at"] = consent_at
        return records.Customer(**data)


class OrderRow(RowSchema):
    external_id = Text(255, required=True, error_messages=REQUIRED)
    customer_external_id = Text(255)
    email = Email()
    created_at = Instant(required=True, error_messages=REQUIRED)
    updated_at = Instant()
    status = Choice(("paid", "pending", "cancelled", "refunded"), aliases=ORDER_STATUS_ALIASES)
    total = Amount()
    currency = Code(3, "EUR")
    channel = Choice(("online", "store", "mobile", "tablet", "marketplace"))
    discount_code = Text(255)

    @post_load
    def make_record(self, data: dict, **_kwargs) -> records.Order:
        data.setdefault("currency", self.default_currency)
        # The lines come from the lines file: None keeps the stored ones.
        return records.Order(**data, lines=None)


class LineRow(RowSchema):
    order_external_id = Text(255, required=True, error_messages=REQUIRED)
    line_id = Text(255)
    product_external_id = Text(255)
    sku = Text(255)
    title = Text(512)
    category = Text(255)
    vendor = Text(255)
    quantity = Count()
    unit_price = Amount()

    @post_load
    def make_record(self, data: dict, **_kwargs) -> records.OrderLine:
        for name in LINE_KEY_COLUMNS:
            if data.get(name):
                key = data[name]
                break
        else:
            raise ValidationError(
                "no line_id, product_external_id, sku or title to tell the line apart"
            )
        data.pop("line_id", None)
        return records.OrderLine(line_key=key, **data)


SCHEMAS = {"customers": CustomerRow, "orders": OrderRow, "lines": LineRow}
COLUMNS = {"customers": CUSTOMER_COLUMNS, "orders": ORDER_COLUMNS, "lines": LINE_COLUMNS}


def refusal_reason(error: ValidationError, order: tuple[str, ...]) -> str:
    """`column: why` for each bad column, in the file's column order."""
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    rank = {name: index for index, name in enumerate(order)}
    parts = []
    for name in sorted(messages, key=lambda name: rank.get(name, len(rank))):
        texts = messages[name]
        text = "; ".join(texts) if isinstance(texts, list) else str(texts)
        parts.append(text if name == "_schema" else f"{name}: {text}")
    return "; ".join(parts)


# --- files -----------------------------------------------------------------------------


class CsvFile:
    """One CSV file of a kind, opened and its header checked; iterate for records/refusals.

    Opening reads only the header line, so every file of an import can be checked before
    anything is written. `rows_read` and `rows_refused` count as the iteration goes.
    """

    def __init__(
        self,
        path: str | Path,
        kind: str,
        *,
        timezone: str = "UTC",
        default_currency: str | None = None,
        imported_at: datetime | None = None,
    ):
        if kind not in KINDS:
            raise ValueError(f"unknown kind of CSV file {kind!r}: one of {', '.join(KINDS)}")
        self.path = Path(path)
        self.name = str(path)
        self.kind = kind
        self.rows_read = 0
        self.rows_refused = 0
        # The physical line (1 = header) where the row last yielded starts.
        self.line = 1
        # Lines (1-based) whose bytes were not UTF-8, waiting for the row that holds them.
        self._bad_lines: list[int] = []
        self._line_count = 0
        try:
            # Closed by close() (or the context manager): the file streams across calls.
            self._file: BinaryIO = open(self.path, "rb")
        except OSError as error:
            raise CsvFileError(f"{self.name}: cannot open: {error.strerror or error}") from error
        try:
            self._open(timezone, default_currency, imported_at)
        except BaseException:
            self._file.close()
            raise

    def _open(self, timezone, default_currency, imported_at) -> None:
        lines = self._text_lines()
        header_line = next(lines, None)
        if header_line is None or not header_line.strip():
            raise CsvFileError(f"{self.name}:1: no header line (expected column names)")
        if self._bad_lines:
            raise CsvFileError(f"{self.name}:1: the header is not UTF-8 text")
        self.delimiter = sniff_delimiter(header_line)
        self._reader = csv.reader(chain([header_line], lines), delimiter=self.delimiter)
        try:
            header = next(self._reader)
        except csv.Error as error:
            raise CsvFileError(f"{self.name}:1: unreadable header: {error}") from None
        self._header_end = self._reader.line_num
        self.columns = [column_name(name) for name in header]
        self._check_header(header)
        self._schema = SCHEMAS[self.kind](
            zone=ZoneInfo(timezone),
            decimal_comma=self.delimiter == ";",
            imported_at=imported_at,
            default_currency=default_currency,
            only=self._order + (("attributes",) if self.attribute_columns else ()),
        )

    def _check_header(self, header: list[str]) -> None:
        seen: dict[str, int] = {}
        for number, name in enumerate(self.columns, start=1):
            if name and name in seen:
                raise CsvFileError(
                    f"{self.name}:1: column {name!r} appears twice (columns {seen[name]} "
                    f"and {number})"
                )
            seen[name] = number
        missing = [name for name in REQUIRED_COLUMNS[self.kind] if name not in seen]
        if missing:
            raise CsvFileError(
                f"{self.name}:1: missing required column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} (the header has: {', '.join(header) or 'nothing'})"
            )
        if self.kind == "lines" and not any(name in seen for name in LINE_KEY_COLUMNS):
            raise CsvFileError(
                f"{self.name}:1: a lines file needs one of the columns "
                f"{', '.join(LINE_KEY_COLUMNS)} to tell the lines of an order apart"
            )
        known = set(COLUMNS[self.kind])
        # Customers keep any other column in `attributes`; other kinds ignore them.
        self.attribute_columns = []
        self.ignored_columns = []
        for index, name in enumerate(self.columns):
            if name in known:
                continue
            if self.kind == "customers" and name:
                self.attribute_columns.append(index)
            else:
                self.ignored_columns.append(header[index].strip() or f"#{index + 1}")
        self._known = [(index, name) for index, name in enumerate(self.columns) if name in known]
        self._order = tuple(name for _, name in self._known)

    def _text_lines(self) -> Iterator[str]:
        """The file's lines as text; a line that is not UTF-8 is remembered, then refused."""
        first = True
        for raw in self._file:
            self._line_count += 1
            if first:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
                first = False
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                self._bad_lines.append(self._line_count)
                yield raw.decode("utf-8", errors="replace")

    def __iter__(self) -> Iterator[records.Customer | records.Order | records.OrderLine | Refusal]:
        reader = self._reader
        width = len(self.columns)
        previous_end = self._header_end
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                start, previous_end = previous_end + 1, reader.line_num
                self.line = start
                self.rows_read += 1
                yield self._refuse(start, f"unreadable CSV: {error}")
                continue
            start, previous_end = previous_end + 1, reader.line_num
            self.line = start
            not_utf8 = bool(self._bad_lines) and self._bad_lines[0] <= previous_end
            if not_utf8:
                self._bad_lines = [line for line in self._bad_lines if line > previous_end]
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            self.rows_read += 1
            if not_utf8:
                yield self._refuse(start, "not UTF-8 text: save the file as UTF-8")
                continue
            if len(row) != width and not (
                len(row) > width and not any(cell.strip() for cell in row[width:])
            ):
                yield self._refuse(start, f"has {len(row)} fields, the header has {width}")
                continue
            yield self._record(row, start)

    def _record(self, row: list[str], line: int):
        data = {}
        for index, name in self._known:
            value = row[index].strip()
            if value:
                data[name] = value
        if self.kind == "customers" and self.attribute_columns:
            attributes = {}
            for index in self.attribute_columns:
                value = row[index].strip()
                if value:
                    attributes[self.columns[index]] = value
            if attributes:
                data["attributes"] = attributes
        try:
            return self._schema.load(data)
        except ValidationError as error:
            return self._refuse(line, refusal_reason(error, self._order))

    def _refuse(self, line: int, reason: str) -> Refusal:
        self.rows_refused += 1
        return Refusal(self.name, line, reason)

    @property
    def rows_accepted(self) -> int:
        return self.rows_read - self.rows_refused

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> CsvFile:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()
