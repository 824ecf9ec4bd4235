"""Typed models of the knowledge folder (see DESIGN.md, "The knowledge folder")."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
    """One thing wrong in the knowledge folder, reported as `path:line: message`."""

    model_config = ConfigDict(frozen=True)

    path: str
    line: int = 1
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channels: list[Channel] = Field(default_factory=lambda: list[Channel](["email"]))
    frequency: Frequency = "monthly"
    marketing_opt_out: bool = False
    last_contacted: dt.date | None = None


class HistoryEntry(BaseModel):
    """A line under `## History`; `date` is None for an item kept as an undated note."""

    model_config = ConfigDict(frozen=True)

    line: int
    text: str
    date: dt.date | None = None
    channel: HistoryChannel | None = None
    direction: Direction | None = None
    author: str | None = None

    @property
    def dated(self) -> bool:
        return self.date is not None


class Section(BaseModel):
    """A block of body text with the line it starts on."""

    line: int
    text: str


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
    lifetime_value: float | None = None
    customer_since: dt.date | None = None
    contact: Contact = Field(default_factory=Contact)
    interests: list[str] = Field(default_factory=list)
    avoid: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)

    # Filled from the file, not the front matter.
    path: str = ""
    history: list[HistoryEntry] = Field(default_factory=list)
    notes: list[Section] = Field(default_factory=list)
    private: list[Section] = Field(default_factory=list)

    @field_validator("phone", mode="before")
    @classmethod
    def _phone_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("interests", "avoid", "tags", mode="before")
    @classmethod
    def _list_of_text(cls, value: object) -> object:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        return value

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

    @field_validator("topics", mode="before")
    @classmethod
    def _list_of_text(cls, value: object) -> object:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        return value


class PlaybookDoc(BaseModel):
    model_config = ConfigDict(extra="allow")

    title: str = Field(min_length=1)
    topics: list[str] = Field(default_factory=list)

    path: str = ""
    body: str = ""
    body_line: int = 1

    @field_validator("topics", mode="before")
    @classmethod
    def _list_of_text(cls, value: object) -> object:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        return value
