"""Zero the unused slots Chroma's HNSW files are written with.

Chroma's hnswlib allocates its level-0 table for `max_elements` records with `malloc`, and a new
segment's `data_level0.bin` is that table written whole (later writes stop at the last record), so
the slots past the last record hold whatever the writing process's heap held there before: SQL,
other records' text, and after an erasure, the erased customer's own words (a test caught
"Ordered ZEBRA-MARKER… beans" in a compacted generation). The index owner zeroes those slots after
every write. Used slots are never touched (hnswlib clears each before use), and a file whose header
does not match the layout below is left alone with a warning, so a future Chroma with another
layout loses this scrub, never data.
"""

from __future__ import annotations

import logging
import os
import struct
from pathlib import Path

log = logging.getLogger(__name__)

# header.bin, chroma-hnswlib persistence version 1: version, offsetLevel0, max_elements,
# cur_element_count, size_data_per_element, label_offset, offsetData, maxlevel, enterpoint_node,
# maxM, maxM0, M, mult, ef_construction.
HEADER = struct.Struct("<iQQQQQQiiQQQdQ")
VERSION = 1
CHUNK = 1 << 20


def scrub_generation(generation_dir: Path) -> int:
    """Zero the unused slots of every HNSW segment in one generation's folder; the bytes zeroed."""
    zeroed = 0
    for header in sorted(generation_dir.glob("*/header.bin")):
        try:
            zeroed += _scrub_segment(header.parent)
        except OSError as exc:  # a segment Chroma is replacing right now; the next write scrubs it
            log.warning("could not scrub %s: %s", header.parent, exc)
    return zeroed


def _scrub_segment(segment: Path) -> int:
    raw = (segment / "header.bin").read_bytes()
    data = segment / "data_level0.bin"
    if len(raw) < HEADER.size or not data.is_file():
        return 0
    version, offset0, capacity, count, per_element, label_offset, *_ = HEADER.unpack_from(raw)
    size = data.stat().st_size
    if (
        version != VERSION
        or offset0 != 0
        or not 0 < label_offset < per_element
        or count > capacity
        or size % per_element
        or not count * per_element <= size <= capacity * per_element
    ):
        log.warning("%s: an HNSW layout this Rapport does not know; its unused slots are not scrubbed", segment)
        return 0
    return _zero_from(data, count * per_element, size)


def _zero_from(path: Path, start: int, end: int) -> int:
    """Zero bytes start..end of a file, writing only chunks that are not zero already."""
    zeroed = 0
    with path.open("r+b") as f:
        at = start
        while at < end:
            f.seek(at)
            chunk = f.read(min(CHUNK, end - at))
            if not chunk:
                break
            if chunk.count(0) != len(chunk):
                f.seek(at)
                f.write(bytes(len(chunk)))
                zeroed += len(chunk)
            at += len(chunk)
        if zeroed:
            f.flush()
            os.fsync(f.fileno())
    return zeroed
