"""Erasure against a real Chroma server (`chroma run`, shipped with chromadb) on 127.0.0.1.

What the client can do, it does: the new generation's collections never hold the erased customer,
and the old generation's collections are deleted. What stays on the server's disk (free pages in
chroma.sqlite3, the deleted collections' segment folders) goes with `rapport chroma-vacuum`, run by
the server's operator with the server stopped, as the README says.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import chromadb
import pytest

from bot.index.embedding import MiniLMEmbedding
from bot.index.server_vacuum import SQLITE, live_segments
from bot.services.knowledge import Knowledge
from tests.conftest import make_settings
from tests.erasure_kit import CANARY_ID, canary_bytes, make_folder, rapport
from tests.serve_kit import free_port


class ChromaServer:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        chroma = Path(sys.executable).parent / "chroma"
        self.proc = subprocess.Popen(
            [str(chroma), "run", "--path", str(self.path), "--port", str(self.port), "--host", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                chromadb.HttpClient(host="127.0.0.1", port=self.port).heartbeat()
                return
            except Exception:
                assert time.monotonic() < deadline, "chroma run did not start"
                time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(30)
            self.proc = None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ChromaServer]:
    running = ChromaServer(tmp_path / "chroma-server")
    running.start()
    try:
        yield running
    finally:
        running.stop()


def segment_folders(path: Path) -> set[str]:
    return {p.name for p in path.iterdir() if p.is_dir()}


def test_erasure_on_a_chroma_server(server: ChromaServer, tmp_path: Path, embedder: MiniLMEmbedding) -> None:
    knowledge = make_folder(tmp_path / "knowledge")
    settings = make_settings(knowledge, tmp_path / "state", chroma_host="127.0.0.1", chroma_port=server.port)
    kb = Knowledge(settings)
    kb.index.embedder = embedder
    kb.sync()
    assert canary_bytes(server.path) > 0  # the scan sees the customer on the server's disk

    kb.forget(CANARY_ID)
    client = chromadb.HttpClient(host="127.0.0.1", port=server.port)
    names = sorted(c if isinstance(c, str) else c.name for c in client.list_collections())
    generation = kb.index.manifest().generation
    assert names == sorted(f"rapport_g{generation}_{n}" for n in ("content", "customers", "playbook"))
    assert kb.snapshot().finder.find("Ann Lee")[0].customer.id == "cus-1"
    customers = client.get_collection(f"rapport_g{generation}_customers")
    assert customers.get(where={"customer_id": CANARY_ID})["ids"] == []  # never copied into the new generation
    assert customers.count() == sum(len(e.ids) for e in kb.index.manifest().files.values() if e.customer_id)
    live = live_segments(server.path)
    assert segment_folders(server.path) - live  # the old generation's folders: Chroma leaves them
    kb.index.close()

    server.stop()
    done = rapport("chroma-vacuum", "--path", str(server.path))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "orphaned segment folder" in done.stdout
    assert canary_bytes(server.path, tmp_path / "knowledge", tmp_path / "state") == 0
    assert segment_folders(server.path) <= live and (server.path / SQLITE).exists()

    server.start()  # the index still answers from the vacuumed server
    kb = Knowledge(settings)
    kb.index.embedder = embedder
    assert kb.snapshot().finder.find("Bob Stone")[0].customer.id == "cus-2"
    assert kb.index.store().query("customers", "beans", 1)[0].metadata["customer_id"] == "cus-2"


def test_chroma_vacuum_names_a_wrong_folder(tmp_path: Path) -> None:
    done = rapport("chroma-vacuum", "--path", str(tmp_path))
    assert done.returncode == 2 and "chroma.sqlite3" in done.stderr
