"""What the listeners are given: the services plus the bot's own small helpers. Built once at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Settings
from bot.services.container import Services
from bot.services.feedback import FeedbackLog
from bot.services.knowledge import Knowledge
from bot.services.watcher import KnowledgeWatcher
from bot.slack.dedup import DedupStore, MemoryDedup, dedup_store
from bot.slack.privacy import ChannelPolicy, People


@dataclass
class Runtime:
    services: Services
    feedback: FeedbackLog
    dedup: DedupStore = field(default_factory=MemoryDedup)
    channels: ChannelPolicy = field(default_factory=ChannelPolicy)
    people: People = field(default_factory=People)
    watcher: KnowledgeWatcher | None = None
    owns_index: bool = True  # False on a replica that reads an index another process writes

    @classmethod
    def create(
        cls,
        services: Services,
        *,
        dedup: DedupStore | None = None,
        watcher: KnowledgeWatcher | None = None,
        owns_index: bool = True,
    ) -> Runtime:
        settings = services.settings
        return cls(
            services=services,
            feedback=FeedbackLog.for_settings(settings),
            # With REDIS_URL, replicas share one dedup store (SET NX EX); without it, memory.
            dedup=dedup or dedup_store(settings.redis_url, services.health),
            channels=ChannelPolicy(settings.rapport_allowed_channels),
            watcher=watcher,
            owns_index=owns_index,
        )

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def knowledge(self) -> Knowledge:
        return self.services.knowledge

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.settings.rapport_admins
