"""Consent and cadence rules, pinned to DESIGN.md's "Contact cadence, precisely"."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from bot.knowledge.models import Contact, Customer, HistoryEntry
from bot.services.cadence import consent_warnings, contact_state, last_contact
from bot.services.channels import requested_channel
from bot.services.container import Services
from bot.services.reading import Reader, unanswered_entry

TODAY = dt.date(2026, 11, 22)


def person(frequency: str = "monthly", opt_out: bool = False, last: dt.date | None = None, **kw: object) -> Customer:
    return Customer(
        id="cus-1",
        name="Ann Lee",
        segment="b2c",
        contact=Contact(channels=["email"], frequency=frequency, marketing_opt_out=opt_out, last_contacted=last),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def entry(day: dt.date, direction: str, line: int = 10) -> HistoryEntry:
    return HistoryEntry(line=line, text="x", date=day, channel="email", direction=direction)  # type: ignore[arg-type]


def codes(c: Customer, proactive: bool = True) -> list[str]:
    return [w.code for w in consent_warnings(c, TODAY, proactive)]


def test_last_contact_is_the_later_of_field_and_newest_out_entry() -> None:
    c = person(
        last=dt.date(2026, 10, 1), history=[entry(dt.date(2026, 10, 20), "out"), entry(dt.date(2026, 11, 20), "in")]
    )
    assert last_contact(c) == dt.date(2026, 10, 20)  # inbound does not count
    assert last_contact(person(last=dt.date(2026, 11, 2), history=[entry(dt.date(2026, 10, 20), "out")])) == dt.date(
        2026, 11, 2
    )


def test_too_soon_names_the_first_allowed_date() -> None:
    c = person("monthly", last=dt.date(2026, 11, 1))
    state = contact_state(c, TODAY)
    assert state.too_soon and state.next_allowed == dt.date(2026, 12, 1)
    warning = consent_warnings(c, TODAY, proactive=True)
    assert [w.code for w in warning] == ["contact_too_soon"] and "2026-12-01" in warning[0].message
    assert codes(c, proactive=False) == []  # a reply is never too soon


def test_boundaries_of_the_window() -> None:
    on_the_day = person("weekly", last=TODAY - dt.timedelta(days=7))
    assert codes(on_the_day) == []  # neither too soon nor overdue on the first allowed date
    assert codes(person("weekly", last=TODAY - dt.timedelta(days=6))) == ["contact_too_soon"]
    assert codes(person("weekly", last=TODAY - dt.timedelta(days=8))) == ["contact_overdue"]
    assert codes(person("quarterly", last=TODAY - dt.timedelta(days=91))) == ["contact_overdue"]


def test_overdue_with_no_outbound_contact_ever() -> None:
    assert codes(person("monthly", customer_since=dt.date(2026, 9, 1))) == ["contact_overdue"]
    assert codes(person("monthly", customer_since=dt.date(2026, 11, 1))) == []
    first_entry = person("weekly", history=[entry(dt.date(2026, 11, 1), "in")])
    assert codes(first_entry) == ["contact_overdue"]  # customer since the first history entry


def test_opt_out_and_never_replace_cadence_warnings() -> None:
    assert codes(person("monthly", opt_out=True, last=dt.date(2026, 11, 20))) == ["marketing_opt_out"]
    assert codes(person("never", last=dt.date(2025, 1, 1))) == ["no_contact"]
    assert codes(person("never", opt_out=True)) == ["marketing_opt_out", "no_contact"]


@given(
    frequency=st.sampled_from(["weekly", "monthly", "quarterly", "never"]),
    opt_out=st.booleans(),
    days_ago=st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
    proactive=st.booleans(),
)
def test_cadence_properties(frequency: str, opt_out: bool, days_ago: int | None, proactive: bool) -> None:
    last = TODAY - dt.timedelta(days=days_ago) if days_ago is not None else None
    c = person(frequency, opt_out, last, customer_since=dt.date(2020, 1, 1))
    found = codes(c, proactive)
    if opt_out or frequency == "never":
        assert "contact_too_soon" not in found and "contact_overdue" not in found
    assert ("marketing_opt_out" in found) == opt_out
    assert ("no_contact" in found) == (frequency == "never")
    assert not ("contact_too_soon" in found and "contact_overdue" in found)
    if not proactive:
        assert "contact_too_soon" not in found


def test_reply_and_outreach_cues(sample_services: Services) -> None:
    reader = Reader(sample_services.knowledge.snapshot().meaning)
    ann = person()
    assert reader.read("How should I reply to Ann about the late parcel?", ann).intent == "reply"
    assert reader.read("She asked whether the grinder is covered", ann).intent == "reply"
    assert reader.read("answer Ann's question about prices", ann).intent == "reply"
    assert reader.read("Should I check in with Ann this week?", ann).intent == "outreach"
    assert reader.read("what could I send her about cold brew", ann).intent == "outreach"
    assert reader.read("time to reach out to Ann", ann).intent == "outreach"
    assert requested_channel("text her about the delivery") == ("sms", None)
    assert requested_channel("give him a call tomorrow") == ("phone", None)


def test_no_cue_is_a_reply_and_says_whether_it_is_sure(sample_services: Services) -> None:
    """An unanswered message is answered; with no sign at all, a reply is still the safe reading (issue 9)."""
    reader = Reader(sample_services.knowledge.snapshot().meaning)
    waiting = person(history=[entry(dt.date(2026, 11, 1), "out", 10), entry(dt.date(2026, 11, 20), "in", 11)])
    answered = person(history=[entry(dt.date(2026, 11, 20), "in", 10), entry(dt.date(2026, 11, 21), "out", 11)])
    first = reader.read("Ann and the beans", waiting, unanswered=unanswered_entry(waiting))
    assert first.intent == "reply" and first.message is not None and first.message.origin == "history"
    second = reader.read("Ann and the beans", answered, unanswered=unanswered_entry(answered))
    assert second.intent == "reply" and not second.sure and second.message is None
