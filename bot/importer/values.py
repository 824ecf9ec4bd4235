"""Read one cell of an export as the value a customer file needs, or say why it cannot.

Every reader raises ValueError with a message fit for the admin ("not a date: '31/02/2021'");
the row is then rejected with that message and its line.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from email_validator import EmailNotValidError, validate_email

from bot.importer.reading import Cell

DateOrder = Literal["day_first", "month_first"]
EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (it counts 1900-02-29, so this epoch is right after it)
EXCEL_SERIALS = range(20_000, 80_000)  # 1954..2119: a bare number in a date column in this range is an Excel date
ISO_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
NUMERIC_RE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?:[ T,].*)?$")
TEXT_FORMATS = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%d-%b-%Y", "%d-%b-%y", "%d %b %y")
AMOUNT_JUNK_RE = re.compile(r"[^\d.,\-]")
IDLE = ("", "-", "n/a", "na", "null", "none", "(blank)")


def text(cell: Cell) -> str | None:
    """A cell as text; None when blank. Whole numbers from a spreadsheet lose their '.0'."""
    if cell is None:
        return None
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, dt.datetime | dt.date):
        return cell.isoformat()
    value = " ".join(str(cell).split())
    return value or None


def is_blank(cell: Cell) -> bool:
    value = text(cell)
    return value is None or value.casefold() in IDLE


def shopify_text(value: str) -> str:
    """Shopify exports ids and phone numbers as 'NNN so Excel keeps them as text; the quote is not data."""
    return value[1:] if value.startswith("'") else value


def email(cell: Cell) -> str:
    value = text(cell) or ""
    try:
        # Syntax only: an import must not look up DNS for 10,000 domains.
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"bad email {value!r} ({str(exc).rstrip('.')})") from exc


def phone(cell: Cell) -> str:
    value = shopify_text(text(cell) or "")
    if not any(ch.isdigit() for ch in value):
        raise ValueError(f"bad phone number {value!r}")
    return value


def amount(cell: Cell, decimal: str | None) -> float:
    """'$1,234.50', '1.234,50 €', "CHF 1'234.50", 1234.5 → 1234.5."""
    if isinstance(cell, bool):
        raise ValueError(f"not an amount: {cell!r}")
    if isinstance(cell, int | float):
        return float(cell)
    raw = text(cell) or ""
    value = AMOUNT_JUNK_RE.sub("", raw)
    if not any(ch.isdigit() for ch in value):
        raise ValueError(f"not an amount: {raw!r}")
    if decimal is None:
        decimal = _guess_decimal(value)
    thousands = "." if decimal == "," else ","
    value = value.replace(thousands, "").replace(decimal, ".")
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"not an amount: {raw!r}") from None


def _guess_decimal(value: str) -> str:
    if "," in value and "." in value:
        return "," if value.rfind(",") > value.rfind(".") else "."
    if value.count(",") == 1 and len(value) - value.rfind(",") - 1 != 3:
        return ","  # '12,5' or '12,50': a decimal comma; '1,234' stays a thousands separator
    return "."


def choice(cell: Cell, values: dict[str, str], what: str, column: str) -> str:
    raw = text(cell) or ""
    key = raw.casefold()
    if key in values:
        return values[key]
    if "*" in values:
        return values["*"]
    known = ", ".join(sorted({k for k in values if k != "*"}))
    raise ValueError(f"unknown {what} value {raw!r} in column {column!r} (known: {known}; map others with --map)")


def tags(cell: Cell) -> list[str]:
    raw = text(cell) or ""
    out: list[str] = []
    for part in re.split(r"[,;]", raw):
        tag = " ".join(part.split()).casefold()
        if tag and tag not in out:
            out.append(tag)
    return out


def slug(value: str, limit: int = 60) -> str:
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:limit].strip("-")


@dataclass
class DateReader:
    """Reads the dates of one column; `order` settles 03/04/2021 when the file itself does not."""

    formats: list[str] = field(default_factory=list)
    order: DateOrder | None = None

    def classify(self, cell: Cell) -> DateOrder | None:
        """Which order this value proves (13/02/2021 can only be day first), if any."""
        match = NUMERIC_RE.match(text(cell) or "") if isinstance(cell, str) else None
        if not match:
            return None
        first, second = int(match[1]), int(match[2])
        if first > 12 >= second:
            return "day_first"
        if second > 12 >= first:
            return "month_first"
        return None

    def read(self, cell: Cell) -> dt.date:
        if isinstance(cell, dt.datetime):
            return cell.date()
        if isinstance(cell, dt.date):
            return cell
        if isinstance(cell, int | float) and not isinstance(cell, bool):
            return _excel(cell)
        raw = text(cell) or ""
        for fmt in self.formats:
            try:
                return dt.datetime.strptime(raw, fmt).date()
            except ValueError:
                continue
        if raw.isdigit():
            return _excel(int(raw))
        if match := ISO_RE.match(raw):
            return _date(int(match[1]), int(match[2]), int(match[3]), raw)
        if match := NUMERIC_RE.match(raw):
            return self._numeric(int(match[1]), int(match[2]), match[3], raw)
        cleaned = " ".join(raw.replace(",", " ").split())
        for fmt in TEXT_FORMATS:
            try:
                return dt.datetime.strptime(cleaned, fmt).date()
            except ValueError:
                continue
        raise ValueError(f"not a date: {raw!r}")

    def _numeric(self, first: int, second: int, year_text: str, raw: str) -> dt.date:
        year = int(year_text)
        if len(year_text) == 2:
            year += 2000 if year < 70 else 1900
        if first > 12 >= second:
            return _date(year, second, first, raw)
        if second > 12 >= first:
            return _date(year, first, second, raw)
        if first == second:
            return _date(year, first, second, raw)
        if self.order is None:
            raise ValueError(f"ambiguous date {raw!r}: day/month or month/day? (set date_order in a --map file)")
        day, month = (first, second) if self.order == "day_first" else (second, first)
        return _date(year, month, day, raw)


def _date(year: int, month: int, day: int, raw: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"impossible date {raw!r}") from None


def _excel(serial: float) -> dt.date:
    if int(serial) not in EXCEL_SERIALS:
        raise ValueError(f"not a date: {serial!r}")
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))
