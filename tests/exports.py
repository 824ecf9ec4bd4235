"""Realistic contact exports built from the platforms' documented columns, with the mess real exports
have: blank cells, mixed date formats, duplicate emails, a byte-order mark, `;`-separated European
files in Windows-1252, quoted commas and line breaks, Excel dates, blank rows. Each generator also
returns what an import must make of every line, so tests (and bench/import_bench.py) can check it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass, field
from pathlib import Path

FIRST = ["Zoë", "José", "Siobhán", "Amara", "Chen", "Priya", "Oskar", "Fatima", "Liam", "Hana", "Mateo", "Ingrid"]
LAST = ["Okafor", "Müller", "O'Connor", "Nakamura", "Da Silva", "Kowalski", "Haddad", "Lindqvist", "Nguyen", "Berg"]
COMPANIES = ["Okafor Outdoors, Ltd", "Greenway Café", "Peak & Pine", "Blue Door Bakery", "Nordlicht GmbH", ""]
ROLES = ["Buyer", "Owner", "Head of\nPurchasing", "Office manager", ""]
STAGES = ["Customer", "Evangelist", "Lead", "Opportunity", "Subscriber"]


@dataclass
class Expect:
    kind: str  # "ok" or "reject"
    reason: str = ""  # for a rejection: a fragment of the printed reason
    id: str = ""
    email: str | None = None
    name: str = ""
    opt_out: bool = False
    since: dt.date | None = None


@dataclass
class Export:
    path: Path
    expect: dict[int, Expect] = field(default_factory=dict)  # line -> expectation
    blank_rows: int = 0

    def ok(self) -> dict[int, Expect]:
        return {line: e for line, e in self.expect.items() if e.kind == "ok"}

    def rejected(self) -> dict[int, Expect]:
        return {line: e for line, e in self.expect.items() if e.kind == "reject"}


class _Writer:
    """A CSV writer that knows the physical line each record starts on (quoted cells may hold line breaks)."""

    def __init__(self, delimiter: str) -> None:
        self.buf = io.StringIO()
        self.writer = csv.writer(self.buf, delimiter=delimiter, lineterminator="\r\n")
        self.line = 1

    def row(self, cells: list[str]) -> int:
        before = self.buf.tell()
        self.writer.writerow(cells)
        start = self.line
        self.line += self.buf.getvalue()[before:].count("\n")
        return start

    def blank(self) -> int:
        self.buf.write("\r\n")
        self.line += 1
        return self.line - 1


def _email(first: str, last: str, i: int, domain: str = "example.com") -> str:
    local = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
    local = local.encode("ascii", "ignore").decode() or "customer"
    return f"{local}{i}@{domain}"


def hubspot(path: Path, n: int, seed: int = 7) -> Export:
    """A HubSpot contacts export: UTF-8 with a BOM, comma-separated, property labels as headers."""
    rnd = random.Random(seed)
    w = _Writer(",")
    w.row(
        [
            "Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name", "Job Title",
            "Lifecycle Stage", "Create Date", "Unsubscribed from all email", "Marketing contact status",
            "Contact owner",
        ]
    )  # fmt: skip
    out = Export(path)
    previous: tuple[str, int] | None = None  # (email, line) of the last good row, for duplicates
    for i in range(n):
        if i and i % 97 == 0:
            w.blank()
            out.blank_rows += 1
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        rid = str(50_000 + i)
        email = _email(first, last, i)
        since = dt.date(2019, 1, 1) + dt.timedelta(days=rnd.randrange(2000))
        dates = [
            f"{since.isoformat()} {rnd.randrange(24):02d}:{rnd.randrange(60):02d}",
            f"{since.month}/{since.day}/{since.year} 2:30 PM",
            f"{since.isoformat()}T09:15:00Z",
            since.strftime("%d %b %Y"),
        ]
        created = rnd.choice(dates)
        unsub = rnd.choice(["true", "false", "false", ""])
        expect = Expect("ok", id=f"hubspot-{rid}", email=email, name=f"{first} {last}", opt_out=unsub == "true")
        expect.since = since
        cells = [rid, first, last, email.upper() if i % 11 == 0 else email, rnd.choice(["+44 7700 900123", ""])]
        if i % 53 == 5:
            cells[3] = email.replace("@", " at ")
            expect = Expect("reject", "bad email")
        elif i % 61 == 7:
            created = f"{since.year}-02-30 10:00"
            expect = Expect("reject", "impossible date")
        elif i % 71 == 9:
            cells[1] = cells[2] = ""
            expect = Expect("reject", "missing name")
        elif i % 43 == 3 and previous:
            cells[3] = previous[0].upper()
            expect = Expect("reject", f"duplicate of line {previous[1]}")
            if unsub == "true":  # the duplicate's opt-out still applies to the row it repeats
                out.expect[previous[1]].opt_out = True
        elif i % 37 == 1 and cells[4]:
            cells[3] = ""  # no email: still imported (by its record id), reached by phone
            expect.email = None
        elif i % 37 == 1:
            cells[3] = ""
            expect = Expect("reject", "no way to reach them")
        cells += [rnd.choice(COMPANIES), rnd.choice(ROLES), rnd.choice(STAGES), created, unsub]
        cells += [rnd.choice(["Marketing contact", "Non-marketing contact"]), "Sam Lee"]
        line = w.row(cells)
        out.expect[line] = expect
        if expect.kind == "ok" and expect.email:
            previous = (expect.email, line)
    w.blank()
    out.blank_rows += 1
    path.write_bytes(("\ufeff" + w.buf.getvalue()).encode("utf-8"))
    return out


def salesforce_eu(path: Path, n: int, seed: int = 11) -> Export:
    """A Salesforce contacts report saved by a European Excel: `;`, Windows-1252, day-first dates, 1/0 checkboxes."""
    rnd = random.Random(seed)
    firsts = ["Zoé", "José", "Jürgen", "Anaïs", "Søren", "Françoise"]
    w = _Writer(";")
    header = ["Contact ID", "First Name", "Last Name", "Title", "Account Name", "Email", "Phone"]
    w.row([*header, "Email Opt Out", "Do Not Call", "Created Date", "Mailing City"])
    out = Export(path)
    for i in range(n):
        first, last = rnd.choice(firsts), rnd.choice(LAST[:6])
        sfid = f"0035g00000{i:05d}AAA"
        since = dt.date(2018, 1, 1) + dt.timedelta(days=rnd.randrange(2500))
        email = _email(first, last, i, "example.de")
        opt = rnd.choice(["0", "1", "0"])
        created = (
            f"{since.day:02d}.{since.month:02d}.{since.year}" if i % 2 else f"{since.day}/{since.month}/{since.year}"
        )
        expect = Expect("ok", id=f"salesforce-{sfid.lower()}", email=email, name=f"{first} {last}")
        expect.opt_out, expect.since = opt == "1", since
        if i % 29 == 4:
            created = f"31.{4 if since.month != 4 else 6:02d}.{since.year}"
            expect = Expect("reject", "impossible date")
        account = rnd.choice(["Nordlicht GmbH", "Café Müller; Söhne", "Peak & Pine"])
        line = w.row([sfid, first, last, "Einkauf", account, email, "+49 30 1234567", opt, rnd.choice("01"), created])
        out.expect[line] = expect
    path.write_bytes(w.buf.getvalue().encode("cp1252"))
    return out


def shopify(path: Path, n: int, seed: int = 13) -> Export:
    """A Shopify customers export (newer columns: Customer ID, Default Address ...; ids quoted for Excel)."""
    rnd = random.Random(seed)
    w = _Writer(",")
    w.row(
        [
            "Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing", "Default Address Company",
            "Default Address City", "Default Address Phone", "Accepts SMS Marketing", "Total Spent", "Total Orders",
            "Note", "Tax Exempt", "Tags",
        ]
    )  # fmt: skip
    out = Export(path)
    for i in range(n):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        cid = str(7_000_000_000 + i * 7)
        email = _email(first, last, i, "example.org")
        accepts = rnd.choice(["yes", "no"])
        expect = Expect("ok", id=f"shopify-{cid}", email=email, name=f"{first} {last}", opt_out=accepts == "no")
        spent = f"{rnd.randrange(20, 4000)}.{rnd.randrange(100):02d}"
        tags = rnd.choice(["", "vip", "wholesale, newsletter", "Newsletter,  VIP "])
        cells = [f"'{cid}", first, last, email, accepts, rnd.choice(COMPANIES), "Leeds", "'+447700900123"]
        cells += [
            rnd.choice(["yes", "no"]),
            spent,
            str(rnd.randrange(1, 40)),
            "Prefers mornings, ring twice",
            "no",
            tags,
        ]
        line = w.row(cells)
        out.expect[line] = expect
    path.write_text(w.buf.getvalue(), encoding="utf-8")
    return out


def pipedrive_xlsx(path: Path, n: int, seed: int = 17) -> Export:
    """A Pipedrive people export saved as .xlsx: real date cells, Excel serial numbers, and text dates."""
    from openpyxl import Workbook

    rnd = random.Random(seed)
    book = Workbook()
    ws = book.active
    ws.append(
        [
            "Person - ID", "Person - Name", "Person - Email - Work", "Person - Phone - Work", "Person - Organization",
            "Person - Label", "Person - Marketing status", "Person - Person created",
        ]
    )  # fmt: skip
    out = Export(path)
    for i in range(n):
        name = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"
        since = dt.date(2020, 1, 1) + dt.timedelta(days=rnd.randrange(1500))
        status = rnd.choice(["Subscribed", "Unsubscribed", "No consent", ""])
        created: object = [
            dt.datetime.combine(since, dt.time(10, 30)),
            (since - dt.date(1899, 12, 30)).days,
            since.isoformat(),
        ][i % 3]
        email = _email(*name.split(" ", 1), i, "example.net")
        ws.append([1000 + i, name, email, 447700900000 + i, rnd.choice(COMPANIES), "Hot lead", status, created])
        opt = status in ("Unsubscribed", "No consent")
        out.expect[i + 2] = Expect("ok", id=f"pipedrive-{1000 + i}", email=email, name=name, opt_out=opt, since=since)
    book.save(path)
    return out
