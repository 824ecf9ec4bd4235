"""Shared by the language-model tests: the sample's questions, good answers, and `rapport ask --json`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bot.core.drafting import NO_PROGRESS, Progress
from tests import fake_openai as F
from tests.conftest import REPO

JANE_Q = "How should I answer Jane Okafor about her late parcel?"
JANE_MESSAGE = "customers/jane-okafor.md#L29"
SIGNED = "\n\nWarm wishes"
CLEAN_JANE = F.draft(
    "Hi Jane,\n\nI'm so sorry your Kalita Wave parcel is late. A standard parcel counts as late once it has not "
    "arrived 4 working days after dispatch, so we will reship it free of charge or refund it, whichever you "
    "prefer.\n\nWarm wishes",
    sources=["playbook/shipping.md#L12", JANE_MESSAGE, "playbook/made-up.md#L1"],
)
SHORT_JANE = F.draft(
    "Hi Jane, sorry your parcel is late; we have asked the courier to chase it.",
    sources=["customers/jane-okafor.md#L28"],
)
NONSENSE = F.draft(
    "Hello, welcome to a new business. Welcome to the Smart Parloplots, where everything is possible!",
    sources=[JANE_MESSAGE],
)


def rapport_ask(url: str, kdir: Path, index: Path, question: str = JANE_Q, *args: str, **env: str) -> dict[str, Any]:
    """`rapport ask QUESTION --json` in its own process, against the model server at `url`."""
    command = [
        sys.executable,
        "-m",
        "bot.cli",
        "ask",
        question,
        "--json",
        "--knowledge",
        str(kdir),
        "--index",
        str(index),
    ]
    done = subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env={
            **os.environ,
            "OPENAI_API_KEY": "test-key",
            "OPENAI_BASE_URL": url,
            "OPENAI_MODEL": "test-model",
            "RAPPORT_TODAY": "2026-11-22",
            **env,
        },
    )
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout)
    return out


def codes(answer: dict[str, Any]) -> set[str]:
    return {v["code"] for v in answer["guard"]["violations"]}


def warning_codes(answer: dict[str, Any]) -> set[str]:
    return {w["code"] for w in answer["warnings"]}


def mode_of(body: dict[str, Any]) -> str:
    """How a request asked for structured output: json_schema, json_object or text."""
    fmt = body.get("response_format")
    return "text" if fmt is None else str(fmt["type"])


def time_drafts(drafter: Any) -> list[float]:
    """Record how long each `drafter.draft` call takes (the model's part of an answer), in seconds."""
    spent: list[float] = []
    inner = drafter.draft

    def timed(plan: Any, progress: Progress = NO_PROGRESS) -> Any:
        started = time.monotonic()
        try:
            return inner(plan, progress)
        finally:
            spent.append(time.monotonic() - started)

    drafter.draft = timed
    return spent


class Recorder(Progress):
    """A `Progress` that keeps what it was told."""

    def __init__(self) -> None:
        self.statuses: list[str] = []
        self.partials: list[str] = []

    def status(self, text: str) -> None:
        self.statuses.append(text)

    def partial(self, text: str) -> None:
        self.partials.append(text)
