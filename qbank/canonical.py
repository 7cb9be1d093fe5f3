"""The canonical-question rule: which member of a cluster the bank shows as its question.

Written once, here. The deduper applies it to every cluster a run touches (qbank/dedupe/cluster.py, with
the curated `canonical` questions preferred); the loader applies it to a cluster the deduper named no
canonical for: one whose canonical question left it (its source removed or changed) or a new one
(warehouse/store.py, `_Load._choose_canonicals`).

First that holds wins: a preferred (curated) question; has an answer; is a complete question (ends with
"?"); length within [min_chars, max_chars]; shorter; smaller question id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qbank.settings import DedupeSettings

MIN_CHARS = 15  # the shipped defaults of DedupeSettings.canonical_min_chars / canonical_max_chars
MAX_CHARS = 200


@dataclass(frozen=True, slots=True)
class CanonicalRule:
    min_chars: int = MIN_CHARS
    max_chars: int = MAX_CHARS
    preferred: frozenset[str] = frozenset()  # question ids named canonical in data/curation.yaml

    @classmethod
    def of(cls, settings: DedupeSettings, preferred: Iterable[str] = ()) -> CanonicalRule:
        return cls(settings.canonical_min_chars, settings.canonical_max_chars, frozenset(preferred))

    def key(self, question_id: str, question: str, has_answer: bool) -> tuple:
        """Sort key of a member: the smallest is canonical."""
        text = question.strip()
        return (
            question_id not in self.preferred,
            not has_answer,
            not text.endswith("?"),
            not self.min_chars <= len(text) <= self.max_chars,
            len(text),
            question_id,
        )

    def choose(self, members: Iterable[tuple[str, str, bool]]) -> str:
        """The canonical question id of members given as (question_id, question, has_answer)."""
        return min(members, key=lambda m: self.key(*m))[0]
