"""Playbook pages cut into whole sentences that know their file, line, page title and heading.

blingfire does the cutting: it keeps "a.m.", "e.g.", "No. 5" and decimals inside their sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import blingfire

from bot.knowledge.models import PlaybookDoc
from bot.services.text import words

LABEL_RE = re.compile(r"^[^:.!?]{2,60}:\s")  # "Wholesale prices (per kg, excluding VAT): …"


@dataclass(frozen=True)
class Sentence:
    source: str  # "playbook/prices.md#L7"
    text: str
    title: str
    heading: str
    staff_only: bool

    @property
    def in_context(self) -> str:
        """What is embedded: the sentence with its page title and heading, so 'It costs £5' has a subject."""
        where = f"{self.title} — {self.heading}" if self.heading else self.title
        return f"{where}: {self.text}"

    @property
    def parts(self) -> list[str]:
        """What is scored: the sentence in context and, for a list ("…; house filter blend £18.00/kg; …"),
        each item in context too, so one item of a long list is found by its own meaning."""
        items = [i.strip() for i in self.text.split(";") if i.strip()]
        if len(items) < 2:
            return [self.in_context]
        where = f"{self.title} — {self.heading}" if self.heading else self.title
        label = LABEL_RE.match(self.text)
        lead = label.group(0) if label else ""
        return [self.in_context, *(f"{where}: {'' if i.startswith(lead) else lead}{i}" for i in items)]

    @property
    def path(self) -> str:
        return self.source.split("#", 1)[0]


def split_sentences(text: str) -> list[tuple[int, str]]:
    """(character offset, sentence) for each sentence of a paragraph; line breaks inside are kept apart."""
    if not text.strip():
        return []
    _, offsets = blingfire.text_to_sentences_and_offsets(text)
    return [(start, " ".join(text[start:end].split())) for start, end in offsets if text[start:end].strip()]


def sentences_of(doc: PlaybookDoc) -> list[tuple[int, list[Sentence]]]:
    """Each paragraph of a page (by its first line), cut into sentences that each know their line."""
    out: list[tuple[int, list[Sentence]]] = []
    for section in doc.sections:
        start, lines = section.line, section.text.splitlines()
        paragraphs: list[tuple[int, list[str]]] = []
        for offset, line in enumerate([*lines, ""]):
            if line.strip():
                if not paragraphs or paragraphs[-1][1] == []:
                    paragraphs.append((start + offset, [line]))
                else:
                    paragraphs[-1][1].append(line)
            elif paragraphs and paragraphs[-1][1]:
                paragraphs.append((0, []))
        for first, para in paragraphs:
            if not para:
                continue
            raw = "\n".join(para)
            found = [
                Sentence(
                    source=f"{doc.path}#L{first + raw[:at].count(chr(10))}",
                    text=text,
                    title=doc.title,
                    heading=section.heading or "",
                    staff_only=section.staff_only,
                )
                for at, text in split_sentences(raw)
            ]
            out.append((first, found))
    return out


class PlaybookSentences:
    """Every playbook sentence, by the paragraph it is in (the index stores paragraphs)."""

    def __init__(self, playbook: Iterable[PlaybookDoc]) -> None:
        self.by_paragraph: dict[str, list[Sentence]] = {}
        self.page_words: dict[str, frozenset[str]] = {}  # path -> words of its customer-facing text
        for doc in playbook:
            self.page_words[doc.path] = frozenset(words(doc.public_text))
            if doc.perks:
                continue  # a perk is offered for its purpose only, within its interval (services.perks)
            for first, found in sentences_of(doc):
                self.by_paragraph[f"{doc.path}#L{first}"] = found

    def all(self) -> list[Sentence]:
        return [s for found in self.by_paragraph.values() for s in found]
