"""Typed models of the knowledge folder (see DESIGN.md, "The knowledge folder")."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Channel = Literal["email", "phone", "sms", "slack", "mail"]
HistoryChannel = Literal["email", "phone", "sms", "slack", "mail", "chat", "in-person"]
Direction = Literal["in", "out"]
Frequency = Literal["weekly", "monthly", "quarterly", "never"]
Segment = Literal["b2b", "b2c"]
Tier = Literal["standard", "vip"]
Audience = Literal["b2b", "b2c", "all"]
ContentSource = Literal["ours", "third-party"]

CHANNELS: tuple[Channel, ...] = ("email", "phone", "sms", "slack", "mail")
HISTORY_CHANNELS: tuple[HistoryChannel, ...] = (*CHANNELS, "chat", "in-person")
FREQUENCY_DAYS: dict[str, int] = {"weekly": 7, "monthly": 30, "quarterly": 90}


class Problem(BaseModel):
    """One thing wrong in the knowledge folder, reported as `path:line: message`.

    An error means the record is not served (an unreadable file, a missing or invalid required
    field); a warning means it is served with something dropped or read another way.
    """

    model_config = ConfigDict(frozen=True)

    path: str
    line: int = 1
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        """`path:line: message`; a warning (the record is served, something in it ignored) says so."""
        mark = "warning: " if self.severity == "warning" else ""
        return f"{self.path}:{self.line}: {mark}{self.message}"


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channels: list[Channel] = Field(default_factory=lambda: list[Channel](["email"]))
    frequency: Frequency = "monthly"
    marketing_opt_out: bool = False
    last_contacted: dt.date | None = None


# The set of fields given, shared by frozen entries that were given the same ones (see HistoryEntry).
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


class HistoryEntry(BaseModel):
    """A line under `## History`; `date` is None for an item kept as an undated note."""

    model_config = ConfigDict(frozen=True)

    line: int
    text: str
    date: dt.date | None = None
    channel: HistoryChannel | None = None
    direction: Direction | None = None
    author: str | None = None

    def model_post_init(self, context: Any, /) -> None:
        """Pydantic keeps, per instance, the set of fields it was given: 728 bytes, more than half an
        entry (140 MB of 200,000 entries at 10,000 customers). An entry is frozen, so that set never
        changes (a copy gets its own), and entries given the same fields share one."""
        fields = self.__pydantic_fields_set__
        object.__setattr__(self, "__pydantic_fields_set__", _FIELDS_SETS.setdefault(frozenset(fields), fields))

    @property
    def dated(self) -> bool:
        return self.date is not None


class Section(BaseModel):
    """A block of body text with the line it starts on."""

    line: int
    text: str


def _text_or_none(value: object) -> object:
    """An optional text field: surrounding spaces dropped, and an empty one is as if not written."""
    if isinstance(value, str):
        return value.strip() or None
    return value


def _a_name(value: object) -> object:
    """A name or title needs a letter or digit: "  " or "---" names nobody (and would break every lookup)."""
    if isinstance(value, str):
        value = value.strip()
        if not re.search(r"[^\W_]", value):
            raise ValueError("needs at least one letter or digit")
    return value


FactValue = str | int | float | bool | dt.date
FACT_KEY_RE = r"^[a-z][a-z0-9_]*$"


def _fact_value(key: str, value: object) -> FactValue:
    """A customer fact as stated: text, a number, a yes/no, or (for keys ending in _date) a date."""
    if key.endswith("_date"):
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise ValueError(f"facts.{key}: a key ending in _date needs a date YYYY-MM-DD (got {value!r})")
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str):
        if not value.strip():
            raise ValueError(f"facts.{key}: empty value")
        return value.strip()
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"facts.{key}: not a number we can state (got {value!r})")
    if isinstance(value, bool | int | float | dt.date):
        return value
    raise ValueError(f"facts.{key}: a fact is one value (text, number, date or a list of words), got {value!r}")


def fact_key(key: object) -> str:
    return str(key).strip().lower().replace(" ", "_").replace("-", "_")


def fact_text(key: str, value: FactValue) -> str:
    """`renewal_date: 2027-03-14` as staff and drafts read it: 'renewal date: 2027-03-14'."""
    shown = value.isoformat() if isinstance(value, dt.date) else ("yes" if value is True else "no")
    if not isinstance(value, bool | dt.date):
        shown = str(value)
    return f"{key.replace('_', ' ')}: {shown}"


class Customer(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    name: str = Field(min_length=1)
    preferred_name: str | None = None
    pronouns: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    role: str | None = None
    segment: Segment
    tier: Tier = "standard"
    lifetime_value: float | None = Field(default=None, allow_inf_nan=False)
    customer_since: dt.date | None = None
    contact: Contact = Field(default_factory=Contact)
    interests: list[str] = Field(default_factory=list)
    avoid: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    # Facts about this customer staff may state (plan, seats, products owned, dates): they back claims.
    facts: dict[str, FactValue] = Field(default_factory=dict)

    # Filled from the file, not the front matter.
    path: str = ""
    fact_lines: dict[str, int] = Field(default_factory=dict)  # facts key -> its line in the file
    history: list[HistoryEntry] = Field(default_factory=list)
    notes: list[Section] = Field(default_factory=list)
    private: list[Section] = Field(default_factory=list)

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> object:
        return _a_name(value)

    @field_validator("phone", mode="before")
    @classmethod
    def _phone_as_text(cls, value: object) -> object:
        return _text_or_none(str(value) if isinstance(value, int) and not isinstance(value, bool) else value)

    @field_validator("preferred_name", "pronouns", "email", "company", "role", mode="before")
    @classmethod
    def _optional_text(cls, value: object) -> object:
        return _text_or_none(value)

    @field_validator("interests", "avoid", "tags", mode="before")
    @classmethod
    def _list_of_text(cls, value: object) -> object:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        return value

    @field_validator("facts", mode="before")
    @classmethod
    def _facts(cls, value: object) -> object:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError("facts must be a mapping of 'key: value' lines")
        out: dict[str, FactValue] = {}
        for key, item in value.items():
            name = fact_key(key)
            if not re.match(FACT_KEY_RE, name):
                raise ValueError(f"facts: key {key!r} must be letters, digits and _")
            out[name] = _fact_value(name, item)
        return out

    @property
    def display_name(self) -> str:
        """How drafts address them: preferred name, else the first word of the name."""
        return self.preferred_name or self.name.split()[0]

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    @property
    def private_text(self) -> str:
        return "\n".join(s.text for s in self.private)

    @property
    def notes_text(self) -> str:
        return "\n".join(s.text for s in self.notes)

    def file_text(self, with_name: bool = True) -> str:
        """What their file says, `## Private` left out: facts, history, notes, interests and tags (and with
        `with_name`, their name, company and role)."""
        facts = " ".join(str(v) for v in self.facts.values())
        history = " ".join(e.text for e in self.history)
        named = [self.name, self.company, self.role] if with_name else []
        return " ".join(filter(None, [*named, facts, history, self.notes_text, *self.interests, *self.tags]))


class ContentItem(BaseModel):
    model_config = ConfigDict(extra="allow")

    title: str = Field(min_length=1)
    url: str | None = None
    source: ContentSource = "ours"
    topics: list[str] = Field(default_factory=list)
    audience: Audience = "all"
    published: dt.date | None = None
    promotional: bool = False

    path: str = ""
    summary: str = ""
    body_line: int = 1

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: object) -> object:
        return _a_name(value)

    @field_validator("url", mode="before")
    @classmethod
    def _url(cls, value: object) -> object:
        return _text_or_none(value)

    @field_validator("topics", mode="before")
    @classmethod
    def _list_of_text(cls, value: object) -> object:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        return value


class Perk(BaseModel):
    """Something special a playbook page says may be given: declared, never invented."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1)
    for_: Literal["vip", "all"] = Field(default="vip", alias="for")
    every_days: int | None = Field(default=None, ge=1, le=36_500)  # at most 100 years: dates stay computable

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> object:
        return _a_name(value)

    @field_validator("for_", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


class PlaybookSection(BaseModel):
    """One `## Heading` section of a playbook page (the text before any heading has heading None)."""

    line: int
    heading: str | None = None
    text: str
    staff_only: bool = False  # `## Staff only`: shown to staff, never in a draft, never backs a claim


class PlaybookDoc(BaseModel):
    model_config = ConfigDict(extra="allow")

    title: str = Field(min_length=1)
    topics: list[str] = Field(default_factory=list)
    perks: list[Perk] = Field(default_factory=list)

    path: str = ""
    body: str = ""
    body_line: int = 1
    sections: list[PlaybookSection] = Field(default_factory=list)

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: object) -> object:
        return _a_name(value)

    @field_validator("perks", mode="before")
    @classmethod
    def _perk_list(cls, value: object) -> object:
        return [] if value is None else value

    @model_validator(mode="after")
    def _whole_body(self) -> PlaybookDoc:
        if not self.sections and self.body.strip():
            self.sections = [PlaybookSection(line=self.body_line, text=self.body.strip())]
        return self

    @property
    def public_text(self) -> str:
        """What may be said to customers: every section but `## Staff only`."""
        return "\n\n".join(s.text for s in self.sections if not s.staff_only)

    @property
    def staff_text(self) -> str:
        return "\n\n".join(s.text for s in self.sections if s.staff_only)

    @field_validator("topics", mode="before")
    @classmethod
    def _list_of_text(cls, value: object) -> object:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        return value
