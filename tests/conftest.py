"""Shared fixtures: settings on temporary folders, one embedding model per test session."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import Settings
from bot.index.embedding import MiniLMEmbedding
from bot.services.container import Services, build_services

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "knowledge"
TODAY = dt.date(2026, 11, 22)


@pytest.fixture(autouse=True)
def _no_ambient_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's real keys or folders."""
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_API_URL",
        "KNOWLEDGE_DIR",
        "CHROMA_PATH",
        "CHROMA_HOST",
        "RAPPORT_ADMINS",
        "RAPPORT_ALLOWED_CHANNELS",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedding:
    return MiniLMEmbedding()


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


def write_folder(root: Path, **sections: dict[str, str]) -> Path:
    """A knowledge folder from texts by section and file name: `write_folder(root, customers={...}, playbook={...})`."""
    for section, files in sections.items():
        for name, text in files.items():
            write(root, f"{section}/{name}", text)
    return root


def make_settings(knowledge: Path, index: Path, **extra: object) -> Settings:
    return Settings(_env_file=None, knowledge_dir=knowledge, chroma_path=index, rapport_today=TODAY, **extra)  # type: ignore[call-arg]


@pytest.fixture
def settings_for(tmp_path: Path) -> Callable[..., Settings]:
    def build(knowledge: Path, **extra: object) -> Settings:
        return make_settings(knowledge, tmp_path / "index", **extra)

    return build


@pytest.fixture(scope="session")
def sample_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only copy of the sample knowledge folder (tests that write make their own)."""
    dest = tmp_path_factory.mktemp("sample") / "knowledge"
    shutil.copytree(SAMPLE, dest)
    return dest


@pytest.fixture(scope="session")
def sample_services(sample_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Services:
    """Offline services on the sample folder, indexed once per session (read-only use)."""
    services = build_services(make_settings(sample_copy, tmp_path_factory.mktemp("sample-index")))
    services.knowledge.sync()
    return services
