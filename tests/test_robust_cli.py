"""Nothing silent, nothing breaks (issue 10), through the `rapport` command as a user runs it.

Most cases call `bot.cli.main` with captured output (real argument parsing, real exit codes, the
real services); the ones about the process itself (a closed pipe, --version, bad settings, an
offline machine) run a real subprocess.
"""

from __future__ import annotations

import builtins
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import write

ANN = """
---
id: cus-1
name: Annabel Lee
email: bel@example.com
segment: b2b
---
## History
- 2026-01-02 email in: Complained that the grind was too fine for their batch brewer in Leeds.
"""
TYPOS = """
---
id: cus-2
name: Robert Stone
email: bob@example.org
segment: B2C
tier: Standard
contact:
  channels: [Email, whatsapp]
  frequency: Monthly
---
## History
- 2026-02-03 phone in: Asked about a parcel that arrived late.
"""
BROKEN = """
---
id: cus-3
name: Olga Petrova
email: olga@example.net
segment: b2c
interests: [unclosed
---
## History
- 2026-03-01 email in: Asked about descaling.
"""


@dataclass
class Run:
    code: int
    out: str
    err: str


Cli = Callable[..., Run]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Cli:
    monkeypatch.setenv("RAPPORT_TODAY", "2026-11-22")
    monkeypatch.chdir(tmp_path)  # no .env of the developer's; relative paths are relative to here
    index = tmp_path / "idx"

    def run(*args: str, index_dir: Path | None = None) -> Run:
        capsys.readouterr()
        code = main([*args, "--index", str(index_dir or index)])
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


