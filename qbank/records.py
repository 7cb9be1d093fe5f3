"""Plain typed records passed between pipeline stages.

One record per arrow of the pipeline:

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
    kind: Kind | None = None
    level: Level | None = None


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


@dataclass(frozen=True, slots=True)
class ExistingMember:
    """A question already in the warehouse, as the incremental deduper sees it."""

    question_id: str
    cluster_id: str
    match_key: str
    question: str
    source_uri: str
    has_answer: bool


@dataclass(frozen=True, slots=True)
class ClusterMerge:
    """Cluster `absorbed_id` was merged into `into_id` (its id no longer appears in the bank)."""

    absorbed_id: str
    into_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class DedupeResult:
    assignments: tuple[ClusterAssignment, ...]  # one per new question, then one per stored question moved
    matches: tuple[Match, ...] = ()  # accepted pairs and rejected near misses
    merges: tuple[ClusterMerge, ...] = ()
    canonical: dict[str, str] = field(default_factory=dict)  # cluster_id -> canonical question_id, for every touched cluster


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
class SourceSummary:
    """What one run did to one source."""

    source_uri: str
    status: SourceStatus
    reason: str | None = None  # one-line error for failed/skipped/suspect sources, or a warning for an ok one
    added: int = 0  # questions new in this run
    kept: int = 0  # questions already loaded and still present (or kept after a failed re-fetch)
    removed: int = 0  # questions no longer in the source


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
    interrupted: str | None = None  # the signal that stopped the run early; only finished sources were loaded
    not_read: tuple[str, ...] = ()  # sources an interrupted run did not get to
