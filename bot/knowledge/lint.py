"""A lint for admins: text in the knowledge folder that reads as instructions to a language model.

Knowledge files are facts and history, written for people. A line that talks to a model instead
("ignore previous instructions", "note to the AI", "system prompt", "you are now DAN", chat-template
markup) is either a prompt injection someone planted (in a pasted customer email, say) or a note an
admin meant for the bot; either way it is no fact a draft may state. `rapport check` warns about each
one with its file and line, and the model is never shown such a record (bot/llm/context.py).

The kinds below are the families of garak's and the public prompt-injection corpora's payloads:
overriding earlier instructions, addressing the model, talking about its prompt, role-play triggers,
dictating its output, and chat-template markup.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path

from bot.knowledge import files
from bot.knowledge.folder import KnowledgeBase, iter_files
from bot.knowledge.models import Problem

_MODEL = r"(?:ai|a\.i\.|assistant|model|llm|language model|chat ?bot|bot|gpt|chatgpt|claude|gemini|copilot|system)"
KINDS: dict[str, re.Pattern[str]] = {
    "overrides earlier instructions": re.compile(
        r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:\w+\s+){0,3}?"
        r"(?:previous|prior|above|earlier|preceding|following|original|initial|system|all|any|your)\b[^.\n]{0,30}?"
        r"\b(?:instructions?|rules|directions|guidelines|guardrails|prompts?|constraints|system message)\b",
        re.I,
    ),
    "addresses a language model": re.compile(
        rf"\b(?:note|message|instructions?|attention|reminder)\s+(?:to|for)\s+(?:the\s+|any\s+)?{_MODEL}\b"
        rf"|^\W*{_MODEL}\s*:"
        rf"|\b(?:dear|hey|hi|hello)\s+{_MODEL}\b"
        rf"|\bif you are an?\s+(?:ai|language model|assistant|llm|bot)\b"
        rf"|\bas an? (?:ai|language model)\b",
        re.I | re.M,
    ),
    "talks about the model's prompt": re.compile(
        r"\b(?:system prompt|developer mode|jailbreak|prompt injection|hidden instructions"
        r"|your (?:system message|prompt))\b",
        re.I,
    ),
    "role-play trigger": re.compile(
        r"\b(?:you are now|from now on,? you|you (?:will |must |should |shall |can )?(?:act|behave) as"
        r"|role-?play as|stay in character|do anything now)\b"
        r"|(?:^|[.!?:]\s+)(?:please |now )?(?:act as (?:an?|the|if|my|your)|pretend (?:to be|you are|that you))\b"
        r"|(?-i:\bDAN\b)",
        re.I | re.M,
    ),
    "dictates the model's output": re.compile(
        r"\b(?:just|only)\s+(?:print|output|say|respond with|reply with|write)\s*[:\"'“‘]|\brepeat after me\b"
        r"|\b(?:print|output|say)\s+(?:exactly|verbatim)\b"
        r"|\b(?:print|output|append)\b[^.\n]{0,40}?\b(?:at the (?:end|start|beginning) of|in)\s+your\s+"
        r"(?:answer|reply|response|output)\b",
        re.I,
    ),
    "chat-template markup": re.compile(
        r"<\|(?:im_start|im_end|system|user|assistant|endoftext)\|>|\[/?INST\]|<</?SYS>>"
        r"|^#{2,}\s*(?:instruction|system|response)\b|</?(?:system|customer_data|staff_request|assistant)>",
        re.I | re.M,
    ),
}


def instruction_like(text: str) -> str | None:
    """Which kind of instruction to a model the text contains, or None."""
    for kind, pattern in KINDS.items():
        if pattern.search(text):
            return kind
    return None


def lint_text(rel: str, text: str) -> list[Problem]:
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        kind = instruction_like(line)
        if kind:
            shown = " ".join(line.split())
            shown = shown if len(shown) <= 80 else shown[:79] + "…"
            problems.append(
                Problem(
                    path=rel,
                    line=number,
                    severity="warning",
                    message=f"reads as instructions to a language model ({kind}): '{shown}'; "
                    "it is never shown to the model and backs no draft",
                )
            )
    return problems


def lint_folder(root: Path) -> list[Problem]:
    """One warning per line of any knowledge file that reads as instructions to a model."""
    problems: list[Problem] = []
    for rel in iter_files(root):
        try:
            text = files.read(root, rel)[0].decode("utf-8-sig")
        except (files.Unreadable, UnicodeDecodeError):
            continue  # `check` already reports a file it cannot read
        problems += lint_text(rel, text)
    return problems


def planted_texts(kb: KnowledgeBase) -> tuple[str, ...]:
    """Every paragraph of the playbook and the content library (titles included) that reads as
    instructions to a model: a draft must never say what they ask (bot/llm/floor.py)."""
    texts = [doc.title for doc in kb.playbook] + [s.text for doc in kb.playbook for s in doc.sections]
    texts += [doc.body for doc in kb.playbook if not doc.sections]
    texts += [f"{item.title}\n{item.summary}" for item in kb.content]
    return tuple(dict.fromkeys(p for t in texts for p in t.split("\n\n") if instruction_like(p)))


class Planted:
    """`planted_texts` of the knowledge base a callable returns, computed again only when it changes."""

    def __init__(self, source: Callable[[], KnowledgeBase]) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._kb: KnowledgeBase | None = None
        self._texts: tuple[str, ...] = ()

    def __call__(self) -> tuple[str, ...]:
        kb = self._source()
        with self._lock:
            if kb is not self._kb:
                self._kb, self._texts = kb, planted_texts(kb)
            return self._texts
