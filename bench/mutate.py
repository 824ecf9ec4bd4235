"""Broken variants of real knowledge files, from a fixed seed: the corpus of `bench/mutants.py`.

Each mutant starts from a good file (the sample folder's, or a synthetic one with unusual but
valid features), gets its own id and name, then one to three mutations: random characters,
lines deleted or repeated, broken front-matter fences, nasty YAML values (5,000-digit numbers,
impossible or far dates, wrong case, tags, aliases), YAML bombs, deep nesting, huge bodies, bad
bytes. A share of the corpus is files that are not plain files at all: links that dangle, loop or
leave the folder, FIFOs, devices, names that are not UTF-8, files over the size cap.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FIRST = ["Ada", "Bo", "Cyd", "Dov", "Eun", "Fen", "Gil", "Hal", "Ida", "Jep", "Kai", "Liv", "Mo", "Nel", "Oz", "Pia"]
LAST = ["Quill", "Rook", "Sable", "Thorn", "Umber", "Vane", "Wick", "Yarrow", "Zephyr", "Alder", "Birch", "Cairn"]
NASTY_CHARS = [*":-#[]{}&*!|>'\"%@`,?\t\n\r\x00\x1b\u202e\u200béß😀 ", "\ufeff", "\u2028"]
NASTY_VALUES = [
    "", " ", "~", "null", "[]", "{}", "[a, [b, [c]]]", "{a: {b: {c: d}}}", "-1", "0", "1e400", ".nan", "-.inf",
    "9" * 5000, "0x" + "f" * 5000, "2026-02-30", "9999-12-31", "0001-01-01", "10000-01-01", "2026-1-1", "yes",
    "off", "'   '", "Standard", "VIP", "B2B", "NEVER", "Weekly", "[Email, WhatsApp, SMS]", "!!binary aGVsbG8=",
    "!!python/object/apply:os.system ['echo hi']", "!!set {a, b}", "!!omap [a: 1]", "&x [1, 2]", "*undefined",
    "'" + "x" * 20_000 + "'", "|\n  multi\n  line", "?", "<<: {a: 1}", "[" * 40 + "]" * 40, "'\u202eevil'",
    "\"\\ud800\"", "2026-11-22T25:61:00", "12:30:45", "+44 7700 900123", "1_000_000", "0o777", "-0", "1.5e-400",
]  # fmt: skip
GOOD_EXTRA = {
    "customers/zz-cjk.md": "---\nid: cus-cjk\nname: 王伟\nemail: wang@example.cn\nsegment: b2b\n"
    "company: 上海咖啡\n---\n## History\n- 2026-10-01 email in: 询问研磨机的保修。\n",
    "customers/zz-long.md": "---\nid: cus-long\nname: Lorna Longhistory\nsegment: b2c\ncontact:\n  frequency: weekly\n"
    "---\n## History\n"
    + "".join(f"- 2025-{m:02d}-{d:02d} email in: About order {m}{d}.\n" for m in range(1, 13) for d in (1, 9, 17, 25)),
    "customers/zz-crlf.md": "---\r\nid: cus-crlf\r\nname: Carla Returns\r\nsegment: b2c\r\ntier: vip\r\n---\r\n"
    "## History\r\n- 2026-10-01 phone in: Asked about the returns window.\r\n",
    "customers/zz-bom.md": "\ufeff---\nid: cus-bom\nname: Bo Marker\nsegment: b2c\nfacts:\n  plan: Club annual\n"
    "  renewal_date: 2027-01-31\n---\n## Notes\nLikes dark roasts.\n\n## Private\nNever mention the divorce.\n",
    "playbook/zz-perks.md": "---\ntitle: Club perks\ntopics: [vip, perks]\nperks:\n  - name: Free tasting\n"
    "    for: vip\n    every_days: 365\n---\nWhat each perk includes.\n\n## Staff only\nBook it in the calendar.\n",
}  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    rel: str  # where it goes in the folder
    data: bytes | None  # file content; None for specials
    special: str | None = None  # kind of file that is not a plain file
    what: str = ""  # the mutations applied, for the report


def _lines(rng: random.Random, text: str) -> list[str]:
    return text.split("\n") or [""]


def flip(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 8)):
        if chars:
            chars[rng.randrange(len(chars))] = rng.choice(NASTY_CHARS)
    return "".join(chars)


def delete_line(rng: random.Random, text: str) -> str:
    lines = _lines(rng, text)
    del lines[rng.randrange(len(lines))]
    return "\n".join(lines)


def repeat_line(rng: random.Random, text: str) -> str:
    lines = _lines(rng, text)
    i = rng.randrange(len(lines))
    lines[i:i] = [lines[i]] * rng.choice([1, 2, 50, 2000])
    return "\n".join(lines)


def swap_lines(rng: random.Random, text: str) -> str:
    lines = _lines(rng, text)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def truncate(rng: random.Random, text: str) -> str:
    return text[: rng.randrange(len(text) + 1)]


def fences(rng: random.Random, text: str) -> str:
    lines = _lines(rng, text)
    fence = [i for i, line in enumerate(lines) if line.strip() == "---"]
    if fence:
        i = rng.choice(fence)
        lines[i] = rng.choice(["", "--", "----", "--- ", "...", "---\n---"])
    return "\n".join(lines)


def indent(rng: random.Random, text: str) -> str:
    lines = _lines(rng, text)
    i = rng.randrange(len(lines))
    lines[i] = rng.choice(["  ", "\t", "    ", " - "]) + lines[i]
    return "\n".join(lines)


def nasty_value(rng: random.Random, text: str) -> str:
    keys = [m for m in re.finditer(r"^(\s*)([A-Za-z_]+):[ \t]*(.*)$", text, re.M)]
    if not keys:
        return text
    m = rng.choice(keys)
    value = rng.choice(NASTY_VALUES).replace("\n", "\n" + m.group(1))
    return f"{text[: m.start(3)]}{value}{text[m.end(3) :]}"


def front_insert(rng: random.Random, text: str, block: str) -> str:
    lines = _lines(rng, text)
    at = 1 if lines and lines[0].strip() == "---" else 0
    lines[at:at] = block.rstrip("\n").split("\n")
    return "\n".join(lines)


def yaml_bomb(rng: random.Random, text: str) -> str:
    kind = rng.choice(["laughs", "merge", "deep_flow", "deep_block", "many_keys", "keys"])
    if kind == "laughs":
        block = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)
        )
    elif kind == "merge":
        block = "m0: &m0 {k: v}\n" + "".join(
            f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: v}}\n" for i in range(1, 40)
        )
    elif kind == "deep_flow":
        n = rng.choice([100, 900, 5000])
        block = "deep: " + "[" * n + "]" * n + "\n"
    elif kind == "deep_block":
        block = "".join(" " * i + f"k{i}:\n" for i in range(rng.choice([50, 500]))) + " " * 500 + "v\n"
    elif kind == "many_keys":
        block = "".join(f"key{i}: value {i}\n" for i in range(rng.choice([1000, 30_000])))
    else:
        block = rng.choice(["1: one\n", "? [a, b]\n: c\n", "null: x\n", "true: y\n", "id: again\n", "[a]: b\n"])
    return front_insert(rng, text, block)


def huge_body(rng: random.Random, text: str) -> str:
    kind = rng.choice(["history", "line", "headings", "private", "dashes"])
    if kind == "history":
        body = "## History\n" + "".join(
            f"- 2026-01-{(i % 28) + 1:02d} email in: Line {i} about the burrs.\n"
            for i in range(rng.choice([500, 5000]))
        )
    elif kind == "line":
        body = "## Notes\n" + "w" * rng.choice([10_000, 600_000]) + "\n"
    elif kind == "headings":
        body = "## History\n" * 2000
    elif kind == "private":
        body = "## Private\n" + "secret line\n" * 3000
    else:
        body = "-" * 100_000 + "\n"
    return text + "\n" + body


def bad_history(rng: random.Random, text: str) -> str:
    date = rng.choice(["9999-12-31", "0001-01-01", "2026-02-30", "2026-1-1", "99999-01-01", "2026-11-22"])
    channel = rng.choice(["email", "fax", "EMAIL", "in-person", "", "😀"])
    direction = rng.choice(["in", "out", "sideways", "OUT", ""])
    author = rng.choice(["", " (Sam)", " (", " ((x))", " (" + "a" * 5000 + ")"])
    return text + f"\n## History\n- {date} {channel} {direction}{author}: {rng.choice(['Hi.', '', ':', 'x' * 3000])}\n"


MUTATIONS: list[tuple[Callable[[random.Random, str], str], int]] = [
    (flip, 20), (delete_line, 8), (repeat_line, 6), (swap_lines, 6), (truncate, 5), (fences, 6), (indent, 6),
    (nasty_value, 30), (yaml_bomb, 6), (huge_body, 2), (bad_history, 8),
]  # fmt: skip
SPECIALS = [
    "dangling", "loop", "self_loop", "dev_zero", "dev_urandom", "outside", "inside_link", "fifo", "dir_named_md",
    "latin1_name", "newline_name", "long_name", "empty", "nul_bytes", "over_cap", "way_over_cap", "bad_utf8",
    "near_cap",
]  # fmt: skip


def base_files(sample: Path) -> dict[str, str]:
    """The good files: the sample folder's, and a few synthetic ones with unusual but valid features."""
    found = {p.relative_to(sample).as_posix(): p.read_text(encoding="utf-8") for p in sorted(sample.rglob("*.md"))}
    found = {rel: text for rel, text in found.items() if not Path(rel).name.startswith("_")}
    return {**found, **GOOD_EXTRA}


