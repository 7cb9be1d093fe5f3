"""Wording evidence: does a line read as a question (or a prompt), does it ask anything, is it about the
interview itself, does it carry a hint or an answer on its own line.

Wording is evidence, not the verdict: `qbank.split.layout` weighs it together with the document's structure.
The word lists live in data/cues.yaml (`qbank.clean.Cues`).
"""

from __future__ import annotations

import re

from qbank.clean import Cues
from qbank.settings import SplitSettings

_TRAILING_PAREN = re.compile(r"\s*\([^()]*\)\s*[.]?\s*$")
SENTENCE = re.compile(r"(?<=[.?!])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9])")
_NOT_A_THING = frozenset({"this", "that", "these", "those", "more", "here", "there", "them", "everything", "below"})


def first_words(text: str, n: int) -> str:
    return " ".join(w.strip("\"'“‘(").lower() for w in text.split(maxsplit=n)[:n])


_PHRASE_SETS: dict[int, tuple[tuple[str, ...], frozenset[str], int]] = {}


def opens_with(text: str, phrases: tuple[str, ...]) -> bool:
    """The text's first words are one of `phrases` (each one to four words, lower case)."""
    entry = _PHRASE_SETS.get(id(phrases))
    if entry is None or entry[0] is not phrases:
        entry = _PHRASE_SETS[id(phrases)] = (phrases, frozenset(phrases), max(len(p.split()) for p in phrases))
    _, known, longest = entry
    words = first_words(text, longest).split(" ")
    return any(" ".join(words[:k]) in known for k in range(1, len(words) + 1))


def is_title_case(text: str) -> bool:
    """'How ABM Roles Are Often Disguised as ...' reads as a title, not as a question. Only the first sentence
    counts, and acronyms (NAT, TCP) say nothing either way."""
    first = SENTENCE.split(text, maxsplit=1)[0]
    words = [w for w in first.split()[1:] if len(w) > 3 and w[0].isalpha() and not w.strip("?.,:;!()").isupper()]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


def _short_prompt(words: list[str], cues: Cues, marked: bool) -> bool:
    """Two words that are still a prompt: an imperative and its object, closed like a sentence or set as a
    question ("Explain backpropagation.", "3. Define overfitting"), or a question word and its subject
    ("Why RDBMS?", "What's NoSQL?"); not a bare "Compare plans" button."""
    if len(words) != 2:
        return False
    if words[1].endswith("?") and first_words(" ".join(words), 1) in cues.question_words:
        return len(words[1].rstrip("?")) >= 2
    thing = words[1].rstrip(".?!").lower()
    if len(thing) < 4 or thing in _NOT_A_THING:  # "Share this.", "Find more."
        return False
    closed = words[1].endswith((".", "?")) or marked
    return closed and words[0].lower() in cues.imperatives


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE.split(text) if s.strip()]


def _opens_question(text: str, cues: Cues, marked: bool) -> bool:
    """The text opens with a question word or an imperative (after a short leading phrase: "In CNNs, what ...")."""
    if _opens_ask(text, cues, marked):
        return True
    lead, _, clause = text.partition(",")
    return len(lead.split()) <= 5 and _opens_ask(clause, cues, marked)


def _opens_ask(text: str, cues: Cues, marked: bool) -> bool:
    first = first_words(text, 1)
    return first in cues.question_words or opens_with(text, cues.imperatives) or (marked and first in cues.task_verbs)


def is_question_shaped(
    text: str, cues: Cues, settings: SplitSettings, marked: bool = False, placed: bool = False
) -> bool:
    """True when cleaned `text` reads as a question (or an imperative prompt) by its wording alone.

    `marked`: the line is formatted as a question (numbered, bold, "Q1."), so coding-task verbs count too.
    `placed`: the line stands where questions stand (a heading, a list item, a bold or numbered line), which is
    what makes a "?" line without a question word ("Favourite design pattern and why?") a question.
    """
    words = text.split()
    if not words or len(text) > settings.max_question_chars:
        return False
    if len(words) < settings.min_question_words and not _short_prompt(words, cues, marked):
        return False
    if text.rstrip().endswith((":", "：")):
        return False  # a label or lead-in ("Example Questions:", "Here are some questions:")
    core = text
    while _TRAILING_PAREN.search(core) and not core.endswith("?)"):
        stripped = _TRAILING_PAREN.sub("", core)
        if stripped == core or not stripped:
            break
        core = stripped  # "... model? (e.g. scaling) (feature scaling)." -> "... model?"
    starts = _opens_question(core, cues, marked)
    parts = sentences(core)
    if core.endswith("?"):
        if starts:
            return len(parts) <= 3
        if len(parts) <= 5 and _opens_question(parts[-1], cues, marked):
            return True  # a scenario, then the ask: "You have 3 features, X, Y, Z. ... Should X and Z be ...?"
        # a trailing "?" alone is not substance: "Ready to practice?" is a sales line wherever it stands
        return (marked or placed) and len(parts) <= 2 and not opens_with(core, cues.promo_openings)
    if opens_with(core, cues.title_openings) or is_title_case(core):
        return False
    if not starts or first_words(core, 1) in cues.auxiliaries:
        return False  # (an auxiliary asks only with a "?": "Don't ask more than two questions.")
    if ":" in " ".join(words[:8]) and not opens_with(core, cues.imperatives):
        return False  # "What Interviewers Look For: Strong candidates ..." is a label and its text
    if "?" not in core:
        return len(parts) <= 2
    # "What is X? Give an example." : a question, then imperatives only
    return len(parts) <= 3 and all(s.rstrip().endswith("?") or _opens_ask(s, cues, marked) for s in parts)


