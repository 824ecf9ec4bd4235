"""Answers in answer processes: the process that acks Slack never computes an answer.

Bolt runs an ack on the request's own thread and the slow part in a lazy listener. In one
process both share one GIL, so fifty answers being computed made acks wait (p99 ~400 ms), and
a 40,000-character question held every other answer. With RAPPORT_ANSWER_PROCESSES=N (default 1),
`rapport serve` keeps only acks in the front process and hands each lazy listener to one of N
answer processes, the way Bolt's own AWS Lambda adapter does: the request travels as Slack sent
it, marked `lazy_only` with the listener's name, and the answer process's own Bolt app runs just
that listener, talking to Slack itself.

Answer process 0 owns the index: it syncs it, watches the folder, posts the weekly digest and
runs `/rapport` (marked `at_index_owner`). The others read the index it writes, as a replica does.
The front touches neither the folder nor Chroma, whose calls hold the GIL.

A job goes to the live answer process with the fewest jobs in hand. One that dies is restarted;
the jobs it held are named in the log and in `/healthz`. The front starts answering Slack before
the folder is loaded: events are acked at once and answered when an answer process is ready.
"""

from __future__ import annotations

import copy
import itertools
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from multiprocessing.context import SpawnProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import Any

from slack_bolt import App, BoltRequest
from slack_bolt.lazy_listener import LazyListenerRunner
from slack_bolt.util.utils import get_name_for_callable

from bot.config import Settings
from bot.services.health import Health
from bot.slack.constants import ACK_CONTEXT_KEYS

log = logging.getLogger(__name__)

OWNER = "rapport_at_index_owner"  # a lazy listener marked so runs in answer process 0, which owns the index
LAZY_HEADERS = ("x-slack-bolt-lazy-only", "x-slack-bolt-lazy-function-name")
RESTART_WAIT = 1.0  # seconds between looks at whether an answer process is still alive
MAX_RESTART_WAIT = 60.0  # the longest wait before restarting one that keeps failing at start-up
# Answers are background work and acks are not: on cores shared with answer processes the kernel
# gives the front's acks the CPU first (niceness is per process; its threads, onnxruntime's too, inherit it).
ANSWER_NICENESS = 10
HEALTH_EVERY = 1.0  # seconds between an answer process's looks at its own health (sent to the front on change)
Message = tuple[str, int, Any]  # (kind, answer process number, value) on the way back to the front


def at_index_owner(function: Callable[..., None]) -> Callable[..., None]:
    """Run this lazy listener where the index is owned (`/rapport reload` syncs it, `status` reads its watcher)."""
    setattr(function, OWNER, True)
    return function


@dataclass(frozen=True)
class Job:
    """One lazy listener run, as Bolt's Lambda adapter re-sends it: Slack's request plus the listener's name."""

    id: int
    function: str
    mode: str
    body: str | dict[str, Any]
    query: dict[str, Sequence[str]]
    headers: dict[str, str | Sequence[str]]
    context: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, number: int, function: Callable[..., None], request: BoltRequest) -> Job:
        return cls(
            id=number,
            function=get_name_for_callable(function),
            mode=request.mode,
            body=request.raw_body if request.mode == "http" else copy.deepcopy(request.body),
            query={k: list(v) for k, v in request.query.items()},
            headers={k: list(v) for k, v in request.headers.items() if k not in LAZY_HEADERS},
            context={k: request.context[k] for k in ACK_CONTEXT_KEYS if k in request.context},
        )

    def request(self) -> BoltRequest:
        headers: dict[str, str | Sequence[str]] = {**self.headers, LAZY_HEADERS[0]: "1", LAZY_HEADERS[1]: self.function}
        context = dict(self.context)
        return BoltRequest(body=self.body, query=self.query, headers=headers, context=context, mode=self.mode)


@dataclass
class Slot:
    """One answer process and the jobs it holds."""

    number: int
    process: SpawnProcess
    inbox: Queue[Job | None]
    held: dict[int, str] = field(default_factory=dict)  # job id -> listener name
    ready: bool = False
    problems: dict[str, str] = field(default_factory=dict)  # its own health problems: name -> detail


