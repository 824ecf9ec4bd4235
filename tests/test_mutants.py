"""Broken knowledge files never take the folder down: a small mutation corpus, as CI runs it.

The same corpus and watchdog as `bench/mutants.py` (which runs 2,000+ files): mutated copies of
real knowledge files and one file of every special kind (links that dangle, loop or leave the
folder, a FIFO, /dev/zero, a name that is not UTF-8, files over the cap) go into a folder next to
the good files; a worker process parses, checks, indexes and asks about each of them while the
test watches its time and memory.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.mutants import parser, report, run


@pytest.mark.timeout(1200)  # about a minute on two free cores; far more on a shared, loaded machine
def test_no_crash_hang_or_blow_up_and_every_good_file_indexed(tmp_path: Path) -> None:
    # The file just under the 1 MB cap costs 1,000 embeddings: bench/mutants.py runs it, CI leaves it out.
    options = ["--files", "40", "--batch", "100", "--seed", "7", "--skip", "near_cap", "--work", str(tmp_path)]
    args = parser().parse_args(options)
    figures = run(args)
    summary = report(figures, args)
    assert figures.files == 57, summary
    assert not figures.failures, summary  # crashes, hangs and blow-ups, each with its file
    assert figures.good_checked > 0 and figures.good_indexed == figures.good_checked, summary
    assert figures.leaks == 0, summary
    assert figures.served > 15 and figures.not_served > 18, summary  # the corpus does break files
