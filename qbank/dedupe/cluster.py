"""Incremental near-duplicate clustering: place new questions into the bank without re-clustering it.

Rules (docs/ARCHITECTURE.md, "Ids"):

- New questions are placed most common content words first (count over this run's and the bank's
  questions), then in document order (source, position): the usual spelling founds a cluster and its
  typo'd variants join it, rather than a typo becoming the leader others must match. Each one, in this
  order of precedence:
  1. joins the cluster of a `must_link` partner already placed (reason "must_link");
  2. joins the cluster of a question with the same match key (reason "exact_key");
  3. joins the best cluster whose *leader* the pair model (semantic.py) calls the same question (reason
     "model:same"), or, when the leader is in the model's gray zone (P >= review), one of whose first
     `member_checks` members it is the same as (reason "model:same_member"); or
  4. founds a new cluster `c_` + sha256(question_id)[:16] and becomes its leader (reason "new_cluster";
     salted if a stored cluster already has that id).
  A cluster holding a `cannot_link` partner is never joined. An existing cluster that holds a
  `cannot_link` pair keeps its founder and older members; the other member of the pair is placed again
  like a new question and returned in `assignments`, so the loader moves it.
- No chaining: a question joins a cluster only when the model calls it the same as the cluster's leader
  (an existing cluster's canonical at the start of the run, or a new cluster's founder), or the same as
  a member while at least gray with the leader: a cluster never drifts from what its leader asks.
- Candidates: (a) an inverted index over leaders keyed by their set of content words and each subset less
  one word (see `_Bank.block_keys`): a duplicate can differ by one trailing word or a typo, so it shares a
  key; and by the set with two adjacent words joined (`_Bank.closed_keys`: "trade off" / "tradeoff");
  a key holds at most `max_block_size` leaders (templated questions that differ in one token would
  otherwise make one block of all of them), the overflow is counted in `DedupeResult.capped_blocks`;
  (b) the clusters of the `neighbours` nearest questions in embedding space (neighbours.py, exact search
  within bounded blocks) with cosine >= `min_cosine`. Cost grows with the number of questions, not pairs.
- Related: a candidate leader the model calls `related` (same concept, another ask) is recorded as a
  RelatedLink, never merged; curation `related` pairs are recorded too.
- Merges: when a new question matches two clusters whose leaders are at least gray (P >= review) with
  each other and every member of the younger (at most `member_checks`) is at least gray with the older's
  leader (and
  `merge_linked`), or a `must_link` pair sits in two clusters, the younger cluster is absorbed into the
  older and a ClusterMerge is recorded. Existing clusters are older than new ones, and among existing
  clusters the one whose first member comes first in `existing` is older (pass them oldest first).
  Existing members of an absorbed cluster are not in `assignments`: the loader moves them by the merge.
- Canonical, per touched cluster: the rule of qbank/canonical.py (`CanonicalRule`), with the questions
  named in curation `canonical` preferred; an existing cluster's leader is chosen by the same rule.
"""

from __future__ import annotations

from collections import Counter
from itertools import chain
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from qbank.canonical import CanonicalRule
from qbank.dedupe.curation import Curation
from qbank.dedupe.neighbours import neighbours
from qbank.dedupe.rules import DedupeRules
from qbank.dedupe.semantic import MODEL_PATH, PairEvidence, PairModel, Side, evidence, side
from qbank.dedupe.vectors import KeyVectors, key_vectors
from qbank.dedupe.verify import Profile, profile, same_word
from qbank.ids import cluster_id_for
from qbank.normalize import Wording, match_keys
from qbank.records import (
    ClusterAssignment, ClusterMerge, DedupeResult, ExistingMember, Match, Question, RelatedLink,
)  # fmt: skip
from qbank.settings import DedupeSettings

SCORER = "pair_model"


@dataclass(frozen=True, slots=True)
class _Q:
    """What the pair model needs of a question."""

    question_id: str
    side: Side
    row: int  # its key's row in the KeyVectors matrix

    @property
    def prof(self) -> Profile:
        return self.side.prof


@dataclass(slots=True)
class _Member:
    question_id: str
    question: str
    has_answer: bool
    key: str

    @property
    def entry(self) -> tuple[str, str, bool]:
        """What the canonical rule reads."""
        return self.question_id, self.question, self.has_answer


