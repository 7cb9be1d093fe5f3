"""Score extraction on a labelled corpus of real documents (default ../shared/corpus), in process.

The corpus (not in this repository: not ours to redistribute) holds `sources/<stem>.<ext>` and
`truth/<stem>.json` (every question, whether the document answers it, the answer's first words). Questions are
matched one to one as the corpus README says: NFKC, case, punctuation and whitespace folded, then a difflib
ratio >= 0.85, best pairs first; the same rule as ../shared/tools/score_corpus.py, which goes through the CLI and
the warehouse (this module calls extract + split directly, so a run takes seconds).

Per document: matched/predicted/true, precision, recall, F1, answer presence agreement ("answers") and how
often our answer starts like the truth's ("starts", over matched questions the truth answers).
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

_WS, _NONWORD = re.compile(r"\s+"), re.compile(r"[^\w\s]")
_LEAD = re.compile(r"^\s*(q(uestion)?\s*\d*\s*[:.)]|\d+\s*[.)]|#+)\s*")
THRESHOLD = 0.85


def norm(text: str | None) -> str:
    t = unicodedata.normalize("NFKC", text or "").lower()
    t = _LEAD.sub("", t)
    return _WS.sub(" ", _NONWORD.sub(" ", t)).strip()


def align(predicted: list[str], truth: list[str], threshold: float = THRESHOLD) -> list[tuple[int, int]]:
    """One-to-one (predicted index, truth index) pairs, best ratio first."""
    pn, tn = [norm(p) for p in predicted], [norm(t) for t in truth]
    pairs = []
    for i, p in enumerate(pn):
        for j, t in enumerate(tn):
            if p == t:
                pairs.append((1.0, i, j))
                continue
            sm = difflib.SequenceMatcher(None, p, t, autojunk=False)
            if sm.real_quick_ratio() >= threshold and sm.quick_ratio() >= threshold and sm.ratio() >= threshold:
                pairs.append((sm.ratio(), i, j))
    pairs.sort(reverse=True)
    used_p: set[int] = set()
    used_t: set[int] = set()
    out = []
    for _, i, j in pairs:
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
            out.append((i, j))
    return out


def starts_alike(ours: str | None, truth: str | None) -> bool:
    """Our answer opens with the truth's first words (folded, fuzzy: code and list markers vary a little)."""
    a, b = norm(ours), norm(truth)
    if not a or not b:
        return False
    b = b[: min(len(b), 40)]
    return difflib.SequenceMatcher(None, a[: len(b) + 10], b, autojunk=False).find_longest_match().size >= 0.7 * len(b)


@dataclass
class Score:
    """Counts for one document (or a sum of documents)."""

    expected: int = 0
    predicted: int = 0
    matched: int = 0
    attached: int = 0  # matched questions whose answer presence agrees with the label

    def __iadd__(self, other: Score) -> Score:
        self.expected += other.expected
        self.predicted += other.predicted
        self.matched += other.matched
        self.attached += other.attached
        return self

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def attachment(self) -> float:
        return self.attached / self.matched if self.matched else 1.0


@dataclass
class DocScore(Score):
    """A corpus document's score, with what was missed, extra or wrongly answered, and answer starts."""

    name: str = ""
    starts_ok: int = 0
    starts_n: int = 0
    missed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    wrong_answer: list[str] = field(default_factory=list)

    def __iadd__(self, other: Score) -> DocScore:
        super().__iadd__(other)
        if isinstance(other, DocScore):
            self.starts_ok += other.starts_ok
            self.starts_n += other.starts_n
        return self

    @property
    def answers(self) -> float:
        return self.attachment

    @property
    def starts(self) -> float:
        return self.starts_ok / self.starts_n if self.starts_n else 1.0


def score_document(name: str, items: list, truth: dict) -> DocScore:
    """`items`: QAItems of one document (question, answer_text); `truth`: its parsed truth file."""
    tq = [q.get("question_nfkc") or q["question"] for q in truth["questions"]]
    m = align([i.question for i in items], tq)
    s = DocScore(expected=len(tq), predicted=len(items), matched=len(m), name=name)
    for i, j in m:
        want = truth["questions"][j]
        got = bool((items[i].answer_text or "").strip())
        if got == bool(want["has_answer"]):
            s.attached += 1
        else:
            s.wrong_answer.append(("missing: " if want["has_answer"] else "unexpected: ") + tq[j])
        if want["has_answer"] and want.get("answer_start"):
            s.starts_n += 1
            s.starts_ok += starts_alike(items[i].answer_text, want["answer_start"])
    mp, mt = {i for i, _ in m}, {j for _, j in m}
    s.missed = [q for j, q in enumerate(tq) if j not in mt]
    s.extra = [i.question for k, i in enumerate(items) if k not in mp]
    return s


def corpus_documents(corpus: Path) -> list[tuple[Path, dict]]:
    """(source file, truth) for every labelled document of the corpus."""
    out = []
    for tf in sorted((corpus / "truth").glob("[!_]*.json")):
        truth = json.loads(tf.read_text(encoding="utf-8"))
        out.append((corpus / truth["source_file"], truth))
    return out
