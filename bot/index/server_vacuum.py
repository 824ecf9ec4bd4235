"""What a Chroma server's operator runs after an erasure: `rapport chroma-vacuum --path DIR`.

Rapport erases through the client: the erased customer's records never reach the new generation's
collections and the old generation's collections are deleted. A Chroma server still keeps, on its
own disk, what the client cannot reach:

- the deleted rows, in free pages of `chroma.sqlite3`, until SQLite's VACUUM rewrites the file
  (Chroma's own `chroma vacuum --path DIR`, which also purges its write-ahead log);
- the deleted collections' vector index folders (one folder per segment, named by its UUID):
  Chroma deletes a collection's rows but never its segment folder.

This command removes the segment folders that no segment in `chroma.sqlite3` names any more, then
runs `chroma vacuum`. Run it on the server's machine with the server stopped (Chroma's advice for
vacuum: it blocks reads and writes).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

SQLITE = "chroma.sqlite3"
SEGMENT_DIR = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class NotAChromaFolder(ValueError):
    pass


@dataclass
class VacuumReport:
    removed: list[str] = field(default_factory=list)  # orphaned segment folders
    kept: int = 0
    before: int = 0  # bytes under the folder
    after: int = 0


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def live_segments(path: Path) -> set[str]:
    with sqlite3.connect(f"file:{path / SQLITE}?mode=ro", uri=True) as db:
        return {row[0] for row in db.execute("SELECT id FROM segments")}


def chroma_cli() -> str:
    beside = Path(sys.executable).parent / "chroma"
    found = str(beside) if beside.exists() else shutil.which("chroma")
    if not found:
        raise FileNotFoundError("the `chroma` command (installed with chromadb) was not found")
    return found


def vacuum(path: Path) -> VacuumReport:
    if not (path / SQLITE).is_file():
        raise NotAChromaFolder(f"{path}: no {SQLITE} here; give the folder the server was started with (--path)")
    report = VacuumReport(before=folder_size(path))
    live = live_segments(path)
    for child in sorted(path.iterdir()):
        if child.is_dir() and SEGMENT_DIR.match(child.name):
            if child.name in live:
                report.kept += 1
            else:
                shutil.rmtree(child)
                report.removed.append(child.name)
    subprocess.run([chroma_cli(), "vacuum", "--path", str(path), "--force"], check=True, capture_output=True)
    report.after = folder_size(path)
    return report