@dataclass(slots=True)
class _Cluster:
    cluster_id: str
    rank: int  # lower is older
    leader_id: str
    leader: _Q
    members: list[_Member] = field(default_factory=list)
    parent: _Cluster | None = None  # set when absorbed by a merge

    def root(self) -> _Cluster:
        """The surviving cluster after merges."""
        node = self
        while node.parent is not None:
            node = node.parent
        return node


class _Bank:
    """Clusters, their leader index and the records of one dedupe run."""

    def __init__(self, settings: DedupeSettings, model: PairModel, vectors: KeyVectors) -> None:
        self.settings = settings
        self.model = model
        self.vectors = vectors
        self.clusters: list[_Cluster] = []
        self.full: dict[str, list[_Cluster]] = {}  # set of content words -> leaders
        self.partial: dict[str, list[tuple[_Cluster, str]]] = {}  # set less one word -> (leader, word)
        self.twins: dict[str, list[tuple[_Cluster, str]]] = {}  # the same, split by the word's first letter
        self.closed: dict[str, list[_Cluster]] = {}  # the set with two adjacent words joined -> leaders
        self.by_key: dict[str, _Cluster] = {}
        self.where: dict[str, _Cluster] = {}  # question id -> cluster it was placed in
        self.info: dict[str, _Q] = {}  # question id -> what the model needs of it
        self.near: dict[int, list[int]] = {}  # key row -> rows of its nearest keys (cosine >= min_cosine)
        self.key_of_row: list[str] = list(vectors.rows)
        self.matches: list[Match] = []
        self.related: dict[tuple[str, str], RelatedLink] = {}
        self.merges: list[ClusterMerge] = []
        self.ids: set[str] = set()  # every cluster id founded, absorbed ones included
        self.capped = 0

    @staticmethod
    def block_keys(prof: Profile) -> tuple[str, list[tuple[str, str]]]:
        """Index keys: the set of content words, and that set less each word (with the word left out).

        verify.compare accepts only pairs whose content words agree but for one trailing extra word or
        typo'd words, so a duplicate shares a key: the same set; one's set is the other's less a word;
        or both less a typo'd word. A question with one content word is keyed by that word's 4-letter
        prefix and suffix instead, since one typo leaves one of them intact.
        """
        words = sorted(set(prof.content))
        if len(words) == 1:
            word = words[0]
            return word, [("<" + word[:4], word), (word[-4:] + ">", word)]
        return "|".join(words), [("|".join(words[:i] + words[i + 1 :]), w) for i, w in enumerate(words)]

    @staticmethod
    def closed_keys(prof: Profile) -> list[str]:
        """The content-word set with two adjacent words written as one: "trade off" -> "tradeoff", so a
        question in the open spelling meets a leader in the closed one (verify.compare accepts the pair)."""
        content = set(prof.content)
        pairs = {(a, b) for a, b in zip(prof.tokens, prof.tokens[1:]) if a in content and b in content and a != b}
        return ["|".join(sorted((content - {a, b}) | {a + b})) for a, b in sorted(pairs)]

    @staticmethod
    def twin_key(key: str, left_out: str) -> str:
        """A partial key narrowed by the left-out word's first letter: same_word needs it to agree."""
        return key + "\x00" + left_out[:1]

    def fresh_id(self, question_id: str) -> str:
        """The id of a cluster this question founds; a salted hash if a stored cluster already has it
        (its founder left the bank and came back, or was split off by a cannot_link)."""
        cluster_id, n = cluster_id_for(question_id), 0
        while cluster_id in self.ids:
            n += 1
            cluster_id = cluster_id_for(f"{question_id}#{n}")
        return cluster_id

    def _post(self, table: dict, key: str, entry: object) -> None:
        """Add a leader to an index key, unless the key already holds max_block_size of them."""
        posting = table.setdefault(key, [])
        if len(posting) < self.settings.max_block_size:
            posting.append(entry)
        elif len(posting) == self.settings.max_block_size:
            posting.append(None)  # marks the key full: counted once
            self.capped += 1

    def found(self, cluster_id: str, leader: _Q) -> _Cluster:
        cluster = _Cluster(cluster_id, len(self.clusters), leader.question_id, leader)
        self.clusters.append(cluster)
        self.ids.add(cluster_id)
        full, partial = self.block_keys(leader.prof)
        self._post(self.full, full, cluster)
        for key in self.closed_keys(leader.prof):
            self._post(self.closed, key, cluster)
        for key, left_out in partial:
            self._post(self.partial, key, (cluster, left_out))
            self._post(self.twins, self.twin_key(key, left_out), (cluster, left_out))
        return cluster

    def add(self, cluster: _Cluster, member: _Member) -> None:
        cluster.members.append(member)
        self.where[member.question_id] = cluster
        self.by_key.setdefault(member.key, cluster)

    def candidates(self, q: _Q) -> list[_Cluster]:
        """Surviving clusters to score: lexical index (see block_keys) and embedding neighbours."""
        full, partial = self.block_keys(q.prof)
        found = list(self.full.get(full, ()))  # same words
        shortest = self.settings.min_typo_word_len
        for key, left_out in partial:
            found += self.full.get(key, ())  # this question has one word more
            if len(left_out) < shortest:
                continue  # a short word is never a typo of another (same_word)
            twins = self.twins.get(self.twin_key(key, left_out), ())
            if twins and twins[-1] is None:
                continue  # a full key holds templated questions, not typos: embedding neighbours cover it
            for cluster, other_left_out in twins:
                # Both less one word: the two left-out words may be one word misspelt.
                if same_word(left_out, other_left_out, self.settings):
                    found.append(cluster)
        found += (entry[0] for entry in self.partial.get(full, ()) if entry is not None)  # the leader has a word more
        found += self.closed.get(full, ())  # the leader writes two of these words as one
        for key in self.closed_keys(q.prof):
            found += self.full.get(key, ())  # this question writes two of the leader's words as one
        for row in self.near.get(q.row, ()):
            found.append(self.by_key.get(self.key_of_row[row]))  # a placed question near in meaning
        unique: dict[int, _Cluster] = {}
        for cluster in found:
            if cluster is not None:
                root = cluster.root()  # an absorbed cluster is scored through its survivor's leader
                unique.setdefault(id(root), root)
        return list(unique.values())

    def score(self, a: _Q, b: _Q, cosine: float | None = None) -> tuple[float, str, PairEvidence]:
        """The model's P(same) of a pair, its level (same / related / different) and its evidence."""
        if cosine is None:
            cosine = float(self.vectors.matrix[a.row] @ self.vectors.matrix[b.row])
        ev = evidence(a.side, b.side, cosine, self.settings)
        p = self.model.probability(ev)
        return p, self.model.level(ev, p), ev

    def merge(self, a: _Cluster, b: _Cluster, reason: str) -> _Cluster:
        """Absorb the younger of two surviving clusters into the older; return the survivor."""
        a, b = a.root(), b.root()
        if a is b:
            return a
        older, younger = (a, b) if a.rank < b.rank else (b, a)
        younger.parent = older
        older.members.extend(younger.members)
        self.merges.append(ClusterMerge(absorbed_id=younger.cluster_id, into_id=older.cluster_id, reason=reason))
        return older


