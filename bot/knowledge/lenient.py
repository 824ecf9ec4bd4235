"""Validate front matter leniently: one mistake in an optional field never costs the whole record.

- A value of a closed set written in another case (`tier: Standard`) is read in lower case,
  with a warning.
- A bad optional field is dropped (a bad item of a list: that item only), with a warning; the
  record is kept and served.
- Only a missing or invalid required field is an error: the record is not served.
"""

from __future__ import annotations

import copy
import difflib
import re
import types
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from bot.knowledge.frontmatter import Document
from bot.knowledge.models import Contact, Customer, Problem

RAW_FIELD_RE = re.compile(r"^(?P<key>id|name|email)\s*:\s*(?P<value>.*?)\s*$")
RAW_LINES = 60  # how far into a broken file its id, name and email lines are looked for
CAREFUL_CONTACT = {"frequency": "never", "marketing_opt_out": True}
M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]
MAX_PASSES = 5  # each pass drops everything its errors name; a second pass catches what the first hid
SHOWN_CHARS = 60


@dataclass
class Outcome(Generic[M]):
    """What lenient validation made of a record: the model (None when a required field is wrong),
    where something was dropped, and the front matter as it was finally read."""

    item: M | None
    data: dict[str, Any]
    dropped: list[Loc] = field(default_factory=list)


def shown(value: object) -> str:
    """A value as a problem message quotes it: short, whatever it is."""
    text = repr(value) if isinstance(value, str | int | float | bool) else type(value).__name__
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def _literal_values(annotation: object) -> tuple[str, ...] | None:
    """The allowed values of `Literal[...]` (also inside `X | None`), else None."""
    if get_origin(annotation) is Literal:
        return tuple(v for v in get_args(annotation) if isinstance(v, str))
    if get_origin(annotation) in (Union, types.UnionType):
        for arg in get_args(annotation):
            values = _literal_values(arg)
            if values:
                return values
    return None


