"""The ingest pipeline as plain functions; flows/ingest.py only orchestrates these.

    discover_sources: sitemaps, feeds, a crawl, links -> more sources  (once per run, before the others)
    process_source: fetch -> store raw -> extract -> split -> classify      (one source, any worker)
    finalize:       normalize -> dedupe -> tag -> load                     (once per run, single writer)
"""

from __future__ import annotations

import secrets
import time
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
    Question,
    RawDocument,
    Rejected,
    RunInfo,
    RunSummary,
    SourceResult,
    StageStats,
    StructuredDoc,
)
from qbank.rules import ParseRules, RuleFiles
from qbank.sandbox import OverBudget, WorkerCrashed, run_with_budget
from qbank.settings import FetchSettings, Settings, SplitSettings
from qbank.split import split_document
from qbank.stages import StageClock, combined
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
    The result carries what each stage did for it (`stages`: fetch, extract, split, classify).
    """
    clock = StageClock()
    with clock.stage("fetch", 1) as fetch:
        if fetched is None:
            fetched = shared_fetcher(settings.fetch).fetch(uri, known)
        unchanged = isinstance(fetched, NotModified) or (
            isinstance(fetched, RawDocument) and known is not None and known.status == "ok"
            and known.sha256 == fetched.sha256
        )  # fmt: skip
        if isinstance(fetched, Failure):
            fetch.drop(fetched.status)
        elif not unchanged:
            raw = store_raw(fetched, settings.raw_dir)
            fetch.out(1)
    if isinstance(fetched, Failure):
        return SourceResult(uri, None, failure=fetched, stages=clock.stats())
    if unchanged:
        kept = replace(fetched, content=b"") if isinstance(fetched, RawDocument) else None
        return SourceResult(uri, kept, unchanged=True, stages=clock.stats())

    started = time.perf_counter()
    try:
        # In a worker process with a time budget: a hostile document cannot hold this thread (qbank/sandbox.py).
        budget = settings.parse_seconds + settings.parse_seconds_per_mb * len(fetched.content) / 1e6
        parsed = run_with_budget(budget, "parsing", parse, raw, settings.split, RuleFiles.of(settings))
    except SourceError as error:
        # the worker's own clock went with it: the time is the wait here
        clock.add(StageStats("extract", 1, 0, ((_unread(error), 1),), time.perf_counter() - started, 0.0, 1))
        failure = Failure(uri, "extract", str(error))
        return SourceResult(uri, replace(raw, content=b""), failure=failure, stages=clock.stats())
    for stats in parsed.stages:
        clock.add(stats)
    return SourceResult(uri, replace(raw, content=b""), parsed.doc, parsed.items, parsed.rejected,
                        fates=parsed.fates, warning=parsed.warning, stages=clock.stats())  # fmt: skip


def _unread(error: SourceError) -> str:
    """The drop reason of a document the extract stage could not read."""
    return {OverBudget: "over_budget", WorkerCrashed: "worker_crashed"}.get(type(error), "unreadable")


@dataclass(frozen=True, slots=True)
class Parsed:
    """What a parse worker hands back: the document without its blocks (the loader needs its facts, not its
    bytes, kept under raw/, nor its blocks, now questions: what crosses from a worker stays small), the
    questions, the rejected blocks, where every block went, the split's warning, and the stages' figures."""

    doc: StructuredDoc
    items: tuple[QAItem, ...]
    rejected: tuple[Rejected, ...]
    fates: BlockFates
    warning: str | None
    stages: tuple[StageStats, ...]


def parse(raw: RawDocument, split_settings: SplitSettings, files: RuleFiles) -> Parsed:
    """extract -> split -> classify for one document, each counted and timed; raises SourceError when it
    cannot be read. The rule files are read once per worker process."""
    rules = ParseRules.load(files)
    clock = StageClock()
    try:
        with clock.stage("extract", 1) as extracted:
            doc = extract(raw)
            extracted.out(len(doc.blocks))
        # A document without questions (a README beside the articles, say) loads as ok with 0 questions;
        # its rejected candidates show why.
        with clock.stage("split", len(doc.blocks)) as split:
            result = split_document(doc, split_settings, rules.cues)
            split.out(len(result.items))
            split.drop_each(r.reason for r in result.rejected)
        with clock.stage("classify", len(result.items)) as classified:
            items = tuple(classify(result.items, doc, rules.kinds))
            classified.out(len(items))
    except RecursionError:
        raise SourceError("the document is nested too deeply to parse") from None
    return Parsed(replace(doc, blocks=()), items, result.rejected, result.fates, result.warning(split_settings),
                  clock.stats())  # fmt: skip


def new_run(settings: Settings) -> RunInfo:
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    run_id = f"r_{started:%Y%m%dT%H%M%S}_{secrets.token_hex(2)}"
    return RunInfo(run_id=run_id, started_at=started, settings_hash=settings.fingerprint())


def finalize(results: Sequence[SourceResult], settings: Settings, run: RunInfo) -> RunSummary:
    """Normalize, dedupe against the bank already in the warehouse, tag, and load in one transaction.

    Each stage is counted and timed; the summary's `stages` adds them to those of the sources."""
    store = Warehouse(settings.warehouse)
    files = RuleFiles.of(settings)
    rules = DedupeRules.load(files.filler, files.pair_model)
    clock = StageClock(cpu=time.process_time)  # the run's stages run alone, their libraries in threads
    if not run.accept_changes:  # a source that suddenly lost its questions keeps them, as `suspect`
        results = hold_sudden_drops(results, store.question_counts(), settings.max_question_drop)
    changed = [r for r in results if r.failure is None and not r.unchanged]
    held = sum(len(r.items) for r in results if r.failure is not None and r.failure.status == "suspect")
    items = [item for r in changed for item in r.items]
    with clock.stage("normalize", len(items) + held) as normalized:
        questions = to_questions(items, rules.wording)
        normalized.out(len(questions))
        normalized.drop("suspect", held)
    with clock.stage("dedupe", len(questions)) as deduped:
        dedupe_result, embeddings = _dedupe(store, changed, questions, settings, load_curation(files.curation), rules)
        deduped.out(len(dedupe_result.assignments))
    tags, topics = (), ()
    if questions:
        with clock.stage("tag", len(questions)) as tagged:
            tagger = Tagger.from_taxonomy(files.taxonomy, settings.tag)
            tags, topics = tagger.tag(questions), tagger.taxonomy_rows()
            tagged.out(len(tags))
    stages = combined(*(r.stages for r in results), clock.stats())
    return store.load_run(run, results, questions, dedupe_result, tags, topics, embeddings=embeddings,
                          canonical=CanonicalRule.of(settings.dedupe), stages=stages)  # fmt: skip


