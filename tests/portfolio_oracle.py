"""What the digest must say about a folder, worked out here from the rules of issue 15 and DESIGN.md's
cadence, by reading the files directly (tests/test_scenario_folders.py's reader), not through `bot/`.

- An unanswered message (the latest `in` entry with no later `out`) always puts a customer in the digest.
- `never` and opted-out customers appear only for that, with no other reason.
- Everyone else appears when proactive contact is allowed at some day of the window: `contact_overdue`
  when overdue, `contact_due` otherwise; dates in their `facts` inside the window are reasons too; a VIP
  with no touch either way for longer than their window is `vip_untouched`.
- Too soon for the whole window: absent (unless unanswered, and then with that reason only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.test_scenario_folders import WINDOWS, Customer, as_date, sections, split_front

OUTREACH_CODES = {"contact_overdue", "contact_due", "renewal_due", "date_due", "vip_untouched"}
DATE_CODES = {"renewal_due", "date_due"}


@dataclass
class Expected:
    id: str
    appears: bool
    must: set[str] = field(default_factory=set)  # reason codes that must be there
    only: set[str] | None = None  # when set: exactly these codes
    first_allowed: dt.date | None = None  # proactive contact allowed from (None: never / opted out)
    unanswered_on: dt.date | None = None
    fact_dates: dict[str, dt.date] = field(default_factory=dict)  # facts dates inside the window


def last_out(c: Customer) -> dt.date | None:
    outs = [h[0] for h in c.history if h[2] == "out"]
    stated = as_date(c.contact.get("last_contacted"))
    return max([d for d in [*outs, stated] if d is not None], default=None)


def first_allowed(c: Customer, today: dt.date) -> dt.date | None:
    state = c.state(today)
    if state in ("never", "opt_out"):
        return None
    last = last_out(c)
    if last is None or state in ("overdue", "due"):
        return today
    return max(last + dt.timedelta(days=WINDOWS[c.contact["frequency"]]), today)


def untouched_vip(c: Customer, today: dt.date) -> bool:
    if c.front.get("tier") != "vip" or c.contact.get("frequency") not in WINDOWS:
        return False
    touches = [h[0] for h in c.history if h[0] <= today]
    stated = as_date(c.contact.get("last_contacted"))
    touches += [stated] if stated else []
    last = max(touches, default=None) or as_date(c.front.get("customer_since"))
    return last is not None and (today - last).days > WINDOWS[c.contact["frequency"]]


def expect(c: Customer, today: dt.date, days: int) -> Expected:
    until = today + dt.timedelta(days=days)
    unanswered = c.unanswered()
    on = max(h[0] for h in c.history if h[2] == "in") if unanswered else None
    allowed = first_allowed(c, today)
    reaching = allowed is not None and allowed <= until
    exp = Expected(id=c.front["id"], appears=unanswered or reaching, first_allowed=allowed, unanswered_on=on)
    if unanswered:
        exp.must.add("unanswered_message")
    if not reaching:
        exp.only = {"unanswered_message"} if unanswered else set()
        return exp
    exp.must.add("contact_overdue" if c.state(today) == "overdue" else "contact_due")
    facts = c.front.get("facts") or {}
    exp.fact_dates = {k: v for k, v in facts.items() if isinstance(v, dt.date) and today <= v <= until}
    if untouched_vip(c, today):
        exp.must.add("vip_untouched")
    return exp


def private_lines(c: Customer) -> list[str]:
    """The `## Private` notes, one per line, long enough to be told apart from ordinary words."""
    text = c.parts.get("Private", "")
    return [line.strip().lstrip("-").strip() for line in text.splitlines() if len(line.strip()) > 12]


@dataclass
class Perk:
    name: str
    source: str  # the playbook file, relative to the folder
    for_: str
    every_days: int | None


def declared_perks(knowledge: Path) -> list[Perk]:
    found: list[Perk] = []
    for path in sorted(knowledge.glob("playbook/**/*.md")):
        front, _ = split_front(path)
        for raw in front.get("perks") or []:
            rel = path.relative_to(knowledge).as_posix()
            found.append(Perk(str(raw["name"]), rel, str(raw.get("for", "vip")), raw.get("every_days")))
    return found


def load_customers(knowledge: Path) -> dict[str, Customer]:
    return {c.front["id"]: c for c in map(Customer, sorted(knowledge.glob("customers/**/*.md")))}


def check_digest(out: dict[str, Any], knowledge: Path, today: dt.date, days: int) -> None:
    """Every rule of the digest, checked on `rapport digest --json` output against the folder."""
    customers = load_customers(knowledge)
    assert out["as_of"] == today.isoformat()
    entries = out["customers"]
    for e in entries:
        assert {"id", "name", "reasons", "next_step", "due"} <= set(e), e
    got = {e["id"]: e for e in entries}
    assert len(got) == len(entries), "a customer listed twice"
    until = today + dt.timedelta(days=days)
    for cid, c in customers.items():
        exp = expect(c, today, days)
        assert (cid in got) == exp.appears, f"{cid}: expected {'in' if exp.appears else 'out of'} the digest"
        if not exp.appears:
            continue
        e = got[cid]
        codes = set(e["reasons"])
        assert e["name"] == c.front["name"]
        assert "contact_too_soon" not in codes
        assert exp.must <= codes, f"{cid}: {codes} lacks {exp.must - codes}"
        if exp.only is not None:
            assert codes == exp.only, f"{cid}: only {exp.only} allowed, got {codes}"
        dated = [r for r in e.get("why", []) if r["code"] in DATE_CODES]
        assert {r["key"]: dt.date.fromisoformat(r["date"]) for r in dated} == exp.fact_dates, cid
        due = dt.date.fromisoformat(e["due"])
        if "unanswered_message" in codes:
            assert exp.unanswered_on is not None and due >= exp.unanswered_on, cid
            assert e["next_step"]["intent"] == "reply", f"{cid}: an unanswered message is answered first"
        elif "contact_overdue" in codes:
            assert due <= today, f"{cid}: overdue, yet due {due}"
        else:
            assert due == exp.first_allowed and today <= due <= until, f"{cid}: due {due}, allowed {exp.first_allowed}"
        if e["next_step"]["intent"] == "outreach":
            assert exp.first_allowed is not None, f"{cid}: outreach suggested to a reply-only customer"
    # Most urgent first: unanswered messages, oldest first, then by the date due.
    flags = ["unanswered_message" in e["reasons"] for e in entries]
    assert flags == sorted(flags, reverse=True), "an unanswered message must come before all outreach"
    waiting = [
        expect(customers[e["id"]], today, days).unanswered_on for e in entries if "unanswered_message" in e["reasons"]
    ]
    assert waiting == sorted(waiting), f"unanswered messages must be oldest first: {waiting}"  # type: ignore[type-var]
    dues = [e["due"] for e in entries if "unanswered_message" not in e["reasons"]]
    assert dues == sorted(dues), f"outreach must be ordered by the date due: {dues}"


def check_no_private(text: str, knowledge: Path) -> None:
    for cid, c in load_customers(knowledge).items():
        for line in private_lines(c):
            assert line not in text, f"{cid}: a private note reached the output: {line!r}"


def check_perks(out: dict[str, Any], knowledge: Path) -> None:
    """A perk is suggested only from a playbook `perks:` list, only to whom it is for."""
    customers = load_customers(knowledge)
    declared = {(p.name, p.source): p for p in declared_perks(knowledge)}
    for e in out["customers"]:
        perk = e["next_step"].get("perk")
        if perk is None:
            continue
        p = declared.get((perk["name"], perk["source"]))
        assert p is not None, f"{e['id']}: {perk} is not declared in the playbook"
        assert p.for_ == "all" or customers[e["id"]].front.get("tier") == "vip", f"{e['id']}: not a VIP"


def staff_only_text(knowledge: Path) -> list[str]:
    out: list[str] = []
    for path in knowledge.glob("playbook/**/*.md"):
        part = sections(split_front(path)[1]).get("Staff only")
        out += [line.strip() for line in (part or "").splitlines() if len(line.strip()) > 20]
    return out
