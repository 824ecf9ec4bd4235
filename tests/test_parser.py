"""Parsing one file: typed models, and every problem named with its file and line."""

from __future__ import annotations

import datetime as dt

from bot.knowledge.models import Customer
from bot.knowledge.parser import parse_text

GOOD = """---
id: cus-0042
name: Jane Okafor
preferred_name: Janie
pronouns: she/her
email: jane@example.com
phone: "+44 7700 900123"
segment: b2c
tier: vip
customer_since: 2021-03-14
contact:
  channels: [email, sms]
  frequency: monthly
  last_contacted: 2026-11-01
interests: [trail running]
avoid: [discount codes]
---
## History
- 2026-10-12 email in: Asked whether the Ridge trail shoe comes in a wide fit.
- 2026-10-13 email out (Sam): Sent the wide-fit chart;
  she ordered size 39.

## Notes
Runs the Peak District half marathon every May.

## Private
Asked us not to mention her divorce.
"""


def test_customer_file_parses_into_typed_model() -> None:
    parsed = parse_text("customers/jane.md", GOOD)
    assert parsed.problems == []
    c = parsed.item
    assert isinstance(c, Customer)
    assert (c.id, c.display_name, c.first_name, c.tier) == ("cus-0042", "Janie", "Jane", "vip")
    assert c.contact.channels == ["email", "sms"]
    assert c.contact.last_contacted == dt.date(2026, 11, 1)
    assert [e.line for e in c.history] == [19, 20]
    assert c.history[1].author == "Sam"
    assert c.history[1].text.endswith("she ordered size 39.")  # wrapped continuation joined
    assert c.notes[0].line == 24
    assert "divorce" in c.private_text


def test_preferred_name_defaults_to_first_word() -> None:
    parsed = parse_text("customers/x.md", GOOD.replace("preferred_name: Janie\n", ""))
    assert isinstance(parsed.item, Customer)
    assert parsed.item.display_name == "Jane"


def problems(text: str, path: str = "customers/x.md") -> list[str]:
    return [str(p) for p in parse_text(path, text).problems]


def test_bad_yaml_names_the_line() -> None:
    text = "---\nid: cus-1\nname: [unclosed\nsegment: b2b\n---\n"
    found = problems(text)
    assert len(found) == 1 and found[0].startswith("customers/x.md:") and "bad YAML" in found[0]
    line = int(found[0].split(":")[1])
    assert 3 <= line <= 5


def test_missing_required_field_and_unknown_segment() -> None:
    text = "---\nid: cus-1\nsegment: b2x\n---\n"
    found = problems(text)
    assert "customers/x.md:1: missing required field 'name'" in found
    assert any(p.startswith("customers/x.md:3: field 'segment'") and "b2x" in p for p in found)


def test_nested_field_mistakes_point_at_their_line_and_keep_the_customer() -> None:
    text = "---\nid: cus-1\nname: A B\nsegment: b2c\ncontact:\n  channels: [email, fax]\n  frequency: daily\n---\n"
    parsed = parse_text("customers/x.md", text)
    found = [str(p) for p in parsed.problems]
    assert any(p.startswith("customers/x.md:6: warning: field 'contact.channels.1'") for p in found)
    assert any(p.startswith("customers/x.md:7: warning: field 'contact.frequency'") for p in found)
    assert all(p.severity == "warning" for p in parsed.problems)
    assert isinstance(parsed.item, Customer)
    # The bad channel alone is dropped; the unreadable frequency is read as the careful 'never'.
    assert parsed.item.contact.channels == ["email"] and parsed.item.contact.frequency == "never"


def test_malformed_history_lines_are_reported_and_kept_as_undated_notes() -> None:
    text = GOOD.replace("- 2026-10-12 email in:", "- 2026-13-12 email in:").replace(
        "## Notes", "- no date here\n- 2026-10-20 fax in: Sent a fax.\n\n## Notes"
    )
    parsed = parse_text("customers/x.md", text)
    msgs = [str(p) for p in parsed.problems]
    assert any(m.startswith("customers/x.md:19: warning: malformed history line (bad date '2026-13-12')") for m in msgs)
    assert any(m.startswith("customers/x.md:23: warning: malformed history line") for m in msgs)
    assert any(m.startswith("customers/x.md:24: warning: malformed history line (unknown channel 'fax'") for m in msgs)
    assert isinstance(parsed.item, Customer)
    undated = [e for e in parsed.item.history if not e.dated]
    assert [e.text for e in undated] == [
        "2026-13-12 email in: Asked whether the Ridge trail shoe comes in a wide fit.",
        "no date here",
        "2026-10-20 fax in: Sent a fax.",
    ]


def test_missing_front_matter() -> None:
    assert problems("# just markdown\n") == [
        "customers/x.md:1: missing YAML front matter (the file must start with '---')"
    ]


