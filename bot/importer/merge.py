"""What an import does to each customer file: the changes, the consent rules, the new text.

Only fields the row carries change; tags are added, never removed (staff add their own).
Consent is conservative: an opt-out always applies; consent is never granted back (nor a
channel added) unless `--allow-consent-grant` is given and the row says so explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bot.importer import values as v
from bot.importer.rows import ConsentSignal, ImportRow
from bot.importer.yamledit import ORDER, EditError, render, set_fields
from bot.knowledge.models import Customer
from bot.knowledge.parser import parse_text

SCALARS = ("name", "email", "phone", "company", "role", "segment", "tier", "lifetime_value", "customer_since")
BODY = "## History\n\n## Notes\n\n## Private\n"


@dataclass
class Change:
    key: str
    old: Any
    new: Any
    consent: str = ""  # for consent changes: what in the row caused it

    def shown(self) -> str:
        return f"{self.key}: {_show(self.old)} -> {_show(self.new)}"


@dataclass
class Planned:
    kind: Literal["create", "update", "unchanged"]
    path: str
    id: str
    line: int
    by: str = ""
    changes: list[Change] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # consent the CRM gives that was not applied
    old_text: str | None = None
    new_text: str | None = None


@dataclass
class Options:
    allow_consent_grant: bool = False
    segment: str | None = None  # for new customers when the row has none
    tier: str | None = None


def _show(value: Any) -> str:
    return "(none)" if value is None else render(value)


def _same(key: str, old: Any, new: Any) -> bool:
    if old is None:
        return False
    if key == "email":
        return str(old).casefold() == str(new).casefold()
    if key == "lifetime_value":
        return abs(float(old) - float(new)) < 0.005
    return bool(old == new)


def field_changes(row: ImportRow, customer: Customer) -> list[Change]:
    changes = [
        Change(key, getattr(customer, key), row.fields[key])
        for key in SCALARS
        if key in row.fields and not _same(key, getattr(customer, key), row.fields[key])
    ]
    have = {t.casefold() for t in customer.tags}
    added = [t for t in row.fields.get("tags", []) if t.casefold() not in have]
    if added:
        changes.append(Change("tags", list(customer.tags), [*customer.tags, *added]))
    return changes


def consent_changes(row: ImportRow, customer: Customer, options: Options) -> tuple[list[Change], list[str]]:
    changes: list[Change] = []
    held: list[str] = []
    contact = customer.contact
    marketing = row.consent.get("marketing")
    if marketing and marketing.state == "out" and not contact.marketing_opt_out:
        changes.append(Change("contact.marketing_opt_out", False, True, marketing.source))
    elif marketing and marketing.state == "in" and contact.marketing_opt_out:
        if options.allow_consent_grant:
            changes.append(
                Change("contact.marketing_opt_out", True, False, f"{marketing.source}, --allow-consent-grant")
            )
        else:
            held.append(f"marketing opt-out kept although {marketing.source}")
    channels = list(contact.channels)
    causes: list[str] = []
    for kind in ("phone", "sms"):
        signal = row.consent.get(kind)
        if signal is None:
            continue
        if signal.state == "out" and kind in channels:
            if len(channels) > 1:
                channels.remove(kind)
                causes.append(signal.source)
            elif contact.frequency != "never":
                reason = f"{signal.source}; {kind} is their only channel, so no proactive contact"
                changes.append(Change("contact.frequency", contact.frequency, "never", reason))
        elif signal.state == "in" and kind not in channels and (customer.phone or "phone" in row.fields):
            if options.allow_consent_grant:
                channels.append(kind)
                causes.append(f"{signal.source}, --allow-consent-grant")
            else:
                held.append(f"{kind} not added to contact.channels although {signal.source}")
    if channels != list(contact.channels):
        changes.append(Change("contact.channels", list(contact.channels), channels, "; ".join(causes)))
    return changes, held


def plan_update(row: ImportRow, customer: Customer, root: Path, by: str, options: Options) -> Planned:
    changes = field_changes(row, customer)
    consent, held = consent_changes(row, customer, options)
    changes += consent
    planned = Planned("update" if changes else "unchanged", customer.path, customer.id, row.line, by, changes, held)
    if changes:
        old_text = (root / customer.path).read_bytes().decode("utf-8")  # keeps \r\n line ends
        planned.old_text = old_text
        planned.new_text = edited(old_text, customer, changes)
    return planned


def edited(old_text: str, customer: Customer, changes: list[Change]) -> str:
    """The file with `changes` applied to its front matter, checked by parsing it again."""
    bom = old_text.startswith("\ufeff")
    new_text = set_fields(old_text.removeprefix("\ufeff"), {c.key: c.new for c in changes})
    check(customer.path, new_text, customer.id, changes, before=old_text.removeprefix("\ufeff"))
    return ("\ufeff" if bom else "") + new_text


def check(rel: str, text: str, customer_id: str, changes: list[Change], before: str | None = None) -> None:
    parsed = parse_text(rel, text)
    item = parsed.item
    if not isinstance(item, Customer) or item.id != customer_id:
        problems = "; ".join(str(p) for p in parsed.problems) or "not a customer"
        raise EditError(f"the written file would not read back ({problems})")
    old = {p.message for p in parse_text(rel, before).problems} if before is not None else set()
    new = [p for p in parsed.problems if p.severity == "error" and p.message not in old]
    if new:
        raise EditError(f"the written file would have a problem: {new[0]}")
    for change in changes:
        head, _, tail = change.key.partition(".")
        got = getattr(item.contact, tail) if head == "contact" else getattr(item, head)
        if not (got == change.new or _same(change.key, got, change.new)):
            raise EditError(f"{change.key} would read back as {got!r}, not {change.new!r}")


def plan_create(row: ImportRow, rel: str, options: Options) -> Planned:
    """A new customer file in DESIGN.md's layout; raises ValueError when the row cannot make one."""
    data: dict[str, Any] = {"id": row.id, **{k: row.fields[k] for k in SCALARS if k in row.fields}}
    data.setdefault("segment", options.segment)
    if data["segment"] is None:
        raise ValueError("no segment for a new customer (blank cell and no default; pass --segment)")
    if "tier" not in data and options.tier:
        data["tier"] = options.tier
    contact = {"channels": new_channels(row), "marketing_opt_out": _opted_out(row.consent.get("marketing"))}
    if not contact["channels"]:
        raise ValueError("no way to reach them: no email, and no phone number they allow")
    data["contact"] = contact
    if row.fields.get("tags"):
        data["tags"] = row.fields["tags"]
    lines = ["---"]
    for key in sorted(data, key=ORDER.index):
        if key == "contact":
            lines += ["contact:", *(f"  {k}: {render(val)}" for k, val in contact.items())]
        else:
            lines.append(f"{key}: {render(data[key], key)}")
    text = "\n".join([*lines, "---", BODY])
    changes = [Change(k, None, data[k]) for k in data if k not in ("contact", "id")]
    check(rel, text, row.id, changes)
    return Planned("create", rel, row.id, row.line, changes=changes, new_text=text)


def new_channels(row: ImportRow) -> list[str]:
    """Channels for a new customer: email if we have it; phone only as the way to reach them when no
    email and no Do Not Call; sms only when they explicitly agreed to it."""
    sms, phone = row.consent.get("sms"), row.consent.get("phone")
    channels = ["email"] if "email" in row.fields else []
    if "phone" in row.fields and not channels and not (phone and phone.state == "out"):
        channels.append("phone")
    if "phone" in row.fields and sms and sms.state == "in":
        channels.append("sms")
    return channels


def _opted_out(signal: ConsentSignal | None) -> bool:
    return signal is not None and signal.state == "out"


def new_path(name: str, customer_id: str, taken: set[str]) -> str:
    """customers/<name>.md, or customers/<name>-<id>.md when that name is taken."""
    stem = v.slug(name) or customer_id
    for candidate in (f"customers/{stem}.md", f"customers/{stem}-{customer_id}.md"):
        if candidate not in taken:
            return candidate
    raise ValueError(f"both customers/{stem}.md and customers/{stem}-{customer_id}.md already exist")
