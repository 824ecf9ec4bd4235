"""Acks that never wait: `rapport serve --http` with answers in the acking process (A) or in answer processes (B).

    .venv/bin/python bench/acks.py [--customers 1000] [--rounds 3] [--processes 0,1,2]

For each setting, alternately (A B A B …), in fresh serve processes on 127.0.0.1 with the test suite's
fake Slack Web API and fake model (2 s per answer):

- ack p99 of bursts of 50 concurrent signed `app_mention`s, sent from a process of their own;
- the floor in the same run: the same 50 requests again once every answer is posted (Slack retries:
  acked by the dedup middleware, no answer work), so the ratio to the floor is machine-independent;
- the 40,000-character question: a short question's time to answer alone, then sent 0.2 s after a
  40,000-character one; the difference is what the long question costs the other answer;
- start-up to the first ack and to the first answer, and the load average.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import WORK, folder_for  # noqa: E402
from bench.slack_load import free_port, mentions, post, serve_env  # noqa: E402
from bench.tasks import percentiles  # noqa: E402
from tests import fake_openai as F  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402
from tests.slack_requests import load, signed_request  # noqa: E402

LONG = 40_000


def mention(text: str, key: str) -> tuple[str, dict[str, str]]:
    payload = load("app_mention", event_id=f"EvACK{key}")
    ts = f"17639{abs(hash(key)) % 10**5:05d}.{len(key):06d}"
    payload["event"] = {**payload["event"], "text": f"<@UBOT> {text}", "ts": ts, "event_ts": ts, "blocks": []}
    return signed_request(payload)


def answered(slack: FakeSlack, ts: str, timeout: float = 300) -> float:
    """When the answer to the message `ts` was complete: its 👀 reaction is taken off last."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if any(c.args.get("timestamp") == ts for c in slack.calls_to("reactions.remove")):
            return time.perf_counter()
        time.sleep(0.01)
    raise RuntimeError(f"no answer in thread {ts}")


def ts_of(request: tuple[str, dict[str, str]]) -> str:
    return str(json.loads(request[0])["event"]["ts"])


def burst(port: int, batch: list[tuple[str, dict[str, str]]]) -> list[float]:
    """Send the batch at once from a process of its own and return each ack's time. The fake Slack and
    model live in this process and are busy while answers are written; a sender sharing their GIL
    would time its own waits, not the bot's."""
    done = subprocess.run(
        [sys.executable, __file__, "--burst", str(port)],
        input=json.dumps(batch),
        capture_output=True,
        text=True,
        check=True,
    )
    return list(json.loads(done.stdout))


def normal_priority() -> None:
    """Undo --nice-fakes in a child (the bot, the sender): needs root; else it stays as it is."""
    with contextlib.suppress(PermissionError):
        os.setpriority(os.PRIO_PROCESS, 0, 0)


def send_burst(port: int) -> None:
    normal_priority()
    batch = json.load(sys.stdin)
    with ThreadPoolExecutor(len(batch)) as pool:
        print(json.dumps(list(pool.map(lambda req: post(port, req[0], req[1]), batch))))


def cpu_s(pid: int) -> float:
    """CPU time (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def memory(pid: int) -> dict[str, float]:
    """Resident memory of the serve process and of each process it started (the answer processes)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    kids = [rss_mib(int(c)) for c in children if b"resource_tracker" not in Path(f"/proc/{c}/cmdline").read_bytes()]
    return {"front_rss_mib": rss_mib(pid), "answer_rss_mib": sum(kids), "total_rss_mib": rss_mib(pid) + sum(kids)}


def acks_during_an_edit(port: int, knowledge: Path, batch: list[tuple[str, dict[str, str]]]) -> list[float]:
    """Acks one after another for 12 s while one customer file is edited at 2 s (the index owner re-indexes
    it, every process holding the folder reloads it): the longest stall anyone sending to Slack would feel."""
    for request in batch:  # answered once; from here on they are retries, acked with no answer work
        post(port, *request)
    time.sleep(5)
    path = sorted((knowledge / "customers").glob("*.md"))[0]
    original = path.read_bytes()
    acks: list[float] = []
    started = time.perf_counter()
    edited = False
    try:
        while time.perf_counter() - started < 12:
            if not edited and time.perf_counter() - started > 2:
                path.write_bytes(original + b"\n- 2026-11-22 email in: Could you call me back about my order?\n")
                edited = True
            acks.append(post(port, *batch[len(acks) % len(batch)]))
    finally:
        path.write_bytes(original)
    return acks


