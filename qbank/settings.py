"""All knobs in one object: defaults < qbank.toml (if present) < QBANK_* environment < CLI flags.

Stages take the Settings (or one of its groups) as an argument; nothing reads a global.
Nested groups are set from the environment with a double underscore, e.g.
QBANK_DEDUPE__THRESHOLD=88, QBANK_FETCH__TIMEOUT=10.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from qbank import canonical

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"


class _Group(BaseModel):
    """A group of settings: a value (frozen, hashable), changed only by building another (`model_copy`)."""

    model_config = ConfigDict(frozen=True)


class FetchSettings(_Group):
    user_agent: str = "qbank/0.1 (+https://github.com/qbank/qbank; interview-question curation)"
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    # Hard wall-clock limit on fetching one URL (robots.txt, redirects, retries, headers and body), held by
    # every socket read, so a server trickling bytes cannot hold a worker. Time queued behind other
    # requests to the same host (per_host_concurrency, Crawl-delay) does not count.
    max_seconds: float = 120.0
    max_redirects: int = 5
    max_bytes: int = 10 * 1024 * 1024  # largest body we read (after decompression)
    retries: int = 3
    backoff_base: float = 0.5  # seconds; doubled per retry, with jitter
    backoff_max: float = 30.0
    per_host_concurrency: int = 2
    per_host_delay: float = 0.0  # seconds between requests to one host; robots.txt Crawl-delay wins if larger
    max_crawl_delay: float = 60.0  # cap on a robots.txt Crawl-delay, so one host cannot stall a run
    concurrency: int = 8
    obey_robots: bool = True


class DiscoverSettings(_Group):
    """Caps of discovery (`qbank ingest --sitemap/--feed/--crawl/--follow-links`), so that it always ends."""

    depth: int = Field(default=2, ge=0)  # crawl: links followed from the start page (0: the start page only)
    max_pages: int = Field(default=200, ge=1)  # pages per sitemap, feed, crawl or followed source
    max_seconds: float = Field(default=600.0, gt=0)  # the whole discovery; what is still queued then is skipped
    # Seconds between requests to one host in a run that discovers (robots.txt Crawl-delay wins if larger):
    # a crawl or a sitemap asks one site for many pages.
    per_host_delay: float = Field(default=0.5, ge=0)
    max_sitemaps: int = Field(default=50, ge=1)  # sitemap files read per --sitemap, index files included
    max_urls: int = Field(default=100_000, ge=1)  # distinct URLs remembered per run; more are counted, not kept


class SplitSettings(_Group):
    max_question_chars: int = 400  # longer lines are prose, not questions
    max_statement_chars: int = 2000  # a problem statement (a titled section's lead paragraphs) can be longer
    min_question_words: int = 3
    cues_file: Path | None = None  # wording cues; None = data/cues.yaml shipped with qbank
    # A source is flagged (summary warning, `sources.warning`) when it gives no question although this many of
    # its lines read as questions, or when its answers swallowed this many question-shaped lines and at least
    # `warn_absorbed_share` as many as it has questions.
    warn_shaped_lines: int = 5
    warn_absorbed_share: float = 0.5


class DedupeSettings(_Group):
    threshold: float = 80.0  # accept a pair whose content words score at least this (0..100) and pass the guards
    near_miss: float = 70.0  # record rejected pairs scoring at least this, for `qbank explain`
    word_typo_ratio: float = 85.0  # two different words count as one (a typo) at or above this rapidfuzz ratio
    min_typo_word_len: int = 5  # shorter words must match exactly: l1/l2, cnn/rnn, knn
    max_extra_words: int = 1  # content words one duplicate may add, if they modify nothing ("... as a metric")
    merge_linked: bool = True  # a new question matching two clusters whose canonicals also match merges them
    canonical_min_chars: int = canonical.MIN_CHARS  # the canonical rule (qbank/canonical.py) prefers questions
    canonical_max_chars: int = canonical.MAX_CHARS  # between these lengths
    # the semantic tier (qbank/dedupe/semantic.py; its weights and thresholds are data/dedupe_model.json)
    neighbours: int = 5  # nearest questions in embedding space offered as candidates, per question
    min_cosine: float = 0.5  # embedding neighbours below this cosine are not scored
    max_candidates: int = 6  # candidate clusters scored per question, closest in meaning first
    member_checks: int = 8  # members of a candidate cluster a question is compared with when the leader is gray
    max_block_size: int = 32  # leaders kept per lexical index key; more (templated questions) are not indexed
    model_file: Path | None = None  # pair model weights; None = data/dedupe_model.json


class TagSettings(_Group):
    # How qbank.tag weighs its evidence; the values were fitted on bench/tagging's dev sets (docs/warehouse.md
    # "Topics" tells how; `python -m bench.tagging.run` prints the figures).
    min_score: float = 0.5  # evidence a topic needs when the question names a topic with a full term
    weak_weight: float = 0.4  # a taxonomy "weak" term counts this much of a full term
    answer_weight: float = 0.15  # a term in the answer counts this much of one in the question...
    answer_cap: float = 0.3  # ...and an answer adds at most this to a topic: it confirms, it never decides alone
    answer_chars: int = 200  # only the opening of a long answer is read: it states what the answer is about
    section_weight: float = 0.5  # a term in the nearest heading, for a question with no full term of its own
    path_weight: float = 0.15  # a term in the headings above that one
    kind_weight: float = 0.3  # a question of a kind a topic lists in `for_kinds` (behavioral -> behavioral, career)
    use_embeddings: bool = True  # the second signal: similarity to each topic's prototype (qbank.embed)
    embedding_weight: float = 2.0  # evidence added per unit of similarity above embedding_floor
    embedding_floor: float = 0.3  # cosine similarity (0..1) below which a topic gets nothing from the embedding
    fallback_min: float = 0.2  # evidence a question with no full term of its own needs to be tagged at all
    fallback_tie: float = 0.05  # ...and topics within this of its best topic are tagged too
    max_fallback_topics: int = 2  # a question with only generic words is tagged only if they point to so few topics
    max_topics: int = 2  # at most this many topics per question (implied parents aside): the best-supported ones
    batch_size: int = 512  # texts per spaCy tokenizer.pipe / embedding batch


class ExportSettings(_Group):
    formats: tuple[str, ...] = ("json", "jsonl", "csv", "parquet")
    # CSV cells starting with = + - @ get a leading apostrophe so a spreadsheet does not run them as a
    # formula; True keeps them as they are (`qbank export --csv-raw`).
    csv_raw: bool = False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="QBANK_",
        env_nested_delimiter="__",
        toml_file="qbank.toml",
        extra="ignore",
    )

    warehouse: Path = Path("warehouse/qbank.duckdb")
    raw_dir: Path = Path("raw")
    exports_dir: Path = Path("exports")
    data_dir: Path = DATA_DIR
    # Sources per Prefect task in the ingest flow: one task per source costs ~0.1 s of Prefect bookkeeping
    # (docs/scaling.md has the measurements); batches keep that small and still spread over workers.
    sources_per_task: int = Field(default=20, ge=1)
    # Wall-clock budget to parse one document (extract, split, classify) in a worker process; a document
    # over it fails with a reason instead of holding the run (qbank/sandbox.py). A large document gets
    # `parse_seconds_per_mb` more for each MB (a 100,000-line list is ~6 MB and parses in ~15 s).
    parse_seconds: float = Field(default=30.0, gt=0)
    parse_seconds_per_mb: float = Field(default=15.0, ge=0)
    # A source that loses more than this share of its stored questions in one run is held as `suspect`
    # (its questions kept) unless the run accepts changes: a login wall must not empty the bank.
    max_question_drop: float = Field(default=0.5, ge=0, le=1)

    fetch: FetchSettings = Field(default_factory=FetchSettings)
    split: SplitSettings = Field(default_factory=SplitSettings)
    dedupe: DedupeSettings = Field(default_factory=DedupeSettings)
    tag: TagSettings = Field(default_factory=TagSettings)
    export: ExportSettings = Field(default_factory=ExportSettings)
    discover: DiscoverSettings = Field(default_factory=DiscoverSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    def fingerprint(self) -> str:
        """Hash of the settings that change results (not paths): stored with each run."""
        # `discover` chooses which sources a run reads, not what a source yields
        paths_and_scheduling = {"warehouse", "raw_dir", "exports_dir", "data_dir", "sources_per_task", "discover"}
        payload = self.model_dump(mode="json", exclude=paths_and_scheduling)
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
