"""All knobs in one object: defaults < qbank.toml (if present) < QBANK_* environment < CLI flags.

Stages take the Settings (or one of its groups) as an argument; nothing reads a global.
Nested groups are set from the environment with a double underscore, e.g.
QBANK_DEDUPE__THRESHOLD=88, QBANK_FETCH__TIMEOUT=10.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"


class FetchSettings(BaseModel):
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


class SplitSettings(BaseModel):
    max_question_chars: int = 400  # longer lines are prose, not questions
    min_question_words: int = 3
    cues_file: Path | None = None  # wording cues; None = data/cues.yaml shipped with qbank


class DedupeSettings(BaseModel):
    threshold: float = 80.0  # accept a pair whose content words score at least this (0..100) and pass the guards
    near_miss: float = 70.0  # record rejected pairs scoring at least this, for `qbank explain`
    word_typo_ratio: float = 85.0  # two different words count as one (a typo) at or above this rapidfuzz ratio
    min_typo_word_len: int = 5  # shorter words must match exactly: l1/l2, cnn/rnn, knn
    max_extra_words: int = 1  # content words one duplicate may add, if they modify nothing ("... as a metric")
    merge_linked: bool = True  # a new question matching two clusters whose canonicals also match merges them
    canonical_min_chars: int = 15  # canonical choice prefers questions between these lengths
    canonical_max_chars: int = 200


class TagSettings(BaseModel):
    answer_weight: float = 0.3  # evidence from the answer counts this much of evidence from the question
    min_score: float = 0.5
    section_weight: float = 0.3  # evidence from the section heading above the question (weak)
    weak_weight: float = 0.4  # a taxonomy "weak" term counts this much of a full term
    answer_chars: int = 300  # only the opening of a long answer is read: it states what the answer is about
    batch_size: int = 512  # texts per spaCy tokenizer.pipe batch
    max_fallback_topics: int = 2  # a question with only generic words is tagged only if they point to so few topics


class ExportSettings(BaseModel):
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
    # over it fails with a reason instead of holding the run (qbank/sandbox.py).
    parse_seconds: float = Field(default=30.0, gt=0)
    # A source that loses more than this share of its stored questions in one run is held as `suspect`
    # (its questions kept) unless the run accepts changes: a login wall must not empty the bank.
    max_question_drop: float = Field(default=0.5, ge=0, le=1)

    fetch: FetchSettings = Field(default_factory=FetchSettings)
    split: SplitSettings = Field(default_factory=SplitSettings)
    dedupe: DedupeSettings = Field(default_factory=DedupeSettings)
    tag: TagSettings = Field(default_factory=TagSettings)
    export: ExportSettings = Field(default_factory=ExportSettings)

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
        payload = self.model_dump(mode="json", exclude={"warehouse", "raw_dir", "exports_dir", "data_dir", "sources_per_task"})
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
