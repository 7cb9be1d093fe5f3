"""Topic tagging: terms from the taxonomy found in the question, weighed against answer and section."""

from __future__ import annotations

from pathlib import Path

import pytest

from qbank.records import QAItem, Question
from qbank.settings import DATA_DIR, TagSettings
from qbank.tag import Tagger, TaxonomyError, fold_text, load_taxonomy

TAXONOMY = DATA_DIR / "taxonomy.yaml"


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger.from_taxonomy(TAXONOMY, TagSettings())


def question(text: str, answer: str | None = None, section: str | None = None, qid: str = "q1") -> Question:
    item = QAItem("file:///a.md", 0, text, text, answer, answer, section)
    return Question(qid, item, text.lower())


def topics(tagger: Tagger, text: str, **kw: str | None) -> dict[str, str]:
    return {t.topic: t.evidence for t in tagger.tag([question(text, **kw)])}


def test_taxonomy_covers_required_areas() -> None:
    ids = {t.id for t in load_taxonomy(TAXONOMY)}
    required = {"programming", "ml_fundamentals", "classical_ml", "deep_learning", "nlp", "computer_vision",
                "transformers_llm", "reinforcement_learning", "data_preparation", "math_stats", "evaluation",
                "optimization_training", "mlops", "system_design", "data_engineering", "ethics", "behavioral"}
    assert required <= ids and len(ids) >= 15


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("How do CNNs learn spatial features?", "deep_learning"),  # abbreviation, plural
        ("Why use a convnet instead of a dense layer?", "deep_learning"),
        ("Compare k-NN with k nearest neighbours regression.", "classical_ml"),
        ("What are the risks of deploying LLMs?", "transformers_llm"),
        ("Explain how a large language model is pretrained.", "transformers_llm"),
        ("Write a SQL query for the second highest salary.", "data_engineering"),
        ("What is RL and where is it used?", "reinforcement_learning"),
        ("Why is Naïve Bayes called naive?", "classical_ml"),  # accents folded
        ("How do Decision Trees split?", "classical_ml"),  # case and plural
    ],
)
def test_variants_abbreviations_and_inflections_match(tagger: Tagger, text: str, topic: str) -> None:
    assert topic in topics(tagger, text)


def test_abbreviations_match_whole_tokens_only(tagger: Tagger) -> None:
    # "rl" inside "world" and "sql" inside "sqlite3"-like words must not count.
    found = topics(tagger, "How does the world model of a child's curl form?")
    assert "reinforcement_learning" not in found


def test_ai_is_not_lemmatized_to_have(tagger: Tagger) -> None:
    # The lookup table maps "ai" to "have"; "have" must not match the term "AI".
    assert "ml_fundamentals" not in topics(tagger, "Have you used Python decorators?")


def test_multi_label_with_evidence(tagger: Tagger) -> None:
    found = topics(tagger, "How would you use BERT for sentiment analysis?")
    assert {"transformers_llm", "nlp"} <= found.keys()
    assert "bert" in found["transformers_llm"] and "sentiment analysis" in found["nlp"]


def test_child_implies_parent(tagger: Tagger) -> None:
    found = topics(tagger, "What is positional encoding?")
    assert found["deep_learning"] == "implied by transformers_llm"


def test_longest_term_wins_over_contained_term(tagger: Tagger) -> None:
    # "logistic regression" must not also count as the generic "regression" of ML fundamentals.
    assert set(topics(tagger, "Explain logistic regression.")) == {"classical_ml"}


def test_long_answer_does_not_spray_tags(tagger: Tagger) -> None:
    answer = ("Dropout randomly zeroes neurons during training. Unlike a decision tree, the network is "
              "trained with gradient descent; it is often combined with batch normalization.")
    found = topics(tagger, "What is dropout?", answer=answer)
    assert "classical_ml" not in found and "optimization_training" not in found
    assert "deep_learning" in found


def test_answer_adds_topic_when_it_repeats(tagger: Tagger) -> None:
    answer = "Use SQL: a window function over a join, or a GROUP BY in the data warehouse."
    assert "data_engineering" in topics(tagger, "How would you find duplicate orders?", answer=answer)


def test_section_is_weak_evidence(tagger: Tagger) -> None:
    # Alone it decides a question with no term of its own; it does not add a topic to one that has terms.
    assert "nlp" in topics(tagger, "How would you handle sarcasm?", section="Natural Language Processing")
    assert "nlp" not in topics(tagger, "What is a random forest?", section="Natural Language Processing")
    # a question naming its own topic does not take the section's, even when the heading names it twice
    cnn = topics(tagger, "How are CNNs used in computer vision?", section="Natural Language Processing (NLP)")
    assert "computer_vision" in cnn and "nlp" not in cnn


def test_generic_words_give_way_to_real_terms(tagger: Tagger) -> None:
    assert set(topics(tagger, "How do you ensure an AI model is fair and ethical?")) == {"ethics"}
    assert "ml_fundamentals" in topics(tagger, "Explain the difference between regression and classification.")


def test_every_question_of_a_batch_is_tagged_in_order(tagger: Tagger) -> None:
    qs = [question("What is overfitting?", qid="a"), question("What is a Python generator?", qid="b"),
          question("Explain ROC AUC.", answer="It plots TPR against FPR.", qid="c")]
    tags = tagger.tag(qs)
    assert [t.question_id for t in tags] == sorted(t.question_id for t in tags)
    assert {(t.question_id, t.topic) for t in tags} >= {("a", "ml_fundamentals"), ("b", "programming"), ("c", "evaluation")}
    assert all(0 < t.score <= 1 for t in tags)


def test_taxonomy_rows_for_the_topics_table(tagger: Tagger) -> None:
    rows = {r.topic: r for r in tagger.taxonomy_rows()}
    assert rows["transformers_llm"].parent == "deep_learning"
    assert rows["nlp"].label and rows["nlp"].description


def test_fold_text() -> None:
    assert fold_text("Bias–Variance k-NN CI/CD Naïve") == "bias variance k nn ci cd naive"


@pytest.mark.parametrize(
    "body",
    ["topics: []", "topics:\n  - id: a\n    label: A\n", "topics:\n  - {id: a, terms: [x], parent: b}\n",
     "topics:\n  - {id: a, terms: [x], parent: b}\n  - {id: b, terms: [y], parent: a}\n"],
)
def test_bad_taxonomy_is_a_named_error(tmp_path: Path, body: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(body)
    with pytest.raises(TaxonomyError):
        load_taxonomy(path)
