"""Cold start at N customers: a whole `rapport ask` process, and `rapport serve --http` to its first ack.

    python bench/startup.py --base /path/to/main/checkout [--customers 10000] [--rounds 2]
    python bench/startup.py --only ask-bot [--customers 10000] [--rounds 3]   # `ask` with a bot running

A runs main's code (PYTHONPATH and working directory on `--base`), B this checkout's, alternately,
on `bench/.work/knowledge-N` and its built index `bench/.work/index-N`. B's parse cache is filled by
one untimed run first (shown as "B first"), as any earlier `ask`, `index` or `serve` would have.
Each line prints the wall time, the CPU time of the process (steadier on a shared machine) and the
load average. `serve` runs against the test suite's fake Slack on 127.0.0.1; its figure is the time
from the process starting to the first signed `app_mention` acked with 200.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack  # noqa: E402
from tests.slack_requests import load, signed_request  # noqa: E402


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def env_for(code: Path, knowledge: Path, index: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(code),
        "KNOWLEDGE_DIR": str(knowledge),
        "CHROMA_PATH": str(index),
        "RAPPORT_TODAY": "2026-11-22",
        "LOG_LEVEL": "WARNING",
        "ANONYMIZED_TELEMETRY": "False",
        **extra,
    }


def a_name(knowledge: Path) -> str:
    """One customer's email: unique, where generated names repeat at 10,000 customers."""
    text = (knowledge / "customers" / "c000042.md").read_text(encoding="utf-8")
    found = re.search(r"^email: (.+)$", text, re.M)
    assert found, "the generated customer has an email"
    return found[1].strip()


def cold_ask(code: Path, knowledge: Path, index: Path, *extra: str, **env: str) -> tuple[float, float]:
    question = f"How should I answer {a_name(knowledge)} about their late parcel?"
    cpu, start = children_cpu(), time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", question, "--json", *extra],
        env=env_for(code, knowledge, index, **env),
        cwd=code,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    if done.returncode not in (0, 4):
        raise SystemExit(f"rapport ask failed ({done.returncode}):\n{done.stderr[-3000:]}")
    if env.get("LOG_LEVEL") == "INFO" and "--here" not in extra and "answered by the running bot" not in done.stderr:
        raise SystemExit(f"the running bot did not answer:\n{done.stderr[-3000:]}")
    return wall, children_cpu() - cpu


def ask_via_bot(knowledge: Path, index: Path, slack: FakeSlack, rounds: int) -> None:
    """This checkout's `rapport ask`, whole process, while a `rapport serve` on the same folder runs
    (answered by the bot, bot/services/ask_door.py), against `--here` (answered in the process)."""
    env = env_for(ROOT, knowledge, index, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET)
    env["SLACK_API_URL"] = slack.api_url
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--port", str(free_port())],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        door = index / "ask.sock"
        while not door.exists():
            if proc.poll() is not None:
                raise SystemExit("rapport serve exited")
            time.sleep(0.2)
        for _ in range(rounds):
            for name, extra in (("by bot", ()), ("--here", ("--here",))):
                load_before = os.getloadavg()[0]
                wall, cpu = cold_ask(ROOT, knowledge, index, *extra, LOG_LEVEL="INFO")
                print(f"B {name:<7} ask    {wall:6.2f} s wall {cpu:6.2f} s CPU  load {load_before:.1f}", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def first_ack(port: int, proc: subprocess.Popen[str], body: str, headers: dict[str, str]) -> None:
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"rapport serve exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", "/slack/events", body=body.encode(), headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.02)


def serve_start(code: Path, knowledge: Path, index: Path, slack: FakeSlack) -> tuple[float, float]:
    port = free_port()
    payload = load("app_mention")
    payload["event_id"] = f"EvSTART{port}"
    payload["event"].update({"text": "<@UBOT> who is new?", "ts": f"1763800{port}.000100", "blocks": []})
    body, headers = signed_request(payload)
    env = env_for(
        code,
        knowledge,
        index,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
    )
    cpu, start = children_cpu(), time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=code,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first_ack(port, proc, body, headers)
        wall = time.perf_counter() - start
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return wall, children_cpu() - cpu  # CPU includes the shutdown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, help="a checkout of main before this change (A); not for ask-bot")
    parser.add_argument("--customers", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", choices=["ask", "serve", "ask-bot"])
    args = parser.parse_args()
    knowledge = HERE / ".work" / f"knowledge-{args.customers}"
    index = HERE / ".work" / f"index-{args.customers}"
    if not (index / "manifest.json").exists():
        raise SystemExit(f"build the index first: python bench/tasks.py build {knowledge} {index}")
    slack = FakeSlack().start()
    if args.only == "ask-bot":
        try:
            ask_via_bot(knowledge, index, slack, args.rounds)
        finally:
            slack.stop()
        return
    if args.base is None:
        raise SystemExit("--base is required (a checkout of main before this change)")
    sides = [("A main", args.base.resolve()), ("B this", ROOT)]
    try:
        wall, cpu = cold_ask(ROOT, knowledge, index)
        print(f"B first  ask    {wall:6.2f} s wall {cpu:6.2f} s CPU  (fills the parse cache)", flush=True)
        for _ in range(args.rounds):
            for what, run in (("ask", cold_ask), ("serve", None)):
                if args.only and what != args.only:
                    continue
                for name, code in sides:
                    load_before = os.getloadavg()[0]
                    if run is None:
                        wall, cpu = serve_start(code, knowledge, index, slack)
                    else:
                        wall, cpu = run(code, knowledge, index)
                    print(f"{name}   {what:<6} {wall:6.2f} s wall {cpu:6.2f} s CPU  load {load_before:.1f}", flush=True)
    finally:
        slack.stop()


if __name__ == "__main__":
    main()
