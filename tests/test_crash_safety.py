"""kill -9 in the middle of loading leaves the warehouse as it was; the next run completes it exactly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from bench.ingest.generate import write_corpus
from tests.conftest import REPO

pytestmark = pytest.mark.slow

# Runs the same stage functions the flow's tasks call. With --pause, the data-quality checks (which run
# inside the load transaction, after every row is written and before the commit) announce themselves and
# wait, so the parent can kill the process at exactly that point.
LOADER = textwrap.dedent(
    """
    import sys, time
    from qbank import pipeline
    from qbank.settings import Settings
    from qbank.sources import expand_sources
    import warehouse.store

    if sys.argv[1] == "--pause":
        sys.argv.pop(1)
        real_checks = warehouse.store.run_checks
        def paused_checks(*args, **kwargs):
            print("IN_TRANSACTION", flush=True)
            time.sleep(60)
            return real_checks(*args, **kwargs)
        warehouse.store.run_checks = paused_checks

    settings = Settings(warehouse=sys.argv[1], raw_dir=sys.argv[2])
    uris, _ = expand_sources(sys.argv[3:])
    known = pipeline.known_sources(settings)
    results = [pipeline.process_source(u, settings, known.get(u)) for u in uris]
    pipeline.finalize(results, settings, pipeline.new_run(settings))
    print("DONE", flush=True)
    """
)


def _ingest(db: Path, raw: Path, *sources: Path, pause: bool = False) -> subprocess.Popen[str]:
    flag = ["--pause"] if pause else []
    return subprocess.Popen(
        [sys.executable, "-c", LOADER, *flag, str(db), str(raw), *map(str, sources)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )


def _state(db: Path) -> tuple[int, int, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        questions, distinct_ids = con.execute("select count(*), count(distinct question_id) from questions").fetchone()
        runs = con.execute("select count(*) from runs").fetchone()[0]
    return questions, distinct_ids, runs


def test_kill_9_during_load_keeps_earlier_data_and_next_run_loads_exactly_once(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    write_corpus(first, docs=4, seed=1)
    write_corpus(second, docs=60, seed=2)
    db, raw = tmp_path / "wh.duckdb", tmp_path / "raw"

    base = _ingest(db, raw, first)
    assert base.wait(timeout=300) == 0
    before = _state(db)
    assert before[0] > 0 and before[0] == before[1]

    victim = _ingest(db, raw, second, pause=True)
    assert victim.stdout.readline().strip() == "IN_TRANSACTION"  # every row written, not committed
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=60)
    assert victim.returncode == -signal.SIGKILL

    after_kill = _state(db)  # the file opens, and holds the earlier data, not a half-written run
    assert after_kill == before

    again = _ingest(db, raw, first, second)
    assert again.wait(timeout=300) == 0
    total, distinct_ids, runs = _state(db)
    assert total == distinct_ids > before[0]

    expected = _ingest(tmp_path / "clean.duckdb", tmp_path / "raw2", first, second)
    assert expected.wait(timeout=300) == 0
    assert _state(tmp_path / "clean.duckdb")[0] == total
