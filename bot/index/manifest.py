"""What the index holds, per knowledge file: its hash and the record ids it produced.

The manifest is what makes indexing incremental: an unchanged file is skipped
without being parsed or embedded, a changed one replaces exactly its own ids.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from bot.knowledge.models import Problem
from bot.knowledge.writer import atomic_write as atomic_write  # re-exported: index and importer use it here

MANIFEST = "manifest.json"
# The shape of the records a file produces. A change here (new metadata, other chunks) rebuilds the index
# on the next sync, since unchanged files would otherwise keep records of the old shape.
RECORDS_VERSION = 2


class FileEntry(BaseModel):
    hash: str
    mtime_ns: int = 0
    size: int = 0
    collection: str
    ids: list[str] = Field(default_factory=list)
    customer_id: str | None = None
    problems: list[Problem] = Field(default_factory=list)


class Manifest(BaseModel):
    version: int = RECORDS_VERSION
    generation: int = 0
    files: dict[str, FileEntry] = Field(default_factory=dict)
    synced_at: str | None = None

    @property
    def problems(self) -> list[Problem]:
        return sorted((p for f in self.files.values() for p in f.problems), key=lambda p: (p.path, p.line))

    def record_count(self) -> int:
        return sum(len(f.ids) for f in self.files.values())


def read_manifest(index_dir: Path) -> Manifest | None:
    path = index_dir / MANIFEST
    if not path.exists():
        return None
    try:
        return Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError:
        return None  # unreadable: treated as no index, so the next sync rebuilds


def write_manifest(index_dir: Path, manifest: Manifest) -> None:
    atomic_write(index_dir / MANIFEST, manifest.model_dump_json())  # pydantic-core: fast at 10,000 files


def check_duplicates(manifest: Manifest) -> None:
    """A second file with an already-used customer id is reported and left out of lookups.

    Entries are replaced, never changed in place: the manifest may be a copy of one that readers hold.
    """
    seen: dict[str, str] = {}
    # The older file keeps the id, as in folder.load.
    for rel in sorted(manifest.files, key=lambda r: (manifest.files[r].mtime_ns, r)):
        entry = manifest.files[rel]
        problems = [p for p in entry.problems if not p.message.startswith("duplicate customer id")]
        if entry.customer_id is not None and entry.customer_id in seen:
            problems.append(
                Problem(
                    path=rel,
                    line=1,
                    message=f"duplicate customer id '{entry.customer_id}' (already used by {seen[entry.customer_id]})",
                )
            )
        elif entry.customer_id is not None:
            seen[entry.customer_id] = rel
        if problems != entry.problems:
            manifest.files[rel] = entry.model_copy(update={"problems": problems})
