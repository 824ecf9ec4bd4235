"""Settings: built once at start-up from the environment (and `.env`), then passed down."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SHOWN_VALUE_CHARS = 40


class SettingsError(ValueError):
    """Settings that cannot be used: one line per variable, naming it, its value and what is expected."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # Slack
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str | None = None

    # Language model (any OpenAI-compatible endpoint); no key means offline drafts.
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    # Deadlines (bot/llm/client.py): unset, they depend on where the model runs (hosted 10 s / 30 s,
    # on this machine or the local network 60 s / 180 s).
    openai_timeout: float | None = Field(default=None, gt=0)  # the whole call, retries included
    openai_first_token_timeout: float | None = Field(default=None, gt=0)  # until the model starts answering
    openai_max_retries: int = Field(default=1, ge=0, le=5)
    openai_structured_output: Literal["auto", "json_schema", "json_object", "text"] = "auto"
    openai_max_tokens: int | None = Field(default=None, ge=16)  # default: what the answer schema can need
    openai_temperature: float | None = Field(default=None, ge=0, le=2)  # default: the server's own
    openai_stream: bool = True

    # Knowledge and index
    knowledge_dir: Path = Path("knowledge")
    chroma_path: Path = Path(".rapport/chroma")
    chroma_host: str | None = None
    chroma_port: int = 8000
    hnsw_ef_search: int = Field(default=1000, ge=10)

    # Bot
    rapport_admins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    rapport_allowed_channels: Annotated[list[str], NoDecode] = Field(default_factory=list)
    rapport_workers: int = Field(default=32, ge=1)
    # `serve` computes answers in this many processes apart from the one that acks (0: in that one).
    rapport_answer_processes: int = Field(default=1, ge=0, le=64)
    redis_url: str | None = None  # replicas share Slack event dedup here (pip install 'rapport[redis]')
    rapport_today: dt.date | None = None  # pins "today" (tests, demos); default: the real date
    # The weekly "who needs us" post (README, "Who needs us"): a staff channel id, never Slack Connect.
    rapport_digest_channel: str | None = None
    rapport_digest_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    rapport_digest_time: dt.time = dt.time(9, 0)
    rapport_digest_tz: str | None = None  # an IANA zone ("Europe/London"); default: the machine's
    log_level: str = "INFO"

    @field_validator("rapport_digest_day", mode="before")
    @classmethod
    def _day(cls, value: object) -> object:
        return value.strip().lower()[:3] if isinstance(value, str) else value

    @field_validator("rapport_digest_tz")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError("expected an IANA time zone, e.g. Europe/London") from exc
        return value or None

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> object:
        if isinstance(value, str):
            level = value.strip().upper()
            if not isinstance(logging.getLevelName(level), int):
                raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
            return level
        return value

    @field_validator("rapport_admins", "rapport_allowed_channels", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def state_dir(self) -> Path:
        """Where Rapport keeps its own files (manifest, locks, feedback) beside the index."""
        return self.chroma_path.parent if self.chroma_path.name == "chroma" else self.chroma_path

    def today(self) -> dt.date:
        return self.rapport_today or dt.date.today()

    @property
    def llm_enabled(self) -> bool:
        return self.openai_api_key is not None and bool(self.openai_api_key.get_secret_value())


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and `.env`), or SettingsError: never a pydantic traceback."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError([_setting_line(err) for err in exc.errors()]) from None


def _setting_line(err: Any) -> str:
    name = str(err["loc"][0]) if err["loc"] else "settings"
    info = Settings.model_fields.get(name)
    secret = info is not None and "SecretStr" in str(info.annotation)
    value = err.get("input")
    shown = "(hidden)" if secret else repr(value) if isinstance(value, str | int | float) else "(not text)"
    if len(shown) > SHOWN_VALUE_CHARS:
        shown = shown[: SHOWN_VALUE_CHARS - 1] + "…"
    expected = _expected(info) if info is not None and err["type"] != "value_error" else None
    reason = str(err["msg"]).removeprefix("Value error, ")
    return f"{name.upper()}={shown} is not valid: {expected or reason}"


KINDS = {float: "a number", int: "a whole number", dt.date: "a date YYYY-MM-DD", Path: "a path", bool: "true or false"}


def _expected(info: Any) -> str | None:
    """'expected a number greater than 0', from the field's type and its bounds."""
    kind = next(
        (text for kind, text in KINDS.items() if kind in (info.annotation, *getattr(info.annotation, "__args__", ()))),
        None,
    )
    if kind is None:
        return None
    bounds = []
    for rule in info.metadata:
        for attr, words in (("gt", "greater than"), ("ge", "at least"), ("lt", "less than"), ("le", "at most")):
            if getattr(rule, attr, None) is not None:
                bounds.append(f"{words} {getattr(rule, attr)}")
    return f"expected {kind}" + (" " + " and ".join(bounds) if bounds else "")
