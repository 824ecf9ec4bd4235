"""Split a Markdown file into YAML front matter and body, keeping line numbers.

Errors name the line in the file, not in the YAML fragment, so `rapport check`
can print `path:line: message` that an editor jumps to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml


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
    """A safe loader that keeps an impossible date (2026-02-30) as text, so validation names its field."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except ValueError:
        return str(node.value)


LOADER.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _key_lines(node: yaml.Node, prefix: str, offset: int, out: dict[str, int]) -> None:
    if not isinstance(node, yaml.MappingNode):
        return
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        key = f"{prefix}{key_node.value}"
        out[key] = key_node.start_mark.line + offset
        _key_lines(value_node, f"{key}.", offset, out)


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
        node = yaml.compose(yaml_text, Loader=LOADER)
        data = yaml.load(yaml_text, Loader=LOADER)  # LOADER is a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + offset if mark else 1
        raise FrontMatterError(line, f"bad YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise FrontMatterError(1, f"bad YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError(offset, "front matter must be a mapping of 'key: value' lines")
    key_lines: dict[str, int] = {}
    if node is not None:
        _key_lines(node, "", offset, key_lines)
    body = "\n".join(lines[end + 1 :])
    return Document(data=data, body=body, body_line=end + 2, key_lines=key_lines)
