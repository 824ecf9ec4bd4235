"""Block Kit builders are pure: tested on `.to_dict()`, against Slack's limits and the privacy rules."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot.core.answer import Answer, Cadence, Candidate, ContentIdea, CustomerRef, Draft, Warning
from bot.knowledge.models import Customer, Section
from bot.slack.answer_blocks import answer_blocks, answer_text
from bot.slack.blocks import chunk_blocks, esc, split_text
from bot.slack.cards import customer_card, suggestion_modal
from bot.slack.constants import MAX_BUTTON_VALUE
from bot.slack.payloads import DraftState, PickState, SuggestionMeta, parse_state, plain_text
from bot.slack.surface import ThreadSurface
from tests.conftest import TODAY
from tests.fake_slack import BOT_TOKEN, FakeSlack
from tests.slack_requests import all_text

SECRET = "QUOKKA-PRIVATE-7781"


def customer() -> Customer:
    return Customer(
        id="cus-0042",
        name="Jane <Okafor>",
        preferred_name="Jane",
        segment="b2c",
        company="Okafor & Sons",
        path="customers/jane.md",
        private=[Section(line=20, text=f"Never mention {SECRET}.")],
        notes=[Section(line=18, text="Runs the Peak District half marathon.")],
    )


def answer(drafts: list[Draft], **extra: object) -> Answer:
    return Answer(
        question="How should I answer Jane?",
        customer=CustomerRef(id="cus-0042", name="Jane <Okafor>", preferred_name="Jane"),
        drafts=drafts,
        cadence=Cadence(last_contact="2026-11-01", next_allowed="2026-12-01", frequency="monthly"),
        **extra,  # type: ignore[arg-type]
    )


def dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [b.to_dict() for b in blocks]  # to_dict() validates Slack's limits


def test_split_text_respects_the_limit_and_prefers_boundaries() -> None:
    text = "\n\n".join(f"Paragraph {i}. " + "word " * 300 for i in range(5))
    pieces = split_text(text, 3000)
    assert all(len(p) <= 3000 for p in pieces) and len(pieces) > 1
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())
    assert all(len(p) <= 100 for p in split_text("x" * 250, 100))


def test_a_long_draft_becomes_several_sections_and_messages() -> None:
    long = Draft(text=("A sentence about the order. " * 400).strip(), channel="email", sources=["playbook/x.md"])
    blocks = dicts(answer_blocks(answer([long] * 12), customer(), [f"d{i}" for i in range(12)], origin="mention"))
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
    assert len(blocks) > 50
    chunks = chunk_blocks(answer_blocks(answer([long] * 12), customer(), [f"d{i}" for i in range(12)], origin="x"))
    assert [len(c) <= 50 for c in chunks] == [True] * len(chunks) and len(chunks) >= 2


def test_a_long_answer_is_posted_as_several_messages_each_with_a_fallback() -> None:
    fake = FakeSlack().start()
    try:
        client = WebClient(token=BOT_TOKEN, base_url=fake.api_url)
        long = Draft(text="Hello. " * 900, channel="email")
        blocks = answer_blocks(answer([long] * 12), customer(), [f"d{i}" for i in range(12)], origin="mention")
        ThreadSurface(client, "C1", "1.2", "U1").show(blocks, "Rapport: drafts")
        posts = [c.args for c in fake.calls_to("chat.postMessage")]
    finally:
        fake.stop()
    assert len(posts) >= 2 and all(len(p["blocks"]) <= 50 for p in posts)
    assert posts[0]["text"] == "Rapport: drafts" and all(p["text"] for p in posts[1:])
    assert all(p["thread_ts"] == "1.2" for p in posts)


def test_buttons_carry_their_state_under_2000_characters() -> None:
    state = DraftState(c="cus-0042", d="abc", ch="sms", q="q" * 3000, t="Hi Jane, " + "t" * 3000, o="mention")
    value = state.encode()
    assert len(value) <= MAX_BUTTON_VALUE
    back = parse_state(DraftState, value)
    assert back is not None and back.c == "cus-0042" and back.ch == "sms" and back.t.startswith("Hi Jane, ")
    short = DraftState(c="cus-1", d="x", q="Who?", t="Hi!")
    assert parse_state(DraftState, short.encode()) == short
    assert parse_state(DraftState, "{}") is None and parse_state(PickState, "not json") is None
    assert len(SuggestionMeta(q="m" * 5000).encode()) <= 3000


def test_the_thread_answer_never_shows_private_notes_but_the_card_does() -> None:
    a = answer([Draft(text="Hi Jane, thanks.", channel="email")])
    thread = json.dumps(dicts(answer_blocks(a, customer(), ["d1"], origin="mention")))
    assert SECRET not in thread and "Jane &lt;Okafor&gt;" in thread and "Okafor &amp; Sons" in thread
    card = all_text(dicts(customer_card(customer(), a.cadence or Cadence(frequency="monthly"), [], TODAY)))
    assert SECRET in card and "Private (staff only" in card


def test_warnings_come_before_drafts_and_ideas_after() -> None:
    a = answer(
        [Draft(text="Hi Jane.", channel="email", sources=["playbook/returns.md"])],
        warnings=[Warning(code="contact_too_soon", message="Too soon <really>.")],
        content_ideas=[ContentIdea(path="c.md", title="Wet trails", url="https://e.org/w", source="ours", reason="r")],
    )
    text = all_text(dicts(answer_blocks(a, customer(), ["d1"], origin="mention")))
    assert text.index("Too soon &lt;really&gt;.") < text.index("Draft 1") < text.index("<https://e.org/w|Wet trails>")
    assert "`playbook/returns.md`" in text


def test_fallback_text_summarises_every_kind_of_answer() -> None:
    assert answer_text(answer([Draft(text="Hi Jane.", channel="email")])).startswith("Rapport: 1 reply draft for")
    ambiguous = Answer(
        candidates=[Candidate(id="a", name="Jane A", score=0.7), Candidate(id="b", name="Jane B", score=0.7)]
    )
    assert "Jane A, Jane B" in answer_text(ambiguous)
    assert len(answer_text(answer([Draft(text="x" * 9000, channel="email")]))) <= 3000
    assert len(answer_text(answer([Draft(text="<&>" * 3000, channel="email")]))) <= 3000


def test_fallback_text_is_escaped_so_a_name_cannot_ping_the_channel() -> None:
    hostile = answer([Draft(text="Hi <!channel>, see <https://x.example|this> & that.", channel="email")])
    text = answer_text(hostile)
    assert "<" not in text and ">" not in text
    assert "&lt;!channel&gt;" in text and "Jane &lt;Okafor&gt;" in text and " &amp; " in text


def test_candidates_become_buttons_with_unique_action_ids() -> None:
    a = Answer(question="Jane?", candidates=[Candidate(id=f"c{i}", name=f"Jane {i}", score=0.7) for i in range(8)])
    blocks = dicts(answer_blocks(a, None, [], origin="mention"))
    ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert ids == [f"pick_customer_{i}" for i in range(5)]


def test_modals_stay_under_100_blocks() -> None:
    long = Draft(text="Hello. " * 900, channel="email")
    blocks = answer_blocks(answer([long] * 20), customer(), [f"d{i}" for i in range(20)], origin="shortcut")
    view = suggestion_modal(blocks, "{}").to_dict()
    assert len(view["blocks"]) == 100 and "Shortened" in all_text(view["blocks"][-1:])


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("<@UBOT> how about <mailto:jane@x.com|jane@x.com>?", "how about jane@x.com?"),
        ("<@UBOT>   ", ""),
        (
            "ask <@U123> &amp; <#C1|support> <!here> <https://x.org/a|the page> &lt;3",
            "ask @U123 & #support @here the page <3",
        ),
    ],
)
def test_plain_text_undoes_slack_escaping(raw: str, plain: str) -> None:
    assert plain_text(raw, drop_user="UBOT") == plain


def test_esc() -> None:
    assert esc("a < b & c > d") == "a &lt; b &amp; c &gt; d"


# -- what staff see: facts, links, one primary action, small print ------------------------


def test_facts_are_shown_to_staff_with_staff_only_ones_labelled_and_never_in_a_draft() -> None:
    from bot.core.answer import Fact

    facts = [
        Fact(text="Grinders have a 2-year warranty.", source="playbook/warranty.md#L5"),
        Fact(text="Check the order number <first>.", source="playbook/warranty.md#L12", staff_only=True),
    ]
    a = answer([Draft(text="Hi Jane, your grinder is covered.", channel="email")], facts=facts)
    blocks = dicts(answer_blocks(a, customer(), ["d1"], origin="mention"))
    text = all_text(blocks)
    assert "*What we know* (for you)\n1. Grinders have a 2-year warranty." in text
    assert "2. :lock: _Staff only:_ Check the order number &lt;first&gt;." in text
    assert "Facts from: 1 `playbook/warranty.md#L5` · 2 `playbook/warranty.md#L12`" in text  # small print
    draft = all_text([b for b in blocks if b.get("block_id", "").startswith("d.d1.")])
    assert "order number" not in draft and "2-year" not in draft  # facts are for staff, drafts stand alone
    assert text.index("What we know") < text.index("Draft 1")


def test_content_urls_cannot_break_out_of_a_link() -> None:
    from bot.slack.blocks import link

    assert (
        link("https://e.org/a?b=1&c=<2>|x", "T & <b>") == "<https://e.org/a?b=1&amp;c=&lt;2&gt;%7Cx|T &amp; &lt;b&gt;>"
    )
    assert link("javascript:alert(1)", "Click") == "Click"  # not a web or mail address: no link at all
    assert link(None, "<!channel>") == "&lt;!channel&gt;"
    idea = ContentIdea(path="c.md", title="Wet <trails>", url="https://e.org/w>|<!here>", source="ours", reason="r")
    text = all_text(dicts(answer_blocks(answer([], content_ideas=[idea]), customer(), [], origin="x")))
    assert "<!here>" not in text and "<https://e.org/w&gt;%7C&lt;!here&gt;|Wet &lt;trails&gt;>" in text


def test_each_draft_has_one_primary_action_a_menu_and_feedback_and_ids_in_small_print() -> None:
    a = answer([Draft(text="Hi Jane.", channel="email", sources=["playbook/returns.md"])] * 2)
    blocks = dicts(answer_blocks(a, customer(), ["d1", "d2"], origin="mention"))
    for d in ("d1", "d2"):
        parts = [b["block_id"].split(".")[2] for b in blocks if b.get("block_id", "").startswith(f"d.{d}.")]
        assert parts == ["head", "t0", "act", "fb", "src"]
    acts = [b for b in blocks if b.get("block_id", "").endswith(".act")]
    assert all(len(b["elements"]) == 2 and b["elements"][0]["style"] == "primary" for b in acts)
    assert all(len(o["value"]) <= 150 for b in acts for o in b["elements"][1]["options"])
    assert "cus-0042" not in all_text([b for b in blocks if b["type"] == "section"])
    assert "`cus-0042` · `customers/jane.md`" in all_text(blocks[-1:])
    modal = dicts(answer_blocks(a, customer(), ["d1", "d2"], origin="shortcut", layout="modal"))
    assert not [b for b in modal if b["type"] == "context_actions"]
    modal_acts = [b for b in modal if b.get("block_id", "").endswith(".act")]
    assert all(
        [e["action_id"] for e in b["elements"]][-2:] == ["draft_helpful", "draft_not_helpful"] for b in modal_acts
    )


def test_a_draft_is_replaced_in_place_and_its_state_read_back() -> None:
    from bot.slack.draft_blocks import replace_draft, state_in

    a = answer([Draft(text="Hi Jane.", channel="email"), Draft(text="Hello Jane.", channel="sms")])
    blocks = dicts(answer_blocks(a, customer(), ["d1", "d2"], origin="mention"))
    state = state_in(blocks, "d2")
    assert state is not None and (state.t, state.ch, state.c) == ("Hello Jane.", "sms", "cus-0042")
    new = [{"type": "section", "block_id": "d.d9.head", "text": {"type": "mrkdwn", "text": "new"}}]
    swapped = replace_draft(blocks, "d2", new)
    assert swapped is not None and len(swapped) == len(blocks) - 4 + 1  # head, text, actions, feedback: no sources
    assert swapped.index(new[0]) == next(i for i, b in enumerate(blocks) if b.get("block_id") == "d.d2.head")
    assert replace_draft(blocks, "nope", new) is None
