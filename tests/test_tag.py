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


def test_taxonomy_covers_the_interview_universe() -> None:
    topics = {t.id: t for t in load_taxonomy(TAXONOMY)}
    required = {
        "programming", "python", "javascript", "frontend", "react", "web_backend", "apis", "databases_sql", "nosql",
        "data_engineering", "big_data_spark", "devops", "containers_kubernetes", "cloud", "linux_os", "networking",
        "security", "version_control_git", "testing", "system_design", "algorithms_data_structures",
        "ml_fundamentals", "classical_ml", "deep_learning", "nlp", "transformers_llm", "computer_vision",
        "reinforcement_learning", "data_preparation", "math_stats", "evaluation", "optimization_training", "mlops",
        "recommender_systems", "time_series", "ethics", "behavioral", "career",
    }  # fmt: skip
    assert required <= topics.keys()
    for topic in topics.values():  # every topic is browsable: a label, a one-line description, examples to embed
        assert topic.label and topic.description and "\n" not in topic.description.strip()
        assert len(topic.examples) >= 3
    # the parent rule exists where it did; the new ids stand alone
    assert {t.id: t.parent for t in topics.values() if t.parent} == {"transformers_llm": "deep_learning"}


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("How do CNNs learn spatial features?", "deep_learning"),  # abbreviation, plural
        ("Why use a convnet instead of a dense layer?", "deep_learning"),
        ("Compare k-NN with k nearest neighbours regression.", "classical_ml"),
        ("What are the risks of deploying LLMs?", "transformers_llm"),
        ("Explain how a large language model is pretrained.", "transformers_llm"),
        ("Write a SQL query for the second highest salary.", "databases_sql"),
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
    assert "databases_sql" in topics(tagger, "How would you find duplicate orders?", answer=answer)


def test_an_answer_confirms_but_never_adds_a_topic_next_to_a_real_term(tagger: Tagger) -> None:
    answer = "Kafka streams it, Spark joins it, Airflow schedules it, and Docker runs it on Kubernetes."
    found = topics(tagger, "What is a confusion matrix?", answer=answer)
    assert set(found) == {"evaluation"}


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
    assert {(t.question_id, t.topic) for t in tags} >= {("a", "ml_fundamentals"), ("b", "python"), ("c", "evaluation")}
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What is the difference between a Docker image and a container?", {"containers_kubernetes"}),
        ("How do you write a Terraform module?", {"devops"}),
        ("What is an S3 bucket policy?", {"cloud"}),
        ("What does chmod 755 do on Linux?", {"linux_os"}),
        ("Explain the TCP three-way handshake.", {"networking"}),
        ("How do you prevent cross-site scripting?", {"security"}),
        ("What is the difference between git merge and git rebase?", {"version_control_git"}),
        ("What is a closure in JavaScript?", {"javascript"}),
        ("When does useEffect run in React?", {"react"}),
        ("What is the CSS box model?", {"frontend"}),
        ("How does a broadcast join work in Spark?", {"big_data_spark"}),
        ("Which HTTP methods are idempotent in a REST API?", {"apis"}),
        ("What are your salary expectations?", {"career"}),
        ("What is a Kubernetes pod?", {"containers_kubernetes"}),  # not MLOps: that is about operating models
    ],
)
def test_non_ml_questions_get_their_own_topic(tagger: Tagger, text: str, expected: set[str]) -> None:
    assert set(topics(tagger, text)) == expected


def test_mlops_is_about_operating_models(tagger: Tagger) -> None:
    assert set(topics(tagger, "How do you detect data drift in a model in production?")) == {"mlops"}
    assert set(topics(tagger, "How do you deploy a model with Docker?")) == {"mlops", "containers_kubernetes"}


def test_a_general_topic_yields_to_the_language_it_is_asked_about(tagger: Tagger) -> None:
    # "multithreading" is programming; asked about Python, the question is a Python question
    assert set(topics(tagger, "How does the GIL limit multithreading in Python?")) == {"python"}
    assert set(topics(tagger, "What is a race condition and how does a mutex prevent it?")) == {"programming"}


def test_ambiguous_words_need_their_context(tagger: Tagger) -> None:
    # kernel, try/trie, rest, lambda: words that mean different things in different fields
    assert set(topics(tagger, "What is the kernel trick in an SVM?")) == {"classical_ml"}
    assert "algorithms_data_structures" not in topics(tagger, "Let us try to build a Naive Bayes classifier.")
    assert "apis" not in topics(tagger, "Why does the rest of the network not learn?")
    assert "cloud" not in topics(tagger, "What is a lambda function in Python?")


def test_at_most_max_topics_per_question(tagger: Tagger) -> None:
    text = "How would you use Kafka, Spark, Docker and SQL to build a pipeline on AWS?"
    found = topics(tagger, text)
    assert len(found) == tagger.settings.max_topics


def test_a_question_without_terms_is_decided_by_similarity(tagger: Tagger) -> None:
    # weak words only ("process", "thread"): the embedding confirms the operating-system reading
    found = topics(tagger, "What is the difference between a process and a thread?")
    assert set(found) == {"linux_os"} and "similar:" in found["linux_os"]
    # without the embedding the same weak words still decide, with no similarity in the evidence
    plain = Tagger.from_taxonomy(TAXONOMY, TagSettings(use_embeddings=False))
    assert "similar:" not in topics(plain, "What is the difference between a process and a thread?").get("linux_os", "")


def test_behavioral_questions_do_not_take_the_page_topic(tagger: Tagger) -> None:
    item = QAItem("file:///a.md", 0, "How do you handle stress at work?", "How do you handle stress at work?", None, None,
                  "Python interview questions", ("Python interview questions",), kind="behavioral")  # fmt: skip
    found = {t.topic: t.evidence for t in tagger.tag([Question("q1", item, item.question.lower())])}
    assert "python" not in found and set(found) <= {"behavioral", "career"} and found
    # a technical question under the same heading does take it
    assert "python" in topics(tagger, "What does the finally block guarantee?", section="Python interview questions")


def test_plural_of_a_term_that_is_another_word_is_not_matched(tagger: Tagger) -> None:
    assert "algorithms_data_structures" in topics(tagger, "How is a trie different from a hash map?")
    assert "algorithms_data_structures" not in topics(tagger, "We tried a random forest first.")


def test_taxonomy_checks_yields_to_and_kinds(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("topics:\n  - {id: a, terms: [x], yields_to: [nope]}\n")
    with pytest.raises(TaxonomyError, match="yields to unknown"):
        load_taxonomy(path)
    path.write_text("topics:\n  - {id: a, terms: [x], for_kinds: [chatty]}\n")
    with pytest.raises(TaxonomyError, match="unknown kinds"):
        load_taxonomy(path)
