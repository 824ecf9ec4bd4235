"""What the model must answer: typed, bounded, and the same model on every kind of server.

The JSON schema sent to the server and the pydantic models that validate the answer are one
definition (`answer_model`). Every string and list is bounded (`maxLength`, `minItems`/`maxItems`),
so a model that follows the schema cannot run into the token cap, and the cap itself is derived
from the bounds (`token_cap`). The channel is not asked for: it comes from the plan.

The schema stays inside what strict OpenAI structured output accepts (every property required, no
defaults, `additionalProperties: false`, no `$ref`), which llama.cpp, Ollama and vLLM also turn into
a grammar.
"""

from __future__ import annotations

import json
import math
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from bot.core.plan import PURPOSES
from bot.knowledge.models import Channel

SCHEMA_NAME = "rapport_drafts"
MAX_SOURCES = 4
MAX_SOURCE_CHARS = 80
MAX_MESSAGE_CHARS = 300  # the customer's message as the model found it: enough to recognise it
# Longest draft per channel: an email or letter fits one Slack section with room to spare; a text
# message is two SMS segments; a call is talking points.
TEXT_LIMITS: dict[str, int] = {"email": 1000, "mail": 1000, "slack": 600, "phone": 600, "sms": 320}
CHARS_PER_TOKEN = 3  # conservative for English prose with JSON escapes (usually nearer 4)
OVERHEAD_TOKENS = 80  # keys, quotes, brackets and whitespace

ModelIntent = Literal["reply", "outreach", "fact"]
ModelPurpose = Literal["check_in", "share_content", "renewal", "perk", "advocacy", "preferences", "none"]
assert set(PURPOSES) | {"none"} == set(ModelPurpose.__args__)  # type: ignore[attr-defined]


# The schema sent says `additionalProperties: false` (strict servers require it); reading an answer,
# a key the model added anyway (a "channel" it chose, say) is ignored rather than losing the draft.
STRICT_OBJECT = ConfigDict(extra="ignore", json_schema_extra={"additionalProperties": False})


class ModelReading(BaseModel):
    """How the model read the staff request (the rules decide; this is its proposal)."""

    model_config = STRICT_OBJECT

    intent: ModelIntent = Field(description="reply: answer the customer's own message; outreach: we write first.")
    purpose: ModelPurpose = Field(description="Why we write first (outreach only), else none.")
    customer_message: str = Field(
        max_length=MAX_MESSAGE_CHARS, description="The customer's own words the request is about, or ''."
    )


class ModelDraft(BaseModel):
    model_config = STRICT_OBJECT

    text: str = Field(description="The message to the customer, ready for a person to send.")
    sources: list[str] = Field(description="The `source` ids of the records this draft relies on, copied exactly.")


class ModelAnswer(BaseModel):
    """The unbounded shape, for code that only reads answers; `answer_model` adds the bounds."""

    model_config = STRICT_OBJECT

    reading: ModelReading
    drafts: list[ModelDraft]


@cache
def draft_model(text_max: int) -> type[ModelDraft]:
    bounded: type[ModelDraft] = create_model(
        f"Draft{text_max}",
        __base__=ModelDraft,
        text=(str, Field(min_length=1, max_length=text_max, description=ModelDraft.model_fields["text"].description)),
        sources=(
            list[Annotated[str, Field(max_length=MAX_SOURCE_CHARS)]],
            Field(max_length=MAX_SOURCES, description=ModelDraft.model_fields["sources"].description),
        ),
    )
    return bounded


@cache
def answer_model(text_max: int, count: int) -> type[ModelAnswer]:
    item: Any = draft_model(text_max)
    bounded: type[ModelAnswer] = create_model(
        f"Answer{text_max}x{count}",
        __base__=ModelAnswer,
        drafts=(list[item], Field(min_length=1, max_length=count)),
    )
    return bounded


def text_limit(channel: Channel) -> int:
    return TEXT_LIMITS[channel]


def token_cap(text_max: int, count: int) -> int:
    """Enough tokens for the longest answer the schema allows, and no more."""
    draft_chars = text_max + MAX_SOURCES * (MAX_SOURCE_CHARS + 4)
    chars = MAX_MESSAGE_CHARS + 40 + count * draft_chars
    return math.ceil(chars / CHARS_PER_TOKEN) + OVERHEAD_TOKENS


@cache
def json_schema(text_max: int, count: int) -> dict[str, Any]:
    """The answer model's JSON schema, inlined (no `$defs`), without titles."""
    raw = answer_model(text_max, count).model_json_schema()
    defs = raw.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(defs[node["$ref"].rsplit("/", 1)[1]])
            return {k: inline(v) for k, v in node.items() if k != "title"}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    schema: dict[str, Any] = inline(raw)
    return schema


def shape(text_max: int, count: int) -> str:
    """A one-line picture of the answer for the prompt (servers without schema support need it)."""
    example = {
        "reading": {
            "intent": "|".join(ModelIntent.__args__),  # type: ignore[attr-defined]
            "purpose": "|".join(ModelPurpose.__args__),  # type: ignore[attr-defined]
            "customer_message": f"their own words, at most {MAX_MESSAGE_CHARS} characters, or ''",
        },
        "drafts": [{"text": f"at most {text_max} characters", "sources": ["source id", "..."]}],
    }
    return json.dumps(example, ensure_ascii=False, separators=(",", ":")) + f" with 1 to {count} drafts"
