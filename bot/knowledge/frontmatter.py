"""Split a Markdown file into YAML front matter and body, keeping line numbers.

Errors name the line in the file, not in the YAML fragment, so `rapport check`
can print `path:line: message` that an editor jumps to.

The YAML is read with a safe loader and bounded: front matter may hold at most
`MAX_VALUES` values, counting each use of an alias (`*name`) or merge key
(`<<:`) as the values it repeats, so an alias "billion laughs" is refused before
anything is built. An integer too long for Python (5,000 digits) stays text, and
validation names its field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_VALUES = 20_000  # keys, items and scalars in one file's front matter, aliases expanded
MAX_INT_CHARS = 30  # longer integers (no field needs them) stay text: Python refuses 4,300+ digits


class FrontMatterError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class Document:
    data: dict[str, Any]
    body: str
    body_line: int  # file line number of the first body line
    key_lines: dict[str, int] = field(default_factory=dict)  # "contact.frequency" -> line

    def line_of(self, loc: tuple[str | int, ...]) -> int:
        """Best line for a pydantic error location: the deepest key we know."""
        parts = [str(p) for p in loc if isinstance(p, str)]
        while parts:
            key = ".".join(parts)
            if key in self.key_lines:
                return self.key_lines[key]
            parts.pop()
        return 1


_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: about 10x faster


class LOADER(_BASE):  # type: ignore[valid-type,misc]
    """A safe loader: an impossible date (2026-02-30) or an overlong integer stays text, so validation names it."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except (ValueError, OverflowError):
        return str(node.value)


def _int(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    text = str(node.value)
    if len(text) > MAX_INT_CHARS:
        return text
    try:
        return yaml.SafeLoader.construct_yaml_int(loader, node)  # type: ignore[arg-type]
    except ValueError:
        return text


LOADER.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
LOADER.add_constructor("tag:yaml.org,2002:int", _int)


def _expanded_size(root: yaml.Node, limit: int) -> int:
    """Values in the tree as built (an alias counts every time it is used); stops counting past `limit`.

    Iterative, so a deep tree cannot exhaust the stack, and bounded, so a "billion laughs" costs
    `limit` steps, not a billion.
    """
    count = 0
    stack: list[yaml.Node] = [root]
    while stack and count <= limit:
        node = stack.pop()
        count += 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack += (key, value)
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    return count


def _mapping_pairs(node: yaml.Node) -> Iterator[tuple[yaml.Node, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        yield from node.value


def _key_lines(root: yaml.Node, offset: int) -> dict[str, int]:
    """`contact.frequency` -> its line in the file, for every key that is text (nested mappings too)."""
    out: dict[str, int] = {}
    stack: list[tuple[yaml.Node, str, int]] = [(root, "", 0)]
    seen: set[int] = set()
    while stack:
        node, prefix, depth = stack.pop()
        if id(node) in seen or depth > 20:  # an alias repeats a mapping already walked
            continue
        seen.add(id(node))
        for key_node, value_node in _mapping_pairs(node):
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = f"{prefix}{key_node.value}"
            out[key] = key_node.start_mark.line + offset
            stack.append((value_node, f"{key}.", depth + 1))
    return out


def _load(yaml_text: str, offset: int) -> tuple[Any, yaml.Node | None]:
    loader = LOADER(yaml_text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        if _expanded_size(node, MAX_VALUES) > MAX_VALUES:
            raise FrontMatterError(
                node.start_mark.line + offset,
                f"front matter is too big: more than {MAX_VALUES:,} values (YAML aliases and merge keys "
                "count each time they are used); keep it to plain 'key: value' lines",
            )
        return loader.construct_document(node), node
    finally:
        loader.dispose()


def split(text: str) -> Document:
    """Parse `---\\nYAML\\n---\\nbody`. Raises FrontMatterError with a file line."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise FrontMatterError(1, "missing YAML front matter (the file must start with '---')")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise FrontMatterError(1, "front matter is not closed by a '---' line")
    yaml_text = "\n".join(lines[1:end])
    offset = 2  # YAML line 0 is file line 2
    try:
        data, node = _load(yaml_text, offset)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + offset if mark else 1
        raise FrontMatterError(line, f"bad YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise FrontMatterError(1, f"bad YAML: {exc}") from exc
    except (RecursionError, ValueError, TypeError, OverflowError) as exc:
        if isinstance(exc, FrontMatterError):
            raise
        # The constructor refused a value it could not build (an unhashable key, a merge of a list).
        raise FrontMatterError(1, f"bad YAML: {type(exc).__name__}: {str(exc)[:120]}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError(offset, "front matter must be a mapping of 'key: value' lines")
    key_lines = _key_lines(node, offset) if node is not None else {}
    body = "\n".join(lines[end + 1 :])
    return Document(data=data, body=body, body_line=end + 2, key_lines=key_lines)
