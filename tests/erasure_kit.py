"""A small folder with one customer to erase, the `rapport` CLI as a subprocess, and the canary scan.

Shared by tests/test_erasure.py and bench/replicas.py: the figure both report is how many bytes of
the canary string are left in any file under the test's folders after an erasure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bot.index.embedding import MiniLMEmbedding
from bot.index.indexer import Index
from tests.conftest import make_settings, write

CANARY = "zqxcanary"  # lowercase, so it fits an id, a file name and prose
CANARY_ID = f"cus-{CANARY}"
CANARY_FILE = f"customers/{CANARY}-file.md"
REPO = Path(__file__).resolve().parents[1]


def customer(cid: str, name: str, history: str, notes: str = "", private: str = "") -> str:
    return f"""---
id: {cid}
name: {name}
email: {cid}@example.org
segment: b2c
contact:
  channels: [email]
  frequency: monthly
---
## History
{history}

## Notes
{notes}

## Private
{private}
"""


def make_folder(root: Path, with_canary: bool = True) -> Path:
    write(root, "customers/ann.md", customer("cus-1", "Ann Lee", "- 2026-01-02 email in: Asked about oat milk."))
    write(root, "customers/bob.md", customer("cus-2", "Bob Stone", "- 2026-02-03 phone out: Called about beans."))
    write(root, "content/guide.md", "---\ntitle: Cold brew at home\ntopics: [cold brew]\n---\nA guide.\n")
    write(root, "playbook/returns.md", "---\ntitle: Returns\ntopics: [returns]\n---\nReturn within 30 days.\n")
    if with_canary:
        add_canary(root)
    return root


def add_canary(root: Path) -> None:
    write(
        root,
        CANARY_FILE,
        customer(
            CANARY_ID,
            f"{CANARY.title()} Marsh",
            f"- 2026-03-01 email in: Ordered {CANARY} beans for the {CANARY} cafe.\n"
            f"- 2026-03-04 email out (Sam): Sent the {CANARY} invoice.",
            notes=f"Runs the {CANARY} supper club.",
            private=f"Private {CANARY} note.",
        ),
    )


def build_index(knowledge: Path, index: Path, embedder: MiniLMEmbedding) -> None:
    built = Index(make_settings(knowledge, index), embedder)
    built.sync()
    built.close()


def add_feedback(index: Path) -> None:
    """A feedback line naming the customer, as the Slack buttons write them."""
    line = {"at": "2026-11-20T10:00:00Z", "kind": "shown", "draft": "abc123", "customer": CANARY_ID, "user": "U1"}
    with (index / "feedback.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")


def rapport(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, "RAPPORT_TODAY": "2026-11-22", **(env or {})},
    )


def canary_bytes(*roots: Path, canary: str = CANARY) -> int:
    """Bytes of the canary (any case) in every file under the roots."""
    needle = canary.lower().encode()
    total = 0
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                total += path.read_bytes().lower().count(needle) * len(needle)
    return total


def fresh_copy(template: Path, dest: Path) -> tuple[Path, Path]:
    shutil.copytree(template, dest)
    return dest / "knowledge", dest / "index"
