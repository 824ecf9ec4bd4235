"""The digest as Block Kit ("who needs us this week"): pure functions, typed blocks, the state buttons carry.

Each entry is a section (who, why, the next step, the stage) and a row of buttons: *Ask Rapport* opens
the ask flow for that customer with the step's intent, *Perk given* (VIPs with a perk) logs it as
history. Private notes never reach these models, so nothing here can show one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.core.portfolio import Digest, DigestEntry
from bot.slack.blocks import clip, context, esc
from bot.slack.constants import MAX_SECTION_TEXT
from bot.slack.payloads import SlackModel, fit_value

ACTION_DIGEST_ASK = "digest_ask"
ACTION_DIGEST_PERK = "digest_perk_given"
ACTION_DIGEST_CHART = "digest_chart"
VIEW_DIGEST_ASK = "digest_ask_modal"
STAGE_LABELS = {"new": "new", "active": "active", "loyal": "loyal", "advocate": "advocate", "at_risk": "at risk"}
REASON_ICONS = {
    "unanswered_message": ":speech_balloon:",
    "contact_overdue": ":red_circle:",
    "contact_due": ":large_orange_circle:",
    "renewal_due": ":date:",
    "date_due": ":date:",
    "vip_untouched": ":star:",
}


class AskState(SlackModel):
    """The *Ask Rapport* button: whom, how to read the request, and the request itself."""

    c: str
    i: Literal["reply", "outreach"]
    q: str

    def encode(self) -> str:
        return fit_value(self, shrink=("q",))


class PerkState(SlackModel):
    c: str
    p: str  # the perk's name, as declared in the playbook

    def encode(self) -> str:
        return fit_value(self, shrink=())


def entry_text(entry: DigestEntry, mine: bool = False) -> str:
    vip = " · VIP" if entry.tier == "vip" else ""
    you = " · _you last wrote to them_" if mine else ""
    head = f"*{esc(entry.name)}*{vip} · due {entry.due.isoformat()} · {STAGE_LABELS[entry.stage.name]}{you}"
    why = "\n".join(f"{REASON_ICONS.get(r.code, '•')} {esc(r.text)}" for r in entry.why)
    step = f":arrow_right: {esc(entry.next_step.text)}"
    return clip(f"{head}\n{why}\n{step}", MAX_SECTION_TEXT)


def entry_blocks(entry: DigestEntry, mine: bool = False) -> list[Block]:
    step = entry.next_step
    label = "Draft a reply" if step.intent == "reply" else f"Draft: {(step.purpose or 'check_in').replace('_', ' ')}"
    buttons = [
        ButtonElement(
            text=PlainTextObject(text=label),
            action_id=ACTION_DIGEST_ASK,
            value=AskState(c=entry.id, i=step.intent, q=step.text).encode(),
            style="primary",
        )
    ]
    if step.perk is not None:
        buttons.append(
            ButtonElement(
                text=PlainTextObject(text="Perk given"),
                action_id=ACTION_DIGEST_PERK,
                value=PerkState(c=entry.id, p=step.perk.name).encode(),
            )
        )
    return [
        SectionBlock(text=MarkdownTextObject(text=entry_text(entry, mine))),
        ContextBlock(elements=[MarkdownTextObject(text=clip(f"Stage: {esc(entry.stage.why)}", 300))]),
        ActionsBlock(block_id=f"digest_{entry.id}"[:255], elements=buttons),
    ]


def summary_line(digest: Digest) -> str:
    n = len(digest.customers)
    who = f"{n} customer{'s' * (n != 1)}" if n else "Nobody"
    return (
        f"{who} need{'s' * (n == 1)} us between {digest.as_of.isoformat()} and {digest.until.isoformat()}, "
        "most urgent first."
    )


def digest_blocks(
    digest: Digest, limit: int, mine: Sequence[str] = (), chart_button: bool = True, title: str = "Who needs us"
) -> list[Block]:
    """Header, the first `limit` entries (3 blocks each), what was left out, and a chart button."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=title))]
    blocks.append(SectionBlock(text=MarkdownTextObject(text=summary_line(digest))))
    for entry in digest.customers[:limit]:
        blocks += entry_blocks(entry, entry.id in mine)
    more = len(digest.customers) - limit
    s = digest.skipped
    tail = f"{more} more: run `/rapport digest` for all of them. " if more > 0 else ""
    blocks.append(
        context(
            f"{tail}Left out: {s.too_soon} too soon all week, {s.no_outreach} reply-only with nothing unanswered, "
            f"{s.nothing_due} with nothing due."
        )
    )
    if chart_button:
        button = ButtonElement(
            text=PlainTextObject(text="Contact-health chart to my DM"),
            action_id=ACTION_DIGEST_CHART,
            value=str(digest.days),
        )
        blocks.append(ActionsBlock(block_id="digest_chart", elements=[button]))
    return blocks


def digest_text(digest: Digest) -> str:
    names = ", ".join(e.name for e in digest.customers[:5])
    return clip(f"Rapport: {summary_line(digest)} {names}".strip(), 300)


def this_week_blocks(digest: Digest, mine: Sequence[str], limit: int) -> list[Block]:
    """App Home's "This week": the person's own customers (they wrote to them last) first."""
    own = [e for e in digest.customers if e.id in mine]
    others = [e for e in digest.customers if e.id not in mine]
    ordered = digest.model_copy(update={"customers": own + others})
    blocks = digest_blocks(ordered, limit, mine, title="This week")
    return [DividerBlock(), *blocks]


def ask_modal(blocks: Sequence[Block], external_id: str | None = None) -> View:
    return View(
        type="modal",
        callback_id=VIEW_DIGEST_ASK,
        external_id=external_id,
        title=PlainTextObject(text="Rapport"),
        close=PlainTextObject(text="Close"),
        blocks=list(blocks)[:100],
    )
