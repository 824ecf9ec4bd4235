"""Read a contact export (CSV or XLSX) into rows of cells, each with the line it came from.

Real exports are messy: Excel saves "CSV" as Windows-1252 with a byte-order mark or
without one, European spreadsheets separate with `;`, quoted cells hold commas and
line breaks, and trailing blank rows are common. The reader copes with all of that and
reports what it decided (delimiter, encoding), so an admin can see how the file was read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

Cell = str | int | float | bool | dt.date | dt.datetime | None
DELIMITERS = (",", ";", "\t", "|")


class ReadError(ValueError):
    """The file cannot be read as a table (the message names the file and why)."""


@dataclass
class Row:
    line: int  # the line (CSV) or row (XLSX) the record starts on, as a spreadsheet shows it
    cells: list[Cell]

    @property
    def blank(self) -> bool:
        return all(c is None or (isinstance(c, str) and not c.strip()) for c in self.cells)


@dataclass
class Table:
    path: Path
    headers: list[str]
    rows: list[Row]
    delimiter: str | None = None  # CSV only
    encoding: str | None = None  # CSV only
    notes: list[str] = field(default_factory=list)


def read_table(path: Path, delimiter: str | None = None, sheet: str | None = None) -> Table:
    if not path.is_file():
        raise ReadError(f"{path}: no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx(path, sheet)
    if path.suffix.lower() == ".xls":
        raise ReadError(f"{path}: old Excel .xls files are not read; save it as .xlsx or CSV")
    return read_csv(path, delimiter)


def decode(raw: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with: UTF-8 (with or without a BOM), else Windows-1252."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header line into the most cells (quotes respected)."""
    best, best_count = ",", 0
    for candidate in DELIMITERS:
        cells = next(csv.reader([header_line], delimiter=candidate), [])
        if len(cells) > best_count:
            best, best_count = candidate, len(cells)
    return best


def read_csv(path: Path, delimiter: str | None = None) -> Table:
    text, encoding = decode(path.read_bytes())
    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first:
        raise ReadError(f"{path}: the file is empty")
    used = delimiter or sniff_delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=used)
    headers: list[str] | None = None
    rows: list[Row] = []
    end = 0  # physical line the previous record ended on
    try:
        for record in reader:
            start, end = end + 1, reader.line_num
            if headers is None:
                if not any(c.strip() for c in record):
                    continue
                headers = [c.strip() for c in record]
                continue
            rows.append(Row(line=start, cells=list[Cell](record)))
    except csv.Error as exc:
        raise ReadError(f"{path}:{reader.line_num}: cannot read this CSV line ({exc})") from exc
    notes = [] if encoding == "utf-8" else [f"read as {encoding} (not UTF-8)"]
    return Table(path, headers or [], rows, delimiter=used, encoding=encoding, notes=notes)


def _xlsx_rows(path: Path, sheet: str | None) -> Iterator[tuple[int, tuple[Cell, ...]]]:
    from openpyxl import load_workbook  # only XLSX imports pay for loading openpyxl

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a file that is not a workbook
        raise ReadError(f"{path}: not a readable .xlsx workbook ({exc.__class__.__name__})") from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise ReadError(f"{path}: no sheet named {sheet!r} (sheets: {', '.join(book.sheetnames)})")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        yield from enumerate(ws.iter_rows(values_only=True), start=1)
    finally:
        book.close()


def read_xlsx(path: Path, sheet: str | None = None) -> Table:
    headers: list[str] | None = None
    rows: list[Row] = []
    for number, values in _xlsx_rows(path, sheet):
        if headers is None:
            if not any(v is not None and str(v).strip() for v in values):
                continue
            headers = ["" if v is None else str(v).strip() for v in values]
            continue
        rows.append(Row(line=number, cells=list(values)))
    return Table(path, headers or [], rows)
