"""Scale-out robustness, measured: `python bench/replicas.py [--kills N]` prints the figures.

- erasure under kill -9: `rapport forget` killed at each named step, and N more times a random
  0-1.5 s after its pending-erasure record appears (a kill before that erases nothing and promises
  nothing), then `rapport index`; bytes of the canary left in any file (target 0 every run);
- two `rapport serve --http` replicas on one index: seconds until an opt-out edit, a new customer
  and a `rapport forget` reach the replica that does not own the index;
- Redis stopped under a running bot: mentions answered while it is down, /healthz, recovery time;
- hostile traffic against `rapport serve --http` at LOG_LEVEL=DEBUG: 5xx count, longest log line,
  peak memory of the server after ten unsigned 10 MB bodies.
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.index.embedding import MiniLMEmbedding  # noqa: E402
from bot.index.failpoints import ENV, FORGET_STEPS, SYNC_STEPS  # noqa: E402
from bot.slack.server import make_http_server  # noqa: E402
from tests.conftest import SAMPLE, write  # noqa: E402
from tests.erasure_kit import CANARY, CANARY_ID, add_feedback, build_index, canary_bytes, make_folder  # noqa: E402
from tests.fake_slack import SIGNING_SECRET, FakeSlack, running_bot, sample_index, sign  # noqa: E402
from tests.serve_kit import http_call, serve  # noqa: E402
from tests.test_hostile import hostile_requests, signed_malformed  # noqa: E402
from tests.test_redis_dedup import RedisServer, mention, post  # noqa: E402


def rapport_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli", *args]


def erasure_runs(work: Path, embedder: MiniLMEmbedding, random_kills: int) -> list[tuple[str, int]]:
    template = work / "template"
    make_folder(template / "knowledge")
    build_index(template / "knowledge", template / "index", embedder)
    runs: list[tuple[str, int]] = []
    plans = [(step, None) for step in (*FORGET_STEPS, *SYNC_STEPS)]
    plans += [("random", random.uniform(0.0, 1.5)) for _ in range(random_kills)]
    for n, (step, delay) in enumerate(plans):
        run = work / f"run-{n}"
        shutil.copytree(template, run)
        knowledge, index = run / "knowledge", run / "index"
        add_feedback(index)
        args = rapport_cmd("forget", CANARY_ID, "--yes", "--knowledge", str(knowledge), "--index", str(index))
        env = {**__import__("os").environ, "RAPPORT_TODAY": "2026-11-22"}
        if delay is None:
            env[ENV] = step
        proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if delay is not None:
            while proc.poll() is None and not (index / "erasures.json").exists():
                time.sleep(0.002)
            try:
                proc.wait(delay)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
        proc.wait(180)
        subprocess.run(
            rapport_cmd("index", "--knowledge", str(knowledge), "--index", str(index)),
            cwd=ROOT,
            capture_output=True,
            check=True,
            timeout=300,
        )
        outcome = "killed" if proc.returncode == -9 else f"finished first (exit {proc.returncode})"
        label = step if delay is None else f"kill {delay:.2f} s after the record: {outcome}"
        runs.append((label, canary_bytes(run)))
    return runs


def propagation(work: Path, embedder: MiniLMEmbedding) -> dict[str, float]:
    knowledge, index = work / "knowledge", work / "index"
    shutil.copytree(SAMPLE, knowledge)
    peggy = knowledge / "customers/margaret-hughes.md"
    peggy.write_text(peggy.read_text() + f"\n## Notes\nKeeps her {CANARY} grinder in the window.\n")
    sample_index(index, work, embedder)
    fake = FakeSlack().start()
    a = serve(knowledge, index, work, fake)
    a.wait_healthy()
    b = serve(knowledge, index, work, fake)
    b.wait_healthy()
    out: dict[str, float] = {}
    try:
        ask = "Should I check in with Peggy Hughes this week?"

        def until(holds: object, question: str) -> float:
            start = time.monotonic()
            while not holds(b.mention(question)):  # type: ignore[operator]
                assert time.monotonic() - start < 120
            return time.monotonic() - start

        peggy.write_text(peggy.read_text().replace("marketing_opt_out: false", "marketing_opt_out: true"))
        out["opt-out edit"] = until(lambda t: "opted out of marketing" in t, ask)
        write(knowledge, "customers/zed.md", "---\nid: cus-9001\nname: Zed Quinn\nsegment: b2c\n---\n")
        out["new customer"] = until(lambda t: "Zed" in t, "Zed Quinn asked about decaf, what do I answer?")
        started = time.monotonic()
        subprocess.run(
            rapport_cmd("forget", "cus-0001", "--yes", "--knowledge", str(knowledge), "--index", str(index)),
            cwd=ROOT,
            capture_output=True,
            timeout=120,
        )
        ran = time.monotonic() - started
        out["rapport forget: after the command returned"] = until(lambda t: "couldn't tell which customer" in t, ask)
        out["rapport forget: from its start (it runs for)"] = ran + out["rapport forget: after the command returned"]
        start = time.monotonic()
        while canary_bytes(knowledge, index):
            time.sleep(0.1)
        out["forget: gone from disk after B saw it"] = time.monotonic() - start
    finally:
        b.stop()
        a.stop()
        fake.stop()
    return out


def redis_down(work: Path, embedder: MiniLMEmbedding, count: int = 20) -> dict[str, object]:
    work.mkdir(parents=True)
    redis_server = RedisServer(work)
    redis_server.start()
    index = sample_index(work / "index", work, embedder)
    with running_bot(SAMPLE, index, embedder, redis_url=redis_server.url) as bot:
        server = make_http_server(bot.app, "127.0.0.1", 0, signing_secret=SIGNING_SECRET, health=bot.rt.services.health)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_port
        redis_server.stop()
        statuses = [post(port, mention(n)) for n in range(count)]
        bot.fake.wait_for("chat.postMessage", count, timeout=600)
        health = http_call(port, "GET", "/healthz")[0]
        redis_server.start()
        start = time.monotonic()
        while http_call(port, "GET", "/healthz")[0] != 200:
            time.sleep(0.1)
        recovered = time.monotonic() - start
        server.shutdown()
    redis_server.stop()
    return {
        "mentions while Redis was down": count,
        "acked 200": statuses.count(200),
        "answered": len({c.args.get("thread_ts") for c in bot.fake.calls_to("chat.postMessage")}),
        "/healthz while down": health,
        "health back after Redis restart (s)": round(recovered, 1),
    }


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def hostile(work: Path, embedder: MiniLMEmbedding, rounds: int = 20) -> dict[str, object]:
    knowledge = work / "knowledge"
    shutil.copytree(SAMPLE, knowledge)
    index = sample_index(work / "index", work, embedder)
    fake = FakeSlack().start()
    bot = serve(knowledge, index, work, fake, LOG_LEVEL="DEBUG")
    bot.wait_healthy()
    statuses: list[int] = []
    try:
        for _ in range(rounds):
            for _, body, headers in hostile_requests():
                statuses.append(http_call(bot.port, "POST", "/slack/events", body, headers)[0])
            for _, text, content_type in signed_malformed():
                headers = {"content-type": content_type, **sign(text)}
                statuses.append(http_call(bot.port, "POST", "/slack/events", text.encode(), headers)[0])
        before = peak_rss_kb(bot.proc.pid)
        big = b"x" * (10 << 20)
        for _ in range(10):
            head = f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: {len(big)}\r\n\r\n".encode()
            with socket.create_connection(("127.0.0.1", bot.port), timeout=30) as s:
                try:
                    s.sendall(head + big)
                    reply = s.recv(64)
                except OSError:
                    reply = b"reset after 413"
                statuses.append(int(reply.split(b" ")[1]) if reply.startswith(b"HTTP/") else 413)
        after = peak_rss_kb(bot.proc.pid)
        answered = "Tom" in bot.mention("Tom Baker asked about his grinder warranty. What should I tell him?")
    finally:
        log = bot.stop()
        fake.stop()
    lines = log.splitlines()
    return {
        "hostile requests": len(statuses),
        "5xx": sum(1 for s in statuses if s >= 500),
        "statuses": dict(sorted({s: statuses.count(s) for s in set(statuses)}.items())),
        "log lines": len(lines),
        "longest log line (chars)": max(map(len, lines)),
        "log lines over 1 KB": sum(1 for line in lines if len(line) > 1024),
        "peak RSS before / after ten 10 MB bodies (MB)": f"{before / 1024:.0f} / {after / 1024:.0f}",
        "still answers Slack": answered,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=10, help="random-time kill -9 runs besides the named steps")
    parser.add_argument("--only", choices=["erasure", "replicas", "redis", "hostile"], help="one section")
    args = parser.parse_args()
    embedder = MiniLMEmbedding()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.only in (None, "erasure"):
            runs = erasure_runs(work / "erasure", embedder, args.kills)
            print("## Erasure under kill -9 (then `rapport index`)")
            for label, left in runs:
                print(f"  {label:<48} canary bytes left: {left}")
            clean = sum(1 for _, left in runs if left == 0)
            print(f"  runs with 0 bytes left: {clean}/{len(runs)}")
        if args.only in (None, "replicas"):
            print("## Two replicas: seconds until replica B shows the change")
            for what, seconds in propagation(work / "replicas", embedder).items():
                print(f"  {what:<48} {seconds:.1f}")
        if args.only in (None, "redis"):
            print("## Redis stopped under a running bot")
            for key, value in redis_down(work / "redis", embedder).items():
                print(f"  {key:<48} {value}")
        if args.only in (None, "hostile"):
            print("## Hostile traffic against `rapport serve --http` (LOG_LEVEL=DEBUG)")
            for key, value in hostile(work / "hostile", embedder).items():
                print(f"  {key:<48} {value}")


if __name__ == "__main__":
    main()
