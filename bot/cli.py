"""The `rapport` command line: the same services the Slack bot uses.

Exit codes (README, "Command line"): 0 success; 1 nothing found, or errors in the folder; 2 bad
input or setup (a missing folder, a bad setting, an unknown id, no embedding model); 3 the index
is owned by another process; 4 `check` found warnings only; 141 output closed early (`| head`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bot import cli_portfolio
from bot.config import Settings, SettingsError, load_settings
from bot.core.bounds import MAX_QUESTION_CHARS, bound
from bot.importer import command as importer
from bot.index.indexer import IndexBusy, SyncReport
from bot.index.model_files import ModelUnavailable
from bot.knowledge import folder
from bot.knowledge.files import FolderError
from bot.knowledge.lint import lint_folder
from bot.knowledge.writer import NoteError
from bot.logs import configure_logging
from bot.services.knowledge import BrokenFile, Knowledge, UnknownCustomer
from bot.services.lookup import Match

log = logging.getLogger("rapport")
EXIT_OK, EXIT_FOUND_NOTHING, EXIT_BAD_INPUT, EXIT_BUSY, EXIT_WARNINGS, EXIT_PIPE = 0, 1, 2, 3, 4, 141


def _version() -> str:
    try:
        return version("rapport")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    # --knowledge and --index work before or after the command ("rapport --knowledge k check" too): the
    # command's copies leave the value alone unless given there.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--knowledge", metavar="DIR", type=Path, default=argparse.SUPPRESS, help="knowledge folder")
    common.add_argument("--index", metavar="DIR", type=Path, default=argparse.SUPPRESS, help="embedded Chroma folder")
    parser = argparse.ArgumentParser(prog="rapport", description="Rapport: honest, personal customer replies.")
    parser.add_argument("--version", action="version", version=f"rapport {_version()}")
    parser.add_argument("--knowledge", metavar="DIR", type=Path, help="knowledge folder (KNOWLEDGE_DIR)")
    parser.add_argument("--index", metavar="DIR", type=Path, help="embedded Chroma folder (CHROMA_PATH)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser(
        "check", parents=[common], help="validate the knowledge folder; exit 1 on errors, 4 on warnings only"
    )
    p = sub.add_parser("index", parents=[common], help="bring the index in step with the folder")
    p.add_argument("--full", action="store_true", help="rebuild from scratch")
    p = sub.add_parser("lookup", parents=[common], help="find a customer by name, email, company or description")
    p.add_argument("query")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=5)
    p = sub.add_parser("ask", parents=[common], help="what the bot would answer to a mention")
    p.add_argument("question")
    p.add_argument("--customer", metavar="ID")
    reading = p.add_mutually_exclusive_group()
    reading.add_argument("--reply", action="store_const", const="reply", dest="intent", help="answer their message")
    reading.add_argument("--outreach", action="store_const", const="outreach", dest="intent", help="reach out first")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("note", parents=[common], help="append a history entry (and re-index that file)")
    p.add_argument("customer", metavar="CUSTOMER", help="customer id")
    p.add_argument("text")
    p.add_argument("--channel", default="chat")
    p.add_argument("--direction", default="out", choices=["in", "out"])
    p.add_argument("--author")
    p = sub.add_parser("forget", parents=[common], help="erase a customer: file and every vector")
    p.add_argument("customer", metavar="CUSTOMER", help="customer id, or the path of their file")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation (scripts)")
    cli_portfolio.add_parsers(sub, common)  # digest, segments
    p = sub.add_parser("import", parents=[common], help="create or update customer files from a CRM or shop export")
    importer.add_arguments(p)
    p = sub.add_parser(
        "chroma-vacuum", help="on a Chroma server's machine, server stopped: reclaim what erasures left on its disk"
    )
    p.add_argument("--path", metavar="DIR", type=Path, required=True, help="the folder `chroma run --path` uses")
    p = sub.add_parser("serve", parents=[common], help="run the Slack bot")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--socket", action="store_true", help="Socket Mode (default)")
    mode.add_argument("--http", action="store_true", help="Events API over HTTP at /slack/events")
    p.add_argument("--port", type=int, default=3000)
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="HTTP mode: address to listen on (default 127.0.0.1; 0.0.0.0 for a load balancer on another machine)",
    )
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if args.knowledge:
        overrides["knowledge_dir"] = args.knowledge
    if args.index:
        overrides["chroma_path"] = args.index
    return load_settings(**overrides)


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
    from bot.card import render
    from bot.services.container import build_services

    services = build_services(settings)
    ensure_index(services.knowledge)
    question = _bounded(args.question, "question")
    answer = services.assistant.ask(question, customer_id=args.customer, intent=args.intent)
    services.knowledge.explain_not_found(answer, f"{question} {args.customer or ''}")
    if args.json:
        print(answer.model_dump_json(indent=2, exclude={"question"}, exclude_none=False))
    else:
        customer = services.knowledge.snapshot().kb.customers.get(answer.customer.id) if answer.customer else None
        print(render(answer, customer))
    return EXIT_OK if answer.customer or answer.intent == "fact" else EXIT_FOUND_NOTHING


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


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.slack.server import serve

    return serve(settings, http=args.http, port=args.port, host=args.host)


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "check": cmd_check,
    "index": cmd_index,
    "lookup": cmd_lookup,
    "ask": cmd_ask,
    "note": cmd_note,
    "forget": cmd_forget,
    "import": cmd_import,
    "serve": cmd_serve,
    "chroma-vacuum": cmd_chroma_vacuum,
    "digest": cli_portfolio.cmd_digest,
    "segments": cli_portfolio.cmd_segments,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from(args)
    except SettingsError as exc:
        for line in exc.lines:
            print(f"rapport: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    configure_logging(settings.log_level)
    handler = COMMANDS.get(args.command)
    if handler is None:
        print(f"rapport {args.command}: not available in this build", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        code = handler(args, settings)
        sys.stdout.flush()  # inside the try: a reader that went away (`| head`) shows up here
        return code
    except BrokenPipeError:
        # The reader closed the pipe: stop quietly, as Unix tools do, and keep Python from
        # complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE
    except (UnknownCustomer, BrokenFile, NoteError, FolderError, ModelUnavailable) as exc:
        print(f"rapport {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except IndexBusy as exc:
        print(f"rapport {args.command}: {exc}; the running bot keeps it up to date", file=sys.stderr)
        return EXIT_BUSY


if __name__ == "__main__":
    sys.exit(main())
