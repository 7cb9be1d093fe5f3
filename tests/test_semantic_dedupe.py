"""The semantic tier of dedupe: the pair model, related links, stored embeddings, stable ids, bounded cost,
and `qbank review` driven with scripted input."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import duckdb
import numpy as np
import pytest
from typer.testing import CliRunner

from qbank.cli import app
from qbank.dedupe import dedupe, load_curation
from qbank.dedupe.neighbours import neighbours
from qbank.dedupe.semantic import load_model
from qbank.dedupe.vectors import key_digest, key_vectors
from qbank.embed import model_name
from qbank.normalize import to_questions
from qbank.records import QAItem
from qbank.settings import DATA_DIR, DedupeSettings, Settings
from tests.test_curation_runs import ingest
from tests.test_dedupe import as_existing, clusters_of, questions, verdict
from warehouse.store import Warehouse

SETTINGS = DedupeSettings()


def same_cluster(a: str, b: str) -> bool:
    qs = questions(a, b)
    ids = clusters_of(dedupe(qs, [], SETTINGS))
    return ids[qs[0].question_id] == ids[qs[1].question_id]


@pytest.mark.parametrize(("a", "b"), [  # the rapidfuzz rules alone (verify.compare) keep each pair apart
    ("What is the exploding gradient problem?", "What causes exploding gradients?"),
    ("Explain batch normalization.", "What is batch normalization in neural networks?"),
    ("What is your greatest strength?", "What are your strengths?"),
])
def test_paraphrases_in_other_words_are_merged(a: str, b: str) -> None:
    assert not verdict(a, b).accepted
    assert same_cluster(a, b)


@pytest.mark.parametrize(("a", "b"), [
    ("What is a Docker container?", "Explain containers in Docker."),
    ("What is the difference between git merge and git rebase?", "How does rebasing differ from merging in Git?"),
    ("How can overfitting be avoided?", "How do you prevent overfitting?"),
])
def test_paraphrases_are_merged(a: str, b: str) -> None:
    assert same_cluster(a, b)


@pytest.mark.parametrize(("a", "b"), [
    ("What is a neural network?", "What is a convolutional neural network?"),
    ("Explain k-means clustering", "Explain kNN clustering"),
    ("What is L1 regularization?", "What is L2 regularization?"),
    ("How is precision computed?", "How is recall computed?"),
    ("What is the binomial distribution?", "What is the multinomial distribution?"),
    ("What is useState?", "What is useEffect?"),
    ("What does chmod do?", "What does chown do?"),
    ("What is a liveness probe?", "What is a readiness probe?"),
    ("What is imputation?", "What is parallel imputation?"),
    ("Explain the attention mechanism in neural networks", "What is a neural network?"),
])
def test_look_alikes_stay_apart(a: str, b: str) -> None:
    assert not same_cluster(a, b)


def test_same_concept_other_ask_is_related_not_merged() -> None:
    qs = questions("What is dimensionality reduction?", "Why do we need dimensionality reduction?")
    result = dedupe(qs, [], SETTINGS)
    ids = clusters_of(result)
    assert ids[qs[0].question_id] != ids[qs[1].question_id]
    assert [(r.question_id, r.other_id) for r in result.related] == [(qs[1].question_id, qs[0].question_id)]
    assert result.related[0].rule.startswith("model:related")


def test_model_weights_are_data_with_every_feature() -> None:
    model = load_model()
    assert model.embedding == model_name()  # fitted with the vectors the pipeline computes
    assert 0 < model.review < model.accept < 1


def test_templated_questions_differing_in_one_token_cost_near_linear() -> None:
    # issue 14 finding 3: one candidate block of all of them made 20,000 take 133 s
    items = [QAItem(source_uri=f"t://{i // 100}", position=i % 100, question=f"What is item number {i} in a linked list?",
                    question_raw="", answer_markdown=None, answer_text=None, section=None) for i in range(3000)]
    qs = to_questions(items)
    vectors = key_vectors([q.match_key for q in qs])
    start = time.perf_counter()
    result = dedupe(qs, [], SETTINGS, vectors=vectors)
    assert time.perf_counter() - start < 30
    assert len(set(clusters_of(result).values())) == 3000  # item 12 is not item 13
    assert result.capped_blocks > 0  # the shared key hit its bound and the overflow was counted


@pytest.mark.slow
def test_100k_templated_lines_dedupe_under_a_minute() -> None:
    items = [QAItem(source_uri=f"t://{i // 100}", position=i % 100, question=f"What is item number {i} in a linked list?",
                    question_raw="", answer_markdown=None, answer_text=None, section=None) for i in range(100_000)]
    # CPU seconds of this process (embedding threads included): the 2-core box is shared with other
    # sessions, so wall time measures their load as much as ours
    start = time.process_time()
    qs = to_questions(items)
    result = dedupe(qs, [], SETTINGS)
    assert time.process_time() - start < 60
    assert len(result.assignments) == 100_000


def test_neighbour_search_finds_the_exact_nearest_within_blocks() -> None:
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((200, 32))
    x = (centres[rng.integers(0, 200, 6000)] + 0.2 * rng.standard_normal((6000, 32))).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    queries = np.arange(0, 6000, 37)
    ids, sims = neighbours(x, queries, k=5)
    exact = x[queries] @ x.T
    exact[np.arange(len(queries)), queries] = -np.inf
    best = np.argmax(exact, axis=1)
    assert np.mean([b in row for b, row in zip(best, ids, strict=True)]) >= 0.95
    assert not np.any(ids == queries[:, None])  # never its own neighbour


def test_a_rerun_keeps_every_cluster_id() -> None:
    texts = ["What is overfitting?", "How do you prevent overfitting?", "Explain overfitting.",
             "What is a Docker container?", "Explain containers in Docker.", "What is dimensionality reduction?",
             "Why do we need dimensionality reduction?", "What is L1 regularization?", "What is L2 regularization?"]
    first_qs = questions(*texts, source="a.md")
    first = clusters_of(dedupe(first_qs, [], SETTINGS))
    existing = as_existing(first_qs, first)
    # the same bank again with a second source that repeats and rewords some of them
    more = questions("Can you explain overfitting?", "How would you avoid overfitting?", "What is Kubernetes?",
                     "What is a docker container", source="b.md")
    second = dedupe(more, existing, SETTINGS)
    again = clusters_of(second)
    # no stored question moves and no stored cluster is absorbed: every id of the first run stays
    assert not second.merges and not [a for a in second.assignments if a.question_id in first]
    assert again[more[0].question_id] == first[first_qs[0].question_id]
    # and a run with nothing new keeps everything where it was
    assert dedupe([], existing, SETTINGS).assignments == ()


def test_pipeline_rerun_keeps_ids_and_stores_each_embedding_once(settings: Settings, tmp_path: Path) -> None:
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text("## What is overfitting?\n\nToo close a fit.\n\n## What is dimensionality reduction?\n\nFewer.\n"
                 "\n## Why do we need dimensionality reduction?\n\nSpeed.\n", encoding="utf-8")  # fmt: skip
    ingest([a], settings)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    ids = dict(con.execute("SELECT question_id, cluster_id FROM questions").fetchall())
    keys = [k for (k,) in con.execute("SELECT DISTINCT match_key FROM questions").fetchall()]
    stored = con.execute("SELECT model, count(*) FROM embeddings GROUP BY 1").fetchall()
    related = con.execute("SELECT question, related FROM bank ORDER BY question").fetchall()
    con.close()
    assert stored == [(model_name(), len(keys))]
    vectors = Warehouse(settings.warehouse).stored_vectors(model_name(), [key_digest(k) for k in keys])
    assert key_vectors(keys, vectors).fresh == ()  # a later run embeds none of these again
    assert sum(bool(r) for _, r in related) == 2  # the why/what pair is linked both ways

    b.write_text("## Can you explain overfitting?\n\nVariance.\n", encoding="utf-8")
    a.write_text(a.read_text(encoding="utf-8") + "\n## What is a Docker container?\n\nAn image run.\n", encoding="utf-8")
    ingest([a, b], settings)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    after = dict(con.execute("SELECT question_id, cluster_id FROM questions").fetchall())
    assert con.execute("SELECT count(*) FROM embeddings").fetchone()[0] == len(keys) + 1  # only the new key
    con.close()
    assert all(after[q] == c for q, c in ids.items())
    assert len(set(after.values())) == len(set(ids.values())) + 1  # the Docker question; the rewording joined


def test_review_with_scripted_answers_writes_curation_and_the_next_run_applies_it(
    settings: Settings, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    settings = settings.model_copy(update={"data_dir": data})
    src = tmp_path / "a.md"
    pairs = [("What is a Kubernetes pod?", "What is a Kubernetes deployment?"),  # each in the gray zone
             ("What is a primary key?", "Explain primary keys in relational databases."),
             ("What is time complexity?", "What is space complexity?")]  # fmt: skip
    src.write_text("".join(f"## {q}\n\nAn answer.\n\n" for pair in pairs for q in pair), encoding="utf-8")
    ingest([src], settings)
    env = {"QBANK_WAREHOUSE": str(settings.warehouse), "QBANK_DATA_DIR": str(data)}
    runner = CliRunner()
    listed = runner.invoke(app, ["review", "--limit", "2"], input="q\n", env=env)
    assert listed.exit_code == 0, listed.output
    shown = listed.output.count("P(same)")
    assert shown == 1 and "[s]ame  [r]elated  [d]ifferent" in listed.output

    out = runner.invoke(app, ["review"], input="s\nr\nd\n", env=env)
    assert out.exit_code == 0, out.output
    curation = load_curation(data / "curation.yaml")
    assert (len(curation.must_link), len(curation.related), len(curation.cannot_link)) == (1, 1, 1)
    assert "#" in (data / "curation.yaml").read_text(encoding="utf-8")  # the texts ride along as comments
    again = runner.invoke(app, ["review"], input="", env=env)
    assert "nothing to review" in again.output  # decided pairs are not asked again

    ingest([src], settings)  # unchanged source: the curation alone is applied
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    merged = con.execute("SELECT count(*) FROM bank WHERE variant_count = 2").fetchone()[0]
    linked = con.execute("SELECT count(*) FROM bank WHERE len(related) > 0").fetchone()[0]
    con.close()
    assert merged == 1 and linked == 2
