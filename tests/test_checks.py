"""Data-quality checks: a problem is a warning that names the rows, never a silent pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from warehouse.checks import count_drop_check, run_checks
from tests import warehouse_records as w
from warehouse.store import Warehouse

ML = "/data/articles/ml-basics.md"


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(tmp_path / "qbank.duckdb")
    w.load(warehouse, 1)
    return warehouse


def checks_by_name(wh: Warehouse, previous: dict[str, int] | None = None) -> dict:
    with wh.open() as con:
        return {c.name: c for c in run_checks(con, previous or {})}


def test_clean_load_passes_every_check(wh: Warehouse) -> None:
    summary = w.load(wh, 2)
    assert [c.name for c in summary.checks] == [
        "empty_question", "bank_row_without_source", "answer_not_from_own_source", "orphan_rows",
        "question_count_drop",
    ]  # fmt: skip
    assert all(c.ok and not c.rows for c in summary.checks)
    [(stored,)] = wh.query("SELECT checks FROM runs WHERE run_id = ?", [w.run_info(2).run_id])[1]
    assert '"name": "orphan_rows"' in stored


def test_empty_question_and_orphans_are_listed(wh: Warehouse) -> None:
    with wh.open() as con:
        [(qid,)] = con.execute("SELECT question_id FROM occurrences WHERE question LIKE 'How does%'").fetchall()
        con.execute("UPDATE occurrences SET question = '  ' WHERE question_id = ?", [qid])
        con.execute("INSERT INTO question_topics VALUES ('q_ffffffffffffffff', 'ml', 1.0, '')")
        con.execute("INSERT INTO clusters VALUES ('c_ffffffffffffffff', 'q_eeeeeeeeeeeeeeee', 'r', 'r')")
    checks = checks_by_name(wh)
    assert not checks["empty_question"].ok and checks["empty_question"].rows == (qid,)
    orphans = checks["orphan_rows"]
    assert not orphans.ok and orphans.message.startswith("2 rows")
    assert orphans.rows == ("clusters c_ffffffffffffffff", "question_topics q_ffffffffffffffff ml")
    assert not checks["bank_row_without_source"].ok


def test_question_of_an_unrecorded_source_is_flagged(wh: Warehouse) -> None:
    with wh.open() as con:
        # move an answered question to a source that is not recorded: the bank row loses its source
        con.execute("UPDATE occurrences SET source_uri = '/nowhere.md' WHERE question LIKE 'Reverse%'")
    checks = checks_by_name(wh)
    assert not checks["bank_row_without_source"].ok
    assert checks["orphan_rows"].rows[-1].endswith("source /nowhere.md")


def test_big_drop_in_a_source_is_a_warning(wh: Warehouse) -> None:
    summary = w.load(wh, 2, {ML: w.CORPUS[ML][:1]}, version="v2")
    [drop] = [c for c in summary.checks if c.name == "question_count_drop"]
    assert not drop.ok and drop.rows == (f"{ML}: 3 -> 1",)


def test_count_drop_threshold() -> None:
    assert count_drop_check({"a": 10}, {"a": 6}).ok
    assert not count_drop_check({"a": 10}, {"a": 4}).ok
    assert count_drop_check({"a": 0}, {}).ok