class AnswerPool:
    """N answer processes, fed least-busy first; the front's side of the split."""

    def __init__(self, settings: Settings, processes: int, health: Health) -> None:
        self.settings = settings
        self.health = health
        self._ctx = multiprocessing.get_context("spawn")  # the front has threads: never fork it
        self._outbox: Queue[Message] = self._ctx.Queue()
        self._index_ready: Event = self._ctx.Event()
        self._slots = [self._spawn(n) for n in range(processes)]
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._closing = threading.Event()
        self._threads = [
            threading.Thread(target=self._listen, name="rapport-answers-listen", daemon=True),
            threading.Thread(target=self._watch, name="rapport-answers-watch", daemon=True),
        ]
        self.health.report("answers", False, "the answer processes are loading the knowledge folder")

    def _spawn(self, number: int) -> Slot:
        inbox: Queue[Job | None] = self._ctx.Queue()
        process = self._ctx.Process(
            target=answer_process,
            args=(self.settings, number, inbox, self._outbox, self._index_ready),
            name=f"rapport-answers-{number}",
            daemon=True,
        )
        process.start()
        return Slot(number, process, inbox)

    def start(self) -> AnswerPool:
        for thread in self._threads:
            thread.start()
        return self

    def submit(self, function: Callable[..., None], request: BoltRequest) -> None:
        job = Job.of(next(self._numbers), function, request)
        with self._lock:
            if getattr(function, OWNER, False):
                slot = self._slots[0]
            else:
                live = [s for s in self._slots if s.process.is_alive()] or self._slots
                slot = min(live, key=lambda s: (not s.ready, len(s.held)))
            slot.held[job.id] = job.function
            slot.inbox.put(job)  # under the lock: never into an inbox being replaced (put does not block)

    def stop(self, timeout: float = 10) -> None:
        self._closing.set()
        for slot in self._slots:
            if slot.ready:
                slot.inbox.put(None)  # it finishes what it holds, then exits
            else:
                slot.process.terminate()  # still loading: nothing to finish
        deadline = time.monotonic() + timeout
        for slot in self._slots:
            slot.process.join(max(0.0, deadline - time.monotonic()))
            if slot.process.is_alive():
                slot.process.terminate()
        self._outbox.put(("stop", -1, 0))

    def _listen(self) -> None:
        while True:
            try:
                kind, number, value = self._outbox.get()
            except Exception as exc:  # a process killed while it wrote leaves a broken message, or none
                if self._closing.is_set():
                    return
                log.warning("a message from an answer process was lost (%s)", type(exc).__name__)
                continue
            if kind == "stop":
                return
            with self._lock:
                slot = self._slots[number]
                if kind == "done":
                    slot.held.pop(value, None)
                elif kind == "ready":
                    slot.ready = True
                    log.info("answer process %d (pid %d) is ready", number, value)
                elif kind == "health":
                    self._forward(number, slot.problems, value)
                    slot.problems = dict(value)
                all_ready = all(s.ready for s in self._slots)
            if kind == "ready" and all_ready:
                self.health.report("answers", True)

    def _forward(self, number: int, before: dict[str, str], now: dict[str, str]) -> None:
        """An answer process's own problems (its view of the index, the model) shown in the front's health."""
        for name in before.keys() - now.keys():
            self.health.report(f"{name} (answer process {number})", True)
        for name, detail in now.items():
            self.health.report(f"{name} (answer process {number})", False, detail)

    def _watch(self) -> None:
        waits = [0.0] * len(self._slots)  # a process that dies before it is ready waits longer each time
        while not self._closing.wait(RESTART_WAIT):
            for number, slot in enumerate(self._slots):
                if slot.process.is_alive() or self._closing.is_set():
                    continue
                with self._lock:
                    lost = sorted(slot.held.values())
                    slot.held.clear()
                    self._forward(number, slot.problems, {})
                what = f"; {len(lost)} answers it held were lost ({', '.join(lost)})" if lost else ""
                waits[number] = 0.0 if slot.ready else min(MAX_RESTART_WAIT, max(RESTART_WAIT, 2 * waits[number]))
                when = f"restarting in {waits[number]:.0f} s" if waits[number] else "restarting"
                log.error("answer process %d exited with code %s: %s%s", number, slot.process.exitcode, when, what)
                self.health.report("answers", False, f"answer process {number} exited and is restarting{what}")
                if waits[number] and self._closing.wait(waits[number]):
                    return
                with self._lock:
                    late = sorted(slot.held.values())  # sent to it while it was down: nobody can take them now
                    # A new inbox: a process killed while it waited on the old one may have left its read lock held.
                    self._slots[number] = self._spawn(number)
                if late:
                    log.error("answer process %d was down: %d answers lost (%s)", number, len(late), ", ".join(late))


