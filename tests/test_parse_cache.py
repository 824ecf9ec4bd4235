"""The parsed-folder cache: unchanged files are not parsed again, a changed file always is, and a bad
cache costs a parse, never a wrong answer or a failed start."""

from __future__ import annotations

import os
import pickle
import shutil
import time
from pathlib import Path

import pytest

from bot.knowledge import cache, folder
from bot.services.container import build_services
from tests.conftest import SAMPLE, make_settings, write

OLD = time.time_ns() - 60 * 1_000_000_000  # a minute ago: older than the settling time


def customer(cid: str, name: str, line: str) -> str:
    return f"---\nid: {cid}\nname: {name}\nsegment: b2c\n---\n## History\n- 2026-01-02 email in: {line}\n"


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """No settling time: every file counts as old enough to keep (ctime cannot be set back in a test)."""
    monkeypatch.setattr(cache, "SETTLED_NS", -(10**12))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    write(root, "customers/ann.md", customer("cus-1", "Ann Lee", "Asked about oat milk."))
    write(root, "customers/bob.md", customer("cus-2", "Bob Stone", "Asked about beans."))
    write(root, "playbook/returns.md", "---\ntitle: Returns\n---\nReturn within 30 days.\n")
    return root


class Parses:
    """Counts files parsed (`folder.parse_bytes`), by path."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        real = folder.parse_bytes

        def counting(rel: str, raw: bytes) -> folder.ParsedFile:
            self.paths.append(rel)
            return real(rel, raw)

        monkeypatch.setattr(folder, "parse_bytes", counting)

    def take(self) -> list[str]:
        taken, self.paths = sorted(self.paths), []
        return taken


def dump(kb: folder.KnowledgeBase) -> object:
    return (
        [c.model_dump() for c in kb.customers.values()],
        [p.model_dump() for p in kb.playbook],
        kb.hashes,
        [str(p) for p in kb.problems],
    )


def test_unchanged_files_are_not_parsed_again(
    root: Path, tmp_path: Path, settled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses = Parses(monkeypatch)
    first = folder.load(root, cache=tmp_path / "parsed")
    assert parses.take() == ["customers/ann.md", "customers/bob.md", "playbook/returns.md"]
    again = folder.load(root, cache=tmp_path / "parsed")
    assert parses.take() == []
    assert dump(again) == dump(first)
    assert dump(again) == dump(folder.load(root))


def test_a_changed_file_is_parsed_again_even_with_its_old_size_and_time(
    root: Path, tmp_path: Path, settled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = root / "customers" / "ann.md"
    os.utime(path, ns=(OLD, OLD))
    folder.load(root, cache=tmp_path / "parsed")
    parses = Parses(monkeypatch)
    path.write_text(customer("cus-1", "Ann Lea", "Asked about oat milk."), encoding="utf-8")  # same size
    os.utime(path, ns=(OLD, OLD))  # and the same modification time, as `rsync -t` or `touch -d` would leave it
    kb = folder.load(root, cache=tmp_path / "parsed")
    assert parses.take() == ["customers/ann.md"]
    assert kb.customers["cus-1"].name == "Ann Lea"


def test_a_file_saved_moments_ago_is_not_kept(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two saves within one tick of the file system's clock can leave the same time and size."""
    folder.load(root, cache=tmp_path / "parsed")
    parses = Parses(monkeypatch)
    folder.load(root, cache=tmp_path / "parsed")
    assert parses.take() == ["customers/ann.md", "customers/bob.md", "playbook/returns.md"]


