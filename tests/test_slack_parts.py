"""The bot's small parts: dedup stores, the feedback log, privacy checks, token redaction, the watcher filter."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_sdk import WebClient
from watchfiles import Change

from bot.services.feedback import FeedbackLog
from bot.services.health import Health
from bot.services.watcher import KnowledgeWatcher
from bot.slack.constants import CALLBACK_SUGGEST_REPLY, COMMAND_ADMIN, COMMAND_CUSTOMER
from bot.slack.dedup import MemoryDedup, RedisDedup, SharedDedup, dedup_store
from bot.slack.errors import RedactTokens, redact
from bot.slack.privacy import (
    NO_SCOPE_REASON,
    NOT_MEMBER_REASON,
    SHARED_REASON,
    UNKNOWN_REASON,
    ChannelPolicy,
    is_external,
)
from bot.slack.retries import web_api_retries
from tests.conftest import REPO
from tests.fake_slack import BOT_TOKEN, FakeSlack

# -- dedup -------------------------------------------------------------------------------


def test_memory_dedup_answers_true_once_per_key_until_it_expires() -> None:
    now = [100.0]
    store = MemoryDedup(clock=lambda: now[0])
    assert store.first_time("event:Ev1", ttl=60) is True
    assert store.first_time("event:Ev1", ttl=60) is False
    assert store.first_time("event:Ev2", ttl=60) is True
    now[0] += 61
    assert store.first_time("event:Ev1", ttl=60) is True
    store.release("event:Ev1")
    assert store.first_time("event:Ev1", ttl=60) is True


def test_memory_dedup_stays_bounded() -> None:
    store = MemoryDedup(max_keys=10)
    for i in range(100):
        store.first_time(f"k{i}")
    assert len(store._expires) <= 10


class FakeRedis:
    """The two redis-py calls RedisDedup makes, with Redis's SET NX EX semantics."""

    def __init__(self) -> None:
        self.data: dict[str, tuple[str, int | None]] = {}

    def set(self, name: str, value: str, *, nx: bool = False, ex: int | None = None) -> Any:
        if nx and name in self.data:
            return None
        self.data[name] = (value, ex)
        return True

    def delete(self, *names: str) -> int:
        return sum(1 for n in names if self.data.pop(n, None) is not None)


def test_without_a_redis_url_dedup_is_in_memory() -> None:
    assert isinstance(dedup_store(None), MemoryDedup)


def test_redis_dedup_uses_set_nx_with_a_ttl() -> None:
    redis = FakeRedis()
    replica_a, replica_b = RedisDedup(redis), RedisDedup(redis)
    assert replica_a.first_time("event:Ev1", ttl=3600) is True
    assert replica_b.first_time("event:Ev1", ttl=3600) is False  # the other replica sees it
    assert redis.data["rapport:once:event:Ev1"] == ("1", 3600)
    replica_a.release("event:Ev1")
    assert replica_b.first_time("event:Ev1") is True


# -- feedback ----------------------------------------------------------------------------


def test_acceptance_counts_each_draft_once_and_the_latest_vote(tmp_path: Path) -> None:
    clock = [dt.datetime(2026, 11, 1, tzinfo=dt.UTC)]
    log = FeedbackLog(tmp_path / "state" / "feedback.jsonl", clock=lambda: clock[0])
    for d in ("a", "b", "c", "d"):
        log.record("shown", d, customer="cus-1", user="U1", channel="email", origin="mention", mode="offline")
    log.record("sent", "a")
    log.record("helpful", "a")  # sent and helpful: accepted once
    log.record("helpful", "b")
    log.record("not_helpful", "b")  # changed their mind: the latest vote counts
    log.record("helpful", "c")
    log.record("sent", "zzz")  # never shown here: ignored
    result = log.acceptance()
    assert (result.shown, result.accepted, result.sent, result.helpful, result.not_helpful) == (4, 2, 1, 2, 1)
    assert result.rate == 0.5
    clock[0] += dt.timedelta(days=40)
    log.record("shown", "e")
    recent = log.acceptance(since=clock[0] - dt.timedelta(days=30))
    assert (recent.shown, recent.accepted, recent.rate) == (1, 0, 0.0)


def test_the_feedback_log_is_readable_json_lines_without_draft_text(tmp_path: Path) -> None:
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    assert log.acceptance().rate is None
    log.record("shown", "a", customer="cus-1")
    with log.path.open("a", encoding="utf-8") as handle:
        handle.write("not json\n")
    log.record("sent", "a")
    assert [e.kind for e in log.events()] == ["shown", "sent"]
    assert log.acceptance().rate == 1.0
    assert set(log.path.read_text().splitlines()[0].split('"')) >= {"kind", "shown", "draft", "customer", "cus-1"}


# -- privacy -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "external"),
    [
        ({}, False),
        ({"is_ext_shared": True, "is_shared": True}, True),
        ({"is_pending_ext_shared": True}, True),  # an invitation is out: the other side reads history once in
        ({"is_shared": True, "is_org_shared": True}, False),  # shared inside our Enterprise Grid org
        ({"is_shared": True}, True),  # shared with a workspace outside the org
    ],
)
def test_which_channels_count_as_shared_with_another_organisation(flags: dict[str, bool], external: bool) -> None:
    assert is_external(flags) is external


