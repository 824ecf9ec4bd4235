"""Build the services once at start-up; the CLI and the Slack bot share this wiring."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.core.drafting import Drafter
from bot.services.ask import Assistant
from bot.services.health import Health
from bot.services.knowledge import Knowledge

if TYPE_CHECKING:
    from bot.llm.floor import Embed


@dataclass
class Services:
    settings: Settings
    knowledge: Knowledge
    assistant: Assistant
    health: Health = field(default_factory=Health)


def make_drafter(settings: Settings, embed: Embed | None = None) -> Drafter | None:
    """The language-model drafter when a key is configured, else None (offline drafts).

    `embed`: the index's embedding function, shared so the model's quality floor measures meaning
    with the model already loaded.
    """
    if not settings.llm_enabled:
        return None
    from bot.llm.drafter import LLMDrafter  # imports openai only when a key is configured

    return LLMDrafter(settings, embed=embed)


def build_services(settings: Settings) -> Services:
    knowledge = Knowledge(settings)
    drafter = make_drafter(settings, knowledge.index.embedder)
    return Services(settings=settings, knowledge=knowledge, assistant=Assistant(knowledge, drafter))
