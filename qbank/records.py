"""Plain typed records passed between pipeline stages.

One record per arrow of the pipeline:

    discover -> DiscoveredSource (sitemaps, feeds, a crawl, a README's links) and a DiscoveryReport
    fetch    -> RawDocument | Failure
    extract  -> StructuredDoc (a flat list of Blocks, one shape for every format)
    split    -> QAItem (a question with its answer) and Rejected (a candidate that is not one, with a reason)
    normalize-> Question (an occurrence with its stable id and match key)
    dedupe   -> Match (a scored pair) and ClusterAssignment (question -> cluster)
    tag      -> TopicTag
    load     -> warehouse rows; export -> files

Records are frozen dataclasses: stages never mutate their input, they return new records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

BlockKind = Literal["heading", "paragraph", "list_item", "code", "table", "quote", "rule", "html"]
# suspect: the source suddenly lost most or all of its questions (a login wall, an error page served as
# 200); its stored questions are kept until a run with accept_changes applies the drop.
SourceStatus = Literal["ok", "unchanged", "failed", "skipped", "suspect", "removed"]
Kind = Literal["technical", "coding", "behavioral", "situational", "problem-solving"]
Level = Literal["beginner", "intermediate", "advanced"]
# How a source came to be ingested: named by the user, or discovered (qbank/discover.py).
FoundBy = Literal["given", "sitemap", "feed", "crawl", "link"]
# The stages of a run, in order: the first four per source (in workers), the others once per run.
Stage = Literal["fetch", "extract", "split", "classify", "normalize", "dedupe", "tag", "load"]
STAGES: tuple[Stage, ...] = ("fetch", "extract", "split", "classify", "normalize", "dedupe", "tag", "load")


@dataclass(frozen=True, slots=True)
class RawDocument:
    """The bytes of one source, stored content-addressed under raw/<sha256[:2]>/<sha256>."""

    source_uri: str  # absolute file path or http(s) URL, as the user named it (normalized)
    sha256: str  # hex digest of `content`
    media_type: str  # "text/html", "text/markdown", "text/plain", "text/x-rst", "application/x-ipynb+json"
    content: bytes
    fetched_at: datetime
    charset: str | None = None  # declared or detected; None when unknown
    raw_path: str | None = None  # where the bytes were stored, relative to the raw dir
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    warnings: tuple[str, ...] = ()  # read, but not cleanly: e.g. invalid UTF-8 bytes replaced


@dataclass(frozen=True, slots=True)
class Failure:
    """A source that produced nothing, and why. One line, readable by a user."""

    source_uri: str
    stage: str  # "fetch", "extract", "split", ...
    reason: str  # one line: what went wrong and, where possible, what to do
    status: SourceStatus = "failed"  # "skipped" for robots.txt disallow, unsupported type, ...


@dataclass(frozen=True, slots=True)
class Block:
    """One structural unit of a document. Every format is reduced to a flat list of these.

    `text` is plain text (markup removed, inline emphasis removed, links reduced to their text);
    `markdown` keeps the block's Markdown so an answer can be stored with formatting.
    """

    kind: BlockKind
    text: str
    markdown: str = ""
    level: int = 0  # heading level 1..6; 0 for non-headings
    depth: int = 0  # list nesting depth: 0 = top-level item (and for non-list blocks inside a list, the item's depth + 1)
    number: int | None = None  # the item's number in an ordered list ("3." -> 3)
    ordered: bool = False  # list item of an ordered list
    bold: bool = False  # the whole block text is strong/emphasised (e.g. "**What is X?**")
    link: bool = False  # the whole block text is one link (tables of contents, navigation)
    order: int = 0  # position of the block in the document, 0-based


@dataclass(frozen=True, slots=True)
class StructuredQA:
    """A question/answer pair declared by the page itself (schema.org FAQPage / QAPage / Question)."""

    question: str
    answer_markdown: str | None = None
    text: str | None = None  # the question's body, when the page gives one besides its name (QAPage)


@dataclass(frozen=True, slots=True)
class StructuredDoc:
    source_uri: str
    sha256: str
    format: str  # "html", "markdown", "text", "rst", "ipynb"
    title: str | None
    blocks: tuple[Block, ...]
    metadata: dict[str, str] = field(default_factory=dict)  # front matter / <meta>: author, date, tags, ...
    structured_qa: tuple[StructuredQA, ...] = ()


@dataclass(frozen=True, slots=True)
class QAItem:
    """One interview question found in a document, with its answer when the document gives one."""

    source_uri: str
    position: int  # 0-based order of the question within its document
    question: str  # cleaned question text (numbering, markers, emphasis, badges removed; NFKC)
    question_raw: str  # the text as it stood in the document
    answer_markdown: str | None  # None when the document gives no answer (or a placeholder)
    answer_text: str | None
    section: str | None  # nearest heading above the question
    section_path: tuple[str, ...] = ()  # all headings above, outermost first
    follow_ups: tuple[str, ...] = ()
    rule: str = ""  # name of the splitter rule that found it, e.g. "numbered_bold"
    parent: str | None = None  # the stem a sub-question reads with ("k-means clustering." -> "Compare the two.")
    answer_kind: str | None = None  # None: an answer of its own; "inline": on the question's line; "hint": a
    # parenthetical hint on the question's line
    kind: Kind | None = None
    level: Level | None = None


@dataclass(frozen=True, slots=True)
class BlockFates:
    """Where the blocks of one document went: every non-empty block is exactly one of these."""

    blocks: int = 0
    question: int = 0  # blocks that are (or hold) a question
    answer: int = 0  # blocks that are part of an answer
    rejected: int = 0  # blocks turned down, each with a `Rejected` reason
    question_shaped_in_answers: int = 0  # answer blocks worded as a question (a sign the split may be wrong)
    question_shaped_rejected: int = 0  # rejected blocks worded as a question


@dataclass(frozen=True, slots=True)
class Rejected:
    """A candidate the splitter looked at and did not keep, with a snake_case reason."""

    source_uri: str
    text: str
    reason: str  # e.g. "heading", "boilerplate", "interview_faq", "ask_the_interviewer", "follow_up"
    section: str | None = None
    block_order: int | None = None


@dataclass(frozen=True, slots=True)
class Question:
    """An occurrence ready to load: a QAItem plus its stable id and match key."""

    question_id: str  # stable: hash of source_uri + match key (+ repeat index)
    item: QAItem
    match_key: str  # normalized text used for dedup


@dataclass(frozen=True, slots=True)
class Match:
    """A scored candidate pair, accepted or rejected, with the rule that decided."""

    question_id: str
    other_id: str  # another question id (or a cluster's canonical question id)
    score: float
    scorer: str
    accepted: bool
    rule: str


@dataclass(frozen=True, slots=True)
class ClusterAssignment:
    question_id: str
    cluster_id: str
    reason: str  # "new_cluster", "exact_key", "fuzzy:<rule>", "must_link", ...


@dataclass(frozen=True, slots=True)
class TopicTag:
    question_id: str
    topic: str  # taxonomy id, e.g. "nlp"
    score: float
    evidence: str  # the words that triggered the tag, e.g. "bert; transformer"


@dataclass(frozen=True, slots=True)
class SourceResult:
    """Everything one source produced: the unit a per-source task returns.

    `raw` and `doc` come without their bulk (bytes, blocks) from `qbank.pipeline.process_source`: the bytes
    are under raw/, and the blocks became `items` and `rejected`.
    """

    source_uri: str
    raw: RawDocument | None
    doc: StructuredDoc | None = None
    items: tuple[QAItem, ...] = ()
    rejected: tuple[Rejected, ...] = ()
    failure: Failure | None = None
    unchanged: bool = False  # same content hash as already loaded: nothing to do
    fates: BlockFates | None = None  # where the document's blocks went (question, answer, rejected)
    warning: str | None = None  # one line when the split looks wrong for this document
    found_by: FoundBy = "given"  # how the run came to read it (qbank/discover.py)
    found_from: str | None = None  # the sitemap, feed, page or README it was found in; None when given
    stages: tuple[StageStats, ...] = ()  # what fetch, extract, split and classify did for this source


@dataclass(frozen=True, slots=True)
class NotModified:
    """A conditional GET answered 304: the source is unchanged since the last run."""

    source_uri: str


@dataclass(frozen=True, slots=True)
class KnownSource:
    """What the warehouse remembers of a source, for change detection and conditional GET."""

    source_uri: str
    sha256: str | None
    etag: str | None = None
    last_modified: str | None = None
    status: str = "ok"  # last recorded status; only an "ok" source can be reported unchanged
    question_count: int = 0  # questions stored from it
    media_type: str | None = None  # as the fetch recorded it (extractors/detect.py), for the raw copy's links


@dataclass(frozen=True, slots=True)
class ExistingMember:
    """A question already in the warehouse, as the incremental deduper sees it."""

    question_id: str
    cluster_id: str
    match_key: str
    question: str
    source_uri: str
    has_answer: bool
    parent: str | None = None  # the stem of a sub-question: part of what it is matched on


@dataclass(frozen=True, slots=True)
class ClusterMerge:
    """Cluster `absorbed_id` was merged into `into_id` (its id no longer appears in the bank)."""

    absorbed_id: str
    into_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class RelatedLink:
    """Two questions about the same concept that ask different things: linked, never merged."""

    question_id: str
    other_id: str
    score: float  # the pair model's P(same) x 100; 100 for a curated link
    rule: str  # "model:related:<why>" or "curation"


@dataclass(frozen=True, slots=True)
class DedupeResult:
    assignments: tuple[ClusterAssignment, ...]  # one per new question, then one per stored question moved
    matches: tuple[Match, ...] = ()  # accepted pairs and rejected near misses
    merges: tuple[ClusterMerge, ...] = ()
    canonical: dict[str, str] = field(default_factory=dict)  # cluster_id -> canonical question_id, for every touched cluster
    related: tuple[RelatedLink, ...] = ()  # related pairs found or curated in this run
    capped_blocks: int = 0  # candidate blocks that hit settings.max_block_size (their overflow was not indexed)


@dataclass(frozen=True, slots=True)
class TopicRow:
    """One taxonomy entry, as stored in the warehouse's `topics` view."""

    topic: str  # taxonomy id, e.g. "nlp"
    label: str
    description: str | None = None
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class RunInfo:
    """Identity of one ingest run, recorded in the warehouse `runs` table."""

    run_id: str  # 'r_' + UTC timestamp + random suffix: sorts by start time
    started_at: datetime
    settings_hash: str = ""
    accept_changes: bool = False  # apply a source's sudden loss of questions instead of holding it as suspect
    interrupted: str | None = None  # the signal that stopped the run early (SIGTERM, SIGINT); runs.status 'interrupted'


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One data-quality check of a load: `ok` False is a warning listing the offending rows."""

    name: str  # snake_case, e.g. "empty_question"
    ok: bool
    message: str  # one line
    rows: tuple[str, ...] = ()  # offending rows (ids, uris), at most a few dozen


@dataclass(frozen=True, slots=True)
class StageStats:
    """What one stage did in a run (or for one source): records in and out, those it dropped and why, its time.

    Units per stage (docs/warehouse.md, table `runs`): fetch sources -> documents; extract documents -> blocks;
    split blocks -> questions; classify, normalize, dedupe (assignments), tag (topic tags) and load questions.
    Times are summed over calls: the per-source stages run in parallel, so their wall time can exceed the run's.
    """

    stage: Stage
    records_in: int = 0
    records_out: int = 0
    drops: tuple[tuple[str, int], ...] = ()  # (reason, records), most first
    wall: float = 0.0  # seconds
    cpu: float = 0.0  # CPU seconds of the thread that did the work (the whole process for the run's stages)
    calls: int = 0  # times the stage ran: once per source for fetch, extract, split and classify

    @property
    def dropped(self) -> int:
        return sum(n for _, n in self.drops)

    def __add__(self, other: StageStats) -> StageStats:
        """The two counted together (the same stage of two sources)."""
        drops: dict[str, int] = dict(self.drops)
        for reason, n in other.drops:
            drops[reason] = drops.get(reason, 0) + n
        return StageStats(
            self.stage, self.records_in + other.records_in, self.records_out + other.records_out,
            tuple(sorted(drops.items(), key=lambda d: (-d[1], d[0]))), self.wall + other.wall,
            self.cpu + other.cpu, self.calls + other.calls,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """What one run did to one source."""

    source_uri: str
    status: SourceStatus
    reason: str | None = None  # one-line error for failed/skipped/suspect sources, or a warning for an ok one
    added: int = 0  # questions new in this run
    kept: int = 0  # questions already loaded and still present (or kept after a failed re-fetch)
    removed: int = 0  # questions no longer in the source
    warning: str | None = None  # the split looks wrong for this source (see SourceResult.warning)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """The result of `Warehouse.load_run`: counts per source and in total, and the checks."""

    run_id: str
    status: str  # "ok" | "partial" (some source failed) | "failed" (every source failed) | "interrupted"
    sources: tuple[SourceSummary, ...] = ()
    questions_added: int = 0
    questions_kept: int = 0
    questions_removed: int = 0
    questions_total: int = 0  # occurrences in the warehouse after the run
    clusters_total: int = 0
    checks: tuple[CheckResult, ...] = ()
    discovery: DiscoveryReport | None = None  # when the run discovered sources (sitemaps, feeds, a crawl, links)
    interrupted: str | None = None  # the signal that stopped the run early; only finished sources were loaded
    not_read: tuple[str, ...] = ()  # sources an interrupted run did not get to
    stages: tuple[StageStats, ...] = ()  # per stage, in STAGES order: records in/out/dropped, seconds


@dataclass(frozen=True, slots=True)
class DiscoverRequest:
    """What the user asked discovery to look through (`qbank ingest --sitemap/--feed/--crawl/--follow-links`).

    Limits left None take their value from `DiscoverSettings`.
    """

    sitemaps: tuple[str, ...] = ()  # sitemap or sitemap index URLs (gzip read), or a site's robots.txt
    feeds: tuple[str, ...] = ()  # RSS, Atom or JSON feed URLs
    crawls: tuple[str, ...] = ()  # start pages of a focused crawl
    follow_links: bool = False  # also ingest the pages the given sources link to (one level)
    match: str | None = None  # a regular expression a discovered URL must contain a match of (re.search)
    depth: int | None = None  # crawl: links followed from a start page
    max_pages: int | None = None  # pages per sitemap, feed, crawl or followed source
    max_seconds: float | None = None  # the whole discovery
    allow_hosts: tuple[str, ...] = ()  # crawl: other hosts whose pages it may follow (host or host:port)

    def __bool__(self) -> bool:
        return bool(self.sitemaps or self.feeds or self.crawls or self.follow_links)


@dataclass(frozen=True, slots=True)
class DiscoveredSource:
    """A source discovery hands on to `process_source`, with how it was found.

    `fetched` is what discovery already read of it (a crawled page, a README whose links it followed), so that
    the page is not downloaded twice; None when only its URL is known (a sitemap or feed entry).
    """

    uri: str
    found_by: FoundBy
    found_from: str | None = None
    fetched: RawDocument | NotModified | Failure | None = None


@dataclass(frozen=True, slots=True)
class DiscoveryReport:
    """What discovery did, for the run summary. Every URL found ends as exactly one of: handed on, or skipped
    with a reason, so `found == handed_on + sum(skipped counts)`."""

    found: int = 0  # distinct URLs seen in sitemaps, feeds and pages (the URLs the user named not counted)
    kept: int = 0  # of which the --match pattern kept (all of them without a pattern)
    handed_on: int = 0  # of which became sources of this run
    skipped: tuple[tuple[str, int], ...] = ()  # (reason, count), most first; reasons in qbank.discover.SKIP_REASONS
    examples: tuple[tuple[str, str], ...] = ()  # (reason, URL): the first few skipped URLs per reason
    pages_read: int = 0  # documents discovery read itself: crawled pages, sitemaps, feeds, followed sources
    not_modified: int = 0  # of which a conditional GET answered 304 (unchanged since the last run)
    sitemaps_skipped: int = 0  # sitemap files an index listed that were not read (max_sitemaps, time limit)
    seconds: float = 0.0
    pattern: str | None = None
    limits: tuple[tuple[str, float], ...] = ()  # the caps in force: depth, max_pages, max_seconds


@dataclass(frozen=True, slots=True)
class Discovery:
    """The discover stage's result: the sources to hand on, in the order found, and the report."""

    sources: tuple[DiscoveredSource, ...] = ()
    report: DiscoveryReport = field(default_factory=DiscoveryReport)

