"""Generate a synthetic corpus of interview-question articles for the ingest benchmark.

Every article is built from templates over a small vocabulary of ML / AI / Python / SQL topics, in the
five shapes the pipeline reads:

    markdown  front matter, `####` kind headings, numbered bold questions, `**Answer:**` bullet lists
    plain     a title line with an experience level, section heading lines, one question per line
    examples  blog text: section headings, "Example Questions:" bullets, "What Interviewers Look For:"
    sample    careers page: level sections, numbered questions each followed by "Sample answer:"
    html      a page with nav/footer boilerplate, h2 sections, h3 questions, p answers

About 30% of the question occurrences come from a shared pool of popular questions, each reworded
differently from one article to the next (the overlap the deduper has to find); the rest are distinct.
The output depends only on the seed.

    .venv/bin/python -m bench.ingest.generate --docs 1000 --out /tmp/corpus
"""

from __future__ import annotations

import argparse
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path

# Topic vocabulary: domain -> (what its concepts are, concepts). Concepts are lower-case noun phrases.
DOMAINS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Python": (
        "language feature",
        (
            "generators", "decorators", "context managers", "list comprehensions", "the global interpreter lock",
            "metaclasses", "descriptors", "asyncio event loops", "dataclasses", "type hints", "closures",
            "iterators", "virtual environments", "the garbage collector", "slots", "abstract base classes",
            "keyword-only arguments", "f-strings", "the walrus operator", "multiprocessing pools",
            "structural pattern matching", "weak references", "the import system", "monkey patching",
            "properties",
        ),
    ),
    "SQL": (
        "database technique",
        (
            "window functions", "common table expressions", "inner joins", "left joins", "B-tree indexes",
            "query plans", "transactions", "isolation levels", "foreign keys", "normalization",
            "materialized views", "stored procedures", "GROUP BY with HAVING", "correlated subqueries",
            "partitioned tables", "deadlocks", "optimistic locking", "covering indexes", "NULL handling",
            "upserts", "recursive queries", "columnar storage", "query caching", "sharding", "star schemas",
        ),
    ),
    "machine learning": (
        "modelling method",
        (
            "cross-validation", "the bias-variance trade-off", "regularization", "gradient boosting",
            "random forests", "logistic regression", "support vector machines", "k-means clustering",
            "feature scaling", "one-hot encoding", "class imbalance", "precision and recall", "ROC curves",
            "hyperparameter tuning", "early stopping", "decision trees", "naive Bayes", "bagging",
            "principal component analysis", "feature selection", "data leakage", "ensemble methods",
            "the curse of dimensionality", "semi-supervised learning", "anomaly detection",
        ),
    ),
    "deep learning": (
        "neural network technique",
        (
            "backpropagation", "batch normalization", "dropout", "convolutional layers", "residual connections",
            "attention mechanisms", "learning rate schedules", "vanishing gradients", "weight initialization",
            "transfer learning", "recurrent networks", "LSTMs", "the Adam optimizer", "mixed precision training",
            "gradient clipping", "autoencoders", "generative adversarial networks", "embedding layers",
            "knowledge distillation", "pruning", "quantization", "data augmentation", "layer normalization",
            "diffusion models", "contrastive learning",
        ),
    ),
    "NLP": (
        "language processing method",
        (
            "tokenization", "word embeddings", "transformers", "BERT", "named entity recognition",
            "stemming and lemmatization", "TF-IDF", "beam search", "retrieval-augmented generation",
            "prompt engineering", "fine-tuning large language models", "perplexity", "sequence-to-sequence models",
            "byte-pair encoding", "sentiment analysis", "topic modelling", "text classification",
            "positional encodings", "hallucination in LLMs", "instruction tuning", "vector databases",
            "semantic search", "part-of-speech tagging", "machine translation", "context windows",
        ),
    ),
    "MLOps": (
        "engineering practice",
        (
            "model monitoring", "feature stores", "data drift", "model versioning", "A/B testing of models",
            "continuous training", "model serving", "batch inference", "online inference", "experiment tracking",
            "reproducible pipelines", "shadow deployments", "canary releases", "model registries",
            "data validation", "containerized training", "GPU scheduling", "latency budgets",
            "rollback strategies", "model cards", "pipeline orchestration", "data lineage", "cost monitoring",
            "offline evaluation", "inference caching",
        ),
    ),
    "statistics": (
        "statistical idea",
        (
            "p-values", "confidence intervals", "the central limit theorem", "Bayesian inference",
            "maximum likelihood estimation", "hypothesis testing", "statistical power", "bootstrapping",
            "multicollinearity", "heteroscedasticity", "correlation versus causation", "sampling bias",
            "the law of large numbers", "type I and type II errors", "Simpson's paradox", "effect sizes",
            "survival analysis", "Markov chains", "Monte Carlo methods", "time series stationarity",
            "outlier detection", "the normal distribution", "variance reduction", "stratified sampling",
            "A/B test design",
        ),
    ),
}

