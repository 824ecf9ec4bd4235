"""Two real `rapport serve --http` replicas on one index: A owns it, B follows.

An opt-out edit, a new customer and a `rapport forget` made while both run reach B within BOUND
seconds, B never fails a question meanwhile, and the erased customer's text leaves the disk.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.index.embedding import MiniLMEmbedding
from tests.conftest import SAMPLE, write
from tests.erasure_kit import CANARY, canary_bytes, rapport
from tests.fake_slack import FakeSlack, sample_index
from tests.serve_kit import Served, serve

BOUND = 30.0  # seconds; README states the design bound (owner's debounce + sync, then 1 s + one reload)
PEGGY = "customers/margaret-hughes.md"
ASK_PEGGY = "Should I check in with Peggy Hughes this week?"
OPTED_OUT = "opted out of marketing"
FAILED = "something went wrong"
NOT_FOUND = "couldn't tell which customer"


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Iterator[tuple[Served, Served]]:
    root = tmp_path_factory.mktemp("replicas")
    knowledge = root / "knowledge"
    shutil.copytree(SAMPLE, knowledge)
    with (knowledge / PEGGY).open("a", encoding="utf-8") as handle:
        handle.write(f"\n## Notes\nKeeps her {CANARY} grinder in the shop window.\n")
    index = sample_index(root / "index", tmp_path_factory.getbasetemp(), embedder)
    fake = FakeSlack().start()
    a = serve(knowledge, index, root, fake)
    a.wait_healthy()  # A takes the index lock first: it owns the index
    b = serve(knowledge, index, root, fake)
    b.wait_healthy()
    try:
        yield a, b
    finally:
        logs = b.stop() + a.stop()
        fake.stop()
        assert "Traceback" not in logs, logs[-3000:]


def asking(bot: Served, question: str, holds: Callable[[str], bool], answers: list[str]) -> Callable[[], bool]:
    """A check for `until`: ask B, keep the answer, say whether it shows the change."""

    def check() -> bool:
        answers.append(bot.mention(question))
        return holds(answers[-1])

    return check


def until(check: Callable[[], bool], bound: float = BOUND) -> float:
    """Seconds until `check()` holds (asked repeatedly); fails past the bound."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < bound, f"not within {bound}s"
        time.sleep(0.3)
    return time.monotonic() - start


def test_b_follows_the_owner(replicas: tuple[Served, Served]) -> None:
    a, b = replicas
    assert "follows it" in b.log() and "index ready" in a.log()
    root = Path(a.log_path).parent
    knowledge, index = root / "knowledge", root / "index"
    before = b.mention(ASK_PEGGY)
    assert "Peggy" in before and OPTED_OUT not in before

    peggy = knowledge / PEGGY
    peggy.write_text(peggy.read_text().replace("marketing_opt_out: false", "marketing_opt_out: true"))
    answers: list[str] = []
    took = until(asking(b, ASK_PEGGY, lambda text: OPTED_OUT in text, answers))
    assert all(FAILED not in x for x in answers)
    print(f"opt-out reached replica B in {took:.1f} s")

    zed = "---\nid: cus-9001\nname: Zed Quinn\nsegment: b2c\n---\n## History\n- 2026-11-01 email in: Decaf?\n"
    write(knowledge, "customers/zed-quinn.md", zed)
    took = until(asking(b, "Zed Quinn asked about decaf, what do I answer?", lambda text: "Zed" in text, answers))
    print(f"a new customer reached replica B in {took:.1f} s")

    assert canary_bytes(knowledge, index) > 0
    forgot = rapport("forget", "cus-0001", "--yes", "--knowledge", str(knowledge), "--index", str(index))
    assert forgot.returncode == 0 and "owned by a running bot" in forgot.stderr
    answers.clear()
    took = until(asking(b, ASK_PEGGY, lambda text: NOT_FOUND in text, answers))
    assert all(FAILED not in x for x in answers)
    print(f"the erasure reached replica B in {took:.1f} s")
    try:
        gone = until(lambda: canary_bytes(knowledge, index) == 0)
    except AssertionError:
        left = [str(f) for f in index.rglob("*") if f.is_file() and CANARY.encode() in f.read_bytes().lower()]
        raise AssertionError(f"the erased text is still in {left}; owner's log: {a.log()[-2000:]}") from None
    print(f"and left the disk {gone:.1f} s later")
    assert a.healthz()[0] == 200 and b.healthz()[0] == 200
