"""Settings: built once at start-up from the environment (and `.env`), then passed down."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


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
    openai_timeout: float = Field(default=12.0, gt=0)  # the whole call, retries included
    openai_max_retries: int = Field(default=1, ge=0, le=5)

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
                raise ValueError(f"RAPPORT_DIGEST_TZ: unknown time zone {value!r} (e.g. Europe/London)") from exc
        return value or None

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
