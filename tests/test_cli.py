"""The `rapport` command line as a user runs it: a real subprocess, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write

MARKER = "QUOKKA-ERASE-5521"


def rapport(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "RAPPORT_TODAY": "2026-11-22", **(env or {})},
    )


@pytest.fixture(scope="module")
def kdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "knowledge"
    write(
        root,
        "customers/ann.md",
        """
---
id: cus-1
name: Annabel Lee
preferred_name: Bel
email: bel@example.com
company: Lee Roasters
segment: b2b
---
## History
- 2026-01-02 email in: Complained that the grind was too fine for their batch brewer in Leeds.
""",
    )
    write(
        root,
        "customers/bob.md",
        f"""
---
id: cus-2
name: Robert Stone
email: bob@example.org
segment: b2c
---
## History
- 2026-02-03 phone in: Asked about a parcel {MARKER} that arrived late.
""",
    )
    write(root, "playbook/shipping.md", "---\ntitle: Shipping\n---\nUK delivery takes 2-3 working days.\n")
    return root


@pytest.mark.parametrize("before", [False, True])
def test_check_passes_on_a_clean_folder(kdir: Path, before: bool) -> None:
    args = ["--knowledge", str(kdir), "check"] if before else ["check", "--knowledge", str(kdir)]
    done = rapport(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 files: 2 customers, 0 content, 1 playbook; 0 errors" in done.stderr


def test_check_reports_path_line_and_exits_1(tmp_path: Path) -> None:
    write(tmp_path, "customers/a.md", "---\nid: cus-1\nname: A B\nsegment: b2x\n---\n## History\n- oops\n")
    write(tmp_path, "customers/b.md", "---\nid: cus-1\nname: C D\nsegment: b2c\n---\n")
    write(tmp_path, "content/c.md", "---\ntitle: [\n---\n")
    done = rapport("check", "--knowledge", str(tmp_path))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert any(line.startswith("customers/a.md:4: field 'segment'") for line in lines)
    assert any(line.startswith("customers/a.md:7: warning: malformed history line") for line in lines)
    assert any(line.startswith("content/c.md:") and "bad YAML" in line for line in lines)
    assert "error" in done.stderr


def test_impossible_dates_are_reported_and_the_other_files_still_indexed(tmp_path: Path) -> None:
    root = tmp_path / "k"
    bad = (
        "---\nid: cus-1\nname: A B\nsegment: b2c\ncontact:\n  last_contacted: 2026-02-30\n"
        "customer_since: 2026-13-45\n---\n"
    )
    write(root, "customers/a.md", bad)
    write(root, "customers/b.md", "---\nid: cus-2\nname: Cleo Dane\nsegment: b2c\n---\n")
    done = rapport("check", "--knowledge", str(root))
    assert done.returncode == 4, done.stderr  # optional fields: dropped with a warning, the customer is served
    lines = done.stdout.splitlines()
    assert any(line.startswith("customers/a.md:6: warning: field 'contact.last_contacted'") for line in lines), lines
    assert any(line.startswith("customers/a.md:7: warning: field 'customer_since'") for line in lines), lines
    indexed = rapport("index", "--knowledge", str(root), "--index", str(tmp_path / "idx"))
    assert indexed.returncode == 0 and "customers/a.md:6" in indexed.stderr + indexed.stdout
    found = rapport("lookup", "Cleo Dane", "--json", "--knowledge", str(root), "--index", str(tmp_path / "idx"))
    assert json.loads(found.stdout)["matches"][0]["id"] == "cus-2"


def test_a_newer_file_reusing_an_id_does_not_take_over_the_customer(tmp_path: Path) -> None:
    root = tmp_path / "k"
    original = write(
        root, "customers/zoe.md", "---\nid: cus-7\nname: Zoë Müller\nemail: zoe@example.de\nsegment: b2c\n---\n"
    )
    os.utime(original, (1_700_000_000, 1_700_000_000))
    write(root, "customers/aaa-copy.md", "---\nid: cus-7\nname: Zoe Copy\nsegment: b2c\n---\n")
    done = rapport("check", "--knowledge", str(root))
    assert done.returncode == 1
    assert "customers/aaa-copy.md:2: duplicate customer id 'cus-7' (already used by customers/zoe.md" in done.stdout
    index = str(tmp_path / "idx")
    found = rapport("lookup", "zoe@example.de", "--json", "--knowledge", str(root), "--index", index)
    assert [m["name"] for m in json.loads(found.stdout)["matches"]] == ["Zoë Müller"]


def test_index_lookup_and_json(kdir: Path, tmp_path: Path) -> None:
    index = str(tmp_path / "idx")
    first = rapport("index", "--knowledge", str(kdir), "--index", index)
    assert first.returncode == 0 and "3 added" in first.stdout
    again = rapport("index", "--knowledge", str(kdir), "--index", index)
    assert "0 texts embedded" in again.stdout

    by_typo = json.loads(rapport("lookup", "Anabel", "--json", "--knowledge", str(kdir), "--index", index).stdout)
    assert by_typo["matches"][0]["id"] == "cus-1"
    by_email = json.loads(
        rapport("lookup", "bob@example.org", "--json", "--knowledge", str(kdir), "--index", index).stdout
    )
    assert [m["id"] for m in by_email["matches"]] == ["cus-2"] and by_email["matches"][0]["score"] == 1.0
    described = rapport(
        "lookup", "the cafe in Leeds unhappy with grind size", "--json", "--knowledge", str(kdir), "--index", index
    )
    top = json.loads(described.stdout)["matches"][0]
    assert top["id"] == "cus-1" and top["matched"] == "description"
    missing = rapport("lookup", "Zebedee Quux", "--knowledge", str(kdir), "--index", index)
    assert missing.returncode == 1 and "No customer matches" in missing.stdout


def test_note_then_forget(tmp_path: Path, kdir: Path) -> None:
    import shutil

    root = tmp_path / "k"
    shutil.copytree(kdir, root)
    index = tmp_path / "idx"
    common = ["--knowledge", str(root), "--index", str(index)]
    done = rapport("note", "cus-1", "Sent the grinder guide", "--channel", "email", "--author", "Sam", *common)
    assert done.returncode == 0 and "note saved to customers/ann.md:" in done.stdout
    assert "- 2026-11-22 email out (Sam): Sent the grinder guide" in (root / "customers/ann.md").read_text()
    bad = rapport("note", "cus-404", "x", *common)
    assert bad.returncode == 2 and "cus-404" in bad.stderr

    assert any(MARKER.encode() in p.read_bytes() for p in index.rglob("*") if p.is_file())
    gone = rapport("forget", "cus-2", "--yes", *common)
    assert gone.returncode == 0 and "erased cus-2" in gone.stdout
    assert not (root / "customers/bob.md").exists()
    assert not any(MARKER.encode() in p.read_bytes() for p in index.rglob("*") if p.is_file())
    after = json.loads(rapport("lookup", "Robert Stone", "--json", *common).stdout)
    assert all(m["id"] != "cus-2" for m in after["matches"])
