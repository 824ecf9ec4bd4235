"""All the text of a Slack message: `text`, Block Kit blocks and legacy attachments.

A person's message carries its words in `text` (and the same words again as a `rich_text` block).
Helpdesks and integrations often do not: a Zendesk-style post puts the customer's question in
`attachments` (pretext, title, text, fields) or in section, header, context, markdown or table
blocks, with a bare fallback in `text`. Reading only `text` lost the customer's question.

The result keeps Slack's escaping (`&amp;`, `<@U…>`, `<url|label>`), like `text`, so callers pass it
through `payloads.plain_text` as before. A piece already contained in what was read is not repeated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Fields of blocks and their objects that hold words people wrote (Block Kit's own names).
TEXT_KEYS = ("title", "subtitle", "text", "description", "body", "fields", "rows", "elements", "items")
# Interactive or decorative parts: their labels are ours, not the message's.
SKIPPED_BLOCKS = frozenset({"actions", "context_actions", "input", "divider", "file", "call", "image"})
SKIPPED_ELEMENTS = frozenset(
    {"button", "overflow", "static_select", "multi_static_select", "datepicker", "timepicker", "checkboxes"}
    | {"radio_buttons", "users_select", "conversations_select", "channels_select", "image", "icon_button"}
    | {"feedback_buttons", "workflow_button", "plain_text_input", "email_text_input", "url_text_input"}
)
INLINE_PARENTS = frozenset({"rich_text_section", "rich_text_preformatted", "rich_text_quote"})


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline(element: Mapping[str, Any]) -> str:
    """One piece of a rich_text line, written as Slack writes it in `text`."""
    kind = element.get("type")
    if kind == "text":
        return escape(str(element.get("text") or ""))
    if kind == "link":
        url, label = str(element.get("url") or ""), element.get("text")
        return f"<{url}|{escape(str(label))}>" if label else f"<{url}>"
    if kind == "user":
        return f"<@{element.get('user_id', '')}>"
    if kind == "channel":
        return f"<#{element.get('channel_id', '')}>"
    if kind == "usergroup":
        return f"<!subteam^{element.get('usergroup_id', '')}>"
    if kind == "broadcast":
        return f"<!{element.get('range', 'here')}>"
    if kind == "date":
        return escape(str(element.get("fallback") or ""))
    return ""  # emoji, color


def block_lines(node: Any) -> Iterable[str]:
    """Lines of text in a block (or any part of one), outermost first."""
    if isinstance(node, list):
        for item in node:
            yield from block_lines(item)
        return
    if isinstance(node, str):
        yield node
        return
    if not isinstance(node, Mapping):
        return
    kind = node.get("type")
    if kind in SKIPPED_BLOCKS or kind in SKIPPED_ELEMENTS:
        return
    if kind in INLINE_PARENTS:
        yield "".join(inline(e) for e in node.get("elements") or [] if isinstance(e, Mapping))
        return
    if kind == "raw_text":
        yield escape(str(node.get("text") or ""))
        return
    for key in TEXT_KEYS:
        if key in node:
            yield from block_lines(node[key])


def attachment_lines(attachment: Mapping[str, Any]) -> list[str]:
    lines = [str(attachment.get(k) or "") for k in ("pretext", "author_name", "title", "text")]
    for f in attachment.get("fields") or []:
        if isinstance(f, Mapping):
            title, value = str(f.get("title") or ""), str(f.get("value") or "")
            lines.append(f"{title}: {value}" if title and value else title or value)
    lines += list(block_lines(attachment.get("blocks") or []))
    lines.append(str(attachment.get("footer") or ""))
    if not any(line.strip() for line in lines):
        lines = [str(attachment.get("fallback") or "")]  # only a summary of what the other fields say
    return lines


def message_text(message: Mapping[str, Any]) -> str:
    """Everything a message says, in reading order: blocks, attachments, then `text` if it adds anything."""
    pieces: list[str] = list(block_lines(message.get("blocks") or []))
    for attachment in message.get("attachments") or []:
        if isinstance(attachment, Mapping):
            pieces += attachment_lines(attachment)
    pieces.append(str(message.get("text") or ""))
    kept: list[str] = []
    seen = ""
    for piece in pieces:
        norm = " ".join(piece.split())
        if norm and norm.casefold() not in seen:
            kept.append(norm)
            seen += "\n" + norm.casefold()
    return "\n".join(kept)
