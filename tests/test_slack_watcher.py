"""The running bot follows the knowledge folder: an edit is re-indexed and the next answer sees it."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from bot.index.embedding import MiniLMEmbedding
from bot.index.indexer import Index, SyncReport
from bot.knowledge.files import scan
from bot.services.knowledge import Knowledge
from bot.services.watcher import KnowledgeWatcher
from bot.slack.server import start_knowledge
from tests.conftest import SAMPLE, make_settings, write
from tests.fake_slack import BOT_USER_ID, Bot, running_bot, sample_index
from tests.slack_requests import all_text, load

NEW_CUSTOMER = """
---
id: cus-0099
name: Zara Quinlan
email: zara@quinlan.example
segment: b2c
contact:
  channels: [email]
  frequency: monthly
---
## History
- 2026-11-20 email in: Asked whether the Ethiopia Guji natural works as a pour over.
"""


@pytest.fixture
def live_bot(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding
) -> Iterator[tuple[Bot, KnowledgeWatcher]]:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(SAMPLE, knowledge)
    index = sample_index(tmp_path / "index", tmp_path_factory.getbasetemp(), embedder)
    with running_bot(knowledge, index, embedder) as bot, ExitStack() as stack:
        watcher = start_knowledge(bot.rt.knowledge, stack)  # what `rapport serve` does: lock, watch, sync
        assert watcher is not None and watcher.wait_ready()
        bot.rt.watcher = watcher
        yield bot, watcher


def next_sync(watcher: KnowledgeWatcher) -> threading.Event:
    done = threading.Event()
    reports: list[SyncReport] = []

    def seen(report: SyncReport) -> None:
        if report.added or report.changed or report.deleted:
            reports.append(report)
            done.set()

    watcher.on_sync = seen
    return done


def ask(bot: Bot, text: str, event_id: str) -> str:
    payload = load("app_mention", event_id=event_id)
    payload["event"]["text"] = f"<@{BOT_USER_ID}> {text}"
    bot.fake.reset()
    bot.send(payload)
    return all_text(bot.fake.wait_for("chat.postMessage")[0].args["blocks"])


def test_a_new_customer_file_is_indexed_while_the_bot_runs(live_bot: tuple[Bot, KnowledgeWatcher]) -> None:
    bot, watcher = live_bot
    assert "Zara Quinlan" not in ask(bot, "how should I answer Zara Quinlan?", "Ev0WATCH0001")

    synced = next_sync(watcher)
    write(bot.rt.settings.knowledge_dir, "customers/zara-quinlan.md", NEW_CUSTOMER)
    assert synced.wait(30), "the watcher did not re-index the new file"
    assert watcher.last_report is not None and watcher.last_report.added == ["customers/zara-quinlan.md"]
    files = [p.relative_to(SAMPLE) for p in SAMPLE.rglob("*.md")]
    sample_files = sum(1 for p in files if not any(part.startswith(("_", ".")) for part in p.parts))
    assert watcher.last_report.unchanged == sample_files  # incremental: nothing else was re-embedded

    answer = ask(bot, "how should I answer Zara Quinlan about the Guji?", "Ev0WATCH0002")
    assert "*Zara Quinlan*" in answer and "Draft 1" in answer


def test_an_edited_file_changes_the_next_answer(live_bot: tuple[Bot, KnowledgeWatcher]) -> None:
    bot, watcher = live_bot
    path = bot.rt.settings.knowledge_dir / "customers" / "tom-baker.md"
    synced = next_sync(watcher)
    text = path.read_text(encoding="utf-8").replace("name: Tom Baker\n", "name: Tom Baker\npreferred_name: Tommo\n")
    path.write_text(text, encoding="utf-8")
    assert synced.wait(30)
    assert watcher.last_report is not None and watcher.last_report.changed == ["customers/tom-baker.md"]
    assert "(goes by Tommo)" in ask(bot, "how should I answer Tom Baker?", "Ev0WATCH0003")


def test_a_moved_folder_and_a_renamed_file_leave_the_index_as_the_folder_is(
    live_bot: tuple[Bot, KnowledgeWatcher],
) -> None:
    # The watcher syncs the paths it saw; a folder that moved needs the whole scan, which it falls back to.
    bot, watcher = live_bot
    root = bot.rt.settings.knowledge_dir
    write(root, "customers/team/zara-quinlan.md", NEW_CUSTOMER)
    synced = next_sync(watcher)
    assert synced.wait(30) and "customers/team/zara-quinlan.md" in watcher.knowledge.index.manifest().files
    synced = next_sync(watcher)
    (root / "customers/team").rename(root / "customers/_team")  # underscored: no longer read
    (root / "customers/tom-baker.md").rename(root / "customers/thomas-baker.md")
    assert synced.wait(30)
    expected = {e.rel for e in scan(root) if e.problem is None}
    deadline = time.monotonic() + 30
    while set(watcher.knowledge.index.manifest().files) != expected and time.monotonic() < deadline:
        time.sleep(0.1)  # the two changes may arrive in two batches
    assert set(watcher.knowledge.index.manifest().files) == expected
    assert "Zara Quinlan" not in ask(bot, "how should I answer Zara Quinlan?", "Ev0WATCH0004")


def test_the_bot_reads_only_when_another_process_owns_the_index(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding
) -> None:
    settings = make_settings(SAMPLE, sample_index(tmp_path / "index", tmp_path_factory.getbasetemp(), embedder))
    owner = Index(settings, embedder)
    with ExitStack() as held, ExitStack() as stack:
        held.enter_context(owner.lock())  # another writer (in real life, another process) holds the lock
        other = Index(settings, embedder)
        knowledge = Knowledge(settings, other)
        assert start_knowledge(knowledge, stack) is None  # no watcher, no writes
        assert len(knowledge.snapshot().kb.customers) == 18
        other.close()
    owner.close()