def _model_of(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _closed(value: object, allowed: tuple[str, ...]) -> object:
    if isinstance(value, str) and value not in allowed and value.strip().lower() in allowed:
        return value.strip().lower()
    return value


def normalise_case(model: type[BaseModel], data: dict[str, Any], prefix: str = "") -> list[tuple[str, object, object]]:
    """Closed-set values read case-insensitively, in place; returns (field, written, read) for each change."""
    changes: list[tuple[str, object, object]] = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key not in data:
            continue
        value, annotation = data[key], info.annotation
        allowed = _literal_values(annotation)
        item_type = get_args(annotation)[0] if get_origin(annotation) is list and get_args(annotation) else None
        if allowed is not None:
            data[key] = _closed(value, allowed)
            if data[key] is not value:
                changes.append((f"{prefix}{key}", value, data[key]))
        elif item_type is not None and isinstance(value, list):
            item_allowed, item_model = _literal_values(item_type), _model_of(item_type)
            for i, item in enumerate(value):
                if item_allowed is not None:
                    value[i] = _closed(item, item_allowed)
                    if value[i] is not item:
                        changes.append((f"{prefix}{key}", item, value[i]))
                elif item_model is not None and isinstance(item, dict):
                    changes += normalise_case(item_model, item, f"{prefix}{key}.")
        elif (sub := _model_of(annotation)) is not None and isinstance(value, dict):
            changes += normalise_case(sub, value, f"{prefix}{key}.")
    return changes


def _get(data: Any, loc: Loc) -> Any:
    for part in loc:
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if not (in_dict or in_list):
            return None
        data = data[part]
    return data


def _drop(data: dict[str, Any], loc: Loc, removals: dict[int, tuple[list[Any], set[int]]]) -> Loc:
    """Forget what `loc` points at: the list item it is in, else the deepest key that exists."""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            container = _get(data, loc[:i])
            if isinstance(container, list) and 0 <= part < len(container):
                removals.setdefault(id(container), (container, set()))[1].add(part)
                return loc[: i + 1]
            break
    for depth in range(len(loc), 0, -1):
        parent = _get(data, loc[: depth - 1])
        if isinstance(parent, dict) and loc[depth - 1] in parent:
            del parent[loc[depth - 1]]
            return loc[:depth]
    return loc[:1]


def _label(loc: Loc) -> str:
    return ".".join(str(p) for p in loc) or "front matter"


def _message(err: Any) -> str:
    msg = "unknown field" if err["type"] == "extra_forbidden" else str(err["msg"]).removeprefix("Value error, ")
    value = err.get("input")
    got = f" (got {shown(value)})" if isinstance(value, str | int | float) and err["type"] != "missing" else ""
    return f"{msg}{got}"


def unknown_keys(model: type[BaseModel], data: dict[str, Any], rel_path: str, doc: Document) -> list[Problem]:
    """Keys that are not text are dropped; a key one typo away from a field is named ('contcat')."""
    problems: list[Problem] = []
    known = {info.alias or name for name, info in model.model_fields.items()}
    for key in list(data):
        if not isinstance(key, str):
            del data[key]
            message = f"key {shown(key)} is not text; ignored"
            problems.append(Problem(path=rel_path, line=1, message=message, severity="warning"))
        elif key not in known and (close := difflib.get_close_matches(key, known, n=1, cutoff=0.8)):
            problems.append(
                Problem(
                    path=rel_path,
                    line=doc.key_lines.get(key, 1),
                    message=f"unknown field '{key}' (did you mean '{close[0]}'?); ignored",
                    severity="warning",
                )
            )
    return problems


def validate(
    model: type[M], rel_path: str, doc: Document, extra: dict[str, Any], problems: list[Problem]
) -> Outcome[M]:
    """The record, with bad optional fields dropped and reported; None when a required field is wrong."""
    data = copy.deepcopy(doc.data)  # bounded: the front matter holds at most MAX_VALUES values
    problems += unknown_keys(model, data, rel_path, doc)
    for key, written, read in normalise_case(model, data):
        problems.append(
            Problem(
                path=rel_path,
                line=doc.key_lines.get(key, doc.line_of(tuple(key.split(".")))),
                message=f"{key}: {shown(written)} read as {read!r} (values are lower case)",
                severity="warning",
            )
        )
    dropped: list[Loc] = []
    for _ in range(MAX_PASSES):
        try:
            return Outcome(model.model_validate({**data, **extra}), data, dropped)
        except ValidationError as exc:
            errors = exc.errors()
        fatal = [e for e in errors if _required(model, e["loc"])]
        for err in fatal:
            loc = tuple(err["loc"])
            what = f"field '{_label(loc)}': {_message(err)}"
            if err["type"] == "missing":
                what = f"missing required field '{_label(loc)}'"
            problems.append(Problem(path=rel_path, line=doc.line_of(loc), message=what))
        removals: dict[int, tuple[list[Any], set[int]]] = {}
        for err in (e for e in errors if e not in fatal):
            loc = tuple(err["loc"])
            gone = _drop(data, loc, removals)
            dropped.append(gone)
            what = "item ignored" if isinstance(gone[-1], int) else "field ignored"
            problems.append(
                Problem(
                    path=rel_path,
                    line=doc.line_of(loc),
                    message=f"field '{_label(loc)}': {_message(err)}; {what}",
                    severity="warning",
                )
            )
        if fatal:
            return Outcome(None, data, dropped)
        for container, indexes in removals.values():
            for i in sorted(indexes, reverse=True):
                del container[i]
    problems.append(Problem(path=rel_path, line=1, message="front matter could not be read; fix the fields above"))
    return Outcome(None, data, dropped)


def _required(model: type[BaseModel], loc: tuple[Any, ...]) -> bool:
    """Whether an error at `loc` is about a required top-level field (or the front matter as a whole)."""
    if not loc:
        return True
    info = model.model_fields.get(str(loc[0]))
    if info is None:
        info = next((f for f in model.model_fields.values() if f.alias == loc[0]), None)
    return info is not None and info.is_required()


def raw_identity(text: str) -> dict[str, str]:
    """The `id:`, `name:` and `email:` lines of a file, read as plain text (no YAML), so a customer
    whose file cannot be read can still be found, named and erased."""
    found: dict[str, str] = {}
    for line in text.splitlines()[:RAW_LINES]:
        match = RAW_FIELD_RE.match(line)
        if match and match["key"] not in found:
            value = match["value"].split(" #", 1)[0].strip().strip("\"'").strip()
            if value:
                found[match["key"]] = value[:200]
    return found


def careful_consent(
    rel_path: str, doc: Document, customer: Customer, contact: object, problems: list[Problem]
) -> Customer:
    """Consent first: a `contact:` block we could not fully read never allows more than it says.

    What was written and readable stands; a consent setting lost with the bad part is read as the
    most careful value (no proactive contact, no marketing) until the file is fixed.
    """
    written = doc.data.get("contact")
    if not isinstance(written, dict):
        lost = set(CAREFUL_CONTACT)  # the whole block was unreadable
    else:
        kept = contact if isinstance(contact, dict) else {}
        lost = {key for key in written if key not in kept}
        if lost - set(Contact.model_fields):  # an unknown key may be a misspelt consent setting
            lost |= set(CAREFUL_CONTACT) - set(kept)
    careful = {key: value for key, value in CAREFUL_CONTACT.items() if key in lost}
    if not careful:
        return customer
    shown = ", ".join(f"{key}: {str(value).lower()}" for key, value in careful.items())
    problems.append(
        Problem(
            path=rel_path,
            line=doc.line_of(("contact",)),
            message=f"contact could not be fully read, so until it is fixed it is read as {shown} (consent first)",
            severity="warning",
        )
    )
    return customer.model_copy(update={"contact": customer.contact.model_copy(update=careful)})
