"""The `rapport` commands other than `serve`: the same services the Slack bot uses (bot/cli.py routes here).

Kept apart from the parser and `serve`, so that `rapport serve` starts without importing them.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from typing import Any

from bot import cli_portfolio
from bot.config import Settings
from bot.core.bounds import MAX_QUESTION_CHARS, bound
from bot.exits import EXIT_BAD_INPUT, EXIT_FOUND_NOTHING, EXIT_OK, EXIT_WARNINGS
from bot.importer import command as importer
from bot.index.indexer import IndexBusy, SyncReport
from bot.knowledge import folder
from bot.knowledge.lint import lint_folder
from bot.services.knowledge import Knowledge
from bot.services.lookup import Match

log = logging.getLogger("rapport")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Errors: a record is not served. Warnings: it is served with something ignored or read another way."""
    kb = folder.load(settings.knowledge_dir)
    lint = lint_folder(settings.knowledge_dir)
    for problem in sorted([*kb.problems, *lint], key=lambda p: (p.path, p.line)):
        print(problem)
    errors, warnings = len(kb.errors), len(kb.warnings) + len(lint)
    print(
        f"{len(kb.hashes)} files: {len(kb.customers)} customers, {len(kb.content)} content, "
        f"{len(kb.playbook)} playbook; {_plural(errors, 'error')}, {_plural(warnings, 'warning')}",
        file=sys.stderr,
    )
    return EXIT_FOUND_NOTHING if errors else EXIT_WARNINGS if warnings else EXIT_OK


def _progress(done: int, total: int) -> None:
    print(f"\rembedding files {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    knowledge = Knowledge(settings)
    report = knowledge.index.sync(full=args.full, progress=_progress)
    print_report(report)
    return EXIT_FOUND_NOTHING if report.errors else EXIT_OK


def print_report(report: SyncReport) -> None:
    for problem in report.problems:
        print(problem, file=sys.stderr)
    print(
        f"indexed: {len(report.added)} added, {len(report.changed)} changed, {len(report.deleted)} deleted, "
        f"{report.unchanged} unchanged; {report.embedded} texts embedded; {report.records} records"
        + (" (store compacted)" if report.compacted else "")
    )


def ensure_index(knowledge: Knowledge) -> None:
    """Queries need an index: build or refresh it first, unless another process owns it."""
    try:
        report = knowledge.index.sync(progress=_progress)
        if report.embedded:
            log.info("index refreshed: %s texts embedded", report.embedded)
    except IndexBusy:
        log.info("index owned by another process; reading it as it is")


def match_json(m: Match) -> dict[str, Any]:
    c = m.customer
    out: dict[str, Any] = {
        "id": c.id,
        "name": c.name,
        "preferred_name": c.display_name,
        "score": m.score,
        "matched": m.matched,
        "tie": m.tie,
        "company": c.company,
        "email": c.email,
        "segment": c.segment,
        "path": c.path,
    }
    if m.evidence and m.matched == "description":
        best = m.evidence[0]
        out["evidence"] = {"text": best.text, "source": best.id.split("~")[0]}
    return out


def _bounded(text: str, what: str) -> str:
    bounded = bound(text, MAX_QUESTION_CHARS)
    if bounded.cut:
        print(f"rapport: {bounded.notice(what)}", file=sys.stderr)
    return bounded.text


def cmd_lookup(args: argparse.Namespace, settings: Settings) -> int:
    knowledge = Knowledge(settings)
    ensure_index(knowledge)
    query = _bounded(args.query, "query")
    matches = knowledge.snapshot().finder.find(query, limit=args.limit)
    broken = knowledge.broken_for(query)
    if args.json:
        found = [match_json(m) for m in matches]
        errors = [{"path": b.path, "line": b.line, "message": b.explanation} for b in broken]
        print(json.dumps({"query": args.query, "matches": found, "files_with_errors": errors}, indent=2))
    elif not matches:
        print(f"No customer matches {args.query!r}." if not broken else "\n".join(b.explanation for b in broken))
    else:
        for m in matches:
            c = m.customer
            extra = f" - {c.company}" if c.company else ""
            tie = "  (tie)" if m.tie else ""
            print(f"{m.score:.3f}  {c.id:<10} {c.name} ({c.display_name}){extra}  [{m.matched}]{tie}")
            if m.matched == "description" and m.evidence:
                print(f"       {m.evidence[0].text[:100]}  <{m.evidence[0].id.split('~')[0]}>")
        for b in broken:
            print(f"note: {b.explanation}")
    return EXIT_OK if matches else EXIT_FOUND_NOTHING


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """In this process: a running bot that could answer was asked first (bot/cli.py, services/ask_door.py)."""
    from bot.cli import print_answer
    from bot.services.ask_door import answer_with_customer
    from bot.services.container import build_services

    services = build_services(settings)
    ensure_index(services.knowledge)
    answer, customer = answer_with_customer(services, _bounded(args.question, "question"), args.customer, args.intent)
    return print_answer(answer, customer, as_json=args.json)


def cmd_note(args: argparse.Namespace, settings: Settings) -> int:
    knowledge = Knowledge(settings)
    result = knowledge.add_note(args.customer, args.text, args.channel, args.direction, args.author)
    print(f"note saved to {result.path}:{result.line}")
    if not result.indexed:
        print("the index is owned by a running bot; it will re-index this file itself", file=sys.stderr)
    return 0


def confirmed(prompt: str) -> bool | None:
    """The person's answer on a terminal; None when there is no terminal to ask on."""
    if not sys.stdin.isatty():
        return None
    try:
        return input(prompt).strip().lower() in ("y", "yes")
    except EOFError:
        return False


def cmd_forget(args: argparse.Namespace, settings: Settings) -> int:
    knowledge = Knowledge(settings)
    target = knowledge.erasure_target(args.customer)
    if not args.yes:
        answer = confirmed(f"Erase {target.shown}: the file and every trace in the index? It cannot be undone. [y/N] ")
        if answer is None:
            print(f"rapport forget: would erase {target.shown}; add --yes to erase without asking", file=sys.stderr)
            return EXIT_BAD_INPUT
        if not answer:
            print("nothing erased", file=sys.stderr)
            return EXIT_FOUND_NOTHING
    result = knowledge.forget(target)
    print(f"deleted {result.path}")
    if result.erased_from_index:
        print(f"erased {result.customer_id} from the index (store compacted)")
    else:
        print("the index is owned by a running bot; it erases the vectors when it sees the file gone", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    return importer.run(args, settings)


def cmd_chroma_vacuum(args: argparse.Namespace, settings: Settings) -> int:
    from bot.index.server_vacuum import NotAChromaFolder, vacuum

    try:
        report = vacuum(args.path)
    except NotAChromaFolder as exc:
        print(f"rapport chroma-vacuum: {exc}", file=sys.stderr)
        return 2
    print(
        f"removed {len(report.removed)} orphaned segment folder(s), kept {report.kept}; "
        f"vacuumed chroma.sqlite3: {report.before:,} -> {report.after:,} bytes"
    )
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "check": cmd_check,
    "index": cmd_index,
    "lookup": cmd_lookup,
    "ask": cmd_ask,
    "note": cmd_note,
    "forget": cmd_forget,
    "import": cmd_import,
    "chroma-vacuum": cmd_chroma_vacuum,
    "digest": cli_portfolio.cmd_digest,
    "segments": cli_portfolio.cmd_segments,
}