class _Links:
    """Curation references resolved to question ids."""

    def __init__(
        self, curation: Curation | None, ids_by_key: dict[str, list[str]], ids: set[str], words: Wording
    ) -> None:
        curation = curation or Curation()
        pairs = curation.must_link + curation.cannot_link + curation.related
        refs = [r for pair in pairs for r in pair] + list(curation.canonical)
        texts = sorted({r for r in refs if r not in ids})
        keyed = dict(zip(texts, match_keys(texts, words), strict=True))

        def resolve(ref: str) -> list[str]:
            return [ref] if ref in ids else ids_by_key.get(keyed[ref], [])

        self.must: dict[str, set[str]] = {}
        self.cannot: dict[str, set[str]] = {}
        for table, pairs in ((self.must, curation.must_link), (self.cannot, curation.cannot_link)):
            for a, b in pairs:
                for x in resolve(a):
                    for y in resolve(b):
                        if x != y:
                            table.setdefault(x, set()).add(y)
                            table.setdefault(y, set()).add(x)
        self.canonical = {qid for ref in curation.canonical for qid in resolve(ref)}
        self.related = sorted({tuple(sorted((x, y))) for a, b in curation.related
                               for x in resolve(a) for y in resolve(b) if x != y})  # fmt: skip

    def forbids(self, question_id: str, cluster: _Cluster) -> bool:
        """True when the cluster holds a cannot_link partner of the question."""
        partners = self.cannot.get(question_id)
        return bool(partners) and any(m.question_id in partners for m in cluster.root().members)

    def clash(self, a: _Cluster, b: _Cluster) -> bool:
        """True when merging two clusters would put a cannot_link pair together."""
        return any(self.forbids(m.question_id, b) for m in a.root().members)


