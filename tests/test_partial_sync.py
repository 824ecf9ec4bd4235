"""A watcher's sync looks at the paths it saw change, and scans the whole folder when only that can tell."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.index.embedding import MiniLMEmbedding
from bot.index.indexer import Index
from bot.knowledge import files
from tests.conftest import make_settings, write


def person(cid: str, name: str, line: str = "Asked about the order.") -> str:
    return f"---\nid: {cid}\nname: {name}\nsegment: b2c\n---\n## History\n- 2026-01-02 email in: {line}\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    write(root, "customers/ann.md", person("cus-1", "Ann Lee"))
    write(root, "customers/bob.md", person("cus-2", "Bob Stone"))
    write(root, "customers/team/cy.md", person("cus-3", "Cy Dale"))
    write(root, "playbook/returns.md", "---\ntitle: Returns\n---\nReturn within 30 days.\n")
    return root


@pytest.fixture
def index(folder: Path, tmp_path: Path, embedder: MiniLMEmbedding) -> Index:
    idx = Index(make_settings(folder, tmp_path / "index"), embedder=embedder)
    idx.sync()
    return idx


def test_only_the_named_files_are_looked_at(folder: Path, index: Index) -> None:
    write(folder, "customers/ann.md", person("cus-1", "Ann Lee", "Asked about oat milk."))
    write(folder, "customers/bob.md", person("cus-2", "Bob Stone", "Asked about beans."))
    report = index.sync(paths=["customers/ann.md"])
    assert report.changed == ["customers/ann.md"] and report.unchanged == 3
    assert index.sync().changed == ["customers/bob.md"]  # a whole scan finds what the paths left out


def test_new_gone_and_ignored_files(folder: Path, index: Index) -> None:
    write(folder, "customers/dee.md", person("cus-4", "Dee Rowe"))
    (folder / "customers/bob.md").unlink()
    write(folder, "customers/_draft.md", person("cus-5", "Not Yet"))
    write(folder, "customers/notes.txt", "not a knowledge file")
    write(folder, "README.md", "about the folder")
    paths = ["customers/dee.md", "customers/bob.md", "customers/_draft.md", "customers/notes.txt", "README.md"]
    paths.append("customers/vanished.md")  # created and deleted before the sync: nothing to do
    report = index.sync(paths=paths)
    assert (report.added, report.deleted, report.changed) == (["customers/dee.md"], ["customers/bob.md"], [])
    assert set(index.manifest().files) == {e.rel for e in files.scan(folder)}


@pytest.mark.parametrize("change", ["deleted", "renamed to _team", "replaced by a file"])
def test_a_folder_that_changed_is_scanned_whole(folder: Path, index: Index, change: str) -> None:
    team = folder / "customers/team"
    if change == "deleted":
        shutil.rmtree(team)
    elif change == "renamed to _team":
        team.rename(folder / "customers/_team")
    else:
        shutil.rmtree(team)
        team.write_text("a file where the folder was")
    report = index.sync(paths=["customers/team", "customers/_team"])
    assert report.deleted == ["customers/team/cy.md"]
    assert set(index.manifest().files) == {e.rel for e in files.scan(folder)}


def test_a_folder_named_like_a_file_is_scanned_whole_when_it_goes(folder: Path, index: Index) -> None:
    write(folder, "customers/odd.md/eve.md", person("cus-6", "Eve Hart"))
    index.sync(paths=["customers/odd.md"])
    assert "customers/odd.md/eve.md" in index.manifest().files
    shutil.rmtree(folder / "customers/odd.md")
    assert index.sync(paths=["customers/odd.md"]).deleted == ["customers/odd.md/eve.md"]


def test_a_file_under_a_linked_folder_is_left_to_the_whole_scan(folder: Path, index: Index, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    write(outside, "fay.md", person("cus-7", "Fay Lin"))
    os.symlink(outside, folder / "customers/linked")
    assert files.listed_paths(folder, ["customers/linked/fay.md"]) is None
    report = index.sync(paths=["customers/linked/fay.md"])
    assert "customers/linked/fay.md" not in index.manifest().files  # as a whole scan: links to folders
    assert [p.path for p in report.problems if "link" in p.message] == ["customers/linked/"]