def run(knowledge: Path, index: Path, processes: int, rounds: int, key: str) -> dict[str, Any]:
    slack = FakeSlack().start()
    model = F.FakeOpenAI().start()
    model.script(*[F.slow(2.0) for _ in range(50 * rounds + 100)])
    port = free_port()
    env = serve_env(slack, model, knowledge, index, RAPPORT_ANSWER_PROCESSES=str(processes))
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--http", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=normal_priority,  # the bot runs as deployed, whatever priority the fakes run at
    )
    try:
        first = mention("Peggy Hughes asked about delivery times", f"{key}first")
        while True:
            try:
                post(port, *first)
                break
            except OSError:
                time.sleep(0.01)
        first_ack = time.perf_counter() - started
        first_answer = answered(slack, ts_of(first)) - started
        acks: list[float] = []
        floor: list[float] = []
        front_cpu = {"acks": 0.0, "floor": 0.0}
        for r in range(rounds):
            batch = mentions(knowledge, 50, 10 * r + hash(key) % 10)
            before = len(slack.calls_to("reactions.remove"))
            cpu = cpu_s(proc.pid)
            acks += burst(port, batch)
            front_cpu["acks"] += cpu_s(proc.pid) - cpu  # the front's own work for the 50 acks (and little else)
            slack.wait_for("reactions.remove", before + 50, timeout=300)
            cpu = cpu_s(proc.pid)
            floor += burst(port, batch)  # Slack's retries of the same events: the ack path alone
            front_cpu["floor"] += cpu_s(proc.pid) - cpu
        model.script(*[F.slow(0.0) for _ in range(10)])
        short = mention("Peggy Hughes asked whether you deliver on Saturdays", f"{key}short1")
        t0 = time.perf_counter()
        post(port, *short)
        alone = answered(slack, ts_of(short)) - t0
        long = mention("Peggy Hughes wrote: " + ("our order came late again and " * LONG)[:LONG], f"{key}long")
        short2 = mention("Peggy Hughes asked whether you deliver on Sundays", f"{key}short2")
        post(port, *long)
        time.sleep(0.2)
        t1 = time.perf_counter()
        post(port, *short2)
        beside = answered(slack, ts_of(short2)) - t1
        answered(slack, ts_of(long))
        held = memory(proc.pid)
        during = acks_during_an_edit(port, knowledge, mentions(knowledge, 50, 99))
        a, f, e = percentiles(acks), percentiles(floor), percentiles(during)
        return {
            "processes": processes,
            "ack_p99_ms": a["p99_ms"],
            "floor_p99_ms": f["p99_ms"],
            "ack_over_floor": a["p99_ms"] / f["p99_ms"],
            "front_cpu_ms_per_ack": front_cpu["acks"] * 1000 / len(acks),
            "front_cpu_ms_per_floor_ack": front_cpu["floor"] * 1000 / len(floor),
            "short_alone_s": alone,
            "short_beside_40k_s": beside,
            "delay_ms": (beside - alone) * 1000,
            "edit_ack_p99_ms": e["p99_ms"],
            "edit_ack_max_ms": max(during) * 1000,
            **held,
            "first_ack_s": first_ack,
            "first_answer_s": first_answer,
            "load": os.getloadavg()[0],
        }
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        slack.stop()
        model.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--processes", default="0,1,2")
    parser.add_argument("--burst", type=int, help=argparse.SUPPRESS)  # internal: the sender process
    parser.add_argument("--nice-fakes", action="store_true", help="run the fake Slack and model at niceness 10")
    args = parser.parse_args()
    if args.burst:
        send_burst(args.burst)
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # a killed bench still puts the edited file back
    # The fake Slack and model stand in for services on other machines: on this one they run at the
    # answer processes' low priority, so they take CPU from answers, not from the bot's acks. The
    # senders (`burst`) and the bot go back to normal priority (that takes root).
    if args.nice_fakes:
        os.nice(10)
    knowledge = folder_for(args.customers)
    index = WORK / f"index-{args.customers}"
    settings = [int(p) for p in args.processes.split(",")]
    env = {**os.environ, "KNOWLEDGE_DIR": str(knowledge), "CHROMA_PATH": str(index), "LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, "-m", "bot.cli", "index"], env=env, cwd=ROOT, check=False)  # built once, before
    for i in range(args.repeat):
        for p in settings:
            print(json.dumps(run(knowledge, index, p, args.rounds, f"{i}p{p}")), flush=True)


if __name__ == "__main__":
    main()
