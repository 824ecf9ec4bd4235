"""Opening and closing Chroma clients: an embedded folder or a server, the same code after that."""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from filelock import FileLock

if TYPE_CHECKING:  # chromadb takes about a second to import: only processes that open a store pay for it
    from chromadb.api import ClientAPI

log = logging.getLogger(__name__)
SERVER_PREFIX = re.compile(r"^rapport_g(\d+)_")


@dataclass
class ChromaTarget:
    """Where the vectors live: an embedded folder or a server (host, port)."""

    path: Path | None = None
    host: str | None = None
    port: int = 8000
    prefix: str = ""  # collection name prefix; a new prefix is a new generation on a server
    extra: dict[str, Any] = field(default_factory=dict)


def open_client(target: ChromaTarget) -> ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if target.host:
        return chromadb.HttpClient(host=target.host, port=target.port, settings=settings)
    assert target.path is not None
    target.path.mkdir(parents=True, exist_ok=True)
    # Chroma creates its tables when a client first opens a folder, and two processes doing that at
    # once fail with "table collections already exists". Opening is quick, so every Rapport process
    # (bot, `rapport note`, `rapport ask`) takes turns at it; the index's writer lock is separate.
    with FileLock(str(target.path.parent / "open.lock"), thread_local=False):
        return chromadb.PersistentClient(path=fresh_view(target.path), settings=settings)


def fresh_view(path: Path) -> str:
    """A spelling of `path` that no Chroma system open in this process uses yet (`gen-000003/./.`).

    Chroma keeps one system per path string, with the folder's vector index in memory, and that
    index never sees vectors another process added after it was loaded. A new spelling gets a new
    system that reads the folder as it is now; spellings come free again when their store closes.
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    systems = SharedSystemClient._identifier_to_system
    base, k = str(path), 0
    while (view := base + "/." * k) in systems:
        k += 1
    return view


class Releasable(Protocol):
    def release(self) -> None: ...


class Resources:
    """What a store holds open: its client and its generation's reader lock (released once, by close or GC)."""

    def __init__(self, client: ClientAPI, target: ChromaTarget, lock: Releasable | None) -> None:
        self.client = client
        self.target = target
        self.lock = lock
        self.closed = False

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            close_client(self.client, self.target)
        finally:
            if self.lock is not None:
                self.lock.release()


def close_client(client: ClientAPI, target: ChromaTarget) -> None:
    if target.host is not None:
        return
    close = getattr(client, "close", None)
    if close is not None:
        close()  # chromadb >= 1.3: reference-counted, stops the shared system with its last client
        return
    from chromadb.api.shared_system_client import SharedSystemClient

    identifier = str(getattr(client, "_identifier", ""))
    system = SharedSystemClient._identifier_to_system.pop(identifier, None)
    SharedSystemClient._identifier_to_refcount.pop(identifier, None)
    if system is not None:
        system.stop()


def remove_target(target: ChromaTarget) -> None:
    """Delete a generation: its folder (embedded), or its collections on a Chroma server."""
    if target.path is not None:
        shutil.rmtree(target.path, ignore_errors=True)
        return
    client = open_client(target)
    for name in ("customers", "content", "playbook"):
        try:
            client.delete_collection(f"{target.prefix}{name}")
        except Exception:
            log.debug("collection %s%s already gone", target.prefix, name)


def server_generations(target: ChromaTarget) -> set[int]:
    """Generations that have collections on a Chroma server (`rapport_gN_*`)."""
    found: set[int] = set()
    for col in open_client(target).list_collections():
        name = col if isinstance(col, str) else col.name
        if m := SERVER_PREFIX.match(name):
            found.add(int(m[1]))
    return found