# Question intents, each with several wordings of the same question. {a}, {b}: concepts; {d}: domain;
# {c}: a context. Distinct questions use one wording; a shared question gets a different one per article.
SINGLE_INTENTS: tuple[tuple[str, ...], ...] = (
    ("What is {a} in {d}?", "Can you explain what {a} means in {d}?", "Explain {a} in {d}.",
     "What do you understand by {a} in {d}?", "Define {a} as used in {d}."),
    ("How does {a} work under the hood?", "Describe how {a} works internally.",
     "Walk me through how {a} works under the hood.", "Can you explain the inner workings of {a}?"),
    ("What are common pitfalls of {a}?", "What mistakes do people often make with {a}?",
     "What can go wrong when you rely on {a}?", "Which pitfalls of {a} have you run into?"),
    ("How would you debug a problem caused by {a} in production?",
     "What would you check first if {a} misbehaved in production?",
     "Describe how you would troubleshoot {a} in a production system."),
    ("Tell me about a time you used {a} to solve a hard problem.",
     "Describe a project where {a} made a measurable difference.",
     "Give an example of a problem you solved with {a}."),
)
PAIR_INTENTS: tuple[tuple[str, ...], ...] = (
    ("What is the difference between {a} and {b}?", "Explain the difference between {a} and {b}.",
     "How does {a} differ from {b}?", "Compare {a} and {b}: how do they differ?"),
    ("When would you choose {a} over {b}?", "When should you prefer {a} to {b}?",
     "In which situations is {a} a better choice than {b}?"),
)
CONTEXT_INTENTS: tuple[tuple[str, ...], ...] = (
    ("How would you apply {a} in {c}?", "How would you use {a} when working on {c}?",
     "Describe how you would apply {a} to {c}."),
)
CONTEXTS = (
    "a fraud detection system", "a recommendation engine", "a real-time bidding service", "a chatbot",
    "a medical imaging product", "a search ranking pipeline", "an analytics dashboard", "a churn model",
    "a streaming ingestion job", "a demand forecasting tool", "a document classifier", "a code assistant",
)
PURPOSES = (
    "keeps results reliable as data grows", "trades a little speed for clearer behaviour",
    "reduces the work repeated on every request", "makes failures easier to detect early",
    "lets a team reason about correctness", "controls how much memory a job needs",
    "improves how well a model generalizes", "separates what changes from what stays fixed",
)
LEVELS = ("0-2", "2-4", "3-5", "5+")
KINDS = ("Technical Questions", "Behavioral Questions", "Situational Questions", "Problem-Solving Questions")
SHAPES = ("markdown", "plain", "examples", "sample", "html")
SHAPE_WEIGHTS = (0.3, 0.2, 0.15, 0.15, 0.2)
EXTENSIONS = {"markdown": ".md", "plain": ".txt", "examples": ".txt", "sample": ".txt", "html": ".html"}


@dataclass(frozen=True, slots=True)
class Intent:
    """One question's meaning: its wordings and the values that fill them."""

    wordings: tuple[str, ...]
    slots: tuple[tuple[str, str], ...]  # (name, value) pairs for str.format
    domain: str
    concept: str

    def render(self, wording: int) -> str:
        text = self.wordings[wording % len(self.wordings)].format(**dict(self.slots))
        return text[0].upper() + text[1:]


@dataclass(frozen=True, slots=True)
class Article:
    name: str  # file name, e.g. "00042_sql-interview-questions.md"
    shape: str
    text: str
    questions: int  # question occurrences written into the article
    shared: int  # of which come from the shared pool


