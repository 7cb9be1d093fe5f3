"""Runs over a bank already in the warehouse: curation applied on every run, stored keys recomputed."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from qbank.pipeline import finalize, known_sources, new_run, process_source
from qbank.settings import DATA_DIR, Settings


def ingest(paths: list[Path], settings: Settings):
    known = known_sources(settings)
    results = [process_source(str(p), settings, known.get(str(p))) for p in paths]
    return finalize(results, settings, new_run(settings))


def clusters(settings: Settings) -> dict[str, str]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return dict(con.execute("SELECT question, cluster_id FROM questions").fetchall())
    finally:
        con.close()


def test_cannot_link_added_later_splits_the_stored_cluster(settings: Settings, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    settings = settings.model_copy(update={"data_dir": data})
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text("# Questions\n\n## What is regularisation?\n\nIt penalises large weights.\n", encoding="utf-8")
    b.write_text("# More\n\n## Can you explain regularization?\n\nL1 and L2.\n\n## What is dropout?\n\nIt drops units.\n",
                 encoding="utf-8")
    first = ingest([a, b], settings)
    assert first.clusters_total == 2
    before = clusters(settings)
    assert before["What is regularisation?"] == before["Can you explain regularization?"]

    (data / "curation.yaml").write_text(
        'cannot_link:\n  - ["What is regularisation?", "Explain regularization"]\n', encoding="utf-8"
    )
    second = ingest([a, b], settings)  # both sources unchanged: only the curation differs
    assert [s.status for s in second.sources] == ["unchanged", "unchanged"]
    after = clusters(settings)
    assert after["What is regularisation?"] != after["Can you explain regularization?"]
    assert after["What is dropout?"] == before["What is dropout?"]
    # the older member keeps the stored id; the cluster view has one row per cluster, each with a canonical
    kept = {before["What is regularisation?"]} & set(after.values())
    assert kept == {before["What is regularisation?"]}
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    assert con.execute("SELECT count(*), count(canonical_question_id) FROM bank").fetchone() == (3, 3)
    con.close()

    third = ingest([a, b], settings)
    assert clusters(settings) == after and third.clusters_total == 3


def test_stored_match_keys_from_an_older_release_are_recomputed(settings: Settings, tmp_path: Path) -> None:
    # A warehouse loaded by a release with other wording lists holds other keys; a new source is still
    # matched with today's keys, so "avoided" meets "prevent" (data/filler.yaml synonyms).
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text("## How can overfitting be avoided?\n\nRegularise.\n", encoding="utf-8")
    b.write_text("## How do you prevent overfitting?\n\nMore data.\n", encoding="utf-8")
    ingest([a], settings)
    con = duckdb.connect(str(settings.warehouse))
    con.execute("UPDATE occurrences SET match_key = 'overfitting avoid'")  # as an older release stored it
    con.close()
    summary = ingest([a, b], settings)
    assert summary.clusters_total == 1
    assert len(set(clusters(settings).values())) == 1