def test_new_and_deleted_files(root: Path, tmp_path: Path, settled: None, monkeypatch: pytest.MonkeyPatch) -> None:
    folder.load(root, cache=tmp_path / "parsed")
    parses = Parses(monkeypatch)
    (root / "customers" / "bob.md").unlink()
    write(root, "customers/cy.md", customer("cus-3", "Cy Young", "Hello."))
    kb = folder.load(root, cache=tmp_path / "parsed")
    assert parses.take() == ["customers/cy.md"]
    assert sorted(kb.customers) == ["cus-1", "cus-3"]
    kept = b"".join(p.read_bytes() for p in (tmp_path / "parsed").glob("shard-*.pickle"))
    assert b"Bob Stone" not in kept, "a deleted file's parse stayed in the cache"


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a pickle at all",
        pickle.dumps({"fingerprint": "another version", "entries": {}}),
        pickle.dumps(["a list"]),
        pickle.dumps({"fingerprint": None, "entries": {"customers/ann.md": "a string"}}),
    ],
    ids=["empty", "garbage", "other-version", "not-a-shard", "bad-entries"],
)
def test_a_bad_shard_is_ignored_and_rewritten(
    root: Path, tmp_path: Path, settled: None, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    expected = dump(folder.load(root))
    folder.load(root, cache=tmp_path / "parsed")
    shards = sorted((tmp_path / "parsed").glob("shard-*.pickle"))
    assert shards
    for shard in shards:
        shard.write_bytes(content)
    parses = Parses(monkeypatch)
    assert dump(folder.load(root, cache=tmp_path / "parsed")) == expected
    assert len(parses.take()) == 3
    assert dump(folder.load(root, cache=tmp_path / "parsed")) == expected
    assert parses.take() == [], "the bad shards were not rewritten"


def test_a_truncated_shard_is_ignored(root: Path, tmp_path: Path, settled: None) -> None:
    expected = dump(folder.load(root))
    folder.load(root, cache=tmp_path / "parsed")
    for shard in (tmp_path / "parsed").glob("shard-*.pickle"):
        shard.write_bytes(shard.read_bytes()[: len(shard.read_bytes()) // 2])
    assert dump(folder.load(root, cache=tmp_path / "parsed")) == expected


def test_a_parse_from_older_parsing_code_is_not_used(
    root: Path, tmp_path: Path, settled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder.load(root, cache=tmp_path / "parsed")
    monkeypatch.setattr(cache, "fingerprint", lambda: "the parser changed")
    parses = Parses(monkeypatch)
    folder.load(root, cache=tmp_path / "parsed")
    assert len(parses.take()) == 3


def test_a_shard_others_may_write_is_not_read(
    root: Path, tmp_path: Path, settled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder.load(root, cache=tmp_path / "parsed")
    for shard in (tmp_path / "parsed").glob("shard-*.pickle"):
        shard.chmod(0o666)
    parses = Parses(monkeypatch)
    folder.load(root, cache=tmp_path / "parsed")
    assert len(parses.take()) == 3


def test_a_cache_that_cannot_be_written_does_not_stop_the_load(root: Path, tmp_path: Path, settled: None) -> None:
    (tmp_path / "parsed").write_text("a file where the cache folder should be", encoding="utf-8")
    kb = folder.load(root, cache=tmp_path / "parsed")
    assert sorted(kb.customers) == ["cus-1", "cus-2"]


def test_start_up_with_a_corrupted_cache_still_answers(tmp_path: Path, settled: None) -> None:
    shutil.copytree(SAMPLE, tmp_path / "knowledge")
    settings = make_settings(tmp_path / "knowledge", tmp_path / "index")
    services = build_services(settings)
    services.knowledge.sync()
    customers = sorted(services.knowledge.snapshot().kb.customers)
    shards = sorted(services.knowledge.index.parse_cache.glob("shard-*.pickle"))
    assert shards, "the first load keeps its parse"
    for shard in shards:
        shard.write_bytes(b"\x80\x05corrupted")
    fresh = build_services(settings)
    assert sorted(fresh.knowledge.snapshot().kb.customers) == customers
    someone = next(iter(fresh.knowledge.snapshot().kb.customers.values()))
    answer = fresh.assistant.ask(f"How should I answer {someone.name} about their order?")
    assert answer.customer is not None and answer.customer.id == someone.id


def test_forget_removes_the_customer_from_the_cache(tmp_path: Path, settled: None) -> None:
    shutil.copytree(SAMPLE, tmp_path / "knowledge")
    services = build_services(make_settings(tmp_path / "knowledge", tmp_path / "index"))
    services.knowledge.sync()
    target = next(iter(services.knowledge.snapshot().kb.customers.values()))
    secret = target.email or target.name
    parsed = services.knowledge.index.parse_cache
    assert any(secret.encode() in p.read_bytes() for p in parsed.glob("shard-*.pickle"))
    services.knowledge.forget(target.id)
    assert not any(secret.encode() in p.read_bytes() for p in parsed.rglob("*") if p.is_file())


def test_shards_of_an_older_layout_are_removed_with_what_they_hold(tmp_path: Path, settled: None) -> None:
    """Another number of shards names them otherwise: nothing reads them again, and an erased
    customer's parse must not stay on disk in one."""
    shutil.copytree(SAMPLE, tmp_path / "knowledge")
    services = build_services(make_settings(tmp_path / "knowledge", tmp_path / "index"))
    services.knowledge.sync()
    parsed = services.knowledge.index.parse_cache
    current = sorted(p.name for p in parsed.glob("shard-*.pickle"))
    target = next(iter(services.knowledge.snapshot().kb.customers.values()))
    old = parsed / "shard-07.pickle"  # the 64-shard layout's name for one
    old.write_bytes(pickle.dumps({"fingerprint": "older", "entries": {"x": target.name}}))
    old.chmod(0o600)
    services.knowledge.forget(target.id)
    assert not old.exists()
    assert not any(target.name.encode() in p.read_bytes() for p in parsed.rglob("*") if p.is_file())
    assert current and all(len(name) == len("shard-000.pickle") for name in current)
