"""The ingest pipeline as plain functions; flows/ingest.py only orchestrates these.

    discover_sources: sitemaps, feeds, a crawl, links -> more sources  (once per run, before the others)
    process_source: fetch -> store raw -> extract -> split -> classify      (one source, any worker)
    finalize:       normalize -> dedupe -> tag -> load                     (once per run, single writer)
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import lru_cache

from extractors import extract
from qbank.canonical import CanonicalRule
from qbank.checks import hold_sudden_drops
from qbank.classify import classify
from qbank.dedupe import Curation, dedupe, load_curation
from qbank.dedupe.rules import DedupeRules
from qbank.dedupe.vectors import KeyVectors, key_digest, key_vectors
from qbank.discover import discover
from qbank.embed import model_name as embed_model_name
from qbank.errors import SourceError
from qbank.fetch import Fetcher, FetchResult, store_raw
from qbank.normalize import match_keys, matching_text, to_questions
from qbank.records import (
    BlockFates,
    DedupeResult,
    DiscoverRequest,
    Discovery,
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
from qbank.rules import ParseRules, RuleFiles
from qbank.sandbox import run_with_budget
from qbank.settings import FetchSettings, Settings, SplitSettings
from qbank.split import split_document
from qbank.tag import Tagger
from warehouse.store import StoredVectors, Warehouse


@lru_cache(maxsize=4)
def shared_fetcher(settings: FetchSettings) -> Fetcher:
    """One Fetcher per process and fetch settings (a frozen, hashable value): threads share its connection
    pool, robots.txt cache and per-host limits; a Dask worker builds its own on first use."""
    return Fetcher(settings)


def process_source(
    uri: str, settings: Settings, known: KnownSource | None = None, fetched: FetchResult | None = None
) -> SourceResult:
    """Fetch one source and turn it into questions. Never raises for a bad source: returns a Failure.

    `fetched`: what the discover stage already read of it (a crawled page), so it is not downloaded twice.
    """
    if fetched is None:
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
        budget = settings.parse_seconds + settings.parse_seconds_per_mb * len(fetched.content) / 1e6
        doc, items, rejected, fates, warning = run_with_budget(
            budget, "parsing", parse, raw, settings.split, RuleFiles.of(settings)
        )
    except SourceError as error:
        return SourceResult(uri, replace(raw, content=b""), failure=Failure(uri, "extract", str(error)))
    return SourceResult(uri, replace(raw, content=b""), doc, items, rejected, fates=fates, warning=warning)


def parse(
    raw: RawDocument, split_settings: SplitSettings, files: RuleFiles
) -> tuple[StructuredDoc, tuple[QAItem, ...], tuple[Rejected, ...], BlockFates, str | None]:
    """extract -> split -> classify for one document; raises SourceError when it cannot be read.

    Returns the document without its blocks, the questions, the rejected blocks, where every block went, and
    the split's warning. The cue files are read once per worker process.
    """
    rules = ParseRules.load(files)
    try:
        doc = extract(raw)
        # A document without questions (a README beside the articles, say) loads as ok with 0 questions;
        # its rejected candidates show why.
        result = split_document(doc, split_settings, rules.cues)
        items = tuple(classify(result.items, doc, rules.kinds))
    except RecursionError:
        raise SourceError("the document is nested too deeply to parse") from None
    # The loader needs the document's facts, not its bytes (kept under raw/) or blocks (now questions):
    # leaving them here keeps what crosses from a worker to the loader small.
    return replace(doc, blocks=()), items, result.rejected, result.fates, result.warning(split_settings)


def new_run(settings: Settings) -> RunInfo:
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    run_id = f"r_{started:%Y%m%dT%H%M%S}_{secrets.token_hex(2)}"
    return RunInfo(run_id=run_id, started_at=started, settings_hash=settings.fingerprint())


def finalize(results: Sequence[SourceResult], settings: Settings, run: RunInfo) -> RunSummary:
    """Normalize, dedupe against the bank already in the warehouse, tag, and load in one transaction."""
    store = Warehouse(settings.warehouse)
    files = RuleFiles.of(settings)
    rules = DedupeRules.load(files.filler, files.pair_model)
    rule = CanonicalRule.of(settings.dedupe)  # for clusters the deduper names no canonical for
    if not run.accept_changes:  # a source that suddenly lost its questions keeps them, as `suspect`
        results = hold_sudden_drops(results, store.question_counts(), settings.max_question_drop)
    changed = [r for r in results if r.failure is None and not r.unchanged]
    questions = to_questions([item for r in changed for item in r.items], rules.wording)
    curation = load_curation(files.curation)
    if not changed and curation == Curation():
        # An unchanged re-run: reading the bank, deduping and building the tagger would be all of its time.
        return store.load_run(run, results, questions, DedupeResult(assignments=()), (), (), canonical=rule)

    changed_uris = {r.source_uri for r in changed}
    current_ids = {q.question_id for q in questions}
    existing = store.existing_members()
    # Questions of a changed source that are gone from it leave the bank; the rest keep their cluster.
    still_there = [m for m in existing if m.source_uri not in changed_uris or m.question_id in current_ids]
    known_ids = {m.question_id for m in still_there}
    new = [q for q in questions if q.question_id not in known_ids]
    if new or curation != Curation():  # curation is applied on every run, even one where nothing changed
        # Stored keys are those of the release that loaded them; compare with today's wording lists.
        fresh = match_keys([matching_text(m.question, m.parent) for m in still_there], rules.wording)
        still_there = [m if m.match_key == k else replace(m, match_key=k) for m, k in zip(still_there, fresh, strict=True)]
        vectors, embeddings = _key_vectors(store, [m.match_key for m in still_there] + [q.match_key for q in new])
        dedupe_result = dedupe(new, still_there, settings.dedupe, curation, vectors=vectors, rules=rules)
    else:
        dedupe_result, embeddings = DedupeResult(assignments=()), None
    if not questions:
        return store.load_run(run, results, questions, dedupe_result, (), (), embeddings=embeddings, canonical=rule)
    tagger = Tagger.from_taxonomy(files.taxonomy, settings.tag)
    return store.load_run(run, results, questions, dedupe_result, tagger.tag(questions), tagger.taxonomy_rows(),
                          embeddings=embeddings, canonical=rule)  # fmt: skip


def _key_vectors(store: Warehouse, keys: list[str]) -> tuple[KeyVectors, StoredVectors]:
    """Vectors of every key: stored ones read back, the others embedded now (and returned to be stored)."""
    model = embed_model_name()
    stored = store.stored_vectors(model, sorted({key_digest(k) for k in keys}))
    vectors = key_vectors(keys, stored)
    return vectors, StoredVectors(model, {key_digest(k): vectors.of(k) for k in vectors.fresh})


@dataclass(frozen=True, slots=True)
class RetagSummary:
    """What `qbank retag` did."""

    questions: int
    tagged: int  # questions with at least one topic
    tags: int
    topics: int  # topics in the taxonomy
    topics_used: int

    @property
    def coverage(self) -> float:
        return self.tagged / self.questions if self.questions else 0.0


def retag_warehouse(wh: Warehouse, tagger: Tagger) -> RetagSummary:
    """Re-tag all stored questions and replace the taxonomy and tags in one write transaction."""
    questions = wh.stored_questions()
    tags = tagger.tag(questions)
    rows = tagger.taxonomy_rows()
    wh.replace_tags(tags, rows)
    return RetagSummary(
        questions=len(questions),
        tagged=len({t.question_id for t in tags}),
        tags=len(tags),
        topics=len(rows),
        topics_used=len({t.topic for t in tags}),
    )


def run_recorded(settings: Settings, run_id: str) -> bool:
    """Whether run `run_id` was committed to the warehouse."""
    return Warehouse(settings.warehouse).has_run(run_id)


def known_sources(settings: Settings) -> dict[str, KnownSource]:
    return Warehouse(settings.warehouse).known_sources()


def discover_sources(
    request: DiscoverRequest,
    given: Sequence[str],
    settings: Settings,
    known: dict[str, KnownSource],
    progress: Callable[[str], None] | None = None,
) -> Discovery:
    """The discover stage (qbank/discover.py) on the run's shared fetcher, whose robots.txt cache, per-host
    limits and delay the per-source work then shares (with the thread runner)."""
    return discover(request, given, settings, known, shared_fetcher(settings.fetch), progress)


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
            if r.warning:
                detail += f"; warning: {r.warning}"
            detail = "; ".join((detail, *(r.raw.warnings if r.raw else ())))
        width = len(str(self.total))
        return f"[{self.done:>{width}}/{self.total}] {status:<9} {r.source_uri}" + (f"  ({detail})" if detail else "")
