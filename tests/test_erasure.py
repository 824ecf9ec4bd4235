"""Erasure survives kill -9 at every step: the next `rapport index` finishes it, and no byte of the
customer is left in any file (knowledge folder, index, feedback log, pending records)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.index.embedding import MiniLMEmbedding
from bot.index.failpoints import ENV, FORGET_STEPS, SYNC_STEPS
from bot.index.indexer import Index
from bot.index.manifest import read_manifest
from tests.conftest import make_settings
from tests.erasure_kit import (
    CANARY_FILE,
    CANARY_ID,
    add_canary,
    add_feedback,
    build_index,
    canary_bytes,
    fresh_copy,
    make_folder,
    rapport,
)

KILLED = -9


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Path:
    """A folder with the canary customer, indexed once; each test works on a copy."""
    root = tmp_path_factory.mktemp("erasure-template")
    make_folder(root / "knowledge")
    build_index(root / "knowledge", root / "index", embedder)
    return root


def assert_intact(knowledge: Path, index: Path, embedder: MiniLMEmbedding) -> None:
    """The other customers survive the erasure, and the index holds exactly what the manifest lists."""
    manifest = read_manifest(index)
    assert manifest is not None and CANARY_FILE not in manifest.files
    reader = Index(make_settings(knowledge, index), embedder)
    store = reader.store()
    assert store.count("customers") == sum(len(e.ids) for e in manifest.files.values() if e.collection == "customers")
    assert store.query("customers", "oat milk", 1)[0].metadata["customer_id"] == "cus-1"
    reader.close()
    assert sorted(p.name for p in index.glob("gen-*")) == [f"gen-{manifest.generation:06d}"]
    assert not (index / "erasures.json").exists()


@pytest.mark.parametrize("step", [*FORGET_STEPS, *SYNC_STEPS])
def test_forget_killed_at_any_step_is_finished_by_the_next_index(
    step: str, template: Path, tmp_path: Path, embedder: MiniLMEmbedding
) -> None:
    knowledge, index = fresh_copy(template, tmp_path / "run")
    add_feedback(index)
    assert canary_bytes(tmp_path) > 0  # the scan sees the customer while they are there

    killed = rapport(
        "forget", CANARY_ID, "--yes", "--knowledge", str(knowledge), "--index", str(index), env={ENV: step}
    )
    assert killed.returncode == KILLED, killed.stderr[-2000:]

    done = rapport("index", "--knowledge", str(knowledge), "--index", str(index))
    assert done.returncode == 0, done.stderr[-2000:]
    assert canary_bytes(tmp_path) == 0
    assert_intact(knowledge, index, embedder)
    lines = [json.loads(line) for line in (index / "feedback.jsonl").read_text().splitlines()]
    assert lines and all("customer" not in line for line in lines)  # the line stays, without the id


def test_a_killed_index_leaves_no_orphan_for_a_later_forget(
    template: Path, tmp_path: Path, embedder: MiniLMEmbedding
) -> None:
    # The customer is new: the killed run adds their records, but the manifest never learns of them.
    knowledge, index = fresh_copy(template, tmp_path / "run")
    rapport("forget", CANARY_ID, "--yes", "--knowledge", str(knowledge), "--index", str(index))
    add_canary(knowledge)
    killed = rapport("index", "--knowledge", str(knowledge), "--index", str(index), env={ENV: "records-added"})
    assert killed.returncode == KILLED

    done = rapport("forget", CANARY_ID, "--yes", "--knowledge", str(knowledge), "--index", str(index))
    assert done.returncode == 0, done.stderr[-2000:]
    assert canary_bytes(tmp_path) == 0
    assert_intact(knowledge, index, embedder)


def test_a_file_deleted_by_hand_after_a_killed_index_leaves_nothing(
    template: Path, tmp_path: Path, embedder: MiniLMEmbedding
) -> None:
    knowledge, index = fresh_copy(template, tmp_path / "run")
    (knowledge / CANARY_FILE).write_text((knowledge / CANARY_FILE).read_text() + "- 2026-03-09 chat in: More.\n")
    killed = rapport("index", "--knowledge", str(knowledge), "--index", str(index), env={ENV: "records-added"})
    assert killed.returncode == KILLED
    (knowledge / CANARY_FILE).unlink()  # an admin removes the file (git rm) instead of `rapport forget`

    done = rapport("index", "--knowledge", str(knowledge), "--index", str(index))
    assert done.returncode == 0 and "store compacted" in done.stdout
    assert canary_bytes(tmp_path) == 0
    assert_intact(knowledge, index, embedder)


def test_an_erasure_waits_for_an_answer_reading_the_old_generation(
    template: Path, tmp_path: Path, embedder: MiniLMEmbedding
) -> None:
    """The old generation stays while a store opened on it is in use, and goes when it is let go."""
    knowledge, index = fresh_copy(template, tmp_path / "run")
    reader = Index(make_settings(knowledge, index), embedder)
    held = reader.store()  # an answer in progress on the current generation
    before = read_manifest(index)
    assert before is not None

    writer = Index(make_settings(knowledge, index), embedder)
    writer.reaper.grace = 30
    (knowledge / CANARY_FILE).unlink()
    assert writer.sync().compacted
    old = index / f"gen-{before.generation:06d}"
    assert old.exists()  # still read
    assert held.query("customers", "oat milk", 1)[0].metadata["customer_id"] == "cus-1"  # and still answers

    del held
    reader.close()
    assert writer.reaper.drain(timeout=10) and not old.exists()
    assert canary_bytes(tmp_path) == 0