@pytest.fixture
def kdir(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    write(root, "customers/ann.md", ANN)
    write(root, "playbook/shipping.md", "---\ntitle: Shipping\n---\nUK delivery takes 2-3 working days.\n")
    return root


def test_a_mistyped_folder_is_one_line_exit_2_and_the_index_is_untouched(cli: Cli, kdir: Path, tmp_path: Path) -> None:
    assert cli("index", "--knowledge", str(kdir)).code == 0
    manifest = (tmp_path / "idx" / "manifest.json").read_text()
    typo = tmp_path / "knowlege"
    for args in (["index"], ["check"], ["lookup", "Annabel"], ["ask", "Annabel Lee?"], ["note", "cus-1", "x"]):
        done = cli(*args, "--knowledge", str(typo))
        assert done.code == 2, (args, done)
        assert done.err.strip().count("\n") == 0 and str(typo) in done.err and "does not exist" in done.err
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.md").write_text("not knowledge")
    done = cli("index", "--knowledge", str(tmp_path / "notes"))
    assert done.code == 2 and "has none of customers/, content/ or playbook/" in done.err
    assert (tmp_path / "idx" / "manifest.json").read_text() == manifest
    found = cli("lookup", "Annabel Lee", "--json", "--knowledge", str(kdir))
    assert found.code == 0 and json.loads(found.out)["matches"][0]["id"] == "cus-1"


def test_serve_refuses_to_start_on_a_missing_folder(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    done = cli("serve", "--http", "--knowledge", str(tmp_path / "nowhere"))
    assert done.code == 2 and "nowhere does not exist" in done.err


def test_a_typo_in_a_closed_set_or_an_optional_field_keeps_the_customer(cli: Cli, kdir: Path) -> None:
    write(kdir, "customers/bob.md", TYPOS)
    check = cli("check", "--knowledge", str(kdir))
    assert check.code == 4, check  # warnings only: everything is served
    assert "customers/bob.md:6: warning: tier: 'Standard' read as 'standard'" in check.out
    assert "customers/bob.md:8: warning: field 'contact.channels.1'" in check.out
    assert "0 errors, 5 warnings" in check.err
    found = json.loads(cli("lookup", "Robert Stone", "--json", "--knowledge", str(kdir)).out)
    assert found["matches"][0]["id"] == "cus-2" and found["matches"][0]["segment"] == "b2c"
    asked = cli("ask", "Robert Stone asked where his parcel is, what do I reply?", "--json", "--knowledge", str(kdir))
    answer = json.loads(asked.out)
    assert asked.code == 0 and answer["customer"]["id"] == "cus-2"
    assert all(d["channel"] == "email" for d in answer["drafts"])  # WhatsApp was dropped, not allowed


def test_a_customer_whose_file_cannot_be_read_is_named_with_its_line(cli: Cli, kdir: Path) -> None:
    write(kdir, "customers/olga.md", BROKEN)
    check = cli("check", "--knowledge", str(kdir))
    assert check.code == 1 and "customers/olga.md:7: bad YAML" in check.out and "1 error" in check.err
    expected = "customers/olga.md has errors (line 7): fix it with `rapport check`"
    for query in ("Olga Petrova", "olga", "olga@example.net"):
        looked = cli("lookup", query, "--knowledge", str(kdir))
        assert looked.code == 1 and looked.out.strip() == expected, (query, looked)
    as_json = json.loads(cli("lookup", "Olga Petrova", "--json", "--knowledge", str(kdir)).out)
    assert as_json["matches"] == [] and as_json["files_with_errors"][0]["line"] == 7
    asked = cli("ask", "What should I reply to Olga Petrova about descaling?", "--knowledge", str(kdir))
    assert asked.code == 1 and f"customer_not_found: {expected}" in asked.out
    by_id = json.loads(cli("ask", "reply please", "--customer", "cus-3", "--json", "--knowledge", str(kdir)).out)
    assert by_id["warnings"][0]["message"] == expected
    note = cli("note", "cus-3", "Called back", "--knowledge", str(kdir))
    assert note.code == 2 and expected in note.err  # not "no customer with id"


@pytest.mark.parametrize("ref", ["cus-3", "knowledge/customers/olga.md", "customers/olga.md"])
def test_forget_erases_a_broken_file_by_id_or_path(cli: Cli, kdir: Path, ref: str) -> None:
    write(kdir, "customers/olga.md", BROKEN)
    assert cli("index", "--knowledge", str(kdir)).code == 1  # a file with errors: exit 1, the rest indexed
    refused = cli("forget", ref, "--knowledge", str(kdir))  # no terminal to ask on, no --yes
    assert refused.code == 2 and "Olga Petrova (cus-3), customers/olga.md" in refused.err and "--yes" in refused.err
    assert (kdir / "customers/olga.md").exists()
    done = cli("forget", ref, "--yes", "--knowledge", str(kdir))
    assert done.code == 0 and "deleted customers/olga.md" in done.out
    assert not (kdir / "customers/olga.md").exists()
    assert cli("index", "--knowledge", str(kdir)).code == 0


def test_forget_asks_on_a_terminal(cli: Cli, kdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prompts: list[str] = []
    answers = iter(["n", "yes"])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(builtins, "input", lambda prompt="": prompts.append(prompt) or next(answers))
    kept = cli("forget", "cus-1", "--knowledge", str(kdir))
    assert kept.code == 1 and "nothing erased" in kept.err and (kdir / "customers/ann.md").exists()
    assert prompts[0].startswith("Erase Annabel Lee (cus-1), customers/ann.md") and prompts[0].endswith("[y/N] ")
    assert cli("forget", "cus-1", "--knowledge", str(kdir)).code == 0
    assert not (kdir / "customers/ann.md").exists()


def test_exit_codes_say_what_happened(cli: Cli, kdir: Path) -> None:
    assert cli("index", "--knowledge", str(kdir)).code == 0
    assert cli("check", "--knowledge", str(kdir)).code == 0
    assert cli("ask", "What do I tell Zebedee Quartermaine?", "--knowledge", str(kdir)).code == 1
    unknown = cli("ask", "reply to them", "--customer", "cus-404", "--knowledge", str(kdir))
    assert unknown.code == 1 and "no customer with id 'cus-404'" in unknown.out
    write(kdir, "customers/no-name.md", "---\nid: cus-9\nsegment: b2c\n---\n")
    indexed = cli("index", "--knowledge", str(kdir))
    assert indexed.code == 1 and "customers/no-name.md:1: missing required field 'name'" in indexed.err


def test_a_long_question_is_cut_said_so_and_still_answered(cli: Cli, kdir: Path) -> None:
    pasted = "Hello, the grind you sent is far too fine for our batch brewer. " * 1600 + "\nBest, Annabel Lee"
    asked = cli("ask", pasted, "--json", "--knowledge", str(kdir))
    assert asked.code == 0 and json.loads(asked.out)["customer"]["id"] == "cus-1"  # the signature was kept
    assert f"The question is {len(pasted):,} characters, over the 4,000 Rapport reads" in asked.err
    looked = cli("lookup", "x" * 50_000 + " Annabel", "--knowledge", str(kdir))
    assert looked.code == 0 and "cus-1" in looked.out and "The query is 50,008 characters" in looked.err


def test_a_customer_not_indexed_yet_is_answered_from_what_is_there(cli: Cli, kdir: Path, tmp_path: Path) -> None:
    assert cli("index", "--knowledge", str(kdir)).code == 0
    write(kdir, "customers/new.md", "---\nid: cus-7\nname: Niamh Quigley\nsegment: b2c\n---\n")
    holder = subprocess.Popen(  # another process owns the index (a running bot), so nothing re-indexes
        [sys.executable, "-c", "import sys; from filelock import FileLock; FileLock(sys.argv[1]).acquire(); "
         "print('held', flush=True); sys.stdin.read()", str(tmp_path / "idx" / "index.lock")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        looked = cli("lookup", "Niamh Quigley", "--json", "--knowledge", str(kdir))
        assert looked.code == 0 and json.loads(looked.out)["matches"][0]["id"] == "cus-7"
        asked = cli("ask", "Niamh Quigley asked about delivery times", "--json", "--knowledge", str(kdir))
        assert asked.code == 0 and json.loads(asked.out)["customer"]["id"] == "cus-7"
    finally:
        holder.communicate("", timeout=30)


# -- the process itself -------------------------------------------------------------------


def rapport(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "RAPPORT_TODAY": "2026-11-22", **env},
    )


def test_version() -> None:
    done = rapport("--version")
    assert done.returncode == 0 and done.stdout.startswith("rapport ")


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("OPENAI_TIMEOUT", "soon", "OPENAI_TIMEOUT='soon' is not valid: expected a number greater than 0"),
        ("HNSW_EF_SEARCH", "5", "HNSW_EF_SEARCH='5' is not valid: expected a whole number at least 10"),
        ("RAPPORT_TODAY", "2026-13-01", "RAPPORT_TODAY='2026-13-01' is not valid: expected a date YYYY-MM-DD"),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_2(kdir: Path, variable: str, value: str, expected: str) -> None:
    done = rapport("check", "--knowledge", str(kdir), **{variable: value})
    assert done.returncode == 2 and done.stderr == f"rapport: {expected}\n"


def test_output_closed_early_is_quiet(tmp_path: Path) -> None:
    root = tmp_path / "k"
    lines = "\n".join(f"- not a history line {i}" for i in range(4000))  # 4,000 warnings: over a pipe buffer
    write(root, "customers/a.md", f"---\nid: a\nname: A B\nsegment: b2c\n---\n## History\n{lines}\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "check", "--knowledge", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stdout.readline().startswith(b"customers/a.md:7: warning:")
    proc.stdout.close()  # what `| head -1` does
    err = proc.communicate(timeout=120)[1].decode()
    assert proc.returncode == 141 and err == ""


def test_a_model_that_cannot_be_fetched_is_explained_in_one_line(kdir: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"  # chromadb keeps the model under ~/.cache/chroma: an empty home has none
    home.mkdir()
    done = rapport(
        "index",
        "--knowledge",
        str(kdir),
        "--index",
        str(tmp_path / "idx"),
        HOME=str(home),
        HTTPS_PROXY="http://127.0.0.1:9",  # nothing listens there: like an offline machine or a dead proxy
        https_proxy="http://127.0.0.1:9",
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1
    line = done.stderr.strip()
    assert line.startswith("rapport index: the embedding model all-MiniLM-L6-v2 is missing from ")
    assert "~/.cache/chroma/onnx_models/all-MiniLM-L6-v2/onnx/" in line and "onnx.tar.gz" in line
