"""Named steps where a test can kill this process with SIGKILL, to prove erasure survives a crash.

`RAPPORT_FAILPOINT=generation-committed rapport forget cus-1` dies exactly after the new generation
is committed, as a power cut or an OOM kill would. Unset, a failpoint costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "RAPPORT_FAILPOINT"
# In the order an erasure passes them (tests/test_erasure.py kills at each one).
FORGET_STEPS = ("erasure-recorded", "file-erased", "feedback-scrubbed")
SYNC_STEPS = (
    "sync-started",
    "records-added",
    "records-deleted",
    "generation-copied",
    "generation-committed",
    "generation-retired",
)


def failpoint(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
