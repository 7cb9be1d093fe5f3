"""The ingest pipeline as plain functions; flows/ingest.py only orchestrates these.

    process_source: fetch -> store raw -> extract -> split -> classify      (one source, any worker)
    finalize:       normalize -> dedupe -> tag -> load                     (once per run, single writer)
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import lru_cache

from extractors import extract
from qbank.checks import hold_sudden_drops
from qbank.classify import classify
from qbank.dedupe import Curation, dedupe, load_curation
from qbank.errors import SourceError
from qbank.fetch import Fetcher, store_raw
from qbank.normalize import match_keys, to_questions
from qbank.records import (
    DedupeResult,
    Failure,
    KnownSource,
    NotModified,
    QAItem,
    RawDocument,
    Rejected,
    RunInfo,
    RunSummary,
    SourceResult,
    StructuredDoc,
)
from qbank.sandbox import run_with_budget
from qbank.settings import FetchSettings, Settings, SplitSettings
from qbank.split import split
from qbank.tag import Tagger
from warehouse.store import Warehouse


@lru_cache(maxsize=4)
def _fetcher_for(fetch_settings_json: str) -> Fetcher:
    # One Fetcher per process and settings: threads share its connection pool, robots.txt cache and
    # per-host limits; a Dask worker builds its own on first use.
    return Fetcher(FetchSettings.model_validate_json(fetch_settings_json))


def shared_fetcher(settings: FetchSettings) -> Fetcher:
    return _fetcher_for(settings.model_dump_json())


def process_source(uri: str, settings: Settings, known: KnownSource | None = None) -> SourceResult:
    """Fetch one source and turn it into questions. Never raises for a bad source: returns a Failure."""
    fetched = shared_fetcher(settings.fetch).fetch(uri, known)
    if isinstance(fetched, Failure):
        return SourceResult(uri, None, failure=fetched)
    if isinstance(fetched, NotModified):
        return SourceResult(uri, None, unchanged=True)
    if known is not None and known.status == "ok" and known.sha256 == fetched.sha256:
        return SourceResult(uri, replace(fetched, content=b""), unchanged=True)

    raw = store_raw(fetched, settings.raw_dir)
    try:
        # In a worker process with a time budget: a hostile document cannot hold this thread (qbank/sandbox.py).
        doc, items, rejected = run_with_budget(settings.parse_seconds, "parsing", parse, raw, settings.split)
    except SourceError as error:
        return SourceResult(uri, replace(raw, content=b""), failure=Failure(uri, "extract", str(error)))
    return SourceResult(uri, replace(raw, content=b""), doc, items, rejected)


def parse(raw: RawDocument, split_settings: SplitSettings) -> tuple[StructuredDoc, tuple[QAItem, ...], tuple[Rejected, ...]]:
    """extract -> split -> classify for one document; raises SourceError when it cannot be read."""
    try:
        doc = extract(raw)
        # A document without questions (a README beside the articles, say) loads as ok with 0 questions;
        # its rejected candidates show why.
        items, rejected = split(doc, split_settings)
        items = tuple(classify(items, doc))
    except RecursionError:
        raise SourceError("the document is nested too deeply to parse") from None
    # The loader needs the document's facts, not its bytes (kept under raw/) or blocks (now questions):
    # leaving them here keeps what crosses from a worker to the loader small.
    return replace(doc, blocks=()), items, tuple(rejected)


def new_run(settings: Settings) -> RunInfo:
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    run_id = f"r_{started:%Y%m%dT%H%M%S}_{secrets.token_hex(2)}"
    return RunInfo(run_id=run_id, started_at=started, settings_hash=settings.fingerprint())


def finalize(results: Sequence[SourceResult], settings: Settings, run: RunInfo) -> RunSummary:
    """Normalize, dedupe against the bank already in the warehouse, tag, and load in one transaction."""
    store = Warehouse(settings.warehouse)
    if not run.accept_changes:  # a source that suddenly lost its questions keeps them, as `suspect`
        results = hold_sudden_drops(results, store.question_counts(), settings.max_question_drop)
    changed = [r for r in results if r.failure is None and not r.unchanged]
    questions = to_questions([item for r in changed for item in r.items])
    curation = load_curation(settings.data_dir / "curation.yaml")
    if not changed and curation == Curation():
        # An unchanged re-run: reading the bank, deduping and building the tagger would be all of its time.
        return store.load_run(run, results, questions, DedupeResult(assignments=()), (), ())

    changed_uris = {r.source_uri for r in changed}
    current_ids = {q.question_id for q in questions}
    existing = store.existing_members()
    # Questions of a changed source that are gone from it leave the bank; the rest keep their cluster.
    still_there = [m for m in existing if m.source_uri not in changed_uris or m.question_id in current_ids]
    known_ids = {m.question_id for m in still_there}
    new = [q for q in questions if q.question_id not in known_ids]
    if new or curation != Curation():  # curation is applied on every run, even one where nothing changed
        # Stored keys are those of the release that loaded them; compare with today's wording lists.
        fresh = match_keys([m.question for m in still_there])
        still_there = [m if m.match_key == k else replace(m, match_key=k) for m, k in zip(still_there, fresh, strict=True)]
        dedupe_result = dedupe(new, still_there, settings.dedupe, curation)
    else:
        dedupe_result = DedupeResult(assignments=())
    if not questions:
        return store.load_run(run, results, questions, dedupe_result, (), ())
    tagger = _tagger(settings)
    return store.load_run(run, results, questions, dedupe_result, tagger.tag(questions), tagger.taxonomy_rows())


def _tagger(settings: Settings) -> Tagger:
    return Tagger.from_taxonomy(settings.data_dir / "taxonomy.yaml", settings.tag)


def run_recorded(settings: Settings, run_id: str) -> bool:
    """Whether run `run_id` was committed to the warehouse."""
    return Warehouse(settings.warehouse).has_run(run_id)


def known_sources(settings: Settings) -> dict[str, KnownSource]:
    return Warehouse(settings.warehouse).known_sources()


@dataclass(frozen=True, slots=True)
class Progress:
    """One line of progress for a finished source."""

    done: int
    total: int
    result: SourceResult

    def line(self) -> str:
        r = self.result
        if r.failure is not None:
            status = r.failure.status
            detail = r.failure.reason
        elif r.unchanged:
            status, detail = "unchanged", ""
        else:
            status = "ok"
            detail = f"{len(r.items)} questions" if r.items else "no interview questions found"
            detail = "; ".join((detail, *(r.raw.warnings if r.raw else ())))
        width = len(str(self.total))
        return f"[{self.done:>{width}}/{self.total}] {status:<9} {r.source_uri}" + (f"  ({detail})" if detail else "")
