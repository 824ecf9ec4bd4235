"""Issue 10 in Slack, through signed requests: long messages, customer files with errors, health.

And the watcher that must never die quietly: a symlink loop, the folder moved away and back.
"""

from __future__ import annotations

import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from bot.index.embedding import MiniLMEmbedding
from bot.services.watcher import KnowledgeWatcher
from bot.slack.server import make_http_server, start_knowledge
from tests.conftest import SAMPLE, write
from tests.fake_slack import BOT_USER_ID, Bot, running_bot, sample_index
from tests.slack_requests import SIGNING_SECRET, all_text, load

OLGA = "---\nid: cus-olga\nname: Olga Petrova\nemail: olga@example.net\nsegment: b2c\ninterests: [unclosed\n---\n"
EXPECTED = "customers/olga-petrova.md has errors (line 7): fix it with `rapport check`"


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    shutil.copytree(SAMPLE, root)
    write(root, "customers/olga-petrova.md", OLGA)
    return root


@pytest.fixture
def bot(
    knowledge: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding
) -> Iterator[Bot]:
    index = sample_index(tmp_path / "index", tmp_path_factory.getbasetemp(), embedder)
    with running_bot(knowledge, index, embedder) as b:
        yield b


def mention(bot: Bot, text: str, event_id: str) -> dict[str, Any]:
    payload = load("app_mention", event_id=event_id)
    payload["event"]["text"] = f"<@{BOT_USER_ID}> {text}"
    bot.fake.reset()
    bot.send(payload)
    # Generous: embedding a 4,000-character message takes seconds, far more on a loaded machine.
    return bot.fake.wait_for("chat.postMessage", timeout=180)[0].args


def test_a_long_message_is_cut_said_so_and_answered(bot: Bot) -> None:
    pasted = "My Kalita Wave parcel is late and I need it for the weekend. " * 1700 + "Jane Okafor"
    post = mention(bot, pasted, "Ev0LONG00001")
    text = all_text(post["blocks"])
    assert "*Jane Okafor*" in text
    assert "The message is 103," in text and "over the 4,000 Rapport reads" in text


def test_a_customer_whose_file_has_errors_is_named_in_slack(bot: Bot) -> None:
    post = mention(bot, "What should I reply to Olga Petrova about descaling?", "Ev0BROKEN001")
    assert EXPECTED in all_text(post["blocks"]) and EXPECTED in post["text"]
    bot.send(load("command_customer", bot.fake, text="Olga Petrova", user_id="USTAFF"))
    card = bot.fake.wait_for("response_url")[0].args
    assert EXPECTED in all_text(card["blocks"])


def test_slack_has_no_erasure_command(bot: Bot, knowledge: Path) -> None:
    response = bot.send(load("command_rapport", bot.fake, text="forget cus-0001", user_id="UADMIN"))
    assert "/rapport status" in (response.body or "")  # the admin help, nothing else
    time.sleep(0.5)
    assert (knowledge / "customers" / "jane-okafor.md").exists() and bot.fake.methods() == []


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_health_problems_fail_healthz_and_reach_admins(bot: Bot) -> None:
    health = bot.rt.services.health
    server = make_http_server(bot.app, "127.0.0.1", 0, signing_secret=SIGNING_SECRET, health=health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/healthz"
    try:
        assert get(url) == (200, "ok\n")
        health.report("watcher", False, "cannot watch the knowledge folder")
        assert get(url) == (503, "watcher: cannot watch the knowledge folder\n")
        bot.send(load("command_rapport", bot.fake, text="status", user_id="UADMIN"))
        status = bot.fake.wait_for("response_url")[0].args
        assert "Not working*: watcher: cannot watch the knowledge folder" in all_text(status["blocks"])
        home = load("app_home_opened", event_id="Ev0HOMEHEALTH")
        home["event"]["user"] = "UADMIN"
        bot.send(home)
        view = bot.fake.wait_for("views.publish")[0].args["view"]
        assert "watcher: cannot watch the knowledge folder" in all_text(view["blocks"])
        health.report("watcher", True)
        assert get(url) == (200, "ok\n")
    finally:
        server.shutdown()
        server.server_close()


def wait_until(check: Callable[[], bool], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def live(bot: Bot) -> Iterator[tuple[Bot, KnowledgeWatcher]]:
    with ExitStack() as stack:
        watcher = start_knowledge(bot.rt.knowledge, stack, bot.rt.services.health)
        assert watcher is not None and watcher.wait_ready()
        watcher.retry_seconds = 0.2
        bot.rt.watcher = watcher
        yield bot, watcher


def opted_out(bot: Bot) -> bool:
    customer = bot.rt.knowledge.snapshot().kb.customers.get("cus-0002")
    return customer is not None and customer.contact.marketing_opt_out


def opt_out(root: Path) -> None:
    path = root / "customers" / "jane-okafor.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("marketing_opt_out: false", "marketing_opt_out: true"), encoding="utf-8")


def test_the_watcher_survives_a_symlink_loop(live: tuple[Bot, KnowledgeWatcher], knowledge: Path) -> None:
    bot, watcher = live
    customers = knowledge / "customers"
    (customers / "loop-a.md").symlink_to(customers / "loop-b.md")
    (customers / "loop-b.md").symlink_to(customers / "loop-a.md")
    (customers / "gone.md").symlink_to(customers / "nowhere.md")
    time.sleep(1)
    for name in ("loop-a.md", "loop-b.md", "gone.md"):  # a loop that existed for a moment
        (customers / name).unlink()
    assert not opted_out(bot)
    opt_out(knowledge)
    assert wait_until(lambda: opted_out(bot)), "an opt-out after a symlink loop was never indexed"
    assert watcher.running and bot.rt.services.health.ok


def test_the_watcher_reports_a_folder_moved_away_and_follows_it_back(
    live: tuple[Bot, KnowledgeWatcher], knowledge: Path
) -> None:
    bot, watcher = live
    health = bot.rt.services.health
    away = knowledge.with_name("knowledge-away")
    knowledge.rename(away)
    assert wait_until(lambda: any(p.name == "watcher" for p in health.problems())), "nobody was told"
    assert watcher.running and len(bot.rt.knowledge.snapshot().kb.customers) == 18  # still answering
    opt_out(away)  # edited while away: must be seen once the folder is back
    away.rename(knowledge)
    assert wait_until(lambda: health.ok and opted_out(bot)), health.problems()