def _place(bank: _Bank, links: _Links, q: _Q) -> tuple[_Cluster | None, str]:
    """Score candidate clusters, record matches, near misses and related links; return the best accepted one."""
    model, settings, qid = bank.model, bank.settings, q.question_id
    accepted: list[tuple[float, _Cluster, str]] = []
    candidates = bank.candidates(q)
    if not candidates:
        return None, ""
    # The closest in meaning first, at most max_candidates of them: the cost per question is bounded.
    matrix = bank.vectors.matrix
    cosines = matrix[[c.leader.row for c in candidates]] @ matrix[q.row]
    order = np.argsort(-cosines, kind="stable")[: settings.max_candidates]
    for index in order.tolist():
        cluster = candidates[index]
        p, level, ev = bank.score(q, cluster.leader, float(cosines[index]))
        via, rule = "", ""
        if level != "same" and p >= model.review:
            # Gray with the leader: the same as one of its first members is enough (no chaining: the
            # leader bounds what the cluster asks).
            for member in cluster.members[: settings.member_checks]:
                if member.question_id != cluster.leader_id and member.question_id in bank.info:
                    mp, mlevel, _ = bank.score(q, bank.info[member.question_id])
                    if mlevel == "same":
                        via, level, rule, p = member.question_id, "same", "model:same_member", max(p, mp)
                        break
        ok = level == "same"
        if not ok and p < model.review and level != "related":
            continue  # not worth a record
        rule = rule or model.rule(ev, p)
        if ok and links.forbids(qid, cluster):
            ok, rule = False, "cannot_link"
        if ok or p >= model.review or level == "related":
            bank.matches.append(Match(qid, via or cluster.leader_id, round(100 * p, 2), SCORER, ok, rule))
        if level == "related":
            pair = (qid, cluster.leader_id)
            bank.related[pair] = RelatedLink(qid, cluster.leader_id, round(100 * p, 2), rule)
        if ok:
            accepted.append((p, cluster, rule))
    if not accepted:
        return None, ""
    accepted.sort(key=lambda hit: (-hit[0], hit[1].rank))
    best = accepted[0][1]
    for _, other, _ in accepted[1:]:
        if settings.merge_linked and not links.clash(best, other) and _mergeable(bank, best.root(), other.root()):
            best = bank.merge(best, other, f"linked_by:{qid}")
    return best.root(), accepted[0][2]


def _mergeable(bank: _Bank, a: _Cluster, b: _Cluster) -> bool:
    """Two clusters a new question is the same as may become one when their leaders are at least gray with
    each other and every member of the younger is at least gray with the older's leader (the survivor's):
    what the merged cluster asks does not drift (no chaining)."""
    if a is b:
        return False
    older, younger = (a, b) if a.rank < b.rank else (b, a)
    model, limit = bank.model, bank.settings.member_checks
    if len(younger.members) > limit or bank.score(older.leader, younger.leader)[0] < model.review:
        return False
    return all(bank.score(older.leader, bank.info[m.question_id])[0] >= model.review
               for m in younger.members if m.question_id in bank.info)  # fmt: skip


def _member(m: ExistingMember) -> _Member:
    return _Member(m.question_id, m.question, m.has_answer, m.match_key)


def _without_cannot_links(cluster_id: str, group: Sequence[ExistingMember], links: _Links) -> list[ExistingMember]:
    """The members that stay in an existing cluster: its founder and the oldest first, skipping any member
    with a cannot_link partner already kept."""
    if not links.cannot:
        return list(group)
    ordered = sorted(group, key=lambda m: cluster_id_for(m.question_id) != cluster_id)  # stable: oldest next
    kept: list[ExistingMember] = []
    for m in ordered:
        if not links.cannot.get(m.question_id, set()) & {k.question_id for k in kept}:
            kept.append(m)
    return [m for m in group if m in kept]


