"""Build the services once at start-up; the CLI and the Slack bot share this wiring."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Settings
from bot.core.drafting import Drafter
from bot.services.ask import Assistant
from bot.services.health import Health
from bot.services.knowledge import Knowledge


@dataclass
class Services:
    settings: Settings
    knowledge: Knowledge
    assistant: Assistant
    health: Health = field(default_factory=Health)


def make_drafter(settings: Settings) -> Drafter | None:
    """The language-model drafter when a key is configured, else None (offline drafts)."""
    if not settings.llm_enabled:
        return None
    from bot.llm.drafter import LLMDrafter  # imports openai only when a key is configured

    return LLMDrafter(settings)


def build_services(settings: Settings) -> Services:
    health = Health()
    knowledge = Knowledge(settings, health=health)
    return Services(
        settings=settings, knowledge=knowledge, assistant=Assistant(knowledge, make_drafter(settings)), health=health
    )