def _own_identity(text: str, n: int, rng: random.Random) -> str:
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}{n}"
    text = re.sub(r"^id:.*$", f"id: mut-{n:05d}", text, count=1, flags=re.M)
    text = re.sub(r"^name:.*$", f"name: {name}", text, count=1, flags=re.M)
    return re.sub(r"^email:.*$", f"email: mut{n}@example.test", text, count=1, flags=re.M)


def mutant(rng: random.Random, n: int, good: dict[str, str]) -> Mutant:
    if rng.random() < 0.08:
        kind = rng.choice(SPECIALS)
        return Mutant(rel=f"customers/m{n:05d}-{kind}.md", data=None, special=kind, what=kind)
    source = rng.choice(sorted(good))
    folder = source.split("/", 1)[0]
    text = _own_identity(good[source], n, rng)
    done: list[str] = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        fn = rng.choices([f for f, _ in MUTATIONS], weights=[w for _, w in MUTATIONS])[0]
        text = fn(rng, text)
        done.append(fn.__name__)
    data = text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.03:  # a few bad bytes: the file is not UTF-8
        at = rng.randrange(len(data) + 1)
        data = data[:at] + bytes([0xFF, 0xFE, 0xC3]) + data[at:]
        done.append("bad_bytes")
    stem = Path(source).stem
    return Mutant(rel=f"{folder}/m{n:05d}-{stem}.md", data=data, what="+".join(done))


