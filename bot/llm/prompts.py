"""Prompts live in `prompts/` as Markdown files with `{{named}}` placeholders.

Rendering is strict both ways: a placeholder without a value and a value
without a placeholder are errors, so a renamed placeholder fails at once
instead of sending the model a prompt with a hole in it. Substitution is a
single pass, so `{{...}}` inside a value (a customer's history, say) stays
text and is never expanded.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from bot.core.plan import PURPOSES

_CHECKOUT = Path(__file__).resolve().parents[2] / "prompts"  # a checkout or an editable install
_INSTALLED = Path(sys.prefix) / "share" / "rapport" / "prompts"  # a regular install (pyproject data-files)
PROMPTS_DIR = _CHECKOUT if _CHECKOUT.is_dir() or not _INSTALLED.is_dir() else _INSTALLED
PLACEHOLDER_RE = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}")
COMMENT_RE = re.compile(r"<!--.*?-->\s*", re.S)
REQUIRED = (
    "system",
    "draft",
    "refine",
    "intent_reply",
    "intent_outreach",
    "message",
    "example",
    *(f"purpose/{p}" for p in (*PURPOSES, "none")),
    "styles/shorter",
    "styles/formal",
    "styles/warmer",
    "styles/regenerate",
    "styles/language",
)


class PromptError(LookupError):
    """A prompt file is missing, or was rendered with missing or unknown values."""


class Prompts:
    """Every prompt file under one folder, read once at start-up."""

    def __init__(self, root: Path = PROMPTS_DIR, required: tuple[str, ...] = REQUIRED) -> None:
        self.root = root
        self._templates = {
            p.relative_to(root).with_suffix("").as_posix(): COMMENT_RE.sub("", p.read_text(encoding="utf-8")).strip()
            for p in sorted(root.rglob("*.md"))
        }
        missing = [name for name in required if name not in self._templates]
        if missing:
            raise PromptError(f"prompt files missing from {root}: {', '.join(f'{m}.md' for m in missing)}")

    def names(self) -> list[str]:
        return list(self._templates)

    def template(self, name: str) -> str:
        try:
            return self._templates[name]
        except KeyError:
            raise PromptError(f"no prompt named '{name}' in {self.root}") from None

    def placeholders(self, name: str) -> set[str]:
        return set(PLACEHOLDER_RE.findall(self.template(name)))

    def render(self, name: str, **values: str) -> str:
        wanted = self.placeholders(name)
        missing = sorted(wanted - values.keys())
        if missing:
            raise PromptError(f"prompt '{name}' needs a value for: {', '.join(missing)}")
        unknown = sorted(values.keys() - wanted)
        if unknown:
            raise PromptError(f"prompt '{name}' has no placeholder for: {', '.join(unknown)}")
        return PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], self.template(name))
