"""Parsed files kept between processes, so start-up does not parse an unchanged folder again.

Parsing is most of a cold start at 10,000 customers (`bench/startup.py`). Each parsed file is kept
with the file's size, modification time and change time (`ctime`, which no tool can set back); a
file whose stat differs in any of them is parsed again, so an entry is never trusted over a changed
file. An entry is only stored once its file is two seconds old: a file saved twice within one tick
of the file system's clock keeps its time, and that second save must not hide behind the first.

The cache is 256 pickle shards under the index folder (`CHROMA_PATH/parsed/`), so a changed file
rewrites one shard (~40 files at 10,000 customers), not the whole folder. Unpickling a shard holds
the GIL: a 64th of a 10,000-customer folder took 22-29 ms, a reload's longest stall in a serving
process; a 256th takes a quarter of that. Shards are written
atomically and read only when this user owns them and nobody else may write them (unpickling runs
code, so the folder must be the bot's own, like the index beside it). A shard that is unreadable,
corrupted, from another version of the parsing code or of Python, or not a shard at all is ignored
and rewritten: the worst a bad cache costs is the parse it was meant to save.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import stat
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
import yaml

from bot.knowledge.files import Entry
from bot.knowledge.parser import ParsedFile

log = logging.getLogger(__name__)

FOLDER = "parsed"  # under the index folder
FORMAT = 2  # the shape of a shard; the parsing code's own changes are caught by `fingerprint()`
SHARDS = 256
SETTLED_NS = 2_000_000_000  # an entry is stored once its file is this old (nanoseconds)


@dataclass(frozen=True)
class Cached:
    """One parsed file as `folder.load` uses it, with the stat it was read under."""

    mtime_ns: int
    ctime_ns: int
    size: int
    digest: str
    parsed: ParsedFile

    def matches(self, listed: Entry) -> bool:
        return (self.mtime_ns, self.ctime_ns, self.size) == (listed.mtime_ns, listed.ctime_ns, listed.size)


@functools.cache
def fingerprint() -> str:
    """Changes with any change to the code that parses (this package), pydantic, PyYAML or Python."""
    h = hashlib.sha256(f"{FORMAT} {sys.version} {pydantic.VERSION} {yaml.__version__}".encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        h.update(source.name.encode() + b"\0" + source.read_bytes())
    return h.hexdigest()


def _shard(rel: str) -> int:
    return zlib.crc32(rel.encode("utf-8", "surrogateescape")) % SHARDS


class ParseCache:
    """The cache for one load: shards are read as their files are asked for, written back by `save`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._shards: dict[int, dict[str, Cached]] = {}
        self._dirty: set[int] = set()
        self.hits = 0
        self.misses = 0
        self._warned = False

    def get(self, listed: Entry) -> Cached | None:
        cached = self._entries(_shard(listed.rel)).get(listed.rel)
        if cached is not None and cached.matches(listed):
            self.hits += 1
            return cached
        self.misses += 1
        return None

    def put(self, opened: Entry, digest: str, parsed: ParsedFile) -> None:
        """Keep a file just parsed (its stat as read); a file changed in the last two seconds is not kept."""
        index = _shard(opened.rel)
        entries = self._entries(index)
        if max(opened.mtime_ns, opened.ctime_ns) > time.time_ns() - SETTLED_NS:
            if entries.pop(opened.rel, None) is not None:
                self._dirty.add(index)
            return
        entries[opened.rel] = Cached(opened.mtime_ns, opened.ctime_ns, opened.size, digest, parsed)
        self._dirty.add(index)

    def drop(self, rels: list[str]) -> None:
        """Forget these files (an erased customer's parse leaves the disk with the file)."""
        for rel in rels:
            index = _shard(rel)
            if self._entries(index).pop(rel, None) is not None:
                self._dirty.add(index)

    def save(self, present: set[str] | None = None) -> None:
        """Write back the shards that changed, without files not `present`; failures are only logged."""
        if present is not None:  # shards no present file led to may still hold files that are gone
            for index in range(SHARDS):
                if index not in self._shards and self._path(index).exists():
                    self._entries(index)
        for index, entries in self._shards.items():
            gone = [rel for rel in entries if present is not None and rel not in present]
            for rel in gone:
                del entries[rel]
            if gone or index in self._dirty:
                try:
                    self._write(index, entries)
                except OSError as exc:  # a read-only index folder: the next start parses again
                    log.warning("could not write the parse cache in %s: %s", self.folder, exc.strerror or exc)
                    return
        self._dirty.clear()
        self._remove_strays()

    def _remove_strays(self) -> None:
        """Shards named otherwise were written by an older version (another number of shards). Nothing
        reads them any more, but they hold parsed customers: an erased one must not stay in them."""
        current = {self._path(index).name for index in range(SHARDS)}
        for path in self.folder.glob("shard-*.pickle"):
            if path.name not in current:
                path.unlink(missing_ok=True)

    def _path(self, index: int) -> Path:
        return self.folder / f"shard-{index:03d}.pickle"

    def _entries(self, index: int) -> dict[str, Cached]:
        entries = self._shards.get(index)
        if entries is None:
            entries = self._shards[index] = self._read(index)
        return entries

    def _read(self, index: int) -> dict[str, Cached]:
        path = self._path(index)
        try:
            data = _read_own_file(path)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            return self._ignored(index, f"{path} ignored: {exc.strerror or exc}")
        try:
            shard = pickle.loads(data)  # our own file, in a folder only this user may write
        except Exception:  # a truncated or corrupted file: any error pickle can raise
            shard = None
        if isinstance(shard, dict) and "entries" in shard and shard.get("fingerprint") != fingerprint():
            self._dirty.add(index)  # written by another version of Rapport: expected after an upgrade
            return {}
        if not _valid(shard):
            return self._ignored(index, f"{path} is corrupted")
        entries: dict[str, Cached] = shard["entries"]
        return entries

    def _ignored(self, index: int, why: str) -> dict[str, Cached]:
        if not self._warned:  # one line per load, not one per shard
            log.warning("parse cache: %s; its files are parsed again and the cache rewritten", why)
            self._warned = True
        self._dirty.add(index)
        return {}

    def _write(self, index: int, entries: dict[str, Cached]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = pickle.dumps({"fingerprint": fingerprint(), "entries": entries}, protocol=pickle.HIGHEST_PROTOCOL)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".shard-", suffix=".tmp")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, self._path(index))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _read_own_file(path: Path) -> bytes:
    """The bytes of a regular file this user owns and nobody else may write; else OSError."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{path.name} is not a regular file")
        if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o022):
            raise OSError(f"{path.name} is not this user's own file, or others may write it")
        return handle.read()


def _valid(shard: Any) -> bool:
    if not isinstance(shard, dict) or shard.get("fingerprint") != fingerprint():
        return False
    entries = shard.get("entries")
    return isinstance(entries, dict) and all(
        isinstance(rel, str) and isinstance(c, Cached) and c.parsed.path == rel for rel, c in entries.items()
    )


def forget(folder: Path, rels: list[str]) -> None:
    """Remove files from the cache in `folder` now, not at the next load."""
    cache = ParseCache(folder)
    cache.drop(rels)
    cache.save()
