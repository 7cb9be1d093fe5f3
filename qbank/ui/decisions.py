"""Curation decisions made in the UI, written to data/curation.yaml: the file every ingest applies.

    same       -> must_link   [a, b]     the two questions belong in one cluster
    different  -> cannot_link [a, b]     never in one cluster (also how a member is split out of its cluster)
    related    -> related     [a, b]     about the same concept, kept apart (read by the `related` level)
    canonical  -> canonical   [q]        the wording to show for q's cluster

Questions are named by id, with their wordings in a comment so the file stays readable. A pair decision
replaces an earlier decision on the same pair, and a canonical choice replaces the earlier choice for that
cluster. The file is edited round-trip (comments and hand-written entries kept), checked by the pipeline's
own reader, then written under a temporary name and renamed, so an ingest never reads half a file.
A decision is pending until an ingest has applied it; `status` compares it with the warehouse.
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from qbank.dedupe import CurationError, load_curation

PAIR_LISTS = {"same": "must_link", "different": "cannot_link", "related": "related"}
NEW_FILE_HEADER = (
    "# Human overrides of near-duplicate clustering, applied on every `qbank ingest` (written by qbank ui).\n"
    "# must_link: pairs in one cluster; cannot_link: pairs never in one cluster; related: pairs about the same\n"
    "# concept, kept apart; canonical: questions to show as their cluster's canonical form.\n"
)
_write_lock = threading.Lock()  # one writer per process; the rename makes each write all-or-nothing


@dataclass(frozen=True, slots=True)
class Decision:
    kind: str  # same | different | related | canonical
    refs: tuple[str, ...]  # question ids (or, in hand-written entries, question texts)


def _yaml() -> YAML:
    y = YAML()
    y.preserve_quotes = True
    y.width = 4096  # keep each entry and its comment on one line
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_decisions(path: Path) -> list[Decision]:
    """Every decision in the file, in file order per list (CurationError when it is malformed)."""
    curation = load_curation(path)  # the pipeline's reader: what an ingest will apply
    related = ()
    if path.exists():
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        related = tuple(tuple(map(str, p)) for p in raw.get("related") or () if isinstance(p, list) and len(p) == 2)
    return [
        *(Decision("same", p) for p in curation.must_link),
        *(Decision("different", p) for p in curation.cannot_link),
        *(Decision("related", p) for p in related),
        *(Decision("canonical", (q,)) for q in curation.canonical),
    ]


def decided_pairs(decisions: list[Decision]) -> list[str]:
    """Pairs already decided, as "id id" keys with the smaller id first (the review queue skips them)."""
    return sorted({" ".join(sorted(d.refs)) for d in decisions if len(d.refs) == 2})


def _load(path: Path, y: YAML) -> CommentedMap:
    if not path.exists() or not path.read_text(encoding="utf-8").strip():
        return y.load(NEW_FILE_HEADER + "must_link: []\ncannot_link: []\ncanonical: []\n")
    data = y.load(path.read_text(encoding="utf-8"))
    if not isinstance(data, CommentedMap):
        raise CurationError(f"{path}: expected a mapping with must_link, cannot_link, canonical")
    return data


def _list(data: CommentedMap, name: str) -> CommentedSeq:
    if not isinstance(data.get(name), CommentedSeq):
        data[name] = CommentedSeq()
    data[name].fa.set_block_style()
    return data[name]


def _remove(seq: CommentedSeq, drop: object) -> None:
    """Remove the entries for which `drop(entry)` holds (ruamel moves the other entries' comments along)."""
    for i in reversed(range(len(seq))):
        if drop(seq[i]):
            del seq[i]


def _append(seq: CommentedSeq, entry: object, comment: str) -> None:
    seq.append(entry)
    seq.yaml_add_eol_comment(comment, len(seq) - 1)


def _write(path: Path, data: CommentedMap, y: YAML) -> None:
    """Write atomically, after checking the new text with the pipeline's reader."""
    buffer = io.StringIO()
    y.dump(data, buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(buffer.getvalue())
            handle.flush()
            os.fsync(handle.fileno())
        load_curation(Path(tmp))  # never leave a file the next ingest cannot read
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def record_pair(path: Path, kind: str, a: str, b: str, texts: dict[str, str]) -> None:
    """Write a same / different / related decision on questions a and b, replacing one on the same pair."""
    if kind not in PAIR_LISTS or a == b:
        raise ValueError(f"not a pair decision: {kind} {a} {b}")
    pair = {a, b}
    with _write_lock:
        y = _yaml()
        data = _load(path, y)
        for name in PAIR_LISTS.values():
            if name in data or name == PAIR_LISTS[kind]:
                _remove(_list(data, name), lambda e: isinstance(e, list) and set(map(str, e)) == pair)
        entry = CommentedSeq([a, b])
        entry.fa.set_flow_style()
        comment = f"{kind}: {_short(texts.get(a, a))} | {_short(texts.get(b, b))}"
        _append(_list(data, PAIR_LISTS[kind]), entry, comment)
        _write(path, data, y)


def record_canonical(path: Path, question_id: str, members: list[str], texts: dict[str, str]) -> None:
    """Make `question_id` its cluster's canonical wording; an earlier choice among `members` is dropped."""
    with _write_lock:
        y = _yaml()
        data = _load(path, y)
        canonical = _list(data, "canonical")
        _remove(canonical, lambda e: str(e) in set(members) | {question_id})
        _append(canonical, question_id, f"canonical: {_short(texts.get(question_id, question_id))}")
        _write(path, data, y)


def status(decision: Decision, placed: dict[str, tuple[str, bool]], related: set[tuple[str, str]] | None) -> str:
    """`applied`, `pending` (the next ingest applies it), `gone` (a question left the bank), `by text` (a
    hand-written reference by wording, not checked here) or `recorded` (a related pair, while the warehouse
    has no `related` table to apply it to). `placed`: question -> (cluster, is canonical); `related`: linked
    cluster pairs, None without a `related` table."""
    if not all(ref.startswith("q_") for ref in decision.refs):
        return "by text"
    if decision.kind == "related" and related is None:
        return "recorded"
    if not all(ref in placed for ref in decision.refs):
        return "gone"
    clusters = [placed[ref][0] for ref in decision.refs]
    applied = {
        "same": lambda: clusters[0] == clusters[1],
        "different": lambda: clusters[0] != clusters[1],
        "related": lambda: tuple(sorted(clusters)) in related,
        "canonical": lambda: placed[decision.refs[0]][1],
    }[decision.kind]()
    return "applied" if applied else "pending"
