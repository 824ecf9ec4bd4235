"""Answers in answer processes (bot/slack/workers.py), through real `rapport serve --http` processes.

The front process only acks; every lazy listener is re-sent to an answer process the way Bolt's Lambda
adapter re-sends it, and answer process 0 owns the index and runs `/rapport`. Checked here: the request
survives the trip (HTTP and Socket Mode bodies, the ack's context), answers come from another process,
the front never opens the index, a killed answer process is reported and replaced, and the front acks
before the folder is loaded.
"""

from __future__ import annotations

import os
import pickle
import re
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from slack_bolt import BoltRequest

from bot.index.embedding import MiniLMEmbedding
from bot.slack.constants import CONTEXT_MODAL_FAILED
from bot.slack.workers import Job
from tests.fake_slack import FakeSlack
from tests.serve_kit import Served, http_call, sample_bot, serve
from tests.slack_requests import load, signed_request

READY = re.compile(r"answer process (\d+) \(pid (\d+)\) is ready")
ANSWERED = "Peggy"  # the sample's Margaret "Peggy" Hughes is named in any answer about her


def test_a_job_carries_the_request_as_slack_sent_it_and_the_acks_context() -> None:
    body, headers = signed_request(load("command_customer"))
    front = BoltRequest(body=body, headers=headers, context={CONTEXT_MODAL_FAILED: "no answer", "other": 1})
    copied = front.to_copyable()  # what Bolt hands a lazy listener runner
    job = pickle.loads(pickle.dumps(Job.of(7, lambda: None, copied)))
    again = job.request()
    assert again.lazy_only and again.lazy_function_name == "<lambda>"
    assert again.raw_body == body and again.body == front.body
    assert again.headers["x-slack-signature"] == [headers["x-slack-signature"]]
    assert again.context[CONTEXT_MODAL_FAILED] == "no answer"
    assert "other" not in again.context  # only what our acks set travels, never Bolt's client or token

    socket = BoltRequest(body=load("app_mention"), mode="socket_mode")
    back = pickle.loads(pickle.dumps(Job.of(8, port_open, socket))).request()
    assert back.mode == "socket_mode" and back.body == socket.body and back.lazy_function_name == "port_open"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Iterator[Served]:
    with sample_bot(
        tmp_path_factory, embedder, "answers", RAPPORT_ANSWER_PROCESSES="1", RAPPORT_ADMINS="UADMIN"
    ) as bot:
        yield bot
    assert "Traceback" not in bot.log(), bot.log()[-3000:]


def ready_pids(bot: Served) -> list[int]:
    return [int(m.group(2)) for m in READY.finditer(bot.log())]