def _intents(rng: random.Random) -> list[Intent]:
    """Every distinct question the vocabulary can form, in a seeded random order."""
    intents: list[Intent] = []
    for domain, (_, concepts) in DOMAINS.items():
        for a in concepts:
            intents += [Intent(w, (("a", a), ("d", domain)), domain, a) for w in SINGLE_INTENTS]
            intents += [Intent(w, (("a", a), ("c", c)), domain, a) for w in CONTEXT_INTENTS for c in CONTEXTS]
        for a, b in itertools.permutations(concepts, 2):
            # "difference between a and b" is symmetric: one order only, so distinct questions stay distinct
            wordings = PAIR_INTENTS if a < b else PAIR_INTENTS[1:]
            intents += [Intent(w, (("a", a), ("b", b)), domain, a) for w in wordings]
    rng.shuffle(intents)
    return intents


def _answer(intent: Intent, rng: random.Random) -> list[str]:
    """Two or three sentences of plausible answer text."""
    kind = DOMAINS[intent.domain][0]
    concept = intent.concept[0].upper() + intent.concept[1:]
    sentences = [
        f"{concept} is {_article(kind)} {kind} in {intent.domain} that {rng.choice(PURPOSES)}.",
        f"In practice it {rng.choice(PURPOSES)}, which matters once {rng.choice(CONTEXTS)} reaches production.",
    ]
    if rng.random() < 0.5:
        sentences.append(f"A good answer names one trade-off: it {rng.choice(PURPOSES)} but needs care to tune.")
    return sentences


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _markdown(title: str, domain: str, questions: list[tuple[str, list[str]]], rng: random.Random) -> str:
    lines = [
        "---",
        f'title: "{title}"',
        f'author: "Author {rng.randint(1, 400)}"',
        f"pubDate: 2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        f'tags: ["Interview Prep", "{domain}"]',
        "---",
        "",
        f"## {title}",
        "",
        f"This guide collects questions asked in {domain} interviews, with short answers.",
        "",
        "### Interview Questions and Answers",
        "",
    ]
    answered = max(1, len(questions) * 2 // 3)
    per_kind = max(1, answered // 2)
    number = 1
    for start in range(0, answered, per_kind):
        lines += [f"#### {KINDS[(start // per_kind) % len(KINDS)]}", ""]
        for question, answer in questions[start : min(start + per_kind, answered)]:
            lines += [f"{number}. **{question}**", "", "   **Answer:**"]
            lines += [f"   - **{label}:** {sentence}" for label, sentence in zip(("Definition", "Use", "Trade-off"), answer)]
            if rng.random() < 0.3:
                lines += ["", "   **Follow-Up Points:**", f"   - How would this change for {rng.choice(CONTEXTS)}?"]
            lines.append("")
            number += 1
    lines += ["### Additional Questions", ""]
    for question, _ in questions[answered:]:
        lines.append(f"{number}. **{question}**")
        number += 1
    return "\n".join(lines) + "\n"


def _plain(title: str, domain: str, questions: list[tuple[str, list[str]]], rng: random.Random) -> str:
    lines = [f"{title} ({rng.choice(LEVELS)} years experience)"]
    sections = ("Core Concepts", f"{domain} in Practice", "Design and Trade-offs")
    step = max(1, -(-len(questions) // len(sections)))
    for index, start in enumerate(range(0, len(questions), step)):
        lines += [sections[index % len(sections)], ""]
        for question, _ in questions[start : start + step]:
            lines += [question, ""]
    return "\n".join(lines)


def _examples(title: str, domain: str, questions: list[tuple[str, list[str]]], rng: random.Random) -> str:
    lines = [title, "", title, "", f"Hiring for {domain} roles keeps growing. This post lists what to expect.", ""]
    for start in range(0, len(questions), 3):
        lines += [
            f"Topic {start // 3 + 1}: {domain}",
            "",
            f"Interviewers use this part to check how candidates reason about {domain} problems.",
            "",
            "Example Questions:",
            "",
        ]
        lines += [f"  • {question}\n" for question, _ in questions[start : start + 3]]
        lines += ["What Interviewers Look For:", "", "Clear reasoning, and honest limits of each approach.", ""]
    lines += ["Advertisement", "", "Previous Post", "Next Post", ""]
    return "\n".join(lines)


def _sample(title: str, domain: str, questions: list[tuple[str, list[str]]], rng: random.Random) -> str:
    lines = [f"We have listed common {domain} interview questions with sample answers.", ""]
    third = max(1, -(-len(questions) // 3))
    number = 1
    for level, start in zip(("Beginner", "Intermediate", "Advanced"), range(0, len(questions), third)):
        lines.append(f"{level} {domain} interview questions")
        for question, answer in questions[start : start + third]:
            lines += [f"{number}. {question}", f"Sample answer: {' '.join(answer[:2])}"]
            if len(answer) > 2:
                lines.append(answer[2])
            number += 1
    lines += ["Subscribe to our newsletter for more career advice.", ""]
    return "\n".join(lines)


def _html(title: str, domain: str, questions: list[tuple[str, list[str]]], rng: random.Random) -> str:
    parts = [
        "<!doctype html>",
        f"<html><head><meta charset='utf-8'><title>{escape(title)}</title></head><body>",
        "<nav><a href='/'>Home</a> <a href='/blog'>Blog</a> <a href='/jobs'>Jobs</a></nav>",
        f"<article><h1>{escape(title)}</h1>",
        f"<p>These {escape(domain)} interview questions come up often; each has a short answer.</p>",
    ]
    for start in range(0, len(questions), 4):
        parts.append(f"<h2>{escape(domain)} questions, part {start // 4 + 1}</h2>")
        for question, answer in questions[start : start + 4]:
            parts.append(f"<h3>{escape(question)}</h3>")
            parts += [f"<p>{escape(sentence)}</p>" for sentence in answer[:2]]
    parts += ["</article>", "<footer><p>Copyright 2025. All rights reserved.</p></footer>", "</body></html>", ""]
    return "\n".join(parts)


RENDER = {"markdown": _markdown, "plain": _plain, "examples": _examples, "sample": _sample, "html": _html}


def generate(docs: int = 1000, seed: int = 7, shared_share: float = 0.33) -> Iterator[Article]:
    """Yield `docs` articles, deterministic for a seed.

    Args:
        docs: number of articles.
        seed: random seed; the same seed gives byte-identical articles.
        shared_share: share of question occurrences drawn from the pool of popular (reworded) questions.
    """
    rng = random.Random(seed)
    intents = _intents(rng)
    # Per domain: a small pool of popular questions reused across articles, the first ones far more often
    # (Zipf-like), and a stream of distinct questions each used once.
    pool_size = max(10, docs // (4 * len(DOMAINS)))
    weights = [1 / (rank + 1) ** 0.8 for rank in range(pool_size)]
    shared_pool: dict[str, list[Intent]] = {}
    distinct: dict[str, Iterator[Intent]] = {}
    for domain in DOMAINS:
        mine = [i for i in intents if i.domain == domain]
        shared_pool[domain], distinct[domain] = mine[:pool_size], iter(mine[pool_size:])
    for index in range(docs):
        shape = rng.choices(SHAPES, SHAPE_WEIGHTS)[0]
        domain = rng.choice(list(DOMAINS))
        count = rng.randint(8, 20)
        n_shared = sum(rng.random() < shared_share for _ in range(count))
        # no repeat of one popular question within an article
        chosen = {id(i): i for i in rng.choices(shared_pool[domain], weights, k=n_shared)}
        picked = [(intent, rng.randrange(5)) for intent in chosen.values()]
        for _ in range(count - len(picked)):
            intent = next(distinct[domain], None)
            if intent is None:  # vocabulary exhausted (only for very large corpora): reuse a random one
                intent = rng.choice(intents)
            picked.append((intent, 0))
        rng.shuffle(picked)
        questions = [(intent.render(wording), _answer(intent, rng)) for intent, wording in picked]
        label = domain if not domain.islower() else domain.capitalize()  # keep "NLP", "MLOps" as they are
        title = f"{rng.choice(('Top', 'Essential', 'Common', 'Advanced'))} {label} Interview Questions"
        slug = title.lower().replace(" ", "-")
        text = RENDER[shape](title, domain, questions, rng)
        yield Article(f"{index:05d}_{slug}{EXTENSIONS[shape]}", shape, text, len(questions), len(chosen))


def write_corpus(out_dir: Path, docs: int = 1000, seed: int = 7) -> list[Article]:
    """Write the articles under `out_dir` and return them (text included)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    articles = list(generate(docs, seed))
    for article in articles:
        (out_dir / article.name).write_text(article.text, encoding="utf-8")
    return articles


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    articles = write_corpus(args.out, args.docs, args.seed)
    total = sum(a.questions for a in articles)
    shared = sum(a.shared for a in articles)
    by_shape = {s: sum(a.shape == s for a in articles) for s in SHAPES}
    print(f"{len(articles)} articles in {args.out}: {total} questions, {shared / total:.0%} from the shared pool")
    print("shapes: " + ", ".join(f"{s} {n}" for s, n in by_shape.items()))


if __name__ == "__main__":
    main()
