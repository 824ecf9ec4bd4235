"""Turn each row of an export into what it says about one customer, or the reasons it cannot.

A blank cell says nothing: it never erases a field. Consent is read as a signal per kind
(marketing, phone, sms): `out` (opted out), `in` (explicitly agreed) or nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.importer import values as v
from bot.importer.mapping import Resolved
from bot.importer.reading import Cell, Row, Table

TEXT_FIELDS = ("company", "role")
SF_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


@dataclass
class ConsentSignal:
    state: str  # "in" | "out"
    source: str  # "Accepts Email Marketing = no", for the report


@dataclass
class ImportRow:
    line: int
    id: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    consent: dict[str, ConsentSignal] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def email_key(self) -> str | None:
        email = self.fields.get("email")
        return email.casefold() if email else None


@dataclass
class RowReader:
    table: Table
    resolved: Resolved
    today: dt.date
    dates: v.DateReader = field(default_factory=v.DateReader)
    decimal: str | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        spec = self.resolved.spec
        self.decimal = spec.decimal or ("," if self.table.delimiter == ";" else None)
        self.dates = v.DateReader(formats=spec.date_formats, order=self._date_order())

    def _date_order(self) -> v.DateOrder | None:
        """The order the file's own dates prove; else the map's; else day-first for `;` files (Europe)."""
        seen: Counter[v.DateOrder] = Counter()
        for row in self.table.rows:
            for i in self.resolved.fields.get("customer_since", []):
                if i < len(row.cells) and (proof := self.dates.classify(row.cells[i])):
                    seen[proof] += 1
        if len(seen) == 1:
            return next(iter(seen))
        if len(seen) == 2:
            self.notes.append(
                f"dates: the file has both day-first ({seen['day_first']}) and month-first ({seen['month_first']}) "
                "dates; those that could be either are rejected"
            )
            return None
        return self.resolved.spec.date_order or ("day_first" if self.table.delimiter == ";" else None)

    def read(self, row: Row) -> ImportRow:
        out = ImportRow(line=row.line)
        for name in ("email", "phone", "company", "role", "segment", "tier", "lifetime_value", "customer_since"):
            self._field(row, out, name)
        self._name(row, out)
        self._tags(row, out)
        self._consent(row, out)
        self._id(row, out)
        return out

    def _cell(self, row: Row, name: str) -> tuple[Cell, str] | None:
        """The first non-blank cell among the columns mapped to `name`, with its header."""
        for i in self.resolved.fields.get(name, []):
            cell = row.cells[i] if i < len(row.cells) else None
            if not v.is_blank(cell):
                return cell, self.resolved.header_of(self.table.headers, i)
        return None

    def _field(self, row: Row, out: ImportRow, name: str) -> None:
        found = self._cell(row, name)
        if found is None:
            return
        cell, header = found
        try:
            out.fields[name] = self._value(name, cell, header)
        except ValueError as exc:
            out.errors.append(f"{header}: {exc}" if name in ("customer_since", "lifetime_value") else str(exc))

    def _value(self, name: str, cell: Cell, header: str) -> Any:
        spec = self.resolved.spec
        if name == "email":
            return v.email(cell)
        if name == "phone":
            return v.phone(cell)
        if name == "lifetime_value":
            return round(v.amount(cell, self.decimal), 2)
        if name == "customer_since":
            date = self.dates.read(cell)
            if date > self.today + dt.timedelta(days=1):
                raise ValueError(f"{date.isoformat()} is in the future")
            return date
        if name in ("segment", "tier"):
            known = {"b2b": "b2b", "b2c": "b2c"} if name == "segment" else {"standard": "standard", "vip": "vip"}
            return v.choice(cell, {**known, **spec.values.get(name, {})}, name, header)  # type: ignore[call-overload]
        return v.text(cell)

    def _name(self, row: Row, out: ImportRow) -> None:
        full = self._cell(row, "name")
        parts = [self._cell(row, "first_name"), self._cell(row, "last_name")]
        name = v.text(full[0]) if full else " ".join(v.text(p[0]) or "" for p in parts if p).strip()
        if name:
            out.fields["name"] = name
        else:
            out.errors.append("missing name")

    def _tags(self, row: Row, out: ImportRow) -> None:
        found: list[str] = []
        for i in self.resolved.fields.get("tags", []):
            cell = row.cells[i] if i < len(row.cells) else None
            found += [t for t in v.tags(cell) if t not in found]
        if found:
            out.fields["tags"] = found

    def _consent(self, row: Row, out: ImportRow) -> None:
        for kind, sources in self.resolved.consent.items():
            signals: list[ConsentSignal] = []
            for index, source in sources:
                cell = row.cells[index] if index < len(row.cells) else None
                raw = v.text(cell)
                if raw is None:
                    continue
                header = self.resolved.header_of(self.table.headers, index)
                state = source.values.get(" ".join(raw.split()).casefold())
                if state is None:
                    known = ", ".join(sorted(source.values))
                    out.errors.append(f"unknown consent value {raw!r} in column {header!r} (known: {known})")
                elif state != "none":
                    signals.append(ConsentSignal(state, f"{header} = {raw}"))
            # An opt-out anywhere wins over a consent elsewhere in the same row.
            chosen = next((s for s in signals if s.state == "out"), signals[0] if signals else None)
            if chosen:
                out.consent[kind] = chosen

    def _id(self, row: Row, out: ImportRow) -> None:
        spec = self.resolved.spec
        prefix = spec.id_prefix or "crm"
        found = self._cell(row, "id")
        if found:
            record = v.shopify_text(v.text(found[0]) or "")
            if spec.id_format == "salesforce":
                record = salesforce_18(record)
            tail = v.slug(record)
            if not tail:
                out.errors.append(f"record id {record!r} has no letters or digits")
            out.id = f"{prefix}-{tail}"
        elif email := out.fields.get("email"):
            local = v.slug(email.split("@")[0], limit=40) or "customer"
            digest = hashlib.sha256(email.casefold().encode()).hexdigest()[:6]
            out.id = f"{prefix}-{local}-{digest}"
        else:
            out.errors.append("no record id and no email: a later import could not find this customer again")


def salesforce_18(record: str) -> str:
    """A 15-character Salesforce id is case-sensitive; its 18-character form survives lower-casing."""
    if len(record) != 15 or not record.isalnum():
        return record
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, ch in enumerate(record[start : start + 5]) if ch.isupper())
        suffix += SF_SUFFIX[bits]
    return record + suffix