def wait_until(check: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_the_front_acks_before_the_folder_is_loaded_and_answers_when_ready(served: Served) -> None:
    # Sent as soon as the port answers: the front does not wait for the index before serving Slack.
    wait_until(lambda: port_open(served))
    loading = served.healthz()
    payload = load("app_mention", event_id="EvEARLY0001")
    payload["event"] = {**payload["event"], "text": "<@UBOT> what's new with Peggy Hughes?", "blocks": []}
    body, headers = signed_request(payload)
    status, _ = http_call(served.port, "POST", "/slack/events", body.encode(), headers)
    assert status == 200
    assert loading[0] == 503 and "loading" in loading[1], loading  # acked while the folder was loading
    served.fake.wait_for("chat.postMessage", timeout=180)
    served.wait_healthy()
    assert "answer process 0" in served.log()


def port_open(bot: Served) -> bool:
    try:
        bot.healthz()
    except OSError:
        return False
    return True


def test_answers_are_computed_in_another_process(served: Served) -> None:
    served.wait_healthy()
    assert ANSWERED in served.mention("Should I check in with Peggy Hughes this week?")
    pids = ready_pids(served)
    assert pids and served.proc.pid not in pids


def test_a_killed_answer_process_is_reported_replaced_and_answers_again(served: Served) -> None:
    served.wait_healthy()
    before = ready_pids(served)
    os.kill(before[-1], signal.SIGKILL)
    wait_until(lambda: served.healthz()[0] == 503 and "answer process 0 exited" in served.healthz()[1], 30)
    wait_until(lambda: len(ready_pids(served)) > len(before))
    served.wait_healthy()
    assert "answer process 0 exited with code -9: restarting" in served.log()
    assert ANSWERED in served.mention("Draft a check-in for Peggy Hughes")


def open_files(pid: int) -> list[str]:
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            found.append(os.readlink(fd))
        except OSError:
            continue
    return found


def test_the_front_never_opens_the_index_and_answer_process_0_owns_it(served: Served) -> None:
    served.wait_healthy()
    served.mention("Should I check in with Peggy Hughes this week?")
    index = str(served.log_path.parent / "index")
    assert not [f for f in open_files(served.proc.pid) if f.startswith(index)], "the front opened the index"
    owner = ready_pids(served)[-1]
    assert any(f.startswith(index) for f in open_files(owner)), "answer process 0 holds the index open"


def native_libraries(pid: int) -> set[str]:
    return {Path(line.split()[-1]).name for line in Path(f"/proc/{pid}/maps").read_text().splitlines() if ".so" in line}


def test_the_front_loads_neither_chroma_nor_the_embedding_model(served: Served) -> None:
    # Importing them would cost the front about two seconds before its port opens; it never calls them.
    served.wait_healthy()
    served.mention("What does Peggy Hughes like?")
    # Chroma's client, its import (grpc comes with it), the ONNX session and the model's tokenizer.
    heavy = ("chromadb_rust_bindings", "cygrpc", "onnxruntime_pybind11_state", "tokenizers")
    front = native_libraries(served.proc.pid)
    assert not [lib for lib in front if lib.startswith(heavy)], sorted(front)
    answers = native_libraries(ready_pids(served)[-1])
    assert all(any(lib.startswith(name) for lib in answers) for name in heavy)  # they are where answers are


def test_the_admin_command_runs_in_the_answer_process_that_owns_the_index(served: Served) -> None:
    served.wait_healthy()
    payload = load("command_rapport", served.fake, text="reload")
    body, headers = signed_request(payload)
    status, text = http_call(served.port, "POST", "/slack/events", body.encode(), headers)
    assert status == 200 and "Re-indexing" in text
    posts = served.fake.wait_for("response_url", count=2, timeout=60)
    said = " ".join(str(p.args) for p in posts)
    assert "Re-indexed" in said and "already up to date" in said
    # Answer process 0 owns the index: the reload synced it rather than following another owner.
    assert "another process writes this index" not in said.lower()


def test_stopping_serve_stops_its_answer_processes(tmp_path: Path, served: Served) -> None:
    served.wait_healthy()
    pids = ready_pids(served)
    served.stop()
    assert served.proc.returncode == 0
    for pid in pids:
        wait_until(lambda pid=pid: not alive(pid), 30)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_stops_with_one_line_when_the_embedding_model_cannot_be_fetched(tmp_path: Path) -> None:
    """With answer processes the model is checked in the front, so serve stops as `rapport index` does."""
    home = tmp_path / "home"  # chromadb keeps the model under ~/.cache/chroma: this home has none and
    home.mkdir()  # cannot have one (~/.cache is a file), so it cannot be fetched, without a proxy that Slack's
    (home / ".cache").write_text("not a folder")  # client would also go through
    (tmp_path / "knowledge" / "customers").mkdir(parents=True)
    fake = FakeSlack().start()
    try:
        bot = serve(
            tmp_path / "knowledge",
            tmp_path / "index",
            tmp_path,
            fake,
            HOME=str(home),
        )
        assert bot.proc.wait(120) == 2
    finally:
        fake.stop()
    log = bot.log()
    assert "Traceback" not in log and "answer process" not in log, log[-2000:]
    assert "rapport serve: the embedding model all-MiniLM-L6-v2 is missing from " in log
