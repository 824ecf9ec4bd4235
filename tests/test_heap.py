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
    assert heap.wait_released(30), "the replaced snapshot is still being freed"
    gc.collect()  # a normal collection: it never looks at frozen objects

    assert [ref() is None for ref in watched] == [True] * 4, "the replaced snapshot outlived its reload"
    assert len(services.knowledge.snapshot().kb.customers) == customers


def test_a_snapshot_an_answer_still_holds_stays_whole_until_the_answer_lets_go(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE, tmp_path / "knowledge")
    services = build_services(make_settings(tmp_path / "knowledge", tmp_path / "index"))
    services.knowledge.sync()
    held = services.knowledge.snapshot()  # what an answer in flight holds
    names = sorted(c.name for c in held.kb.customers.values())
    watched = weakref.ref(held.kb)

    services.knowledge.reload()
    assert not heap.wait_released(0.3), "nothing is freed while an answer holds the snapshot"
    assert sorted(c.name for c in held.kb.customers.values()) == names, "an answer's snapshot was changed"
    new = services.knowledge.snapshot()
    assert new is not held and new.finder.store is held.finder.store

    del held
    assert heap.wait_released(30)
    assert watched() is None
    assert new.finder.store.count("customers") > 0, "the store both snapshots share was left open"
    assert sorted(c.name for c in new.kb.customers.values()) == names


def test_letting_go_frees_everything_below_and_leaves_what_lives_elsewhere() -> None:
    shared = {"kept": [Node() for _ in range(3)]}
    mine = [Node() for _ in range(5000)]
    root = {"mine": mine, "shared": shared, "pairs": [(n, [n]) for n in mine]}
    refs = [weakref.ref(n) for n in mine]
    heap.let_go(root, shared=[shared])
    del root, mine
    assert heap.wait_released(30)
    assert [r() for r in refs] == [None] * len(refs)
    assert len(shared["kept"]) == 3 and all(isinstance(n, Node) for n in shared["kept"])


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
    assert heap.wait_released(30)  # a replaced folder being freed pauses collections too
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
    assert heap.wait_released(30)
    a, b = Node(), Node()
    a.other, b.other = b, a
    ref = weakref.ref(a)
    heap.settle()
    del a, b
    gc.collect()
    assert ref() is not None, "frozen cyclic garbage waits for a full settle"
    heap.settle(full=True)
    assert ref() is None


def test_every_so_many_settles_one_collects_the_cyclic_garbage_that_was_frozen() -> None:
    assert heap.wait_released(30)  # a folder being freed pauses collections and resumes them when done
    heap.settle(full=True)
    gc.disable()  # no collection between the cycle becoming garbage and the settle that freezes it
    try:
        a, b = Node(), Node()
        a.other, b.other = b, a
        ref = weakref.ref(a)
        del a, b
        heap.settle()  # the cycle is garbage but frozen by chance
    finally:
        gc.enable()
    for _ in range(heap.FULL_EVERY - 1):
        heap.settle()
        assert ref() is not None, "an ordinary settle only freezes"
    heap.settle()
    assert ref() is None


def test_what_the_first_answers_build_to_keep_is_frozen_and_later_answers_are_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(SAMPLE, tmp_path / "knowledge")
    services = build_services(make_settings(tmp_path / "knowledge", tmp_path / "index"))
    services.knowledge.sync()
    assert heap.wait_released(30)  # the load's parse cache is freed in the background: not while counting
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


def test_a_failure_while_freeing_in_steps_leaves_it_to_reference_counting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert heap.wait_released(30)

    def broken(*args: object) -> list[object]:
        del args  # as `_reachable` holds nothing once it has failed
        raise RuntimeError("a walk that fails")

    monkeypatch.setattr(heap, "_reachable", broken)
    node = Node()
    ref = weakref.ref(node)
    heap.let_go(node)
    del node
    assert heap.wait_released(30), "the failed entry is not retried forever"
    assert ref() is None
    assert gc.isenabled()


def test_a_loads_parse_cache_is_freed_in_the_background_and_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache read back a whole parse of the folder: freed at the load's return, it was one chain of
    deallocations (50 ms at 10,000 customers). It goes to the releaser, which frees it."""
    from bot.knowledge import cache, folder

    monkeypatch.setattr(cache, "SETTLED_NS", -(10**12))  # every file counts as old enough to keep
    shutil.copytree(SAMPLE, tmp_path / "knowledge")
    folder.load(tmp_path / "knowledge", cache=tmp_path / "parsed")  # writes the cache
    handed: list[tuple[type, weakref.ref[object]]] = []
    real = heap.let_go

    def let_go(obj: object, shared: tuple[object, ...] = ()) -> None:
        handed.append((type(obj), weakref.ref(obj)))
        real(obj, shared)

    monkeypatch.setattr(heap, "let_go", let_go)
    kb = folder.load(tmp_path / "knowledge", cache=tmp_path / "parsed")
    assert [kind for kind, _ in handed] == [cache.ParseCache]
    assert heap.wait_released(30)
    assert handed[0][1]() is None, "the parse cache outlived its load"
    assert kb.customers, "the folder itself is kept"
