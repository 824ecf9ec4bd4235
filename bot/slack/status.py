"""Index and feedback status for admins: /rapport status and the App Home."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock, PlainTextObject
from slack_sdk.models.views import View

from bot.knowledge.models import Problem
from bot.services.feedback import Acceptance
from bot.slack.blocks import context, esc, help_blocks, mrkdwn_sections
from bot.slack.runtime import Runtime

SHOWN_PROBLEMS = 10
RECENT_DAYS = 30


@dataclass(frozen=True)
class Status:
    customers: int
    content: int
    playbook: int
    files: int
    records: int
    synced_at: str | None
    problems: list[Problem]
    watching: bool
    owns_index: bool
    watcher_error: str | None
    health: list[str]  # what is wrong with this process right now (services.health): "watcher: …"
    llm: bool
    model: str
    recent: Acceptance
    total: Acceptance


def collect(rt: Runtime, now: dt.datetime | None = None) -> Status:
    snap = rt.knowledge.snapshot()
    manifest = rt.knowledge.index.manifest()
    since = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=RECENT_DAYS)
    watcher = rt.watcher
    return Status(
        customers=len(snap.kb.customers),
        content=len(snap.kb.content),
        playbook=len(snap.kb.playbook),
        files=len(snap.kb.hashes),
        records=manifest.record_count(),
        synced_at=manifest.synced_at,
        problems=list(snap.kb.problems),
        watching=bool(watcher and watcher.running),
        owns_index=rt.owns_index,
        watcher_error=watcher.last_error if watcher else None,
        health=[f"{p.name}: {p.detail}" for p in rt.services.health.problems()],
        llm=rt.settings.llm_enabled,
        model=rt.settings.openai_model,
        recent=rt.feedback.acceptance(since),
        total=rt.feedback.acceptance(),
    )


def rate(a: Acceptance) -> str:
    if a.rate is None:
        return "no drafts shown yet"
    return (
        f"*{a.rate:.0%}* ({a.accepted} of {a.shown} drafts: {a.sent} logged as sent, "
        f"{a.helpful} marked helpful; {a.not_helpful} not helpful)"
    )


def index_lines(s: Status) -> str:
    watch = "watching the folder for changes" if s.watching else "not watching the folder"
    if not s.owns_index:
        watch = "reading an index another process writes"
    errors = sum(1 for p in s.problems if p.severity == "error")
    return (
        f"*Index*: {s.customers} customers, {s.content} content items, {s.playbook} playbook files "
        f"({s.files} files, {s.records} records)\n"
        f"*Last sync*: {s.synced_at or 'never'} · {watch}\n"
        f"*Problems* (`rapport check`): {errors} errors, {len(s.problems) - errors} warnings\n"
        f"*Drafting*: {'language model ' + esc(s.model) if s.llm else 'offline (no OPENAI_API_KEY)'}"
    )


def problem_lines(problems: list[Problem]) -> str:
    lines = [f"• `{esc(str(p))}`" for p in problems[:SHOWN_PROBLEMS]]
    more = len(problems) - SHOWN_PROBLEMS
    if more > 0:
        lines.append(f"…and {more} more: run `rapport check` for the full list.")
    return "\n".join(lines)


def status_blocks(s: Status) -> list[Block]:
    blocks: list[Block] = mrkdwn_sections(index_lines(s))
    for line in s.health:
        blocks += mrkdwn_sections(f":rotating_light: *Not working*: {esc(line)}")
    if s.watcher_error and not any(s.watcher_error in line for line in s.health):
        blocks += mrkdwn_sections(f":warning: {esc(s.watcher_error)}")
    if s.problems:
        blocks += mrkdwn_sections(f"*Problems in the knowledge folder*\n{problem_lines(s.problems)}")
    blocks += mrkdwn_sections(
        f"*Draft acceptance*, last {RECENT_DAYS} days: {rate(s.recent)}\n*All time*: {rate(s.total)}"
    )
    blocks.append(context("Acceptance: drafts logged as sent or marked helpful, out of drafts shown."))
    return blocks


def status_text(s: Status) -> str:
    recent = f"{s.recent.rate:.0%}" if s.recent.rate is not None else "n/a"
    trouble = f"NOT WORKING: {'; '.join(s.health)}. " if s.health else ""
    return trouble + (
        f"Rapport status: {s.customers} customers, {s.files} files indexed, last sync {s.synced_at or 'never'}, "
        f"{len(s.problems)} problems; draft acceptance (last {RECENT_DAYS} days) {recent}."
    )


def home_view(status: Status | None, bot_user_id: str | None) -> View:
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="Rapport"))]
    blocks += mrkdwn_sections(
        "Honest, personal reply drafts for the customers you look after. Rapport suggests; you decide what to send."
    )
    blocks += help_blocks(bot_user_id)
    if status is not None:
        blocks += [DividerBlock(), HeaderBlock(text=PlainTextObject(text="Admin: index status"))]
        blocks += status_blocks(status)
    return View(type="home", blocks=blocks[:100])
