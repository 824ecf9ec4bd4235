"""One bad file never takes the folder down: every kind of file from issue 10, next to good ones.

Run as a user runs it (`rapport check`, `index`, `ask`, `lookup` in a real process), so a file
that reads forever or crashes the interpreter fails this test instead of hanging it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write

MARKER = "OUTSIDE-SECRET-7731"
GOOD = "---\nid: cus-good\nname: Gemma Goodfile\nemail: gemma@example.com\nsegment: b2c\n---\n"
FUTURE = """---
id: cus-future
name: Fay Farahead
segment: b2c
customer_since: 9999-12-31
contact:
  frequency: weekly
  last_contacted: 9999-12-31
---
## History
- 9999-12-31 email out (Sam): Sent the catalogue.
"""
LAUGHS = "---\nid: cus-lol\nname: Lol\nsegment: b2c\na: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{k}: &{k} [{', '.join([f'*{p}'] * 9)}]\n" for p, k in zip("abcdefg", "bcdefgh", strict=True)
)
MERGES = "---\nid: cus-merge\nname: Mo Merge\nsegment: b2c\nm0: &m0 {k: v}\n" + "".join(
    f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: v}}\n" for i in range(1, 40)
)


def rapport(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "RAPPORT_TODAY": "2026-11-22"},
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("nasty")
    (base / "secret.md").write_text(f"---\nid: cus-out\nname: Otto Outside\nsegment: b2c\n---\n{MARKER}\n")
    root = base / "knowledge"
    write(root, "customers/good.md", GOOD)
    write(root, "customers/future.md", FUTURE)
    write(root, "customers/blank-name.md", '---\nid: cus-blank\nname: " "\nsegment: b2c\n---\n')
    write(
        root,
        "customers/digits.md",
        f"---\nid: cus-9s\nname: Di Gits\nsegment: b2c\nlifetime_value: {'9' * 5000}\n---\n",
    )
    write(root, "customers/laughs.md", LAUGHS + "---\n")
    write(root, "customers/merges.md", MERGES + "---\n")
    write(root, "playbook/returns.md", "---\ntitle: Returns\n---\nReturns within 30 days.\n")
    customers = root / "customers"
    (customers / "dangling.md").symlink_to(customers / "nowhere.md")
    (customers / "loop-a.md").symlink_to(customers / "loop-b.md")
    (customers / "loop-b.md").symlink_to(customers / "loop-a.md")
    (customers / "zero.md").symlink_to("/dev/zero")
    (customers / "outside.md").symlink_to(base / "secret.md")
    (customers / "inside.md").symlink_to(customers / "good.md")  # a link inside the folder is fine
    os.mkfifo(customers / "fifo.md")
    (customers / os.fsdecode(b"caf\xe9.md")).write_text(GOOD.replace("cus-good", "cus-latin1"))
    (customers / "huge.md").write_text(GOOD.replace("cus-good", "cus-huge") + "## Notes\n" + "word " * 300_000)
    return root


def test_check_names_every_bad_file_and_why(folder: Path) -> None:
    done = rapport("check", "--knowledge", str(folder))
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert "customers/dangling.md:1: is a broken link or a link loop; skipped" in out
    assert "customers/loop-a.md:1: is a broken link or a link loop; skipped" in out
    assert "customers/zero.md:1: is a link to a file outside the knowledge folder; skipped" in out
    assert "customers/outside.md:1: is a link to a file outside the knowledge folder; skipped" in out
    assert "customers/fifo.md:1: is not a regular file (a FIFO, device or socket); skipped" in out
    assert "customers/caf\ufffd.md:1: has a name that is not valid UTF-8 (rename it); skipped" in out
    assert "customers/huge.md:1: is 1.5 MB, over the 1.0 MB limit per file (split it); skipped" in out
    assert "customers/blank-name.md:3: field 'name': needs at least one letter or digit" in out
    assert "customers/digits.md:5: warning: field 'lifetime_value'" in out
    assert "customers/laughs.md:2: front matter is too big: more than 20,000 values" in out
    assert "customers/merges.md:2: front matter is too big" in out
    assert "future.md" not in out  # a date far ahead is a date
    assert "Traceback" not in done.stderr


def test_good_files_are_indexed_next_to_bad_ones_and_nothing_leaves_the_folder(folder: Path, tmp_path: Path) -> None:
    index = tmp_path / "idx"
    done = rapport("index", "--knowledge", str(folder), "--index", str(index))
    assert done.returncode == 1 and "Traceback" not in done.stderr  # files had errors; the rest is indexed
    manifest = json.loads((index / "manifest.json").read_text())["files"]
    assert manifest["customers/good.md"]["ids"] and manifest["customers/future.md"]["ids"]
    assert manifest["customers/inside.md"]["ids"] and manifest["customers/digits.md"]["ids"]
    assert not any(MARKER.encode() in p.read_bytes() for p in index.rglob("*") if p.is_file())
    found = rapport("lookup", "Gemma Goodfile", "--json", "--knowledge", str(folder), "--index", str(index))
    assert found.returncode == 0 and json.loads(found.stdout)["matches"][0]["id"] == "cus-good"
    future = rapport(
        "ask", "Should I check in with Fay Farahead?", "--json", "--knowledge", str(folder), "--index", str(index)
    )
    assert future.returncode == 0, future.stderr
    assert json.loads(future.stdout)["customer"]["id"] == "cus-future"
    otto = rapport("lookup", "Otto Outside", "--knowledge", str(folder), "--index", str(index))
    assert otto.returncode == 1 and "Otto" not in otto.stdout
