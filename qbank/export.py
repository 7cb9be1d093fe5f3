"""Export the bank (one record per cluster) and its occurrences as JSON, JSONL, CSV and Parquet.

DuckDB does the work: the rows come from the `bank` and `questions` views, CSV and Parquet are written by
`COPY ... TO`, JSON is serialised from the same ordered rows. Every file is written under a temporary name
and renamed, so a reader never sees half a file; an unchanged warehouse gives byte-identical files.
Field meanings live in the JSON Schemas shipped in qbank/schemas/ (copied next to the data).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

from qbank.errors import QbankError
from warehouse.store import Warehouse
from warehouse.ui_queries import filter_sql, run_exists

FORMATS = ("json", "jsonl", "csv", "parquet")
DATASETS = ("bank", "questions")
SCHEMA_DIR = "schema"  # inside the export directory

BANK_COLUMNS = (
    "cluster_id", "question", "answer", "answer_source_uri", "topics", "kind", "level", "source_count",
    "variant_count", "variants", "canonical_question_id", "canonical_source_uri", "first_run_id", "last_run_id",
    "related",
)  # fmt: skip
QUESTION_COLUMNS = (
    "question_id", "cluster_id", "is_canonical", "source_uri", "position", "section", "section_path", "question",
    "question_raw", "answer", "kind", "level", "topics", "follow_ups", "rule", "cluster_reason", "first_run_id",
    "last_run_id",
)  # fmt: skip
ORDER = {"bank": "source_count DESC, cluster_id", "questions": "source_uri, position, question_id"}

# CSV has no lists: topic ids and related cluster ids (which never contain '|') are joined with '|';
# free-text lists and the variants are written as JSON text.
CSV_PIPE_JOINED = ("topics", "related")
CSV_JSON_TEXT = ("section_path", "follow_ups", "variants")
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection, OWASP): scraped text
# such as "=HYPERLINK(...)" or "-2+3" gets a leading apostrophe in CSV exports, unless csv_raw.
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class ExportFilters:
    """Which bank records to export; the questions file follows the bank records kept."""

    topic: str | None = None  # a taxonomy id; also matches its child topics
    kind: str | None = None
    level: str | None = None
    min_sources: int = 1
    since: str | None = None  # a run id: only clusters created or changed in that run or later
    search: str | None = None  # words that must all appear in the question's wordings (any variant), any case
    source: str | None = None  # only questions this source asks
    answered: bool | None = None  # True: some source answers it; False: none does


def _filtered_bank(con: duckdb.DuckDBPyConnection, filters: ExportFilters) -> None:
    """Materialise the selected bank rows as temp table `export_bank` (temp objects work read-only)."""
    if filters.since and not run_exists(con, filters.since):
        raise QbankError(f"unknown run {filters.since!r}; `qbank stats` lists the runs")
    where, params = filter_sql(filters)
    con.execute(
        f"CREATE TEMP TABLE export_bank AS SELECT {', '.join(BANK_COLUMNS)} FROM bank "
        f"WHERE {where} ORDER BY {ORDER['bank']}",
        params,
    )
    con.execute(
        f"CREATE TEMP TABLE export_questions AS SELECT {', '.join(QUESTION_COLUMNS)} FROM questions "
        f"WHERE cluster_id IN (SELECT cluster_id FROM export_bank) ORDER BY {ORDER['questions']}"
    )


def _write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Write through `write(tmp)` then rename over `path`."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _records(con: duckdb.DuckDBPyConnection, dataset: str) -> list[dict]:
    cursor = con.execute(f"SELECT * FROM export_{dataset} ORDER BY {ORDER[dataset]}")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _dump(record: dict | list, indent: int | None = None) -> str:
    return json.dumps(record, ensure_ascii=False, indent=indent)


def _csv_select(dataset: str, raw: bool) -> str:
    columns = BANK_COLUMNS if dataset == "bank" else QUESTION_COLUMNS
    properties = shipped_schema(dataset)["properties"]
    starts = ", ".join(f"chr({ord(c)})" for c in CSV_FORMULA_START)
    parts = []
    for name in columns:
        if name in CSV_PIPE_JOINED:
            value = f"array_to_string({name}, '|')"
        elif name in CSV_JSON_TEXT:
            value = f"to_json({name})::VARCHAR"
        else:
            value = name
        if not raw and "string" in _types(properties[name]):
            value = f"CASE WHEN left({value}, 1) IN ({starts}) THEN chr(39) || {value} ELSE {value} END"
        parts.append(f"{value} AS {name}")
    return f"SELECT {', '.join(parts)} FROM export_{dataset} ORDER BY {ORDER[dataset]}"


def _types(spec: dict) -> list[str]:
    types = spec.get("type", "string")
    return [types] if isinstance(types, str) else list(types)


def _write_dataset(con: duckdb.DuckDBPyConnection, dataset: str, fmt: str, path: Path, csv_raw: bool) -> None:
    def write(tmp: Path) -> None:
        target = str(tmp).replace("'", "''")
        if fmt == "parquet":
            rows = f"SELECT * FROM export_{dataset} ORDER BY {ORDER[dataset]}"
            con.execute(f"COPY ({rows}) TO '{target}' (FORMAT parquet)")
        elif fmt == "csv":
            con.execute(f"COPY ({_csv_select(dataset, csv_raw)}) TO '{target}' (FORMAT csv, HEADER)")
        else:
            records = _records(con, dataset)
            if fmt == "json":
                text = _dump(records, indent=2) + "\n"
            else:
                text = "".join(_dump(r) + "\n" for r in records)
            tmp.write_text(text, encoding="utf-8")

    _write_atomic(path, write)


def shipped_schema(dataset: str) -> dict:
    """The JSON Schema of one record of `dataset` ("bank" or "questions")."""
    return json.loads(resources.files("qbank.schemas").joinpath(f"{dataset}.schema.json").read_text("utf-8"))


def _table_schema(dataset: str, fmt: str) -> dict:
    """Frictionless Table Schema of a CSV or Parquet file, derived from the record's JSON Schema."""
    fields = []
    for name, spec in shipped_schema(dataset)["properties"].items():
        types = spec.get("type", "string")
        base = types if isinstance(types, str) else next(t for t in types if t != "null")
        if fmt == "csv" and base in ("array", "object"):
            how = "joined with '|'" if name in CSV_PIPE_JOINED else "as JSON text"
            fields.append({"name": name, "type": "string", "description": f"{spec['description']} (CSV: {how})"})
        else:
            fields.append({"name": name, "type": base, "description": spec["description"]})
    return {"fields": fields}


