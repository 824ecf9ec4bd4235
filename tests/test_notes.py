"""Notes: appended without disturbing the file, never lost to a concurrent writer."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest

from bot.knowledge.parser import parse_text
from bot.knowledge.writer import NoteError, append_history, history_line, insert_history
from tests.conftest import write

FILE = """---
id: cus-1
name: Ann Lee
segment: b2c
---
## History
- 2026-01-02 email in: Asked about oat milk.

## Notes
Likes flat whites.

## Private
Keep this.
"""


def test_insert_keeps_the_rest_of_the_file_byte_for_byte() -> None:
    new, line = insert_history(FILE, "- 2026-02-01 phone out (Lee): Called back.")
    assert line == 8
    assert new.split("\n")[7] == "- 2026-02-01 phone out (Lee): Called back."
    assert new.replace("- 2026-02-01 phone out (Lee): Called back.\n", "") == FILE


def test_insert_creates_the_history_section_when_missing() -> None:
    text = "---\nid: cus-1\nname: A B\nsegment: b2c\n---\n## Notes\nHi.\n"
    new, line = insert_history(text, "- 2026-02-01 chat out: First.")
    parsed = parse_text("customers/a.md", new)
    assert parsed.problems == []
    assert parsed.item is not None and parsed.item.history[0].line == line  # type: ignore[union-attr]


def test_history_line_validates_fields() -> None:
    day = dt.date(2026, 11, 22)
    assert (
        history_line(day, "sms", "out", "Sent\nthe  chart", "Sam (UK)")
        == "- 2026-11-22 sms out (Sam UK): Sent the chart"
    )
    with pytest.raises(NoteError, match="--channel"):
        history_line(day, "fax", "out", "x", None)
    with pytest.raises(NoteError, match="empty"):
        history_line(day, "sms", "out", "  ", None)


def _writer(path: str, worker: int, count: int) -> None:
    for i in range(count):
        append_history(Path(path), f"- 2026-11-22 chat out: worker {worker} note {i}")


def test_concurrent_writers_never_lose_an_entry(tmp_path: Path) -> None:
    path = write(tmp_path, "customers/ann.md", FILE)
    workers, each = 4, 25
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), w, each)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    parsed = parse_text("customers/ann.md", path.read_text())
    assert parsed.problems == []
    texts = {e.text for e in parsed.item.history}  # type: ignore[union-attr]
    expected = {f"worker {w} note {i}" for w in range(workers) for i in range(each)}
    assert expected <= texts and len(parsed.item.history) == workers * each + 1  # type: ignore[union-attr]
    assert "Likes flat whites." in path.read_text() and "Keep this." in path.read_text()


def test_two_rapport_note_processes_at_once(tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    write(root, "customers/ann.md", FILE)
    cmd = [sys.executable, "-m", "bot.cli", "note", "cus-1", "--knowledge", str(root), "--index", str(tmp_path / "idx")]
    procs = [subprocess.Popen([*cmd, f"parallel note {i}", "--channel", "email"]) for i in range(3)]
    assert [p.wait(120) for p in procs] == [0, 0, 0]
    text = (root / "customers/ann.md").read_text()
    assert all(f"email out: parallel note {i}" in text for i in range(3))
