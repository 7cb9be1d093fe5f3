"""qbank.pipeline.process_source: what a worker hands to the single loader."""

from __future__ import annotations

from pathlib import Path

from qbank.pipeline import known_sources, process_source
from qbank.settings import Settings


def test_a_processed_source_carries_its_questions_not_its_bytes(settings: Settings, tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# ML\n\n## What is overfitting?\n\nFitting noise.\n", encoding="utf-8")
    result = process_source(str(page), settings)
    assert [i.question for i in result.items] == ["What is overfitting?"]
    assert result.raw.content == b"" and result.doc.blocks == ()  # not shipped from workers to the loader
    assert result.doc.title == "ML" and result.raw.sha256
    stored = settings.raw_dir / result.raw.sha256[:2] / result.raw.sha256
    assert stored.read_bytes() == page.read_bytes()  # the bytes are kept under raw/


def test_threads_are_cores_for_local_files_and_the_fetch_limit_for_urls() -> None:
    import os

    from qbank.runners import thread_count
    from qbank.settings import FetchSettings

    fetch = FetchSettings(concurrency=8)
    assert thread_count(["articles/", "a.md"], False, fetch) == min(8, os.cpu_count() or 1)
    assert thread_count(["articles/", "https://example.org/q"], False, fetch) == 8
    assert thread_count(["articles/"], True, fetch) == 8  # a --from list may name URLs


def test_every_rule_file_comes_from_the_data_dir(settings: Settings, tmp_path: Path) -> None:
    """Issue 16: `data_dir` used to reach the taxonomy, the curation and the kind cues only; the match-key wording
    (data/filler.yaml) and the pair model were read from the shipped data/ whatever it said. A team's own
    synonym now applies, as its kind cue does."""
    import shutil

    import duckdb
    import yaml

    from qbank.pipeline import finalize, new_run
    from qbank.settings import DATA_DIR

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    filler = yaml.safe_load((data / "filler.yaml").read_text(encoding="utf-8"))
    filler["abbreviations"]["zork"] = "kubernetes"
    (data / "filler.yaml").write_text(yaml.safe_dump(filler, allow_unicode=True), encoding="utf-8")
    kinds = yaml.safe_load((data / "kinds.yaml").read_text(encoding="utf-8"))
    kinds["kinds"]["wording"]["behavioral"].insert(0, r"\bfrobnicat")
    (data / "kinds.yaml").write_text(yaml.safe_dump(kinds, allow_unicode=True), encoding="utf-8")
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text("# Ops\n\n## What is Zork?\n\nOrchestration.\n\n## How would you frobnicate a widget?\n\nCarefully.\n",
                 encoding="utf-8")
    b.write_text("# Ops\n\n## What is Kubernetes?\n\nAn orchestrator.\n", encoding="utf-8")

    def run(settings: Settings) -> tuple[int, dict[str, str]]:
        results = [process_source(str(p), settings) for p in (a, b)]
        summary = finalize(results, settings, new_run(settings))
        with duckdb.connect(str(settings.warehouse), read_only=True) as con:
            kinds = dict(con.execute("SELECT question, kind FROM questions").fetchall())
        return summary.clusters_total, kinds

    shipped = run(settings)
    custom = run(settings.model_copy(update={"data_dir": data, "warehouse": tmp_path / "custom.duckdb",
                                             "raw_dir": tmp_path / "raw-custom"}))  # fmt: skip
    assert shipped == (3, {"What is Zork?": "technical", "How would you frobnicate a widget?": "technical",
                           "What is Kubernetes?": "technical"})  # fmt: skip
    assert custom[0] == 2  # "Zork" is Kubernetes: one cluster
    assert custom[1]["How would you frobnicate a widget?"] == "behavioral"


def test_each_stage_counts_and_times_itself_into_the_summary_and_runs(settings: Settings, tmp_path: Path) -> None:
    """Issue 16: records in / out / dropped and seconds per stage, in the RunSummary and in `runs.stages`."""
    import json

    import duckdb

    from qbank.pipeline import finalize, new_run
    from qbank.records import STAGES
    from qbank.report import render_summary

    good = tmp_path / "good.md"
    good.write_text("# ML\n\nTable of contents\n\n## What is overfitting?\n\nFitting noise.\n\n"
                    "## What is dropout?\n\nZeroing units.\n", encoding="utf-8")  # fmt: skip
    empty = tmp_path / "empty.md"
    empty.write_text("   \n", encoding="utf-8")
    binary = tmp_path / "notes.txt"
    binary.write_bytes(b"\x7fELF" + bytes(64))
    results = [process_source(str(p), settings) for p in (good, empty, binary)]
    summary = finalize(results, settings, new_run(settings))
    stages = {s.stage: s for s in summary.stages}
    assert tuple(stages) == STAGES
    fetch, extract, split, classify = (stages[s] for s in ("fetch", "extract", "split", "classify"))
    assert (fetch.records_in, fetch.records_out, dict(fetch.drops), fetch.calls) == (3, 1, {"failed": 1, "skipped": 1}, 3)
    assert (extract.records_in, extract.calls) == (1, 1) and extract.records_out == split.records_in > 0
    assert split.records_out == classify.records_in == classify.records_out == 2
    assert split.dropped >= 1 and all(n > 0 for _, n in split.drops)  # "Table of contents", the title...
    assert (stages["normalize"].records_out, stages["dedupe"].records_out, stages["load"].records_in) == (2, 2, 2)
    assert stages["tag"].records_in == 2 and stages["tag"].records_out >= 2  # a topic each, at least
    assert all(s.wall >= 0 and s.cpu >= 0 for s in summary.stages) and stages["load"].wall > 0
    assert "time: fetch " in render_summary(summary)

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        (stored,) = con.execute("SELECT stages FROM runs WHERE run_id = ?", [summary.run_id]).fetchone()
    rows = {row["stage"]: row for row in json.loads(stored)}
    assert list(rows) == list(STAGES)
    assert rows["fetch"] == {"stage": "fetch", "records_in": 3, "records_out": 1, "dropped": 2,
                             "drops": {"failed": 1, "skipped": 1}, "wall": round(fetch.wall, 4),
                             "cpu": round(fetch.cpu, 4), "calls": 3}  # fmt: skip

    again = finalize([process_source(str(good), settings, known_sources(settings)[str(good)])], settings,
                     new_run(settings))  # fmt: skip
    assert [(s.stage, s.records_in, s.records_out) for s in again.stages[:1]] == [("fetch", 1, 0)]  # unchanged
    assert "extract" not in {s.stage for s in again.stages}
