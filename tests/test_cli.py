"""The `qbank` command as a user runs it: help text, usage errors, and the seeds end to end."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qbank.cli import app
from tests.conftest import REPO, SEEDS

runner = CliRunner()

SEED_COUNTS = {"000": 20, "001": 138, "002": 24, "003": 45}


def test_every_command_has_help_with_an_example_or_description():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    commands = [c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands]
    assert {"ingest", "query", "export", "stats"} <= set(commands)
    for name in commands:
        sub = runner.invoke(app, [name, "--help"])
        assert sub.exit_code == 0, name
        assert "--warehouse" in sub.output, f"{name} lacks --warehouse"
        assert len(sub.output.strip().splitlines()) > 5, f"{name} help is too thin"


def test_ingest_without_sources_is_a_one_line_error():
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code == 1
    assert "nothing to ingest" in result.output


def _qbank(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qbank", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed articles are not next to the repo")
def test_seeds_end_to_end_227_questions_and_an_identical_rerun_adds_nothing(tmp_path):
    env = {**os.environ, "QBANK_WAREHOUSE": str(tmp_path / "seeds.duckdb"), "QBANK_RAW_DIR": str(tmp_path / "raw")}
    first = _qbank("ingest", str(SEEDS), "--export", str(tmp_path / "out"), env=env)
    assert first.returncode == 0, first.stderr + first.stdout
    assert "[5/5]" in first.stderr  # progress per source (the four seeds and their README)

    counted = _qbank("query", "select count(*) as n from questions", "--format", "csv", env=env)
    assert counted.returncode == 0, counted.stderr
    assert list(csv.DictReader(io.StringIO(counted.stdout)))[0]["n"] == "227"
    per_seed = _qbank(
        "query",
        "select regexp_extract(source_uri, '(\\d{3})_[0-9a-f]+\\.txt$', 1) as seed, count(*) as n"
        " from questions group by 1 order by 1",
        "--format",
        "csv",
        env=env,
    )
    assert {r["seed"]: int(r["n"]) for r in csv.DictReader(io.StringIO(per_seed.stdout))} == SEED_COUNTS
    assert (tmp_path / "out" / "bank.json").is_file()

    second = _qbank("ingest", str(SEEDS), env=env)
    assert second.returncode == 0, second.stderr
    assert "+0 added" in second.stdout
    again = _qbank("query", "select count(*) as n from questions", "--format", "csv", env=env)
    assert list(csv.DictReader(io.StringIO(again.stdout)))[0]["n"] == "227"