def dedupe(
    new: Sequence[Question],
    existing: Sequence[ExistingMember],
    settings: DedupeSettings,
    curation: Curation | None = None,
    *,
    model: PairModel | None = None,
    vectors: KeyVectors | None = None,
    rules: DedupeRules | None = None,
) -> DedupeResult:
    """Assign every new question to an existing or new cluster (see module docstring for the rules).

    `rules`: the wording, aspect cues and pair model of the run (qbank/dedupe/rules.py); by default the
    files shipped in data/ (the pair model: settings.model_file, if set). `model` replaces the rules' pair
    model. `vectors` must hold every match key of `new` and `existing` (qbank.dedupe.vectors.key_vectors,
    which the pipeline feeds with the warehouse's stored embeddings); without it every key is embedded here.
    """
    rules = rules or DedupeRules.load(pair_model=settings.model_file or MODEL_PATH)
    bank = _describe(new, existing, settings, model or rules.model, rules, vectors)
    links = _curation_links(curation, new, existing, bank, rules.wording)
    canonical_rule = CanonicalRule.of(settings, links.canonical)
    evicted, split_from = _seed_stored_clusters(bank, links, existing, canonical_rule)
    reasons = {member.question_id: _place_member(bank, links, member)
               for member in [*evicted, *_in_placing_order(bank, new)]}  # fmt: skip
    _apply_must_links(bank, links)
    touched = _touched_clusters(bank, links, [*evicted, *new], split_from)
    return DedupeResult(
        assignments=tuple(ClusterAssignment(qid, bank.where[qid].root().cluster_id, reasons[qid])
                          for qid in [*(q.question_id for q in new), *(m.question_id for m in evicted)]),
        matches=tuple(bank.matches),
        merges=tuple(bank.merges),
        canonical={c.cluster_id: canonical_rule.choose(m.entry for m in c.members) for c in touched},
        related=_related_between_clusters(bank),
        capped_blocks=bank.capped,
    )  # fmt: skip


def _describe(
    new: Sequence[Question], existing: Sequence[ExistingMember], settings: DedupeSettings, model: PairModel,
    rules: DedupeRules, vectors: KeyVectors | None,
) -> _Bank:
    """An empty bank that knows what the pair model needs of every question, and the embedding neighbours of
    the new ones."""
    if vectors is None:
        vectors = key_vectors([m.match_key for m in existing] + [q.match_key for q in new])
    bank = _Bank(settings, model, vectors)
    for qid, key, text in chain(((m.question_id, m.match_key, m.question) for m in existing),
                                ((q.question_id, q.match_key, q.item.question) for q in new)):  # fmt: skip
        bank.info[qid] = _Q(qid, side(profile(key, rules.weak), text, rules.aspects), vectors.rows[key])
    _nearest(bank, [vectors.rows[q.match_key] for q in new])
    return bank


def _curation_links(
    curation: Curation | None, new: Sequence[Question], existing: Sequence[ExistingMember], bank: _Bank,
    words: Wording,
) -> _Links:
    """The curation's references (ids or texts) resolved to the question ids of this run and the bank."""
    ids_by_key: dict[str, list[str]] = {}
    for qid, key in chain(((m.question_id, m.match_key) for m in existing), ((q.question_id, q.match_key) for q in new)):
        ids_by_key.setdefault(key, []).append(qid)
    return _Links(curation, ids_by_key, set(bank.info), words)


def _seed_stored_clusters(
    bank: _Bank, links: _Links, existing: Sequence[ExistingMember], rule: CanonicalRule
) -> tuple[list[_Member], set[str]]:
    """Existing clusters keep their ids and members; their leader is their canonical. A member with a
    cannot_link partner in its cluster (a reviewer's fix of a wrong merge) leaves it, to be placed again.
    Returns those members and the clusters they left."""
    grouped: dict[str, list[ExistingMember]] = {}
    for m in existing:
        grouped.setdefault(m.cluster_id, []).append(m)
    evicted: list[_Member] = []
    split_from: set[str] = set()
    for cluster_id, group in grouped.items():
        kept = _without_cannot_links(cluster_id, group, links)
        evicted += [_member(m) for m in group if m not in kept]
        if len(kept) < len(group):
            split_from.add(cluster_id)
        members = [_member(m) for m in kept]
        cluster = bank.found(cluster_id, bank.info[rule.choose(m.entry for m in members)])
        for member in members:
            bank.add(cluster, member)
    return evicted, split_from


