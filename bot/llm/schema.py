"""What the model must answer: a typed result, sent as a strict JSON schema and validated on the way back.

Kept deliberately small (no defaults, no optional fields) so that strict
structured output works on OpenAI and on OpenAI-compatible servers alike.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.knowledge.models import Channel


class ModelDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel = Field(description="The channel this draft is written for.")
    text: str = Field(description="The draft message, ready for a person to send.")
    sources: list[str] = Field(description="The `source` ids of the records this draft relies on, copied exactly.")


class ModelDrafts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    drafts: list[ModelDraft] = Field(description="The drafts, best first.")
