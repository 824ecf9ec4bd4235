"""Reading the model's answer: whole, cut short, or as it streams.

Every mode ends here: the text is JSON (a schema-following server), JSON with a preamble or a code
fence around it (a server in plain-text mode), or JSON cut off by a deadline or the token cap. The
answer is validated by the schema's own pydantic models, one draft at a time, so one draft that
breaks a bound does not take the others with it; what was wrong is said in words staff can read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from pydantic_core import from_json

from bot.llm.schema import ModelDraft, ModelReading, draft_model


@dataclass
class Parsed:
    reading: ModelReading | None = None
    drafts: list[ModelDraft] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line per thing that was not usable


def json_start(content: str) -> int:
    """Where the JSON object starts (after any preamble or code fence), or -1."""
    return content.find("{")


def load(content: str, partial: bool) -> Any:
    start = json_start(content)
    if start < 0:
        raise ValueError("no JSON object")
    body = content[start:]
    if not partial:
        # Anything after the object (a closing code fence, a remark) is not part of the answer.
        end = body.rfind("}")
        body = body[: end + 1]
    return from_json(body, allow_partial=partial)


def parse(content: str, text_max: int, count: int, cut: bool = False) -> Parsed:
    """The usable parts of an answer; `cut`: the answer was cut short, keep what was complete."""
    out = Parsed()
    try:
        data = load(content, partial=cut)
    except ValueError:
        out.problems.append("the answer was not JSON" if json_start(content) < 0 else "the answer's JSON was broken")
        return out
    if not isinstance(data, dict):
        out.problems.append("the answer was not a JSON object")
        return out
    try:
        out.reading = ModelReading.model_validate(data.get("reading"))
    except ValidationError:
        out.problems.append("the answer's reading of the request was missing or malformed")
    items = data.get("drafts")
    if not isinstance(items, list):
        out.problems.append("the answer had no list of drafts")
        return out
    model = draft_model(text_max)
    for i, item in enumerate(items):
        if len(out.drafts) == count:
            out.problems.append(f"the answer had {len(items)} drafts; {count} were asked for")
            break
        if cut and i == len(items) - 1 and not complete(item):
            break  # the draft being written when the answer was cut
        try:
            out.drafts.append(model.model_validate(item))
        except ValidationError as exc:
            out.problems.append(f"draft {i + 1}: {why(exc, text_max)}")
    return out


def complete(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("text"), str) and isinstance(item.get("sources"), list)


def why(exc: ValidationError, text_max: int) -> str:
    kinds = {e["type"] for e in exc.errors()}
    if "string_too_long" in kinds:
        return f"longer than {text_max} characters"
    if "too_long" in kinds:
        return "too many sources"
    if kinds & {"missing", "string_too_short"}:
        return "no text"
    return "not the shape asked for"


def first_draft_text(content: str) -> str | None:
    """The first draft's text so far, from an answer still streaming (None until it has begun)."""
    start = json_start(content)
    if start < 0:
        return None
    try:
        data = from_json(content[start:], allow_partial="trailing-strings")
    except ValueError:
        return None
    drafts = data.get("drafts") if isinstance(data, dict) else None
    if not isinstance(drafts, list) or not drafts or not isinstance(drafts[0], dict):
        return None
    text = drafts[0].get("text")
    return text if isinstance(text, str) and text else None