def corpus(n: int, seed: int, sample: Path, skip: frozenset[str] = frozenset()) -> list[Mutant]:
    """`n` mutants, then one file of each special kind (but those in `skip`)."""
    rng = random.Random(seed)
    good = base_files(sample)
    out = [mutant(rng, i, good) for i in range(n)]
    kinds = [k for k in SPECIALS if k not in skip]
    return out + [Mutant(f"customers/m{n + i:05d}-{k}.md", None, k, k) for i, k in enumerate(kinds)]


def _person(cid: str, name: str) -> str:
    return f"---\nid: {cid}\nname: {name}\nsegment: b2c\n---\n"


def _near_cap(limit: int = 990_000) -> str:
    """A customer file just under the 1 MB cap: about 15,000 history lines."""
    parts = ["---\nid: x-near\nname: Nearly Full\nsegment: b2c\n---\n## History\n"]
    size, i = len(parts[0]), 0
    while True:
        line = f"- 2026-01-{(i % 28) + 1:02d} email in: Asked about the burr set, order {i}.\n"
        if size + len(line) > limit:
            return "".join(parts)
        parts.append(line)
        size, i = size + len(line), i + 1


def place(root: Path, m: Mutant, outside: Path) -> None:
    """Write one mutant into the folder (a special becomes the kind of file it names)."""
    path = root / m.rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if m.data is not None:
        path.write_bytes(m.data)
        return
    kind = m.special
    makers: dict[str, Callable[[], None]] = {
        "dangling": lambda: path.symlink_to(path.with_name("nowhere.md")),
        "loop": lambda: (path.symlink_to(path.with_suffix(".b.md")), path.with_suffix(".b.md").symlink_to(path)),
        "self_loop": lambda: path.symlink_to(path),
        "dev_zero": lambda: path.symlink_to("/dev/zero"),
        "dev_urandom": lambda: path.symlink_to("/dev/urandom"),
        "outside": lambda: path.symlink_to(outside),
        "inside_link": lambda: path.symlink_to(root / "customers" / "jane-okafor.md"),
        "fifo": lambda: os.mkfifo(path),
        "dir_named_md": lambda: path.mkdir(),
        "latin1_name": lambda: path.with_name(os.fsdecode(path.stem.encode() + b"-caf\xe9.md")).write_text(
            "---\nid: x-latin\nname: Lat One\nsegment: b2c\n---\n"
        ),
        "newline_name": lambda: path.with_name(path.stem + "\nnl.md").write_text(_person("x-nl", "New Line")),
        "long_name": lambda: path.with_name(path.stem + "x" * 200 + ".md").write_text(_person("x-long", "Long Name")),
        "empty": lambda: path.write_bytes(b""),
        "nul_bytes": lambda: path.write_bytes(b"\x00" * 10_000),
        "over_cap": lambda: path.write_text(_person("x-big", "Big One") + "## Notes\n" + "word " * 220_000),
        "way_over_cap": lambda: path.write_text(_person("x-huge", "Huge One") + "- 2026-01-01 email in: x\n" * 200_000),
        "bad_utf8": lambda: path.write_bytes(b"---\nid: x-bad\nname: Caf\xe9 Latin\nsegment: b2c\n---\n"),
        "near_cap": lambda: path.write_text(_near_cap()),
    }  # fmt: skip
    makers[str(kind)]()
