"""Change a few front-matter fields of a customer file and leave every other byte alone.

Staff write comments, align values, quote and order keys their own way. A YAML round trip
(PyYAML, and even ruamel.yaml's round-trip mode, tried on these files) re-indents nested
blocks, moves comments, normalises `[a,  b]` and refuses impossible dates the parser would
only report. So the edit is surgical: PyYAML's node marks say where each value starts and
ends, only those spans are replaced, missing keys are inserted as new lines after their
neighbour in DESIGN.md's order, and the result is parsed again and checked.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # compose only: marks, no construction
ORDER = [
    *("id", "name", "preferred_name", "pronouns", "email", "phone", "company", "role", "segment", "tier"),
    *("lifetime_value", "customer_since", "contact", "interests", "avoid", "tags", "facts"),
]
PLAIN_RE = re.compile(r"[^\W\d_][\w .,'&/()+@-]*(?<! )", re.UNICODE)
_RESOLVER = yaml.resolver.Resolver()
CONTACT_ORDER = ("channels", "frequency", "marketing_opt_out", "last_contacted")


class EditError(RuntimeError):
    """The edit would not produce exactly the intended front matter (nothing is written)."""


def render(value: Any, key: str = "") -> str:
    """One value as flow-style YAML text (phone numbers always quoted: '+44…' and '0044…' are text)."""
    if key == "phone":
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and _plain(value, flow=False):
        return value
    if isinstance(value, list) and all(isinstance(item, str) and _plain(item, flow=True) for item in value):
        return "[" + ", ".join(value) + "]"
    dumped = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1 << 30)
    return dumped.removesuffix("\n").removesuffix("\n...").strip()


def _plain(value: str, flow: bool) -> bool:
    """Whether the text can be written unquoted and still read back as this same text (the fast path;
    anything unusual goes through PyYAML's emitter, which quotes as needed)."""
    if not PLAIN_RE.fullmatch(value) or (flow and "," in value) or ": " in value or " #" in value:
        return False
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return bool(tag == "tag:yaml.org,2002:str")


@dataclass
class _Edit:
    start: tuple[int, int]  # (line, column) in front-matter lines
    end: tuple[int, int]
    text: str
    rank: int = 0  # insertions at one spot go in DESIGN order


def front_matter_bounds(lines: list[str]) -> tuple[int, int]:
    if not lines or lines[0].strip() != "---":
        raise EditError("the file has no front matter")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise EditError("the front matter is not closed by '---'")
    return 1, end


def set_fields(text: str, changes: dict[str, Any]) -> str:
    """`text` with each key of `changes` ("phone", "contact.channels", ...) set to its value."""
    crlf = "\r\n" in text
    lines = text.replace("\r\n", "\n").split("\n")
    first, end = front_matter_bounds(lines)
    fm = lines[first:end]
    root = yaml.compose("\n".join(fm), Loader=_LOADER)
    if root is not None and not isinstance(root, yaml.MappingNode):
        raise EditError("the front matter is not a mapping")
    edits: list[_Edit] = []
    top = {k: val for k, val in changes.items() if "." not in k}
    nested = {k.split(".", 1)[1]: val for k, val in changes.items() if k.startswith("contact.")}
    for key, value in top.items():
        edits.append(_set(fm, root, key, render(value, key), ORDER, ""))
    if nested:
        edits.extend(_set_contact(fm, root, nested))
    new_fm = _apply(fm, edits)
    lines[first:end] = new_fm
    out = "\n".join(lines)
    return out.replace("\n", "\r\n") if crlf else out


def _pairs(node: yaml.Node | None) -> list[tuple[yaml.Node, yaml.Node]]:
    return list(node.value) if isinstance(node, yaml.MappingNode) else []


def _find(node: yaml.Node | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    return next(((k, v) for k, v in _pairs(node) if isinstance(k, yaml.ScalarNode) and k.value == key), None)


def _last_line(node: yaml.Node) -> int:
    """The last line a value occupies (a block collection's end mark is already on the next line)."""
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        return _last_line(last[1] if isinstance(last, tuple) else last)
    line = int(node.end_mark.line)
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">") and node.end_mark.column == 0:
        line -= 1
    return line


def _end(node: yaml.Node) -> tuple[int, int]:
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        return _end(last[1] if isinstance(last, tuple) else last)
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">") and node.end_mark.column == 0:
        return (node.end_mark.line - 1, 1 << 30)
    return (node.end_mark.line, node.end_mark.column)


