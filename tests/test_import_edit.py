"""The front-matter splice behind `rapport import`: only the changed keys' lines move, on any file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.importer.mapping import preset, resolve
from bot.importer.merge import Options
from bot.importer.plan import build
from bot.importer.reading import read_table
from bot.importer.writing import write
from bot.importer.yamledit import set_fields
from bot.knowledge.models import Customer
from bot.knowledge.parser import parse_text
from bot.knowledge.writer import append_history
from tests.conftest import SAMPLE, TODAY

SAMPLES = sorted(SAMPLE.glob("customers/*.md"))
POOL: dict[str, st.SearchStrategy[object]] = {
    "name": st.sampled_from(["Ann Lee", "Zoë O'Connor", "yes", "Okafor Outdoors, Ltd"]),
    "email": st.sampled_from(["new@example.com", "Z@EXAMPLE.org"]),
    "phone": st.sampled_from(["+44 7700 900999", "0113 496 0000"]),
    "company": st.sampled_from(["Peak & Pine", "a: b", "#1 Coffee"]),
    "role": st.sampled_from(["Buyer", "Head of Purchasing"]),
    "segment": st.sampled_from(["b2b", "b2c"]),
    "tier": st.sampled_from(["vip", "standard"]),
    "lifetime_value": st.sampled_from([0.0, 12.5, 4200.0]),
    "customer_since": st.sampled_from([dt.date(2020, 2, 29), dt.date(2024, 12, 31)]),
    "tags": st.sampled_from([["vip"], ["a,b", "no"], []]),
    "contact.marketing_opt_out": st.booleans(),
    "contact.channels": st.sampled_from([["email"], ["phone", "sms"]]),
    "contact.frequency": st.sampled_from(["never", "weekly"]),
}


def value_of(customer: Customer, key: str) -> object:
    head, _, tail = key.partition(".")
    return getattr(customer.contact, tail) if head == "contact" else getattr(customer, head)


def untouched(text: str, leaves: set[str]) -> list[str]:
    return [line for line in text.splitlines() if line.strip().split(":", 1)[0] not in leaves]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(SAMPLES), st.dictionaries(st.sampled_from(sorted(POOL)), st.none(), min_size=1), st.data())
def test_only_the_changed_keys_lines_differ(path: Path, keys: dict[str, None], data: st.DataObject) -> None:
    changes = {key: data.draw(POOL[key]) for key in keys}
    text = path.read_text(encoding="utf-8")
    new = set_fields(text, changes)
    parsed = parse_text(f"customers/{path.name}", new)
    assert isinstance(parsed.item, Customer), parsed.problems
    for key, value in changes.items():
        assert value_of(parsed.item, key) == value, key
    leaves = {key.rsplit(".", 1)[-1] for key in changes}
    assert untouched(new, leaves) == untouched(text, leaves)
    assert new.split("\n---\n", 1)[1] == text.split("\n---\n", 1)[1]  # the body


def test_odd_but_valid_front_matter() -> None:
    text = (
        "---\nid: c-1\nname: Ann   # legal name\nphone:\nrole: >\n  Head of\n  buying\n"
        "segment: b2c\ncontact: {channels: [email]}\n---\nBody\n"
    )
    new = set_fields(
        text, {"phone": "+1 555", "role": "Buyer", "name": "Ann Lee", "contact.marketing_opt_out": True, "tier": "vip"}
    )
    assert new == (
        '---\nid: c-1\nname: Ann Lee   # legal name\nphone: "+1 555"\nrole: Buyer\n'
        "segment: b2c\ntier: vip\ncontact: {channels: [email], marketing_opt_out: true}\n---\nBody\n"
    )


def test_a_missing_contact_block_goes_where_design_md_puts_it() -> None:
    text = "---\nid: c-1\nname: Ann\nsegment: b2c\ntags: [x]\n---\n"
    new = set_fields(text, {"contact.marketing_opt_out": True, "contact.channels": ["email"], "email": "a@b.co"})
    assert new == (
        "---\nid: c-1\nname: Ann\nemail: a@b.co\nsegment: b2c\n"
        "contact:\n  channels: [email]\n  marketing_opt_out: true\ntags: [x]\n---\n"
    )


def test_a_note_written_during_the_import_is_kept(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    (knowledge / "customers").mkdir(parents=True)
    target = knowledge / "customers" / "ann.md"
    target.write_text("---\nid: cus-1\nname: Ann Lee\nemail: ann@example.com\nsegment: b2c\n---\n## History\n")
    csv = tmp_path / "c.csv"
    csv.write_text("Name,Email,Company\nAnn Lee,ann@example.com,Lee Roasters\n")
    table = read_table(csv)
    outcome = build(table, resolve(preset("generic"), table.headers), knowledge, TODAY, Options(segment="b2c"))
    assert outcome.count("update") == 1
    append_history(target, "- 2026-11-22 email out (Sam): Sent the price list.")  # between planning and writing
    write(outcome, knowledge)
    text = target.read_text()
    assert "company: Lee Roasters" in text and "- 2026-11-22 email out (Sam): Sent the price list." in text
    assert not list((knowledge / "customers").glob(".*"))  # no staged file left behind
