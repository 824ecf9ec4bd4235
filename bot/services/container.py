"""Build the services once at start-up; the CLI and the Slack bot share this wiring."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Settings
from bot.core.drafting import Drafter
from bot.knowledge.lint import Planted
from bot.services.ask import Assistant
from bot.services.health import Health
from bot.services.knowledge import Knowledge


@dataclass
class Services:
    settings: Settings
    knowledge: Knowledge
    assistant: Assistant
    health: Health = field(default_factory=Health)


def make_drafter(settings: Settings, knowledge: Knowledge | None = None) -> Drafter | None:
    """The language-model drafter when a key is configured, else None (offline drafts).

    With `knowledge`, the model's quality floor measures meaning with the index's embedding model
    (already loaded) and knows the folder's text that reads as instructions to a model.
    """
    if not settings.llm_enabled:
        return None
    from bot.llm.drafter import LLMDrafter  # imports openai only when a key is configured

    if knowledge is None:
        return LLMDrafter(settings)
    planted = Planted(lambda: knowledge.snapshot().kb)
    return LLMDrafter(settings, embed=lambda texts: knowledge.index.embedder(texts), planted=planted)


def build_services(settings: Settings, *, answers: bool = True, health: Health | None = None) -> Services:
    """`answers=False`: for a process that never answers (the Slack front of `serve` with answer
    processes), which then does without the model client (openai takes over a second to import).
    `health`: the process's registry when something already reports to it (serve's early HTTP server)."""
    health = health or Health()
    knowledge = Knowledge(settings, health=health)
    drafter = make_drafter(settings, knowledge) if answers else None
    return Services(settings=settings, knowledge=knowledge, assistant=Assistant(knowledge, drafter), health=health)
