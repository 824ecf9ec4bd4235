"""The loaded folder is frozen out of full collections, and a reload still frees the one it replaces."""

from __future__ import annotations

import gc
import shutil
import weakref
from pathlib import Path

import pytest

from bot import heap
from bot.services.container import build_services
from bot.services.knowledge import WARM_ANSWERS
from tests.conftest import SAMPLE, make_settings


class Node:
    """A plain object that can sit in a reference cycle and be watched with a weak reference."""

    def __init__(self) -> None:
        self.other: Node | None = None


def test_a_reload_frees_the_replaced_folder_although_it_was_frozen(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE, tmp_path / "knowledge")
    services = build_services(make_settings(tmp_path / "knowledge", tmp_path / "index"))
    services.knowledge.sync()
    services.assistant.ask("How should I answer Zoë about her order?")  # fills the snapshot's caches
    snap = services.knowledge.snapshot()
    assert gc.get_freeze_count() > 0, "the loaded folder is frozen"
    customer = next(iter(snap.kb.customers.values()))
    watched = [weakref.ref(snap), weakref.ref(snap.kb), weakref.ref(snap.finder), weakref.ref(snap.facts)]
    customers = len(snap.kb.customers)
    del snap, customer

    services.knowledge.reload()
    gc.collect()  # a normal collection: it never looks at frozen objects

    assert [ref() is None for ref in watched] == [True] * 4, "the replaced snapshot outlived its reload"
    assert len(services.knowledge.snapshot().kb.customers) == customers


def test_an_edit_reaches_the_frozen_bot(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE, tmp_path / "knowledge")
    services = build_services(make_settings(tmp_path / "knowledge", tmp_path / "index"))
    services.knowledge.sync()
    before = services.knowledge.snapshot()
    path = tmp_path / "knowledge" / next(iter(before.kb.customers.values())).path
    path.write_text(path.read_text(encoding="utf-8").replace("name: ", "name: Frozen ", 1), encoding="utf-8")
    services.knowledge.sync()
    names = [c.name for c in services.knowledge.snapshot().kb.customers.values()]
    assert any(name.startswith("Frozen ") for name in names)


def test_loading_pauses_collections_and_restores_the_setting() -> None:
    assert gc.isenabled()
    with heap.loading():
        assert not gc.isenabled()
        with heap.loading():  # loads nest (two threads reloading at once)
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with heap.loading():
            pass
        assert not gc.isenabled(), "a process that disabled collections keeps them disabled"
    finally:
        gc.enable()


def test_loading_restores_collections_when_the_load_fails() -> None:
    try:
        with heap.loading():
            raise ValueError("a broken load")
    except ValueError:
        pass
    assert gc.isenabled()


def test_a_full_settle_collects_cyclic_garbage_that_was_frozen() -> None:
    a, b = Node(), Node()
    a.other, b.other = b, a
    ref = weakref.ref(a)
    heap.settle()
    del a, b
    gc.collect()
    assert ref() is not None, "frozen cyclic garbage waits for a full settle"
    heap.settle(full=True)
    assert ref() is None


def test_settle_collects_once_the_frozen_set_has_grown_by_half() -> None:
    heap.settle(full=True)
    gc.disable()  # no collection between the cycle becoming garbage and the settle that freezes it
    try:
        a, b = Node(), Node()
        a.other, b.other = b, a
        ref = weakref.ref(a)
        del a, b
        heap.settle()  # the cycle is garbage but frozen by chance; the frozen set has not grown
    finally:
        gc.enable()
    assert ref() is not None
    growth = [[object()] for _ in range(int(gc.get_freeze_count() * heap.GROWTH) + 1000)]
    heap.settle()
    assert ref() is None
    del growth


def test_what_the_first_answers_build_to_keep_is_frozen_and_later_answers_are_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(SAMPLE, tmp_path / "knowledge")
    services = build_services(make_settings(tmp_path / "knowledge", tmp_path / "index"))
    services.knowledge.sync()
    loaded = gc.get_freeze_count()
    services.assistant.ask("How should I answer Zoë about her order?")
    assert gc.get_freeze_count() > loaded  # the caches the first answer built are out of full collections
    settles: list[bool] = []
    real = heap.settle
    monkeypatch.setattr(heap, "settle", lambda full=False: settles.append(full) or real(full))
    for _ in range(WARM_ANSWERS + 2):
        services.assistant.ask("How should I answer Zoë about her order?")
    assert len(settles) == WARM_ANSWERS - 1  # the first answer settled already; later ones leave their garbage
    services.knowledge.reload()
    services.assistant.ask("How should I answer Zoë about her order?")
    assert len(settles) == WARM_ANSWERS + 1  # a new load: its reload settles, and so does its first answer


def test_a_warm_up_builds_what_the_first_answer_needs(tmp_path: Path) -> None:
    from bot.language.detect import _identifier

    shutil.copytree(SAMPLE, tmp_path / "knowledge")
    services = build_services(make_settings(tmp_path / "knowledge", tmp_path / "index"))
    services.knowledge.sync()
    snap = services.knowledge.snapshot()
    assert "facts" not in snap.__dict__ and "identities" not in snap.__dict__  # built on first use
    services.knowledge.warm_up()
    assert "facts" in snap.__dict__ and "identities" in snap.__dict__
    assert _identifier.cache_info().currsize == 1  # the guard's language model is loaded
    answer = services.assistant.ask("How should I answer Peggy Hughes about her order?")
    assert answer.customer is not None and answer.drafts  # and answers come as before
