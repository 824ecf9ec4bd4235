"""Indexing: broken files reported while good ones are indexed, incremental work, erasure on disk."""

from __future__ import annotations

import os
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from bot.index.embedding import MiniLMEmbedding
from bot.index.indexer import Index, IndexBusy
from tests.conftest import make_settings, write


def customer(cid: str, name: str, history: str = "", private: str = "", extra: str = "") -> str:
    return f"""
---
id: {cid}
name: {name}
segment: b2c
{extra}---
## History
{history}

## Private
{private}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    write(root, "customers/ann.md", customer("cus-1", "Ann Lee", "- 2026-01-02 email in: Asked about oat milk."))
    write(root, "customers/bob.md", customer("cus-2", "Bob Stone", "- 2026-02-03 phone out: Called about beans."))
    write(root, "content/guide.md", "---\ntitle: Cold brew at home\ntopics: [cold brew]\n---\nA guide.\n")
    write(root, "playbook/returns.md", "---\ntitle: Returns\n---\nReturn within 30 days.\n\nRefunds in 5 days.\n")
    write(root, "customers/_draft.md", "not a knowledge file")  # ignored: starts with _
    return root


def make_index(root: Path, tmp_path: Path, embedder: MiniLMEmbedding) -> Index:
    return Index(make_settings(root, tmp_path / "index"), embedder=embedder)


def test_broken_files_are_reported_and_good_files_still_indexed(
    folder: Path, tmp_path: Path, embedder: MiniLMEmbedding
) -> None:
    write(folder, "customers/broken-yaml.md", "---\nid: cus-9\nname: [oops\n---\n")
    write(folder, "customers/no-name.md", "---\nid: cus-8\nsegment: b2c\n---\n")
    write(folder, "customers/dup.md", customer("cus-1", "Ann Other", "- 2026-01-05 email in: Duplicate person."))
    write(
        folder,
        "customers/bad-line.md",
        customer("cus-7", "Cy Young", "- yesterday we talked\n- 2026-01-09 sms in: Hi."),
    )
    index = make_index(folder, tmp_path, embedder)
    report = index.sync()
    messages = [str(p) for p in report.problems]
    assert any(m.startswith("customers/broken-yaml.md:") and "bad YAML" in m for m in messages)
    assert "customers/no-name.md:1: missing required field 'name'" in messages
    assert any(m.startswith("customers/dup.md:") and "duplicate customer id 'cus-1'" in m for m in messages)
    assert any(m.startswith("customers/bad-line.md:7: warning: malformed history line") for m in messages)
    store = index.store()
    hits = store.query("customers", "oat milk", 5)
    assert hits[0].metadata["customer_id"] == "cus-1"
    cy = store.query("customers", "talked yesterday", 5, where={"customer_id": "cus-7"})
    assert any("yesterday we talked" in h.text for h in cy)  # the malformed line is kept as an undated note
    assert store.count("playbook") == 2 and store.count("content") == 1


def test_incremental_sync_embeds_only_what_changed(folder: Path, tmp_path: Path, embedder: MiniLMEmbedding) -> None:
    index = make_index(folder, tmp_path, embedder)
    first = index.sync()
    assert len(first.added) == 4 and first.embedded == first.records > 0

    before = embedder.texts_embedded
    again = index.sync()
    assert (again.embedded, again.unchanged, embedder.texts_embedded - before) == (0, 4, 0)

    os.utime(folder / "customers/bob.md")  # touched, same bytes: still nothing to embed
    assert index.sync().embedded == 0

    write(folder, "customers/ann.md", customer("cus-1", "Ann Lee", "- 2026-01-02 email in: Asked about soy milk."))
    changed = index.sync()
    assert changed.changed == ["customers/ann.md"] and changed.added == []
    assert changed.embedded == 1  # her one changed history entry: her profile is as stored, Bob untouched
    texts = [h.text for h in index.store().query("customers", "milk", 10)]
    assert "Asked about soy milk." in texts and "Asked about oat milk." not in texts

    (folder / "content/guide.md").unlink()
    gone = index.sync()
    assert gone.deleted == ["content/guide.md"] and index.store().count("content") == 0

    full = index.sync(full=True)
    assert full.embedded == full.records and len(full.added) == 3


def test_an_edit_writes_only_the_records_it_changed(folder: Path, tmp_path: Path, embedder: MiniLMEmbedding) -> None:
    lines = [f"- 2026-03-{d:02d} email in: Message number {d} about the order." for d in range(1, 21)]
    write(folder, "customers/cat.md", customer("cus-3", "Cat Moss", "\n".join(lines)))
    index = make_index(folder, tmp_path, embedder)
    index.sync()

    def sync_after(history: list[str], name: str = "Cat Moss") -> int:
        write(folder, "customers/cat.md", customer("cus-3", name, "\n".join(history)))
        report = index.sync()
        assert report.changed == ["customers/cat.md"]
        stored = {h.text for h in index.store().query("customers", "message about the order", 40)}
        assert {line.split(": ", 1)[1] for line in history} <= stored  # every current line is searchable
        return report.embedded

    appended = [*lines, "- 2026-03-21 phone out: Called back about the refund."]
    assert sync_after(appended) == 1  # the new line only
    edited = [*appended[:5], "- 2026-03-06 email in: Message number 6, corrected.", *appended[6:]]
    assert sync_after(edited) == 1
    removed = edited[:10] + edited[11:]  # the lines below move up: their records carry new line numbers
    assert 0 < sync_after(removed) <= len(removed) - 10
    stored = {h.text for h in index.store().query("customers", "message about the order", 40)}
    assert "Message number 11 about the order." not in stored
    known = sum(len(e.ids) for e in index.manifest().files.values() if e.collection == "customers")
    assert index.store().count("customers") == known  # no record of a removed or moved line is left
    assert sync_after(removed, name="Cat Moss-Hill") == 1  # the profile, overwritten in place


def test_private_text_is_never_stored(folder: Path, tmp_path: Path, embedder: MiniLMEmbedding) -> None:
    write(folder, "customers/cy.md", customer("cus-3", "Cy Young", "- 2026-03-01 email in: Hello.", "QX-SECRET-41"))
    index = make_index(folder, tmp_path, embedder)
    index.sync()
    assert not any(b"QX-SECRET-41" in p.read_bytes() for p in (tmp_path / "index").rglob("*") if p.is_file())


def test_long_text_is_chunked_not_truncated(folder: Path, tmp_path: Path, embedder: MiniLMEmbedding) -> None:
    filler = " ".join(f"Paragraph {i} talks about ordinary espresso roasting matters." for i in range(80))
    note = f"{filler} The very last sentence says the customer keeps bees on the roof."
    write(
        folder,
        "customers/dee.md",
        customer("cus-4", "Dee Park", "- 2026-03-01 email in: Hi.") + f"\n## Notes\n{note}\n",
    )
    index = make_index(folder, tmp_path, embedder)
    index.sync()
    got = index.store().collection("customers").get(where={"kind": "note"})
    chunks = dict(zip(got["ids"], got["documents"] or [], strict=True))
    assert len(chunks) > 1 and all("~" in cid for cid in chunks)  # split, not cut at 256 tokens
    assert any("keeps bees on the roof" in text for text in chunks.values())
    notes = index.store().query("customers", "keeps bees on the roof", 10, where={"kind": "note"})
    assert "keeps bees on the roof" in notes[0].text  # the tail is retrievable on its own


def test_erasure_leaves_no_trace_on_disk(folder: Path, tmp_path: Path, embedder: MiniLMEmbedding) -> None:
    marker = "ZEBRA-MARKER-7731"
    write(folder, "customers/eve.md", customer("cus-5", "Eve Marsh", f"- 2026-03-01 email in: Ordered {marker} beans."))
    index = make_index(folder, tmp_path, embedder)
    index.sync()
    files = [p for p in (tmp_path / "index").rglob("*") if p.is_file()]
    assert any(marker.encode() in p.read_bytes() for p in files)  # the scan can see it while it is there
    (folder / "customers/eve.md").unlink()
    report = index.sync()
    assert report.compacted and report.deleted == ["customers/eve.md"]
    # Retired generations go as soon as their readers let go (this process's own handle included),
    # which a loaded machine may take a moment to see; `rapport forget` waits the same way before exiting.
    assert index.reaper.drain(timeout=30)
    files = [p for p in (tmp_path / "index").rglob("*") if p.is_file()]
    left = [str(p.relative_to(tmp_path)) for p in files if marker.encode() in p.read_bytes()]
    assert left == []
    assert index.store().query("customers", "oat milk", 1)[0].metadata["customer_id"] == "cus-1"  # others intact


def test_second_writer_is_refused(folder: Path, tmp_path: Path, embedder: MiniLMEmbedding) -> None:
    import subprocess
    import sys

    index = make_index(folder, tmp_path, embedder)
    index.sync()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys,time; from filelock import FileLock; "
            f"l=FileLock({str(tmp_path / 'index' / 'index.lock')!r}); l.acquire(); "
            "print('held', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexBusy):
            make_index(folder, tmp_path, embedder).sync()
    finally:
        holder.kill()
        holder.wait()


def _open_fresh_store(path: str, start: Barrier) -> None:
    from bot.index.store import ChromaTarget, open_client

    start.wait()
    open_client(ChromaTarget(path=Path(path))).get_or_create_collection("customers").count()


def test_processes_opening_a_new_index_at_once_all_succeed(tmp_path: Path) -> None:
    # Chroma creates its tables on first open; without taking turns, two processes racing to open a
    # new folder fail with "table collections already exists" (seen with three `rapport note`s at once).
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    rounds, workers = 2, 4
    for r in range(rounds):
        start = ctx.Barrier(workers)
        path = str(tmp_path / f"round-{r}" / "gen-000001")
        procs = [ctx.Process(target=_open_fresh_store, args=(path, start)) for _ in range(workers)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert [p.exitcode for p in procs] == [0] * workers
