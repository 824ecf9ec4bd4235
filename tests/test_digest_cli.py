"""`rapport digest` and `rapport segments` as a user runs them (a real subprocess, the date pinned), on the
sample folder and on other businesses' folders; expectations come from tests/portfolio_oracle.py, which
reads the files itself and applies the rules of issue 15."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.conftest import SAMPLE, TODAY
from tests.portfolio_oracle import (
    check_digest,
    check_no_private,
    check_perks,
    declared_perks,
    expect,
    load_customers,
    staff_only_text,
)

FOLDERS = Path(__file__).parent / "folders"
FOLDER_TODAY = dt.date(2026, 11, 27)  # tests/folders/README.md
# (name, knowledge folder, pinned date): the sample and the other businesses of tests/folders/
PLACES = [
    ("sample", SAMPLE, TODAY),
    ("it-agency", FOLDERS / "it-agency" / "knowledge", FOLDER_TODAY),
    ("physio-studio", FOLDERS / "physio-studio" / "knowledge", FOLDER_TODAY),
    ("flower-shop", FOLDERS / "flower-shop" / "knowledge", FOLDER_TODAY),
]


def rapport(knowledge: Path, index: Path, today: dt.date, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "--knowledge", str(knowledge), "--index", str(index), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "RAPPORT_TODAY": today.isoformat()},
    )


def run_json(knowledge: Path, index: Path, today: dt.date, *args: str) -> dict[str, Any]:
    done = rapport(knowledge, index, today, *args, "--json")
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout)
    return out


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("digest-indexes")


@pytest.fixture(scope="module", params=PLACES, ids=lambda p: p[0])
def place(request: pytest.FixtureRequest, indexes: Path) -> tuple[Path, Path, dt.date]:
    name, knowledge, today = request.param
    return knowledge, indexes / name, today


def test_digest_json_follows_every_rule_and_draws_a_real_chart(
    place: tuple[Path, Path, dt.date], tmp_path: Path
) -> None:
    knowledge, index, today = place
    chart = tmp_path / "health.png"
    done = rapport(knowledge, index, today, "digest", "--json", "--chart", str(chart))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    check_digest(out, knowledge, today, 7)
    check_perks(out, knowledge)
    check_no_private(done.stdout, knowledge)
    for line in staff_only_text(knowledge):
        assert line not in done.stdout
    assert out["customers"], "every folder has someone who needs us this week"
    assert any("unanswered_message" in e["reasons"] for e in out["customers"])
    # The chart: a real PNG, one bar per customer, tall enough to read.
    with Image.open(chart) as image:
        image.verify()
    with Image.open(chart) as image:
        assert image.format == "PNG"
        width, height = image.size
        assert width >= 600 and height >= 0.25 * 110 * len(load_customers(knowledge))
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is not None and len(colours) > 10, "an empty picture"


@pytest.mark.parametrize("days", [0, 30])
def test_days_widens_or_narrows_the_window(place: tuple[Path, Path, dt.date], days: int) -> None:
    knowledge, index, today = place
    out = run_json(knowledge, index, today, "digest", "--days", str(days))
    check_digest(out, knowledge, today, days)


def test_the_sample_digest_as_a_person_reads_it(indexes: Path) -> None:
    """The rules at work on known customers of the sample (today 2026-11-22)."""
    out = run_json(SAMPLE, indexes / "sample", TODAY, "digest")
    ids = [e["id"] for e in out["customers"]]
    by_id = {e["id"]: e for e in out["customers"]}
    # Alex opted out of marketing but wrote on 2026-11-19: listed, to be answered, and nothing else.
    assert by_id["cus-0005"]["reasons"] == ["unanswered_message"]
    # Sofia (cus-0006) wants no contact and has nothing unanswered: not listed.
    assert "cus-0006" not in ids
    # Oldest unanswered first: Liam's message of 2026-11-09 before Tom's of 2026-11-12.
    assert ids[:2] == ["cus-0010", "cus-0003"]
    # Margaret, a VIP last touched on 2026-10-10 with a monthly window: overdue and untouched.
    assert {"contact_overdue", "vip_untouched"} <= set(by_id["cus-0001"]["reasons"])
    # Jane Whitfield (quarterly, contacted 2026-11-14) is too soon all window long, even a 40-day one
    # that holds her renewal (2026-12-31): she does not appear.
    wider = run_json(SAMPLE, indexes / "sample", TODAY, "digest", "--days", "40")
    assert "cus-0004" not in {e["id"] for e in wider["customers"]}
    # Priya (VIP, weekly, may be contacted again within days): in 60 days her contract renewal on
    # 2027-01-15 is a reason, and the next step is about it.
    wide = run_json(SAMPLE, indexes / "sample", TODAY, "digest", "--days", "60")
    check_digest(wide, SAMPLE, TODAY, 60)
    priya = next(e for e in wide["customers"] if e["id"] == "cus-0007")
    assert "renewal_due" in priya["reasons"] and priya["next_step"]["purpose"] == "renewal"
    assert "2027-01-15" in priya["next_step"]["text"]
    text = rapport(SAMPLE, indexes / "sample", TODAY, "digest")
    assert text.returncode == 0 and "Liam O'Connor" in text.stdout and "Left out:" in text.stdout


def test_bad_arguments_are_refused_with_a_reason(indexes: Path, tmp_path: Path) -> None:
    done = rapport(SAMPLE, indexes / "sample", TODAY, "digest", "--days", "-1")
    assert done.returncode == 2 and "--days" in done.stderr
    done = rapport(SAMPLE, indexes / "sample", TODAY, "digest", "--chart", str(tmp_path / "x.jpg"))
    assert done.returncode == 2 and "PNG" in done.stderr


# -- segments -------------------------------------------------------------------------


def test_segments_group_everyone_and_respect_consent(place: tuple[Path, Path, dt.date]) -> None:
    knowledge, index, today = place
    out = run_json(knowledge, index, today, "segments")
    customers = load_customers(knowledge)
    assert out["customers"] == len(customers)
    segments = out["segments"]
    assert 2 <= len(segments) <= len(customers) // 2, "useful groups: more than one, fewer than singletons"
    members = [m for s in segments for m in s["members"]]
    assert sorted(members) == sorted(customers), "each customer in exactly one segment"
    due_week = {cid for cid, c in customers.items() if expect(c, today, 7).appears}
    names = [s["name"] for s in segments]
    assert len(set(names)) == len(names)
    for s in segments:
        group = [customers[m] for m in s["members"]]
        assert s["size"] == len(group)
        assert s["b2b"] == sum(c.front["segment"] == "b2b" for c in group)
        assert s["b2c"] == sum(c.front["segment"] == "b2c" for c in group)
        assert s["vip"] == sum(c.front.get("tier") == "vip" for c in group)
        held = {str(i).lower() for c in group for i in c.front.get("interests") or []}
        if s["name"] != "Mixed interests":
            for part in s["name"].lower().split(" (")[0].split(" & "):
                assert part in held, f"{s['name']!r}: {part!r} is no interest of its members"
        # Who is due: exactly the members the digest lists this week.
        assert s["due_count"] == len(due_week & set(s["members"]))
        assert {m["id"] for m in s["due"]} <= due_week & set(s["members"])
        # Content: only from the library, and never counted for a member it may not go to.
        reachable = [c for c in group if c.state(today) not in ("never", "opt_out")]
        quiet = len(group) - len(reachable)
        for item in s["content"]:
            assert (knowledge / item["path"]).is_file()
            assert item["may_receive"] + sum(item["blocked"].values()) == s["size"]
            assert item["may_receive"] >= 1
            assert sum(n for why, n in item["blocked"].items() if why.startswith("no outreach")) == quiet
            front = _front(knowledge / item["path"])
            audience = front.get("audience", "all")
            fits = [c for c in reachable if audience in ("all", c.front["segment"])]
            assert item["may_receive"] <= len(fits), f"{item['path']}: counted for members outside {audience}"


def _front(path: Path) -> dict[str, Any]:
    from tests.test_scenario_folders import split_front

    return split_front(path)[0]


# -- stages and perks, on folders written for the rules ---------------------------------

STAGE_TODAY = dt.date(2026, 11, 22)


def _customer(root: Path, cid: str, front: str, history: str) -> None:
    (root / "customers").mkdir(parents=True, exist_ok=True)
    text = f"---\nid: {cid}\nname: {front}\n---\n## History\n{history}\n"
    (root / "customers" / f"{cid}.md").write_text(text, encoding="utf-8")


def stage_folder(root: Path) -> Path:
    """One customer per stage rule (today 2026-11-22), each kept in touch (not overdue) unless the rule
    is about being overdue."""
    c = (
        "\ncontact:\n  channels: [email]\n  frequency: quarterly\n  last_contacted: 2026-11-01"
        "\nsegment: b2c\nemail: {}@example.com"
    )
    _customer(
        root,
        "st-new",
        "Nia New" + c.format("nia") + "\ncustomer_since: 2026-10-01",
        "- 2026-10-02 email in: Asked how to brew the beans.",
    )
    _customer(
        root,
        "st-referrer",
        "Rita Referrer" + c.format("rita") + "\ncustomer_since: 2024-01-10\nfacts:\n  referrals: 2",
        "- 2026-06-02 email in: Asked about a bigger bag.",
    )
    _customer(
        root,
        "st-reviewer",
        "Rob Reviewer" + c.format("rob") + "\ncustomer_since: 2025-02-10",
        "- 2026-09-14 email in: Left us a five-star review on Google and recommended us to two friends at work.",
    )
    _customer(
        root,
        "st-loyal",
        "Lou Loyal" + c.format("lou") + "\ncustomer_since: 2023-03-01",
        "- 2025-12-20 email in: Ordered the Christmas blend again.\n"
        "- 2026-03-15 email in: Ordered a kilo of espresso.\n"
        "- 2026-10-30 email in: Ordered the Kenya for the autumn.",
    )
    overdue = c.format("owen").replace("quarterly", "weekly").replace("2026-11-01", "2026-09-01")
    _customer(
        root,
        "st-overdue",
        "Owen Overdue" + overdue + "\ncustomer_since: 2022-05-01",
        "- 2026-08-30 email in: Ordered beans.",
    )
    _customer(
        root,
        "st-quiet",
        "Quinn Quiet" + c.format("quinn") + "\ncustomer_since: 2024-05-01",
        "- 2026-03-01 email in: Ordered 1 kg.\n- 2026-03-15 email in: Ordered 1 kg.\n"
        "- 2026-03-29 email in: Ordered 1 kg.\n"
        "- 2026-04-12 email in: Ordered 1 kg.",
    )
    _customer(
        root,
        "st-active",
        "Ada Active" + c.format("ada") + "\ncustomer_since: 2025-06-01",
        "- 2026-05-10 email in: Asked whether the decaf is Swiss Water.",
    )
    (root / "playbook").mkdir(exist_ok=True)
    (root / "playbook" / "shipping.md").write_text("---\ntitle: Shipping\n---\nUK delivery takes 2-3 working days.\n")
    return root


EXPECTED_STAGES = {
    "st-new": "new",  # a customer for 52 days
    "st-referrer": "advocate",  # referrals in their facts
    "st-reviewer": "advocate",  # shared their experience
    "st-loyal": "loyal",  # over a year, ordered in each of the last two half-years
    "st-overdue": "at_risk",  # weekly, last contacted 2026-09-01
    "st-quiet": "at_risk",  # ordered every 14 days, silent since April
    "st-active": "active",
}


def test_stages_follow_the_documented_rules_in_the_digest_the_filter_and_the_card(tmp_path: Path) -> None:
    root = stage_folder(tmp_path / "knowledge")
    index = tmp_path / "index"
    out = run_json(root, index, STAGE_TODAY, "digest", "--days", "120")
    stages = {e["id"]: e["stage"] for e in out["customers"]}
    assert set(stages) == set(EXPECTED_STAGES), "everyone may be contacted within 120 days"
    assert {cid: s["name"] for cid, s in stages.items()} == EXPECTED_STAGES
    assert all(s["why"] for s in stages.values()), "each stage says why"
    assert "2026-09-01" in stages["st-overdue"]["why"] and "referrals" in stages["st-referrer"]["why"]
    at_risk = run_json(root, index, STAGE_TODAY, "digest", "--days", "120", "--stage", "at_risk")
    assert {e["id"] for e in at_risk["customers"]} == {"st-overdue", "st-quiet"}
    card = run_json(root, index, STAGE_TODAY, "ask", "How is Quinn Quiet doing?", "--customer", "st-quiet")
    assert card["stage"]["name"] == "at_risk" and "quiet" in card["stage"]["why"]


def test_perks_come_only_from_the_playbook_and_not_again_within_their_interval(tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(SAMPLE, root)
    index = tmp_path / "index"
    perks = {p.name: p for p in declared_perks(root)}
    out = run_json(root, index, TODAY, "digest", "--days", "60")
    check_perks(out, root)
    offered = {e["id"]: e["next_step"]["perk"] for e in out["customers"] if e["next_step"].get("perk")}
    assert offered, "the sample's VIPs who may be contacted get a perk from playbook/vip-perks.md"
    cid, perk = sorted(offered.items())[0]
    interval = perks[perk["name"]].every_days
    assert interval
    # Given today, logged through `rapport note` (what the digest's own hint says to run).
    done = rapport(root, index, TODAY, "note", cid, f"Gave {perk['name']}.", "--direction", "out", "--channel", "email")
    assert done.returncode == 0, done.stderr
    later = run_json(root, index, TODAY, "digest", "--days", str(min(interval - 1, 366)))
    again = next((e for e in later["customers"] if e["id"] == cid), None)
    assert again is not None, "contacted today, they are due again within the window"
    assert (again["next_step"].get("perk") or {}).get("name") != perk["name"], "the same perk within its interval"
    check_perks(later, root)
    # No perks passage, no perk at all: nothing is invented.
    (root / "playbook" / "vip-perks.md").unlink()
    none = run_json(root, index, TODAY, "digest", "--days", "60")
    assert not any(e["next_step"].get("perk") for e in none["customers"])
    assert not any(e["next_step"].get("purpose") == "perk" for e in none["customers"])
    vips = Counter(c.front.get("tier") for c in load_customers(root).values())
    assert vips["vip"] >= 2
