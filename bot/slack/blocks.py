"""Block Kit's small pieces: escaping, links, text split under Slack's limits, context lines, help.

Pure functions returning typed blocks; answer_blocks.py and draft_blocks.py build answers from them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, PlainTextObject, SectionBlock

from bot.core.answer import ContentIdea
from bot.slack.constants import MAX_BLOCKS_MESSAGE, MAX_FALLBACK_TEXT, MAX_SECTION_TEXT

CHANNEL_LABELS = {"email": "email", "sms": "text message", "phone": "phone call", "slack": "Slack", "mail": "letter"}


# -- small pieces -----------------------------------------------------------------------


def esc(text: str) -> str:
    """Escape the three characters mrkdwn treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


LINK_SCHEMES = ("https://", "http://", "mailto:")


def link(url: str | None, label: str) -> str:
    """A mrkdwn link, or the escaped label alone when the URL is missing or not a web or mail address.

    The URL is escaped like any text (a `>` would end the link early) and a `|` is percent-encoded
    (it would start the label): a content file's URL cannot inject markup or a mention.
    """
    if not url or not url.strip().lower().startswith(LINK_SCHEMES):
        return esc(label)
    target = esc(url.strip()).replace("|", "%7C")
    return f"<{target}|{esc(label)}>"


def split_text(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph, line or word boundaries when possible."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def mrkdwn_sections(text: str) -> list[Block]:
    return [SectionBlock(text=MarkdownTextObject(text=piece)) for piece in split_text(text)]


def plain_sections(text: str) -> list[Block]:
    """Draft text as plain text: what staff copy must be exactly what was drafted, no markup."""
    return [SectionBlock(text=PlainTextObject(text=piece, emoji=False)) for piece in split_text(text)]


def context(text: str, block_id: str | None = None) -> ContextBlock:
    return ContextBlock(block_id=block_id, elements=[MarkdownTextObject(text=split_text(text)[0])])


def notice_blocks(notice: str | None) -> list[Block]:
    return [context(f":lock: {esc(notice)}")] if notice else []


def chunk_blocks(blocks: Sequence[Block], size: int = MAX_BLOCKS_MESSAGE) -> list[list[Block]]:
    """Slack takes at most 50 blocks per message: longer answers become several messages."""
    chunks = [list(blocks[i : i + size]) for i in range(0, len(blocks), size)]
    return chunks or [[]]


def clip(text: str, limit: int = MAX_FALLBACK_TEXT) -> str:
    if len(text) <= limit:
        return text
    return re.sub(r"&[a-z]{0,3}$", "", text[: limit - 1]) + "…"  # never half an escape like "&am"


def help_blocks(bot_user_id: str | None = None) -> list[Block]:
    me = f"<@{bot_user_id}>" if bot_user_id else "@Rapport"
    text = (
        "*How to use Rapport*\n"
        f"• Mention {me} with your question in a channel or thread, e.g. "
        f"_{me} how should I answer Jane about the late parcel?_ I answer in the thread.\n"
        "• Send me a direct message with the same kind of question.\n"
        "• `/customer jane@example.com` shows a customer card only you can see.\n"
        "• On any message (a customer's, in a Slack Connect channel too): *More actions* → *Suggest a reply*.\n"
        "• Under each draft: *Log as sent* once you have sent it; the ⋯ menu makes it shorter, more formal or "
        "warmer, or writes it again; 👍 / 👎 tell us whether it helped. In the thread you can also just say "
        "_make it shorter_.\n"
        "• Read the request the wrong way? *Reply to their message* or *Reach out first* asks again."
    )
    return mrkdwn_sections(text)


def idea_line(idea: ContentIdea) -> str:
    return f"• {link(idea.url, idea.title)} ({esc(idea.source)}): {esc(idea.reason)}"


def idea_blocks(ideas: Sequence[ContentIdea]) -> list[Block]:
    if not ideas:
        return []
    return mrkdwn_sections("*Worth sharing with them*\n" + "\n".join(idea_line(i) for i in ideas))