def _in_placing_order(bank: _Bank, new: Sequence[Question]) -> list[_Member]:
    """New questions, most common form first (see module docstring), then in document order."""
    form_count = Counter(bank.info[qid].prof.text for qid in bank.info)
    ordered = sorted(new, key=lambda q: (-form_count[bank.info[q.question_id].prof.text], q.item.source_uri,
                                         q.item.position, q.question_id))  # fmt: skip
    return [_Member(q.question_id, q.item.question, q.item.answer_markdown is not None, q.match_key)
            for q in ordered]  # fmt: skip


def _place_member(bank: _Bank, links: _Links, member: _Member) -> str:
    """Put one question in a cluster, in the module docstring's order of precedence; returns why."""
    qid = member.question_id
    partners = [bank.where[p] for p in sorted(links.must.get(qid, ())) if p in bank.where]
    allowed = [c.root() for c in partners if not links.forbids(qid, c)]
    if allowed:
        target, reason = allowed[0], "must_link"
    elif (same := bank.by_key.get(member.key)) is not None and not links.forbids(qid, same):
        target, reason = same.root(), "exact_key"
        bank.matches.append(Match(qid, target.leader_id, 100.0, "exact", True, "exact_key"))
    else:
        target, reason = _place(bank, links, bank.info[qid])
    if target is None:
        target, reason = bank.found(bank.fresh_id(qid), bank.info[qid]), "new_cluster"
    bank.add(target, member)
    return reason


def _apply_must_links(bank: _Bank, links: _Links) -> None:
    """Merge must_link pairs still apart (both were already in the bank, or cannot_link kept them apart when
    placed), and record the curated related pairs (every run)."""
    for qid, partners in sorted(links.must.items()):
        for other in sorted(partners):
            if qid in bank.where and other in bank.where:
                a, b = bank.where[qid].root(), bank.where[other].root()
                if a is not b and not links.clash(a, b):
                    bank.merge(a, b, "must_link")
    for a, b in links.related:
        bank.related[(a, b)] = RelatedLink(a, b, 100.0, "curation")


def _touched_clusters(
    bank: _Bank, links: _Links, placed: Sequence[_Member | Question], split_from: set[str]
) -> list[_Cluster]:
    """The surviving clusters whose canonical is chosen (again): where new and moved questions went, merge
    survivors, clusters a member left, and clusters holding a curated canonical (a reviewer may name one for
    a cluster this run does not otherwise touch)."""
    by_id = {c.cluster_id: c for c in bank.clusters}
    touched = [bank.where[q.question_id] for q in placed]
    touched += [by_id[merge.into_id] for merge in bank.merges] + [by_id[cid] for cid in split_from]
    touched += [bank.where[qid] for qid in links.canonical if qid in bank.where]
    return list({id(c.root()): c.root() for c in touched}.values())


def _related_between_clusters(bank: _Bank) -> tuple[RelatedLink, ...]:
    """The related links found or curated, less those inside one cluster (they say nothing)."""
    where = bank.where
    return tuple(link for link in bank.related.values()
                 if where.get(link.question_id) is None or where.get(link.other_id) is None
                 or where[link.question_id].root() is not where[link.other_id].root())  # fmt: skip


def _nearest(bank: _Bank, query_rows: Sequence[int]) -> None:
    """Fill bank.near: for each distinct key of a new question, its nearest keys with cosine >= min_cosine."""
    settings = bank.settings
    rows = np.unique(np.asarray(query_rows, dtype=np.int64))
    if not len(rows) or settings.neighbours <= 0:
        return
    ids, sims = neighbours(bank.vectors.matrix, rows, k=settings.neighbours)
    keep = sims >= settings.min_cosine
    for row, near, ok in zip(rows.tolist(), ids, keep, strict=True):
        bank.near[row] = near[ok].tolist()