def asks(text: str, cues: Cues) -> bool:
    """Some sentence of `text` asks something: it ends with "?" or opens with a question word or an imperative
    ("You have a series ... Which approach would you use?", "We have a table ... Write a query ...")."""
    return any(
        (s.rstrip().endswith("?") and not opens_with(s, cues.promo_openings)) or _opens_question(s, cues, True)
        for s in sentences(text)
    )


def asks_strongly(text: str, cues: Cues) -> bool:
    """Some sentence asks outright: it ends with "?" or opens with an imperative or a task verb, directly or
    after a short leading clause ("Given two strings, write a method ..."); a scenario opener alone ("Suppose
    we have ...", "Imagine ...") sets a scene, it does not ask."""
    def imperative(s: str) -> bool:
        return opens_with(s, cues.imperatives) or first_words(s, 1) in cues.task_verbs

    for s in sentences(text):
        if s.rstrip().endswith("?") and len(s.split()) >= 3 and not opens_with(s, cues.promo_openings):
            return True
        lead, _, clause = s.partition(",")
        if imperative(s) or (len(lead.split()) <= 12 and clause and imperative(clause)):
            return True
    return False


def is_meta(text: str, cues: Cues) -> bool:
    """A question about interviews, question lists or jobs rather than one asked in an interview ("How many
    questions should I prepare?", "Is Python enough to get a job?", "List 99 ML questions")."""
    return bool(cues.meta_question.search(text))


def lead_in_task(text: str, cues: Cues) -> bool:
    """An imperative task that ends with ':' because a list of what it wants follows ("Write a SQL query that
    selects:"); not a label ("Example Questions:") nor a titled lead-in ("What Interviewers Look For:")."""
    return (
        text.rstrip().endswith((":", "："))
        and len(text.split()) >= 5
        and (opens_with(text, cues.imperatives + cues.task_verbs) or asks_strongly(text, cues))
        and not is_title_case(text)
        and not cues.question_lead_in.search(text)
    )


def _trailing_paren(text: str) -> int | None:
    """Index of the "(" that opens the balanced parenthetical `text` ends with (a final "." allowed)."""
    end = len(text) - 1 if text.endswith(".") else len(text)
    if end <= 0 or text[end - 1] != ")":
        return None
    depth = 0
    for i in range(end - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[i], 0)
        if depth == 0:
            return i
    return None


def split_hint(text: str, cues: Cues) -> tuple[str, str | None]:
    """A trailing parenthetical that answers ("... during backprop? (Very small, below 0.25.)", "Name the two
    groups (mutable, immutable)") -> (question without it, hint). Parentheticals that clarify the question
    stay: an aside about the question itself ("(trick question)", "(Discuss runtime)"), an acronym of the words
    before it ("(BPTT)"), or anything after a question that is not closed by "?" or an imperative."""
    stripped = text.rstrip()
    start = _trailing_paren(stripped)
    if not start:
        return text, None
    question = stripped[:start].rstrip()
    hint = stripped[start + 1 :].rstrip(" .").removesuffix(")").strip()
    if not hint or not question or len(question.split()) < 2:
        return text, None
    if cues.clarifying_aside.search(hint) or _is_acronym_of(hint, question):
        return text, None
    listed = "," in hint or " or " in hint
    if question.endswith("?") or (_asks_for_list(question, cues) and listed and not question.endswith(".")):
        return question, hint
    if question.endswith("."):
        return question, hint  # "Name some loss functions. Compare and contrast. (L1, L2, Huber)"
    return text, None


def _asks_for_list(question: str, cues: Cues) -> bool:
    """The last sentence asks for a list of things ("... Name these groups")."""
    return opens_with(sentences(question)[-1], cues.listing_prompts)


def _is_acronym_of(hint: str, question: str) -> bool:
    letters = hint.replace(".", "").replace("-", "")
    if not (1 < len(letters) <= 8 and letters.isupper() and letters.isalpha()):
        return False
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z][\w'-]*", question)).upper()
    return letters in initials


def match_key(text: str) -> str:
    """Key for recognising the same question twice in one document (case, punctuation, spacing ignored)."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())
