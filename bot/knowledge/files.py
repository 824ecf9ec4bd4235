"""Which files of the knowledge folder are read, and reading them safely.

Only regular files inside the folder are read. A link that leads out of the folder, a dangling
link or a link loop, a FIFO or a device, a name that is not valid UTF-8, or a file over
`MAX_FILE_BYTES` is skipped, with a problem naming it. Files are opened without blocking and read
up to the cap, so nothing placed in the folder can make a read hang or fill memory.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge.models import Problem

SUBFOLDERS = ("customers", "content", "playbook")
MAX_FILE_BYTES = 1_000_000  # a customer's whole history fits in a tenth of this; past it, split the file


class FolderError(ValueError):
    """The knowledge folder itself is missing or is not a knowledge folder (one line for the user)."""


class Unreadable(OSError):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass(frozen=True)
class Entry:
    """One knowledge file as listed: its size and time, or why it is not read."""

    rel: str
    mtime_ns: int = 0
    size: int = 0
    problem: Problem | None = None
    ctime_ns: int = 0  # the inode's change time: no tool sets it back (the parse cache trusts it)


def require_root(root: Path) -> None:
    """Raise FolderError unless `root` is a folder with customers/, content/ or playbook/ in it."""
    hint = "check --knowledge or KNOWLEDGE_DIR"
    if not root.exists():
        raise FolderError(f"knowledge folder {root} does not exist ({hint})")
    if not root.is_dir():
        raise FolderError(f"knowledge folder {root} is not a folder ({hint})")
    if not any((root / sub).is_dir() for sub in SUBFOLDERS):
        raise FolderError(f"{root} has none of customers/, content/ or playbook/: is it the knowledge folder? ({hint})")


def _problem(rel: str, message: str) -> Problem:
    return Problem(path=rel, line=1, message=f"{message}; skipped")


def _skip(rel: str, message: str) -> Entry:
    return Entry(rel=rel, problem=_problem(rel, message))


def _printable(rel: str) -> str | None:
    """None when the name is valid UTF-8, else the name with � for the bad bytes."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(rel).decode("utf-8", "replace")
    return None


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def entry(root: Path, rel: str, real_root: Path | None = None) -> Entry:
    """Stat one file without trusting it: links are followed only to regular files inside the folder."""
    path = os.path.join(root, rel)  # strings, not Path: a scan stats every file (10,000 at 10,000 customers)
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            try:
                target = Path(path).resolve(strict=True)
            except (OSError, RuntimeError):
                return _skip(rel, "is a broken link or a link loop")
            if not target.is_relative_to(real_root or root.resolve()):
                return _skip(rel, "is a link to a file outside the knowledge folder")
            info = os.stat(target)
    except OSError as exc:
        return _skip(rel, f"cannot be read ({exc.strerror or exc})")
    if not stat.S_ISREG(info.st_mode):
        return _skip(rel, "is not a regular file (a FIFO, device or socket)")
    if info.st_size > MAX_FILE_BYTES:
        return _skip(rel, f"is {_size(info.st_size)}, over the {_size(MAX_FILE_BYTES)} limit per file (split it)")
    return Entry(rel=rel, mtime_ns=info.st_mtime_ns, size=info.st_size, ctime_ns=info.st_ctime_ns)


def _hidden(name: str) -> bool:
    """Names never read: dot-files and folders, and '_' ones (drafts, archives)."""
    return name.startswith((".", "_"))


def _listed(root: Path, rel: str, real_root: Path) -> Entry:
    """A knowledge file as `scan` lists it: stat'ed, or skipped when its name is not valid UTF-8."""
    shown = _printable(rel)
    if shown is not None:
        return _skip(shown, "has a name that is not valid UTF-8 (rename it)")
    return entry(root, rel, real_root)


def _walk(root: Path, sub: str, real_root: Path) -> Iterator[Entry]:
    base = root / sub
    if base.is_symlink() and not base.resolve().is_relative_to(real_root):
        yield _skip(f"{sub}/", "is a link to a folder outside the knowledge folder")
        return
    found: list[Entry] = []

    def unreadable_folder(exc: OSError) -> None:
        rel = os.path.relpath(str(exc.filename), root) if exc.filename else sub
        found.append(_skip(_printable(rel) or rel, f"is a folder that cannot be read ({exc.strerror or exc})"))

    for folder, dirs, files in os.walk(base, onerror=unreadable_folder):  # not rglob: 10x faster at 10,000 files
        prefix = Path(folder).relative_to(root).as_posix()
        kept = [d for d in dirs if not _hidden(d)]
        for d in kept:
            if os.path.islink(os.path.join(folder, d)):  # os.walk does not follow it: say so
                found.append(_skip(f"{prefix}/{d}/", "is a link to a folder; links to folders are not followed"))
        dirs[:] = kept
        for name in files:
            if name.endswith(".md") and not _hidden(name):
                found.append(_listed(root, f"{prefix}/{name}", real_root))
    yield from sorted(found, key=lambda e: e.rel)


def listed_paths(root: Path, rels: Iterable[str]) -> tuple[list[Entry], list[str]] | None:
    """What `scan` would say about these paths alone: the entries of those that are knowledge files,
    and the `.md` paths that are gone. None when only a whole scan can tell: a path is a folder or a
    link to one, is gone and was maybe a folder, or lies under a linked folder (`scan` does not follow).

    For a watcher that knows which paths changed: at 10,000 customers a scan stats 10,000 files.
    """
    real_root = root.resolve()
    entries: list[Entry] = []
    gone: list[str] = []
    for rel in sorted(set(rels)):
        parts = rel.split("/")
        path = os.path.join(root, rel)
        exists = os.path.lexists(path)
        if os.path.isdir(path):
            return None
        if parts[0] not in SUBFOLDERS or any(_hidden(p) for p in parts[1:]):
            if len(parts) == 1 and not exists:
                return None  # customers/ itself is gone
            continue  # never listed by `scan`
        if not parts[-1].endswith(".md"):
            if not exists:
                return None  # gone: it may have been a folder of files
            continue
        if any(os.path.islink(os.path.join(root, *parts[:i])) for i in range(1, len(parts))):
            return None
        if not exists:
            gone.append(rel)
            continue
        entries.append(_listed(root, rel, real_root))
    return entries, gone


def scan(root: Path) -> list[Entry]:
    """Every knowledge file, sorted, skipping names that start with '.' or '_'; unreadable ones carry a problem."""
    real_root = root.resolve()
    out: list[Entry] = []
    for sub in SUBFOLDERS:
        if (root / sub).is_dir():
            out += _walk(root, sub, real_root)
    return out


def read(root: Path, rel: str) -> tuple[bytes, Entry]:
    """The bytes of a file that `entry` accepts, checked again on the open file; raises Unreadable."""
    listed = entry(root, rel)
    if listed.problem is not None:
        raise Unreadable(listed.problem)
    path = (root / rel).resolve() if (root / rel).is_symlink() else root / rel
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise Unreadable(_problem(rel, f"cannot be read ({exc.strerror or exc})")) from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):  # it changed since it was listed
            raise Unreadable(_problem(rel, "is not a regular file (a FIFO, device or socket)"))
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise Unreadable(_problem(rel, f"is over the {_size(MAX_FILE_BYTES)} limit per file (split it)"))
    return data, Entry(rel=rel, mtime_ns=info.st_mtime_ns, size=info.st_size, ctime_ns=info.st_ctime_ns)
