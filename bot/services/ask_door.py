"""`rapport ask` answered by the running bot, when one serves the same folder with the same settings.

A cold `rapport ask` at 10,000 customers spends about 10 s loading what a running bot already
holds: imports, the parsed folder, Chroma's vector index, the guard's models. So the process of
`rapport serve` that answers with the index (answer process 0, or the one serving process) listens
on a Unix socket beside the index, `CHROMA_PATH/ask.sock`, that only the bot's user may open
(mode 0600, bound in a private folder and moved into place). `rapport ask` tries it first: the
bot sends the answer and the customer it found, and the command prints them as it prints its own.

The bot answers only a request whose fingerprint is its own: the same knowledge folder and index,
the same model settings and pinned date, the same Rapport code on disk. Otherwise, when no bot
listens, when it goes away mid-answer or refuses, `rapport ask` answers in its own process as
before; `--here` always does. The bot answers from the folder it has loaded, which its watcher
keeps current within a second or two of an edit.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import socketserver
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ValidationError

from bot.config import Settings

if TYPE_CHECKING:
    from bot.core.answer import Answer
    from bot.knowledge.models import Customer
    from bot.services.container import Services

log = logging.getLogger(__name__)

SOCKET_NAME = "ask.sock"
MAX_PATH = 100  # bytes: a Unix socket's path must fit in sun_path (108 on Linux, 104 on macOS)
MAX_MESSAGE = 1 << 20  # bytes of one request line (a question is at most 40,000 characters)
MAX_REPLY = 1 << 26  # bytes of the bot's reply: the customer's whole file travels with the answer
CONNECT_TIMEOUT = 1.0  # seconds to reach a bot that listens
ANSWER_WAIT = 600.0  # seconds to wait for its answer (a model may be slow; the bot has its own deadlines)
PROTOCOL = 1
# What an answer depends on: where the folder and index are, the model and how it is called, a pinned date.
ANSWER_SETTINGS = (
    "knowledge_dir",
    "chroma_path",
    "chroma_host",
    "chroma_port",
    "hnsw_ef_search",
    "openai_api_key",
    "openai_base_url",
    "openai_model",
    "openai_timeout",
    "openai_first_token_timeout",
    "openai_max_retries",
    "openai_structured_output",
    "openai_max_tokens",
    "openai_temperature",
    "openai_stream",
    "rapport_today",
)
CODE = Path(__file__).resolve().parents[1]  # the `bot` package


class AskRequest(BaseModel):
    protocol: int = PROTOCOL
    fingerprint: str
    question: str
    customer: str | None = None
    intent: Literal["reply", "outreach"] | None = None


class AskReply(BaseModel):
    """The answer as the bot computed it, and the customer it is about (the asker renders both)."""

    answer: str = ""  # an Answer, as JSON
    customer: str | None = None  # the Customer it found, as JSON
    refused: str | None = None  # why the bot did not answer: the asker answers itself


def socket_path(settings: Settings) -> Path | None:
    """Where the bot listens, or None when the index folder's path is too long for a Unix socket."""
    path = settings.chroma_path.absolute() / SOCKET_NAME
    return path if len(os.fsencode(path)) <= MAX_PATH else None