def _set(
    fm: list[str], mapping: yaml.Node | None, key: str, text: str, order: tuple[str, ...] | list[str], indent: str
) -> _Edit:
    found = _find(mapping, key)
    if found is None:
        return _insert(fm, mapping, key, f"{indent}{key}: {text}", order)
    _, value = found
    start = (value.start_mark.line, value.start_mark.column)
    if isinstance(value, yaml.SequenceNode) and not value.flow_style and text.startswith("["):
        text = _block_list(text, value.start_mark.column)
    if start == (value.end_mark.line, value.end_mark.column):  # `key:` with nothing after it
        return _Edit(start, start, " " + text)
    return _Edit(start, _end(value), text)


def _block_list(flow: str, column: int) -> str:
    items = yaml.safe_load(flow)
    return f"\n{' ' * column}".join(f"- {render(item)}" for item in items) if items else "[]"


def _insert(
    fm: list[str], mapping: yaml.Node | None, key: str, line_text: str, order: tuple[str, ...] | list[str]
) -> _Edit:
    """A new `key: value` line after the nearest key that comes before it in DESIGN.md's order."""
    rank = order.index(key) if key in order else len(order)
    pairs = _pairs(mapping)
    before = [(k, v) for k, v in pairs if isinstance(k, yaml.ScalarNode) and k.value in order[:rank]]
    if before:
        anchor = max(before, key=lambda kv: order.index(kv[0].value))
        line = _last_line(anchor[1])
    elif pairs:
        line = pairs[0][0].start_mark.line - 1
    else:
        line = len(fm) - 1
    if line < 0:
        return _Edit((0, 0), (0, 0), line_text + ("\n" if fm else ""), rank)
    return _Edit((line, len(fm[line])), (line, len(fm[line])), "\n" + line_text, rank)


def _set_contact(fm: list[str], root: yaml.Node | None, changes: dict[str, Any]) -> list[_Edit]:
    found = _find(root, "contact")
    rendered = {k: render(changes[k]) for k in sorted(changes, key=_contact_rank)}
    if found is None:
        block = "contact:" + "".join(f"\n  {k}: {t}" for k, t in rendered.items())
        return [_insert(fm, root, "contact", block, ORDER)]
    _, node = found
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        indent = " " * node.value[0][0].start_mark.column
        return [_set(fm, node, k, t, CONTACT_ORDER, indent) for k, t in rendered.items()]
    # A flow mapping ({channels: [email]}) or an empty `contact:`: write the whole mapping again.
    current = yaml.load(yaml.serialize(node), Loader=_LOADER) if isinstance(node, yaml.MappingNode) else None
    merged = {**(current or {}), **changes}
    text = "{" + ", ".join(f"{k}: {render(merged[k])}" for k in sorted(merged, key=_contact_rank)) + "}"
    start = (node.start_mark.line, node.start_mark.column)
    if start == (node.end_mark.line, node.end_mark.column):
        return [_Edit(start, start, " " + text)]
    return [_Edit(start, _end(node), text)]


def _contact_rank(key: str) -> int:
    return CONTACT_ORDER.index(key) if key in CONTACT_ORDER else len(CONTACT_ORDER)


def _apply(fm: list[str], edits: list[_Edit]) -> list[str]:
    text_lines = list(fm)
    # Bottom-up so earlier positions stay valid; at one spot, later DESIGN keys first so they end up below.
    for edit in sorted(edits, key=lambda e: (e.start, e.rank), reverse=True):
        (l1, c1), (l2, c2) = edit.start, edit.end
        if not text_lines:
            text_lines = [""]
        merged = text_lines[l1][:c1] + edit.text + text_lines[l2][c2:]
        text_lines[l1 : l2 + 1] = merged.split("\n")
    return text_lines