def _datapackage(files: Sequence[tuple[str, str, Path]]) -> dict:
    media = {"json": "application/json", "jsonl": "application/jsonl", "csv": "text/csv",
             "parquet": "application/vnd.apache.parquet"}  # fmt: skip
    out = []
    for dataset, fmt, path in files:
        resource = {
            "name": f"{dataset}-{fmt}",
            "path": path.name,
            "format": fmt,
            "mediatype": media[fmt],
            "description": shipped_schema(dataset)["description"],
        }
        if fmt in ("csv", "parquet"):
            resource["schema"] = _table_schema(dataset, fmt)
        else:
            resource["jsonSchema"] = f"{SCHEMA_DIR}/{dataset}.schema.json"  # Data Package v2: JSON data
        if fmt != "parquet":
            resource["encoding"] = "utf-8"
        out.append(resource)
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "qbank-interview-questions",
        "title": "qbank: deduplicated interview questions",
        "description": "bank = one record per deduplicated question; questions = every occurrence in its source.",
        "resources": out,
    }


def export_bank(
    db_path: Path, out_dir: Path, formats: Sequence[str], filters: ExportFilters, *, csv_raw: bool = False
) -> list[Path]:
    """Write bank.* and questions.* in `formats`, their JSON Schemas and datapackage.json; return the paths.

    CSV cells that a spreadsheet would run as a formula (starting with = + - @) get a leading apostrophe
    unless `csv_raw`; the other formats always hold the text as it is.
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise QbankError(f"unknown export format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    try:
        (out_dir / SCHEMA_DIR).mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise QbankError(f"cannot export to {out_dir}: it is a file, not a folder") from None
    except OSError as error:
        raise QbankError(f"cannot export to {out_dir}: {error.strerror or error}") from None
    ordered = [f for f in FORMATS if f in formats]
    written: list[tuple[str, str, Path]] = []
    with Warehouse(db_path).open(read_only=True) as con:
        _filtered_bank(con, filters)
        for dataset in DATASETS:
            for fmt in ordered:
                path = out_dir / f"{dataset}.{fmt}"
                _write_dataset(con, dataset, fmt, path, csv_raw)
                written.append((dataset, fmt, path))
    paths = [path for _, _, path in written]
    for dataset in DATASETS:
        text = resources.files("qbank.schemas").joinpath(f"{dataset}.schema.json").read_text("utf-8")
        paths.append(_write_atomic(out_dir / SCHEMA_DIR / f"{dataset}.schema.json",
                                   lambda tmp, text=text: tmp.write_text(text, encoding="utf-8")))  # fmt: skip
    package = json.dumps(_datapackage(written), ensure_ascii=False, indent=2) + "\n"
    paths.append(_write_atomic(out_dir / "datapackage.json", lambda tmp: tmp.write_text(package, encoding="utf-8")))
    return paths
