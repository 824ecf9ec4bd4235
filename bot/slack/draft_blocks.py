"""One draft as Block Kit: its title, its text, one primary action, the refinements, feedback, sources.

Every block of a draft has a block id `d.<draft id>.<part>`, so a refinement or a *Log as sent* can
replace exactly that draft's blocks in the message it is in (`replace_draft`), in place.

Layouts, by where the draft is shown:
- `message` (a thread or DM): *Log as sent*, an overflow menu (shorter, more formal, warmer,
  regenerate), Slack's native feedback buttons in a context_actions block.
- `ephemeral`: Slack sends no message back when a button on an ephemeral message is clicked, and an
  overflow option carries only 150 characters, so the refinements are buttons that carry the draft.
- `modal`: the overflow menu, and 👍 / 👎 as buttons (context_actions is a message block).
"""

from __future__ import annotations

from typing import Any, Literal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextActionsBlock,
    FeedbackButtonObject,
    FeedbackButtonsElement,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    PlainTextObject,
    SectionBlock,
)

from bot.core.answer import Draft
from bot.slack.blocks import CHANNEL_LABELS, context, esc, split_text
from bot.slack.constants import (
    ACTION_DRAFT_MENU,
    ACTION_FEEDBACK,
    ACTION_HELPFUL,
    ACTION_LOG_SENT,
    ACTION_NOT_HELPFUL,
    REFINE_STYLES,
    STYLE_LABELS,
)
from bot.slack.payloads import DraftState, FeedbackState, MenuChoice, parse_state

Layout = Literal["message", "ephemeral", "modal"]
PREFIX = "d."


def part_id(draft_id: str, part: str) -> str:
    return f"{PREFIX}{draft_id}.{part}"


def draft_id_of(block: dict[str, Any]) -> str | None:
    """The draft a block belongs to, from its block id."""
    block_id = str(block.get("block_id") or "")
    if not block_id.startswith(PREFIX):
        return None
    return block_id[len(PREFIX) :].split(".", 1)[0] or None


def feedback_values(state: DraftState) -> tuple[str, str]:
    def value(v: Literal["helpful", "not_helpful"]) -> str:
        return FeedbackState(v=v, d=state.d, c=state.c, o=state.o).encode()

    return value("helpful"), value("not_helpful")


def action_row(state: DraftState, layout: Layout) -> ActionsBlock:
    log_sent = ButtonElement(
        text=PlainTextObject(text="Log as sent"), action_id=ACTION_LOG_SENT, value=state.encode(), style="primary"
    )
    elements: list[Any] = [log_sent]
    if layout == "ephemeral":
        carried = state.encode()
        elements += [
            ButtonElement(text=PlainTextObject(text=STYLE_LABELS[style]), action_id=action_id, value=carried)
            for action_id, style in REFINE_STYLES.items()
        ]
    else:
        options = [
            Option(text=label, value=MenuChoice(s=style, d=state.d).encode()) for style, label in STYLE_LABELS.items()
        ]
        elements.append(OverflowMenuElement(action_id=ACTION_DRAFT_MENU, options=options))
    if layout == "modal":
        good, bad = feedback_values(state)
        elements += [
            ButtonElement(text=PlainTextObject(text="👍"), action_id=ACTION_HELPFUL, value=good),
            ButtonElement(text=PlainTextObject(text="👎"), action_id=ACTION_NOT_HELPFUL, value=bad),
        ]
    return ActionsBlock(block_id=part_id(state.d, "act"), elements=elements)


def feedback_block(state: DraftState) -> ContextActionsBlock:
    good, bad = feedback_values(state)
    buttons = FeedbackButtonsElement(
        action_id=ACTION_FEEDBACK,
        positive_button=FeedbackButtonObject(text="👍", accessibility_label="This draft helped", value=good),
        negative_button=FeedbackButtonObject(text="👎", accessibility_label="This draft did not help", value=bad),
    )
    return ContextActionsBlock(block_id=part_id(state.d, "fb"), elements=[buttons])


def draft_blocks(
    number: int, draft: Draft, state: DraftState, layout: Layout = "message", label: str | None = None
) -> list[Block]:
    """The draft's title, its text as plain text (what staff copy is exactly what was drafted), its actions."""
    title = label or f"Draft {number}"
    how = CHANNEL_LABELS.get(draft.channel, draft.channel)
    blocks: list[Block] = [
        SectionBlock(block_id=part_id(state.d, "head"), text=MarkdownTextObject(text=f"*{esc(title)}* · {how}"))
    ]
    blocks += [
        SectionBlock(block_id=part_id(state.d, f"t{i}"), text=PlainTextObject(text=piece, emoji=False))
        for i, piece in enumerate(split_text(draft.text))
    ]
    blocks.append(action_row(state, layout))
    if layout != "modal":
        blocks.append(feedback_block(state))
    if draft.sources:
        sources = " · ".join(f"`{esc(s)}`" for s in draft.sources)
        blocks.append(context(f"Sources: {sources}", block_id=part_id(state.d, "src")))
    return blocks


def logged_line(state: DraftState, who: str, note: str) -> Block:
    """What replaces a draft's buttons once it is logged as sent: who, how, and where it was written."""
    how = CHANNEL_LABELS.get(state.ch, state.ch)
    return context(
        f":white_check_mark: Logged as sent by {how} by {esc(who)} {note}", block_id=part_id(state.d, "sent")
    )


def replace_draft(
    blocks: list[dict[str, Any]], draft_id: str, new: list[dict[str, Any]], *, only: tuple[str, ...] = ()
) -> list[dict[str, Any]] | None:
    """`blocks` with the draft's blocks (or only its `only` parts) swapped for `new`; None if it is not there."""
    wanted = {part_id(draft_id, p) for p in only}
    positions = [
        i
        for i, b in enumerate(blocks)
        if draft_id_of(b) == draft_id and (not wanted or str(b.get("block_id")) in wanted)
    ]
    if not positions:
        return None
    first, last = positions[0], positions[-1]
    kept = [b for i, b in enumerate(blocks[first : last + 1], first) if i not in positions]
    return [*blocks[:first], *new, *kept, *blocks[last + 1 :]]


def state_in(blocks: list[dict[str, Any]], draft_id: str) -> DraftState | None:
    """The draft's state, from the value of its *Log as sent* button in blocks Slack sent back."""
    for block in blocks:
        if block.get("block_id") != part_id(draft_id, "act"):
            continue
        for element in block.get("elements") or []:
            if element.get("action_id") == ACTION_LOG_SENT:
                return parse_state(DraftState, str(element.get("value") or ""))
    return None
