"""Change customer files safely: append a history entry, erase a file.

Every write goes to a temporary file that is fsynced and renamed over the
original, under a per-file lock, so a crash leaves the old or the new file and
two writers never lose each other's entries.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import os
import re
import tempfile
from pathlib import Path

from filelock import FileLock

from bot.knowledge.models import HISTORY_CHANNELS

HEADING_RE = re.compile(r"^##\s+(?P<title>.+?)\s*#*\s*$")
ITEM_RE = re.compile(r"^\s{0,3}[-*+]\s+")
LOCK_DIR = Path(tempfile.gettempdir()) / "rapport-locks"


def atomic_write(path: Path, data: str) -> None:
    """Write to a temporary file, fsync, rename: readers see the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class NoteError(ValueError):
    """The note cannot be written as asked (the message says which field)."""


def file_lock(path: Path, timeout: float = 30) -> FileLock:
    """A cross-process lock for one knowledge file, kept outside the knowledge folder."""
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    # realpath, not Path.resolve: it never raises, even on a link loop (which `forget` must still erase).
    key = hashlib.sha256(os.fsencode(os.path.realpath(path))).hexdigest()[:32]
    return FileLock(str(LOCK_DIR / f"{key}.lock"), timeout=timeout, thread_local=False)


def history_line(date: dt.date, channel: str, direction: str, text: str, author: str | None) -> str:
    if channel not in HISTORY_CHANNELS:
        raise NoteError(f"--channel: {channel!r} is not one of {', '.join(HISTORY_CHANNELS)}")
    if direction not in ("in", "out"):
        raise NoteError(f"--direction: {direction!r} must be 'in' or 'out'")
    flat = " ".join(text.split())
    if not flat:
        raise NoteError("the note text is empty")
    who = ""
    if author:
        clean = " ".join(author.replace("(", "").replace(")", "").split())
        who = f" ({clean})" if clean else ""
    return f"- {date.isoformat()} {channel} {direction}{who}: {flat}"


def insert_history(text: str, line: str) -> tuple[str, int]:
    """The file text with `line` appended to its ## History list; returns it and the line number."""
    lines = text.split("\n")
    start = _front_matter_end(lines)
    history = next(
        (i for i in range(start, len(lines)) if (m := HEADING_RE.match(lines[i])) and m["title"].lower() == "history"),
        None,
    )
    if history is None:
        block = ["## History", line, ""]
        lines[start:start] = block
        return "\n".join(lines), start + 2
    end = next((i for i in range(history + 1, len(lines)) if HEADING_RE.match(lines[i])), len(lines))
    last_item = max((i for i in range(history + 1, end) if lines[i].strip()), default=history)
    lines.insert(last_item + 1, line)
    return "\n".join(lines), last_item + 2


def _front_matter_end(lines: list[str]) -> int:
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() == "---":
                return i + 1
    return 0


def append_history(path: Path, line: str) -> int:
    """Append one entry under the file lock; returns the entry's line number."""
    with file_lock(path):
        text = path.read_text(encoding="utf-8")
        new_text, number = insert_history(text, line)
        if not new_text.endswith("\n"):
            new_text += "\n"
        atomic_write(path, new_text)
    return number


def erase_file(path: Path) -> None:
    """Delete a customer file and any temporary copy a killed write left beside it (`.name.XXXX.tmp`).

    Missing is fine: a resumed erasure may find the file already gone.
    """
    with file_lock(path):
        path.unlink(missing_ok=True)
        for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            leftover.unlink(missing_ok=True)