class ProcessLazyRunner(LazyListenerRunner):
    """Bolt's lazy listener runner in the front: every lazy listener goes to the answer processes."""

    def __init__(self, logger: logging.Logger, pool: AnswerPool) -> None:
        self.logger = logger
        self.pool = pool

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        self.pool.submit(function, request)


def use_answer_processes(app: App, pool: AnswerPool) -> None:
    """Send the app's lazy listeners to `pool` (as slack_bolt.adapter.aws_lambda does with Lambda)."""
    runner = app.listener_runner
    runner.lazy_listener_runner = ProcessLazyRunner(app.logger, pool)
    runner._build_lazy_request = _request_as_sent  # type: ignore[method-assign]


def _request_as_sent(request: BoltRequest, lazy_func_name: str) -> BoltRequest:
    """Bolt hands a lazy listener a copy of the request, because it runs in another thread: it parses
    the body again and deep-copies body and context, a third of the front's work per ack. A job for
    an answer process copies only what it sends, at once (`Job.of`), so the request itself will do."""
    return request


def answer_process(
    settings: Settings, number: int, inbox: Queue[Job | None], outbox: Queue[Message], index_ready: Event
) -> None:
    """An answer process: own the index (number 0) or follow it once 0 has synced it; run the jobs it is given."""
    from bot import heap
    from bot.logs import configure_logging
    from bot.services.container import build_services
    from bot.slack.app import build_app, worker_pool
    from bot.slack.dedup import MemoryDedup
    from bot.slack.runtime import Runtime
    from bot.slack.server import own_index

    configure_logging(settings.log_level)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the front stops us in order
    os.nice(ANSWER_NICENESS)
    front = os.getppid()
    stack = ExitStack()
    services = build_services(settings)
    if number == 0:  # the index owner (or, when another serve owns it, the first follower)
        rt = Runtime.create(services)
        own_index(rt, stack)
        index_ready.set()
    else:
        index_ready.wait()
        services.knowledge.reload()
        stack.callback(services.knowledge.follow().stop)
        rt = Runtime.create(services, dedup=MemoryDedup(), owns_index=False)
    executor = worker_pool(settings)
    app = build_app(rt, executor=executor, verify=False)  # the front verified every request
    heap.settle()
    outbox.put(("ready", number, os.getpid()))
    threading.Thread(target=services.knowledge.warm_up, name="warm-up", daemon=True).start()

    def look_around() -> None:
        sent: dict[str, str] = {}
        while True:
            time.sleep(HEALTH_EVERY)
            if os.getppid() != front:  # the front was killed: nobody will send work or read answers
                os._exit(0)
            now = {p.name: p.detail for p in services.health.problems()}
            if now != sent:
                outbox.put(("health", number, now))
                sent = now

    threading.Thread(target=look_around, name="rapport-answers-health", daemon=True).start()

    def run(job: Job) -> None:
        try:
            app.dispatch(job.request())
        except Exception:
            log.exception("answering %s failed", job.function)
        finally:
            outbox.put(("done", number, job.id))

    while (job := inbox.get()) is not None:
        executor.submit(run, job)
    executor.shutdown(wait=True)
    stack.close()
