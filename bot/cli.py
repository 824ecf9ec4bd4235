"""The `rapport` command line: the same services the Slack bot uses."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot import cli_portfolio
from bot.config import Settings
from bot.importer import command as importer
from bot.index.indexer import IndexBusy, SyncReport
from bot.knowledge import folder
from bot.knowledge.writer import NoteError
from bot.logs import configure_logging
from bot.services.knowledge import Knowledge, UnknownCustomer
from bot.services.lookup import Match

log = logging.getLogger("rapport")


def build_parser() -> argparse.ArgumentParser:
    # --knowledge and --index work before or after the command ("rapport --knowledge k check" too): the
    # command's copies leave the value alone unless given there.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--knowledge", metavar="DIR", type=Path, default=argparse.SUPPRESS, help="knowledge folder")
    common.add_argument("--index", metavar="DIR", type=Path, default=argparse.SUPPRESS, help="embedded Chroma folder")
    parser = argparse.ArgumentParser(prog="rapport", description="Rapport: honest, personal customer replies.")
    parser.add_argument("--knowledge", metavar="DIR", type=Path, help="knowledge folder (KNOWLEDGE_DIR)")
    parser.add_argument("--index", metavar="DIR", type=Path, help="embedded Chroma folder (CHROMA_PATH)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("check", parents=[common], help="validate the knowledge folder; exit 1 on errors")
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
    p.add_argument("customer", metavar="CUSTOMER", help="customer id")
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
    return Settings(**overrides)


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    kb = folder.load(settings.knowledge_dir)
    for problem in kb.problems:
        print(problem)
    files = len(kb.hashes)
    errors = len(kb.errors)
    print(
        f"{files} files: {len(kb.customers)} customers, {len(kb.content)} content, "
        f"{len(kb.playbook)} playbook; {errors} error{'s' * (errors != 1)}",
        file=sys.stderr,
    )
    return 1 if errors else 0


def _progress(done: int, total: int) -> None:
    print(f"\rembedding files {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    knowledge = Knowledge(settings)
    report = knowledge.index.sync(full=args.full, progress=_progress)
    print_report(report)
    return 0


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


def cmd_lookup(args: argparse.Namespace, settings: Settings) -> int:
    knowledge = Knowledge(settings)
    ensure_index(knowledge)
    matches = knowledge.snapshot().finder.find(args.query, limit=args.limit)
    if args.json:
        print(json.dumps({"query": args.query, "matches": [match_json(m) for m in matches]}, indent=2))
    elif not matches:
        print(f"No customer matches {args.query!r}.")
    else:
        for m in matches:
            c = m.customer
            extra = f" - {c.company}" if c.company else ""
            tie = "  (tie)" if m.tie else ""
            print(f"{m.score:.3f}  {c.id:<10} {c.name} ({c.display_name}){extra}  [{m.matched}]{tie}")
            if m.matched == "description" and m.evidence:
                print(f"       {m.evidence[0].text[:100]}  <{m.evidence[0].id.split('~')[0]}>")
    return 0 if matches else 1


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.card import render
    from bot.services.container import build_services

    services = build_services(settings)
    ensure_index(services.knowledge)
    answer = services.assistant.ask(args.question, customer_id=args.customer, intent=args.intent)
    if args.json:
        print(answer.model_dump_json(indent=2, exclude={"question"}, exclude_none=False))
    else:
        customer = services.knowledge.snapshot().kb.customers.get(answer.customer.id) if answer.customer else None
        print(render(answer, customer))
    return 0 if answer.customer or answer.intent == "fact" else 1


def cmd_note(args: argparse.Namespace, settings: Settings) -> int:
    knowledge = Knowledge(settings)
    result = knowledge.add_note(args.customer, args.text, args.channel, args.direction, args.author)
    print(f"note saved to {result.path}:{result.line}")
    if not result.indexed:
        print("the index is owned by a running bot; it will re-index this file itself", file=sys.stderr)
    return 0


def cmd_forget(args: argparse.Namespace, settings: Settings) -> int:
    knowledge = Knowledge(settings)
    result = knowledge.forget(args.customer)
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
    settings = settings_from(args)
    configure_logging(settings.log_level)
    handler = COMMANDS.get(args.command)
    if handler is None:
        print(f"rapport {args.command}: not available in this build", file=sys.stderr)
        return 2
    try:
        return handler(args, settings)
    except (UnknownCustomer, NoteError) as exc:
        print(f"rapport {args.command}: {exc}", file=sys.stderr)
        return 2
    except IndexBusy as exc:
        print(f"rapport {args.command}: {exc}; the running bot keeps it up to date", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