def _dedupe(
    store: Warehouse, changed: Sequence[SourceResult], questions: Sequence[Question], settings: Settings,
    curation: Curation, rules: DedupeRules,
) -> tuple[DedupeResult, StoredVectors | None]:
    """The run's new questions matched against the bank, the curation applied (every run applies it, even one
    where nothing changed); with the embeddings computed for it, to store."""
    if not changed and curation == Curation():
        # An unchanged re-run: reading the bank, deduping and building the tagger would be all of its time.
        return DedupeResult(assignments=()), None
    changed_uris = {r.source_uri for r in changed}
    current_ids = {q.question_id for q in questions}
    # Questions of a changed source that are gone from it leave the bank; the rest keep their cluster.
    still_there = [m for m in store.existing_members() if m.source_uri not in changed_uris or m.question_id in current_ids]
    known_ids = {m.question_id for m in still_there}
    new = [q for q in questions if q.question_id not in known_ids]
    if not new and curation == Curation():
        return DedupeResult(assignments=()), None
    # Stored keys are those of the release that loaded them; compare with today's wording lists.
    fresh = match_keys([matching_text(m.question, m.parent) for m in still_there], rules.wording)
    still_there = [m if m.match_key == k else replace(m, match_key=k) for m, k in zip(still_there, fresh, strict=True)]
    vectors, embeddings = _key_vectors(store, [m.match_key for m in still_there] + [q.match_key for q in new])
    return dedupe(new, still_there, settings.dedupe, curation, vectors=vectors, rules=rules), embeddings


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