def test_channel_policy_fails_closed_and_caches() -> None:
    fake = FakeSlack().start()
    try:
        client = WebClient(token=BOT_TOKEN, base_url=fake.api_url)
        policy = ChannelPolicy()
        fake.shared_channels.add("CEXT")
        assert policy.check(client, "CEXT").reason == SHARED_REASON
        assert policy.check(client, "CEXT").public is False
        assert policy.check(client, "CINT").public is True
        assert policy.check(client, "D123").public is True  # a DM: only the asker is there
        assert len(fake.calls_to("conversations.info")) == 2  # cached per channel
        assert ChannelPolicy(["CINT"]).check(client, "COTHER").public is False
    finally:
        fake.stop()


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        ({"status": 200, "error": "missing_scope"}, NO_SCOPE_REASON),
        ({"status": 200, "error": "channel_not_found"}, NOT_MEMBER_REASON),
        ({"status": 503, "times": 3}, UNKNOWN_REASON),  # past the retries: Slack still did not answer
    ],
)
def test_a_failed_channel_check_fails_closed_says_why_and_is_not_cached(failure: dict[str, Any], reason: str) -> None:
    fake = FakeSlack().start()
    try:
        client = WebClient(token=BOT_TOKEN, base_url=fake.api_url, retry_handlers=web_api_retries())
        policy = ChannelPolicy()
        fake.fail("conversations.info", **failure)
        verdict = policy.check(client, "CINT")
        assert (verdict.public, verdict.reason) == (False, reason)
        assert policy.check(client, "CINT").public is True  # Slack answers now: the failure was not remembered
        assert policy.check(client, "CINT").public is True
        answered = [c for c in fake.calls_to("conversations.info") if c.ok]
        assert len(answered) == 1  # ...and the answer is
    finally:
        fake.stop()


# -- logging -----------------------------------------------------------------------------


def test_tokens_are_masked_in_messages_and_tracebacks() -> None:
    assert redact(f"token={BOT_TOKEN} app=xapp-1-A0-123-abcdef") == "token=xoxb-*** app=xapp-***"
    try:
        raise RuntimeError(f"bad token {BOT_TOKEN}")
    except RuntimeError:
        record = logging.getLogger("t").makeRecord("t", logging.ERROR, __file__, 1, "using %s", (BOT_TOKEN,), None)
        record.exc_info = sys.exc_info()
    assert RedactTokens().filter(record)
    assert BOT_TOKEN not in record.getMessage() and BOT_TOKEN not in (record.exc_text or "")
    assert "xoxb-***" in (record.exc_text or "")


# -- watcher -----------------------------------------------------------------------------


def test_the_watcher_ignores_dot_paths_but_not_folders_or_underscored_files(tmp_path: Path) -> None:
    class Stub:
        root = tmp_path
        health = Health()

    watcher = KnowledgeWatcher(Stub())  # type: ignore[arg-type]
    assert watcher.relevant(Change.modified, str(tmp_path / "customers" / "a.md"))
    assert watcher.relevant(Change.deleted, str(tmp_path / "customers" / "archive"))
    assert watcher.relevant(Change.added, str(tmp_path / "customers" / "_old.md"))  # must leave the index
    assert not watcher.relevant(Change.added, str(tmp_path / "customers" / ".a.md.x1.tmp"))
    assert not watcher.relevant(Change.modified, str(tmp_path / ".git" / "index"))
    assert not watcher.relevant(Change.modified, "/elsewhere/file.md")


# -- the app manifest ----------------------------------------------------------------------


def test_the_manifest_declares_what_the_bot_listens_to() -> None:
    manifest = yaml.safe_load((REPO / "manifest.yml").read_text(encoding="utf-8"))
    features, settings = manifest["features"], manifest["settings"]
    assert {c["command"] for c in features["slash_commands"]} == {COMMAND_CUSTOMER, COMMAND_ADMIN}
    assert [s["callback_id"] for s in features["shortcuts"] if s["type"] == "message"] == [CALLBACK_SUGGEST_REPLY]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_mention",
        "message.im",
        "app_home_opened",
        "assistant_thread_started",
        "assistant_thread_context_changed",
    }
    assert settings["interactivity"]["is_enabled"] and settings["socket_mode_enabled"]
    assert not settings["token_rotation_enabled"]  # the start-up check tells people to keep it off
    assert features["app_home"]["home_tab_enabled"] and features["bot_user"]["display_name"] == "Rapport"
    assert features["app_home"]["messages_tab_enabled"] and features["assistant_view"]["assistant_description"]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    # Least privilege: exactly what the code calls (README, "Slack app setup", says why each one).
    assert scopes == {
        "app_mentions:read",
        "assistant:write",  # assistant.threads.setSuggestedPrompts
        "channels:history",
        "channels:read",
        "chat:write",  # also assistant.threads.setStatus and chat.startStream/appendStream/stopStream
        "commands",
        "files:write",  # the digest's chart, uploaded to the asker's DM (files_upload_v2)
        "groups:history",
        "groups:read",
        "im:history",  # message.im, conversations.history of a DM for follow-ups
        "im:write",  # conversations.open: the asker's DM, where the digest's chart goes
        "mpim:history",
        "mpim:read",
        "reactions:write",
        "users:read",
        "users:read.email",
    }


def test_a_redis_url_gives_a_shared_store_or_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import Settings

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6399/0")
    url = Settings(_env_file=None).redis_url  # type: ignore[call-arg]
    assert url == "redis://127.0.0.1:6399/0"
    try:
        import redis  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="`redis` package is not installed"):
            dedup_store(url)
    else:
        assert isinstance(dedup_store(url), SharedDedup)  # redis-py connects lazily: nothing is dialled here
