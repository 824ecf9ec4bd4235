"""How an export's columns become customer fields: the map format, presets, and header matching.

Presets are map files shipped in `bot/importer/presets/`; `--map FILE.yml` is the same format
and may `extends:` a preset. Column names match case-insensitively with spaces collapsed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.importer.values import DateOrder

PRESET_DIR = Path(__file__).resolve().parent / "presets"
PRESETS = ("hubspot", "salesforce", "shopify", "pipedrive", "generic")
FieldName = Literal[
    "id",
    "name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "role",
    "segment",
    "tier",
    "lifetime_value",
    "customer_since",
    "tags",
]
ConsentKind = Literal["marketing", "phone", "sms"]
Signal = Literal["in", "out", "none"]


class MapError(ValueError):
    """A map file or preset that cannot be used (the message names the file and key)."""


def _names(value: object) -> object:
    return [value] if isinstance(value, str) else value


def norm(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").strip().strip("\"'").split()).casefold()


class ConsentSource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    column: list[str] = Field(min_length=1)
    values: dict[str, Signal]

    @field_validator("column", mode="before")
    @classmethod
    def _column_list(cls, value: object) -> object:
        return _names(value)

    @field_validator("values", mode="before")
    @classmethod
    def _keys(cls, value: object) -> object:
        return {norm(str(k)): v for k, v in value.items()} if isinstance(value, dict) else value


class Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    segment: Literal["b2b", "b2c"] | None = None
    tier: Literal["standard", "vip"] | None = None


class MapFile(BaseModel):
    """One map file (see README, "Bringing customers in")."""

    model_config = ConfigDict(extra="forbid")

    extends: str | None = None
    id_prefix: str | None = Field(default=None, pattern=r"^[a-z0-9_-]+$")
    id_format: Literal["plain", "salesforce"] | None = None
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    sheet: str | None = None
    decimal: Literal[".", ","] | None = None
    date_order: DateOrder | None = None
    date_formats: list[str] = Field(default_factory=list)
    defaults: Defaults = Field(default_factory=Defaults)
    columns: dict[FieldName, list[str]] = Field(default_factory=dict)
    values: dict[Literal["segment", "tier"], dict[str, str]] = Field(default_factory=dict)
    consent: dict[ConsentKind, list[ConsentSource]] = Field(default_factory=dict)
    detect: list[str] = Field(default_factory=list)  # presets: columns that identify this export

    @field_validator("columns", mode="before")
    @classmethod
    def _column_lists(cls, value: object) -> object:
        return {k: _names(v) for k, v in value.items()} if isinstance(value, dict) else value

    @field_validator("values", mode="before")
    @classmethod
    def _value_keys(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        return {k: {norm(str(a)): b for a, b in (v or {}).items()} for k, v in value.items()}

    def merged_over(self, base: MapFile) -> MapFile:
        """This map on top of `base`: keys given here win; columns and values merge field by field."""
        data = base.model_dump(exclude={"detect"})
        mine = self.model_dump(exclude_unset=True, exclude={"extends", "columns", "values", "consent", "defaults"})
        data.update(mine)
        data["columns"] = {**base.columns, **self.columns}
        data["values"] = {k: {**base.values.get(k, {}), **self.values.get(k, {})} for k in {*base.values, *self.values}}
        data["consent"] = {**base.consent, **self.consent}
        data["defaults"] = {
            **base.defaults.model_dump(exclude_none=True),
            **self.defaults.model_dump(exclude_none=True),
        }
        data["extends"] = None
        return MapFile.model_validate(data)


def load_map(path: Path) -> MapFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise MapError(f"{path}: cannot read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise MapError(f"{path}{where}: bad YAML ({getattr(exc, 'problem', exc)})") from exc
    if not isinstance(raw, dict):
        raise MapError(f"{path}: a map file is a mapping of keys (columns:, values:, consent:, ...)")
    try:
        spec = MapFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "map"
        raise MapError(f"{path}: {where}: {err['msg']}") from exc
    if spec.extends:
        spec = spec.merged_over(preset(spec.extends))
    return spec


def preset(name: str) -> MapFile:
    if name not in PRESETS:
        raise MapError(f"unknown preset {name!r} (presets: {', '.join(PRESETS)})")
    spec = load_map(PRESET_DIR / f"{name}.yml")
    return spec.model_copy(update={"id_prefix": spec.id_prefix or name})


def detect(headers: list[str]) -> tuple[str, list[str]]:
    """The preset whose distinctive columns the file has most of (at least two), else generic."""
    have = {norm(h) for h in headers}
    best, best_hits = "generic", list[str]()
    for name in PRESETS:
        hits = [c for c in preset(name).detect if norm(c) in have]
        if len(hits) >= 2 and len(hits) > len(best_hits):
            best, best_hits = name, hits
    return best, best_hits


@dataclass
class Resolved:
    """A map applied to one file's header row: which column index feeds which field."""

    spec: MapFile
    fields: dict[str, list[int]] = field(default_factory=dict)  # field -> indexes present, in preference order
    consent: dict[str, list[tuple[int, ConsentSource]]] = field(default_factory=dict)
    used: set[int] = field(default_factory=set)

    def header_of(self, headers: list[str], index: int) -> str:
        return headers[index] if index < len(headers) else f"column {index + 1}"


def resolve(spec: MapFile, headers: list[str]) -> Resolved:
    index: dict[str, int] = {}
    for i, header in enumerate(headers):
        index.setdefault(norm(header), i)
    out = Resolved(spec)
    for name, columns in spec.columns.items():
        found = [index[norm(c)] for c in columns if norm(c) in index]
        if found:
            out.fields[name] = list(dict.fromkeys(found))
            out.used.update(found)
    for kind, sources in spec.consent.items():
        for source in sources:
            found = [index[norm(c)] for c in source.column if norm(c) in index]
            if found:
                out.consent.setdefault(kind, []).append((found[0], source))
                out.used.add(found[0])
    return out


def require(resolved: Resolved, headers: list[str], segment_given: bool) -> None:
    """Stop before reading rows when the file cannot give what every customer needs."""
    shown = ", ".join(h for h in headers if h) or "(none)"
    if not {"name", "first_name", "last_name"} & set(resolved.fields):
        raise MapError(
            f"no name column (looked for {_looked(resolved.spec, 'name', 'first_name', 'last_name')}); "
            f"the file's columns: {shown}"
        )
    if "segment" not in resolved.fields and not resolved.spec.defaults.segment and not segment_given:
        raise MapError(
            "no segment: the file has no segment column and this preset no default; pass --segment b2b|b2c "
            "or set `defaults: {segment: b2c}` in a --map file"
        )


def _looked(spec: MapFile, *names: str) -> str:
    cols: list[str] = []
    for n in names:
        cols += spec.columns.get(n, [])  # type: ignore[call-overload]
    return ", ".join(repr(c) for c in cols) or "nothing: map one with --map"