def test_content_and_playbook_files() -> None:
    content = parse_text(
        "content/a.md", "---\ntitle: T\nsource: third-party\naudience: b2c\npromotional: true\n---\nWhy it helps.\n"
    )
    assert content.problems == [] and content.item is not None
    assert content.item.summary == "Why it helps."  # type: ignore[union-attr]
    bad = parse_text("content/b.md", "---\ntitle: T\naudience: everyone\n---\n")
    assert str(bad.problems[0]).startswith("content/b.md:3: warning: field 'audience'")
    assert bad.item is not None and bad.item.audience == "all"  # type: ignore[union-attr]
    playbook = parse_text("playbook/r.md", "---\ntitle: Returns\n---\nThirty days.\n")
    assert playbook.problems == [] and playbook.item is not None
    assert (
        parse_text("playbook/r.md", "---\ntopics: [x]\n---\n").problems[0].message == "missing required field 'title'"
    )


def test_a_contact_block_that_cannot_be_fully_read_never_allows_more_than_it_says() -> None:
    base = "---\nid: cus-1\nname: A B\nsegment: b2c\ncontact:\n"
    typo = parse_text("customers/x.md", base + "  frequncy: never\n  channels: [sms]\n---\n").item
    assert isinstance(typo, Customer)  # a misspelt key may have been the opt-out: read the careful way
    assert typo.contact.frequency == "never" and typo.contact.marketing_opt_out and typo.contact.channels == ["sms"]
    clean = parse_text("customers/x.md", base + "  channels: [sms, fax]\n  marketing_opt_out: false\n---\n").item
    assert isinstance(clean, Customer)  # only the bad channel goes; what was written and readable stands
    assert clean.contact.channels == ["sms"] and clean.contact.frequency == "monthly"
    assert not clean.contact.marketing_opt_out


def test_names_and_titles_need_a_letter_and_optional_text_may_be_blank() -> None:
    blank = parse_text("customers/x.md", '---\nid: cus-1\nname: " "\nsegment: b2c\n---\n')
    assert blank.item is None and blank.problems[0].severity == "error"
    ok = parse_text("customers/x.md", "---\nid: cus-1\nname: 王伟\npreferred_name: '  '\nsegment: b2c\n---\n").item
    assert isinstance(ok, Customer) and ok.display_name == "王伟"
    assert parse_text("playbook/p.md", "---\ntitle: '--'\n---\nx\n").item is None


def test_a_bad_perk_is_dropped_and_the_page_kept() -> None:
    perks = "perks:\n  - name: Tasting\n    for: VIP\n  - name: Forever\n    every_days: 99999999\n"
    text = f"---\ntitle: Perks\n{perks}---\nx\n"
    parsed = parse_text("playbook/p.md", text)
    assert parsed.item is not None and [p.name for p in parsed.item.perks] == ["Tasting"]  # type: ignore[union-attr]
    assert all(p.severity == "warning" for p in parsed.problems)


def test_an_unreadable_customer_file_keeps_its_raw_identity() -> None:
    parsed = parse_text("customers/x.md", "---\nid: cus-9  # old\nname: 'Olga Petrova'\nemail: o@x.net\ntags: [\n---\n")
    assert parsed.item is None and parsed.raw == {"id": "cus-9", "name": "Olga Petrova", "email": "o@x.net"}


def test_history_entries_given_the_same_fields_share_one_record_of_them_and_stay_apart() -> None:
    import pickle

    front = GOOD[: GOOD.index("## History")]
    text = front + "## History\n- 2026-10-12 email in: A wide fit?\n- 2026-10-20 email in: They fit.\n- a note\n"
    customer = parse_text("customers/jane.md", text).item
    assert isinstance(customer, Customer)
    dated = [e for e in customer.history if e.date is not None and e.author is None]
    undated = [e for e in customer.history if e.date is None]
    assert len(dated) >= 2 and undated
    first, second = dated[:2]
    assert first.__pydantic_fields_set__ is second.__pydantic_fields_set__  # one set, not one per entry
    assert undated[0].model_fields_set == {"line", "text"}
    assert first.model_dump(exclude_unset=True).keys() == {"line", "text", "date", "channel", "direction", "author"}
    signed = undated[0].model_copy(update={"author": "Sam"})
    assert signed.author == "Sam" and "author" in signed.model_fields_set
    assert undated[0].model_fields_set == {"line", "text"}, "a copy's new field reached the shared set"
    later = parse_text("customers/jane.md", text).item
    assert isinstance(later, Customer)
    assert [e.model_fields_set for e in later.history if e.date is None] == [{"line", "text"}]
    again = pickle.loads(pickle.dumps(customer.history))
    assert again == customer.history
