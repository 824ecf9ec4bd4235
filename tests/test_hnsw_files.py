"""Chroma's HNSW files are written with heap leftovers in their unused slots; the owner zeroes them."""

from __future__ import annotations

from pathlib import Path

from bot.index.embedding import MiniLMEmbedding
from bot.index.hnsw_files import HEADER, scrub_generation
from bot.index.indexer import Index
from tests.conftest import make_settings, write

PER = 1804  # what Chroma writes for 384 dimensions and max_neighbors 32


def segment(root: Path, name: str, capacity: int, count: int, body: bytes, version: int = 1) -> Path:
    d = root / name
    d.mkdir(parents=True)
    header = HEADER.pack(version, 0, capacity, count, PER, PER - 8, 260, 0, 0, 32, 64, 32, 0.29, 200)
    (d / "header.bin").write_bytes(header)
    (d / "data_level0.bin").write_bytes(body)
    return d / "data_level0.bin"


def test_the_slots_past_the_last_record_are_zeroed_and_the_records_kept(tmp_path: Path) -> None:
    used = bytes(range(256)) * 8 + bytes(PER * 2 - 2048)  # two records' worth of arbitrary bytes
    leftover = b"Ordered SECRET-7731 beans." * (PER * 3 // 26 + 1)
    data = segment(tmp_path, "seg-a", capacity=5, count=2, body=used + leftover[: PER * 3])
    assert scrub_generation(tmp_path) == PER * 3
    after = data.read_bytes()
    assert after[: PER * 2] == used and after[PER * 2 :] == bytes(PER * 3) and len(after) == PER * 5
    assert scrub_generation(tmp_path) == 0  # nothing left to do: a second pass writes nothing


def test_a_layout_it_does_not_know_is_left_alone(tmp_path: Path) -> None:
    body = b"x" * PER * 3
    other_version = segment(tmp_path, "seg-v2", capacity=3, count=1, body=body, version=2)
    bad_size = segment(tmp_path, "seg-size", capacity=3, count=1, body=body + b"tail")
    assert scrub_generation(tmp_path) == 0
    assert other_version.read_bytes() == body and bad_size.read_bytes() == body + b"tail"


def test_after_a_sync_no_hnsw_file_holds_anything_past_its_last_record(
    tmp_path: Path, embedder: MiniLMEmbedding
) -> None:
    folder = tmp_path / "knowledge"
    for n in range(3):
        head = f"---\nid: cus-{n}\nname: Person {n}\nsegment: b2c\n---\n"
        body = head + f"## History\n- 2026-01-0{n + 1} email in: Hello {n}.\n"
        write(folder, f"customers/c{n}.md", body)
    index = Index(make_settings(folder, tmp_path / "index"), embedder=embedder)
    assert index.sync().records > 0
    segments = list((tmp_path / "index").glob("gen-*/*/header.bin"))
    assert segments
    for header in segments:
        fields = HEADER.unpack_from(header.read_bytes())
        count, per = fields[3], fields[4]
        data = (header.parent / "data_level0.bin").read_bytes()
        assert data[count * per :].count(0) == len(data) - count * per, header.parent
