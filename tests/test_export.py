"""Exports: every file validates against its JSON Schema, output is byte-identical, filters select clusters."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import jsonschema
import pytest
from typer.testing import CliRunner

from qbank.cli import app
from qbank.errors import QbankError
from qbank.export import CSV_PIPE_JOINED, FORMATS, ExportFilters, export_bank, shipped_schema
from tests import warehouse_records as w
from warehouse.store import Warehouse

ML = "/data/articles/ml-basics.md"
DL = "https://example.com/interview/deep-learning"
BEHAVIORAL = "/data/articles/behavioral.txt"


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """One loaded warehouse shared by the tests that only read it."""
    warehouse = Warehouse(tmp_path_factory.mktemp("wh") / "qbank.duckdb")
    w.load(warehouse, 1)
    return warehouse


def validator(dataset: str) -> jsonschema.Draft202012Validator:
    schema = shipped_schema(dataset)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def from_csv(dataset: str, row: dict[str, str]) -> dict:
    """Undo the documented CSV flattening, so a CSV row can be validated like a JSON record."""
    schema = shipped_schema(dataset)["properties"]
    record: dict = {}
    for name, text in row.items():
        spec = schema[name]
        types = spec.get("type", "string")
        types = [types] if isinstance(types, str) else types
        if name in CSV_PIPE_JOINED:
            record[name] = text.split("|") if text else []
        elif "array" in types:
            record[name] = json.loads(text)
        elif "integer" in types:
            record[name] = int(text)
        elif "boolean" in types:
            record[name] = text == "true"
        else:
            record[name] = None if text == "" and (None in spec.get("enum", []) or "null" in types) else text
    return record


def test_every_export_validates_against_its_schema(wh: Warehouse, tmp_path: Path) -> None:
    out = tmp_path / "out"
    paths = export_bank(wh.path, out, FORMATS, ExportFilters())
    assert {p.relative_to(out).as_posix() for p in paths} == {
        *(f"{d}.{f}" for d in ("bank", "questions") for f in FORMATS),
        "schema/bank.schema.json", "schema/questions.schema.json", "datapackage.json",
    }  # fmt: skip
    for dataset, count in (("bank", 6), ("questions", 7)):
        check = validator(dataset)
        records = json.loads((out / f"{dataset}.json").read_text())
        lines = [json.loads(line) for line in (out / f"{dataset}.jsonl").read_text().splitlines()]
        parquet = duckdb.sql(f"SELECT * FROM '{out / f'{dataset}.parquet'}'")
        parquet_rows = [dict(zip(parquet.columns, row)) for row in parquet.fetchall()]
        with (out / f"{dataset}.csv").open(newline="", encoding="utf-8") as f:
            csv_rows = [from_csv(dataset, row) for row in csv.DictReader(f)]
        assert len(records) == count
        assert records == lines == parquet_rows == csv_rows  # same records, same order, in every format
        for record in records:
            check.validate(record)
    assert json.loads((out / "schema/bank.schema.json").read_text()) == shipped_schema("bank")


def test_schema_rejects_a_broken_record(wh: Warehouse, tmp_path: Path) -> None:
    export_bank(wh.path, tmp_path, ["json"], ExportFilters())
    record = json.loads((tmp_path / "bank.json").read_text())[0]
    with pytest.raises(jsonschema.ValidationError):
        validator("bank").validate({**record, "variants": []})
    with pytest.raises(jsonschema.ValidationError):
        validator("bank").validate({**record, "extra": 1})


def test_export_is_byte_identical_and_leaves_no_temp_files(wh: Warehouse, tmp_path: Path) -> None:
    first = export_bank(wh.path, tmp_path / "a", FORMATS, ExportFilters())
    second = export_bank(wh.path, tmp_path / "b", FORMATS, ExportFilters())
    again = export_bank(wh.path, tmp_path / "a", FORMATS, ExportFilters())  # over existing files
    for a, b, c in zip(first, second, again):
        assert a.read_bytes() == b.read_bytes() == c.read_bytes(), a.name
    assert not [p for p in (tmp_path / "a").rglob("*") if p.name.endswith(".tmp")]


def test_bank_order_and_csv_flattening(wh: Warehouse, tmp_path: Path) -> None:
    export_bank(wh.path, tmp_path, ["csv"], ExportFilters())
    with (tmp_path / "bank.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["question"] == "What is overfitting?"  # most sources first
    [transformer] = [r for r in rows if r["question"] == "What is a transformer?"]
    assert transformer["topics"] == "deep_learning|nlp"
    assert json.loads(transformer["variants"])[0]["source_uri"] == ML


def test_datapackage_describes_each_file(wh: Warehouse, tmp_path: Path) -> None:
    export_bank(wh.path, tmp_path, ["jsonl", "csv"], ExportFilters())
    package = json.loads((tmp_path / "datapackage.json").read_text())
    resources = {r["path"]: r for r in package["resources"]}
    assert set(resources) == {"bank.jsonl", "bank.csv", "questions.jsonl", "questions.csv"}
    assert resources["bank.jsonl"]["jsonSchema"] == "schema/bank.schema.json"
    assert (tmp_path / resources["bank.jsonl"]["jsonSchema"]).exists()
    fields = {f["name"]: f for f in resources["bank.csv"]["schema"]["fields"]}
    assert list(fields) == list(shipped_schema("bank")["properties"])
    assert fields["topics"]["type"] == "string" and "joined with '|'" in fields["topics"]["description"]
    assert fields["source_count"]["type"] == "integer"


def bank_questions(wh: Warehouse, out: Path, filters: ExportFilters) -> list[str]:
    export_bank(wh.path, out, ["json"], filters)
    return sorted(r["question"] for r in json.loads((out / "bank.json").read_text()))


def test_filters_select_clusters(wh: Warehouse, tmp_path: Path) -> None:
    assert bank_questions(wh, tmp_path, ExportFilters(min_sources=2)) == ["What is overfitting?"]
    assert bank_questions(wh, tmp_path, ExportFilters(kind="coding")) == ["Reverse a linked list in place."]
    assert bank_questions(wh, tmp_path, ExportFilters(level="advanced")) == ["What is a transformer?"]
    # a parent topic includes its children (deep_learning and nlp are children of ml)
    assert bank_questions(wh, tmp_path, ExportFilters(topic="ml")) == [
        "Explain the bias-variance tradeoff.", "How does dropout work?", "What is a transformer?",
        "What is overfitting?",
    ]  # fmt: skip
    assert bank_questions(wh, tmp_path, ExportFilters(topic="nlp")) == ["What is a transformer?"]
    questions = json.loads((tmp_path / "questions.json").read_text())
    assert [q["question"] for q in questions] == ["What is a transformer?"]  # occurrences follow the bank


def test_since_keeps_clusters_changed_in_that_run_or_later(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "own.duckdb")
    w.load(wh, 1)
    added = [("What is gradient descent?", None, "technical", None, ())]
    w.load(wh, 2, {ML: w.CORPUS[ML] + added}, unchanged=[DL, BEHAVIORAL], version="v2")
    assert bank_questions(wh, tmp_path, ExportFilters(since=w.run_info(2).run_id)) == ["What is gradient descent?"]
    assert len(bank_questions(wh, tmp_path, ExportFilters(since=w.run_info(1).run_id))) == 7
    with pytest.raises(QbankError, match="unknown run"):
        bank_questions(wh, tmp_path, ExportFilters(since="r_missing"))


def test_export_command(wh: Warehouse, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["export", "--warehouse", str(wh.path), "--out", str(tmp_path / "cli"), "--format", "json,parquet",
              "--min-sources", "2"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert str(tmp_path / "cli" / "bank.parquet") in result.output
    assert len(json.loads((tmp_path / "cli" / "bank.json").read_text())) == 1
    bad = runner.invoke(app, ["export", "--warehouse", str(wh.path), "--out", str(tmp_path), "--format", "xml"])
    assert bad.exit_code == 1 and "unknown export format xml" in bad.output
