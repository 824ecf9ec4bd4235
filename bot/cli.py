"""The `rapport` command line: the same services the Slack bot uses.

Exit codes (README, "Command line"): 0 success; 1 nothing found, or errors in the folder; 2 bad
input or setup (a missing folder, a bad setting, an unknown id, no embedding model); 3 the index
is owned by another process; 4 `check` found warnings only; 141 output closed early (`| head`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import cli_portfolio
from bot.config import Settings, SettingsError, load_settings
from bot.exits import EXIT_BAD_INPUT, EXIT_BUSY, EXIT_FOUND_NOTHING, EXIT_OK, EXIT_PIPE
from bot.importer.arguments import add_arguments as add_import_arguments
from bot.logs import configure_logging

if TYPE_CHECKING:
    from bot.core.answer import Answer
    from bot.knowledge.models import Customer

log = logging.getLogger("rapport")


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
    p.add_argument(
        "--here",
        action="store_true",
        help="answer in this process, even when a running bot could (bot/services/ask_door.py)",
    )
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
    add_import_arguments(p)
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


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    early = None
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    if args.http and secret:
        # Listen before the app is imported and built (a second or two): Slack's events are acked
        # from the start and answered once it is ready (bot/slack/http_door.py).
        from bot.slack.http_door import open_early

        early = open_early(args.host, args.port, secret)
    from bot.slack.server import serve

    return serve(settings, http=args.http, port=args.port, host=args.host, early=early)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from(args)
    except SettingsError as exc:
        for line in exc.lines:
            print(f"rapport: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    configure_logging(settings.log_level)
    if args.command == "ask" and not args.here:
        answered = ask_the_running_bot(args, settings)
        if answered is not None:
            return answered
    handler = command(args.command)
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
    except Exception as exc:
        known = known_failure(args.command, exc)
        if known is None:
            raise
        return known


def ask_the_running_bot(args: argparse.Namespace, settings: Settings) -> int | None:
    """`rapport ask` answered by a running bot serving the same folder and settings (under a second at
    10,000 customers instead of loading it all again); None when this process answers (services/ask_door.py)."""
    from bot.core.answer import Answer
    from bot.core.bounds import MAX_QUESTION_CHARS, bound
    from bot.knowledge.models import Customer
    from bot.services.ask_door import AskRequest, ask_running_bot, fingerprint

    question = bound(args.question, MAX_QUESTION_CHARS)
    request = AskRequest(
        fingerprint=fingerprint(settings), question=question.text, customer=args.customer, intent=args.intent
    )
    reply = ask_running_bot(settings, request)
    if reply is None:
        return None
    if question.cut:
        print(f"rapport: {question.notice('question')}", file=sys.stderr)
    customer = Customer.model_validate_json(reply.customer) if reply.customer else None
    return print_answer(Answer.model_validate_json(reply.answer), customer, as_json=args.json)


def print_answer(answer: Answer, customer: Customer | None, as_json: bool) -> int:
    """What `rapport ask` prints, and its exit code, whichever process computed the answer."""
    if as_json:
        print(answer.model_dump_json(indent=2, exclude={"question"}, exclude_none=False))
    else:
        from bot.card import render

        print(render(answer, customer))
    return EXIT_OK if answer.customer or answer.intent == "fact" else EXIT_FOUND_NOTHING


def command(name: str) -> Callable[[argparse.Namespace, Settings], int] | None:
    """`serve` is routed here without importing the other commands: its HTTP port opens sooner."""
    if name == "serve":
        return cmd_serve
    from bot.commands import COMMANDS

    return COMMANDS.get(name)


def known_failure(name: str, exc: Exception) -> int | None:
    """The exit code for a failure the person can act on (said in one line), or None for a bug."""
    from bot.index.indexer import IndexBusy
    from bot.index.model_files import ModelUnavailable
    from bot.knowledge.files import FolderError
    from bot.knowledge.writer import NoteError
    from bot.services.knowledge import BrokenFile, UnknownCustomer

    if isinstance(exc, (UnknownCustomer, BrokenFile, NoteError, FolderError, ModelUnavailable)):
        print(f"rapport {name}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if isinstance(exc, IndexBusy):
        print(f"rapport {name}: {exc}; the running bot keeps it up to date", file=sys.stderr)
        return EXIT_BUSY
    return None


if __name__ == "__main__":
    sys.exit(main())
