"""Human overrides of the deduper, kept in data/curation.yaml and applied on every run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from qbank.errors import QbankError


class CurationError(QbankError):
    """data/curation.yaml is not in the expected shape."""


@dataclass(frozen=True, slots=True)
class Curation:
    """Pairs that must or must not share a cluster, related pairs, and questions preferred as canonical.

    Each reference is a question id (`q_...`) or a question's text; text matches every question with
    the same match key, so punctuation, case and filler do not matter.
    """

    must_link: tuple[tuple[str, str], ...] = ()
    cannot_link: tuple[tuple[str, str], ...] = ()
    canonical: tuple[str, ...] = ()
    related: tuple[tuple[str, str], ...] = ()  # same concept, another ask: linked, never merged


def _pairs(raw: object, name: str, path: Path) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(p, list | tuple) and len(p) == 2 for p in raw):
        raise CurationError(f"{path}: '{name}' must be a list of [question, question] pairs")
    return tuple((str(a), str(b)) for a, b in raw)


def load_curation(path: Path) -> Curation:
    """Read a curation file; a missing file means no overrides."""
    if not path.exists():
        return Curation()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise CurationError(f"{path}: not valid YAML ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict):
        raise CurationError(f"{path}: expected a mapping with must_link, cannot_link, related, canonical")
    canonical = data.get("canonical") or []
    if not isinstance(canonical, list):
        raise CurationError(f"{path}: 'canonical' must be a list of questions")
    return Curation(
        must_link=_pairs(data.get("must_link"), "must_link", path),
        cannot_link=_pairs(data.get("cannot_link"), "cannot_link", path),
        canonical=tuple(str(c) for c in canonical),
        related=_pairs(data.get("related"), "related", path),
    )


DECISIONS = {"same": "must_link", "related": "related", "different": "cannot_link"}


def add_decision(path: Path, decision: str, a: str, b: str, note: str = "") -> None:
    """Append a reviewer's decision on a pair to a curation file (`same` -> must_link, `related` -> related,
    `different` -> cannot_link), keeping the file's comments and entries; `note` becomes an end-of-line
    comment (the two questions' text, so the file stays readable with ids in it)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    section = DECISIONS[decision]
    yaml = YAML()  # round-trip: comments and order are kept
    yaml.width = 4096
    data = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
    if data is None:
        data = CommentedMap()
    if not isinstance(data, dict):
        raise CurationError(f"{path}: expected a mapping with must_link, cannot_link, related, canonical")
    entries = data.get(section)
    if not isinstance(entries, list):
        entries = data[section] = CommentedSeq()
    if entries.fa.flow_style():  # `must_link: []` as shipped: write one pair a line instead
        entries.fa.set_block_style()
    pair = CommentedSeq([a, b])
    pair.fa.set_flow_style()
    entries.append(pair)
    if note:
        entries.yaml_add_eol_comment(" ".join(note.split()), len(entries) - 1)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        yaml.dump(data, f)
    load_curation(tmp)  # never leave a file the next run cannot read
    tmp.replace(path)
