"""A sync starts from the manifest this process last read or wrote, never from a stale or broken one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.index.embedding import MiniLMEmbedding
from bot.index.indexer import Index
from bot.index.manifest import MANIFEST, read_manifest
from tests.conftest import make_settings, write
from tests.test_index import customer, folder

__all__ = ["folder"]  # the fixture, shared with test_index


@pytest.fixture
def index(folder: Path, tmp_path: Path, embedder: MiniLMEmbedding) -> Index:
    built = Index(make_settings(folder, tmp_path / "index"), embedder=embedder)
    built.sync()
    return built


def test_readers_keep_the_manifest_they_hold_while_a_sync_changes_files(folder: Path, index: Index) -> None:
    held = index.manifest()
    before = held.model_dump()
    ann_ids = index.customer_ids("cus-1")
    write(
        folder,
        "customers/ann.md",
        customer(
            "cus-1",
            "Ann Lee",
            "- 2026-01-02 email in: Asked about oat milk.\n- 2026-01-03 email out: Sent the oat milk guide.",
        ),
    )
    (folder / "customers" / "bob.md").touch()  # touched, not changed
    index.sync()
    assert held.model_dump() == before, "a sync changed the manifest a reader was holding"
    assert index.customer_ids("cus-1") != ann_ids
    assert index.customer_ids("cus-1") == read_manifest(index.dir).files["customers/ann.md"].ids  # type: ignore[union-attr]


def test_what_a_sync_writes_is_what_the_next_sync_starts_from(folder: Path, index: Index) -> None:
    write(folder, "customers/cy.md", customer("cus-3", "Cy Young", "- 2026-03-01 sms in: Hello."))
    report = index.sync()
    assert report.added == ["customers/cy.md"]
    (folder / "customers" / "bob.md").unlink()
    report = index.sync()
    assert report.deleted == ["customers/bob.md"]
    on_disk = read_manifest(index.dir)
    assert on_disk is not None
    assert sorted(on_disk.files) == sorted(index.manifest().files)
    assert "customers/bob.md" not in on_disk.files and "customers/cy.md" in on_disk.files
    assert index.sync().unchanged == len(on_disk.files)


def test_a_manifest_changed_on_disk_is_read_again(folder: Path, index: Index) -> None:
    """Another writer (a replica that took over the index) changed it: the copy in memory is stale."""
    path = index.dir / MANIFEST
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["files"]["content/guide.md"]  # as if that file had never been indexed
    path.write_text(json.dumps(data), encoding="utf-8")
    report = index.sync()
    assert report.added == ["content/guide.md"], "the sync started from the stale copy in memory"


def test_a_broken_manifest_rebuilds_even_after_a_good_one_was_read(folder: Path, index: Index) -> None:
    index.manifest()
    (index.dir / MANIFEST).write_text("{ not json", encoding="utf-8")
    assert index.manifest().files == {}  # readers see an empty index, not the old copy
    report = index.sync()
    assert sorted(report.added) == sorted(
        ["customers/ann.md", "customers/bob.md", "content/guide.md", "playbook/returns.md"]
    )
    assert read_manifest(index.dir) is not None