def fingerprint(settings: Settings) -> str:
    """The settings an answer depends on (secrets hashed with the rest, never sent) and the code on disk."""
    digest = hashlib.sha256()
    for name in ANSWER_SETTINGS:
        value = getattr(settings, name)
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        if isinstance(value, Path):
            value = str(value.resolve())
        digest.update(f"{name}={value!r}\n".encode())
    for path in sorted(CODE.rglob("*")):  # sizes and times: a changed file changes the answer's code
        if path.is_file() and path.suffix in (".py", ".yaml", ".txt", ".md", ".json"):
            stat = path.stat()
            digest.update(f"{path.relative_to(CODE)} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


# -- the asking side (`rapport ask`) -------------------------------------------------------------


def ask_running_bot(settings: Settings, request: AskRequest) -> AskReply | None:
    """The running bot's answer, or None when this process must answer itself (no bot, or a refusal)."""
    path = socket_path(settings)
    if path is None or not path.exists():
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(CONNECT_TIMEOUT)
            conn.connect(str(path))
            conn.settimeout(ANSWER_WAIT)
            conn.sendall(request.model_dump_json().encode() + b"\n")
            raw = _read_line(conn, MAX_REPLY)
    except OSError as exc:  # nobody listens (a stale socket), or the bot went away mid-answer
        log.debug("the running bot did not answer (%s): answering here", exc)
        return None
    try:
        reply = AskReply.model_validate_json(raw)
    except ValidationError:
        log.warning("the running bot's reply could not be read: answering here")
        return None
    if reply.refused:
        log.info("the running bot did not answer (%s): answering here", reply.refused)
        return None
    log.info("answered by the running bot (%s)", path)
    return reply


def _read_line(conn: socket.socket, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("closed before a whole line")
        chunks.append(chunk)
        size += len(chunk)
        if chunk.endswith(b"\n"):
            return b"".join(chunks)
        if size > limit:
            raise ConnectionError("line too long")


# -- the answering side (`rapport serve`) --------------------------------------------------------


def answer_with_customer(
    services: Services, question: str, customer_id: str | None, intent: Literal["reply", "outreach"] | None
) -> tuple[Answer, Customer | None]:
    """What `rapport ask` computes, in whichever process answers: the answer and the customer it found."""
    found = services.assistant.ask(question, customer_id=customer_id, intent=intent)
    services.knowledge.explain_not_found(found, f"{question} {customer_id or ''}")
    customer = services.knowledge.snapshot().kb.customers.get(found.customer.id) if found.customer else None
    return found, customer


def answer(services: Services, request: AskRequest) -> AskReply:
    """The bot's side: what `rapport ask` would compute in its own process, from what this one holds."""
    found, customer = answer_with_customer(services, request.question, request.customer, request.intent)
    return AskReply(answer=found.model_dump_json(), customer=customer.model_dump_json() if customer else None)


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        raw = self.rfile.readline(MAX_MESSAGE + 1)
        reply = self.server.reply(raw)
        with contextlib.suppress(OSError):  # the asker gave up: it answers itself
            self.wfile.write(reply.model_dump_json().encode() + b"\n")


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, answer: Callable[[AskRequest], AskReply], mine: str) -> None:
        self.answer, self.mine = answer, mine
        super().__init__(path, _Handler)

    def reply(self, raw: bytes) -> AskReply:
        if len(raw) > MAX_MESSAGE or not raw.endswith(b"\n"):
            return AskReply(refused="the request is too long or incomplete")
        try:
            request = AskRequest.model_validate_json(raw)
        except ValidationError as exc:
            return AskReply(refused=f"unreadable request ({exc.error_count()} errors)")
        if request.protocol != PROTOCOL:
            return AskReply(refused=f"protocol {request.protocol}; this bot speaks {PROTOCOL}")
        if request.fingerprint != self.mine:
            return AskReply(refused="it serves another folder, index, model setting or version of Rapport")
        try:
            return self.answer(request)
        except Exception as exc:  # the asker answers itself and reports the error in its own words
            log.warning("answering `rapport ask` failed; the command answers itself", exc_info=True)
            return AskReply(refused=f"{type(exc).__name__} while answering")


@contextlib.contextmanager
def listening(services: Services, settings: Settings) -> Iterator[Path | None]:
    """Serve `rapport ask` on CHROMA_PATH/ask.sock while the context lasts (None: not listening,
    because another live bot does, or the path is too long for a socket)."""
    path = socket_path(settings)
    if path is None:
        log.info("`rapport ask` will not ask this bot: %s is too long for a socket", settings.chroma_path)
        yield None
        return
    if _answers(path):
        log.info("another running bot answers `rapport ask` at %s", path)
        yield None
        return

    path.parent.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(prefix=".ask-", dir=path.parent))  # mode 0700: no one else can connect
    try:
        server = _Server(str(private / SOCKET_NAME), lambda request: answer(services, request), fingerprint(settings))
        os.chmod(private / SOCKET_NAME, 0o600)
        os.replace(private / SOCKET_NAME, path)  # a stale socket of a bot that was killed is replaced
    finally:
        with contextlib.suppress(OSError):
            os.rmdir(private)
    inode = path.stat().st_ino
    thread = threading.Thread(target=server.serve_forever, name="rapport-ask-door", daemon=True)
    thread.start()
    log.info("`rapport ask` is answered by this bot at %s", path)
    try:
        yield path
    finally:
        server.shutdown()
        server.server_close()
        with contextlib.suppress(OSError):
            if path.stat().st_ino == inode:  # still ours: another bot may have taken the name since
                path.unlink()


def _answers(path: Path) -> bool:
    """Whether a live process listens at `path` (a socket left by a killed bot refuses connections)."""
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(CONNECT_TIMEOUT)
        try:
            conn.connect(str(path))
        except OSError:
            return False
    return True
