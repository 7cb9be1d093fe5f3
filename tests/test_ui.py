"""`qbank ui` over HTTP without a browser: the Bank page agrees with `qbank export` (counts and files), forms
need the server's token, curation.yaml edits keep the file readable, hostile text is escaped, errors are one
line. The browser flows are in test_ui_browser.py."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest
import yaml
from bs4 import BeautifulSoup
from starlette.testclient import TestClient
from typer.testing import CliRunner

from qbank.cli import app as cli
from qbank.dedupe import load_curation
from qbank.export import ExportFilters, export_bank
from qbank.settings import DATA_DIR, Settings
from qbank.ui import decisions
from qbank.ui.app import create_app
from qbank.ui.params import BankQuery
from tests import warehouse_records as w
from tests.ui_support import free_port
from warehouse.store import Warehouse

ML = "/data/articles/ml-basics.md"
HOSTILE = "https://example.com/hostile"
TOKEN = "test-token"


def shown(html: str) -> int:
    """The number of questions the Bank page says match."""
    return int(BeautifulSoup(html, "html.parser").select_one(".count strong").get_text().replace(",", ""))


def facet(html: str, name: str) -> dict[str, int]:
    """A facet's choices as {value: count}, from their links."""
    soup = BeautifulSoup(html, "html.parser")
    links = soup.select(f'[data-facet="{name}"] li a')
    return {a["data-value"]: int(a.select_one(".n").get_text().replace(",", "")) for a in links}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared test corpus plus a hostile source, loaded through the store API (tests/warehouse_records)."""
    path = tmp_path_factory.mktemp("ui") / "wh.duckdb"
    corpus = dict(w.CORPUS)
    corpus[HOSTILE] = [(
        'What does <script>window.__pwned = 1</script> do? <img src=x onerror="alert(1)">',
        '**Bold** stays. <script>alert("a")</script> Read [this](javascript:alert(2)) and '
        '<a href="javascript:alert(3)" onclick="alert(4)">that</a>. <img src=x onerror="alert(5)">',
        "technical", "beginner", ("ml",),
    )]  # fmt: skip
    w.load(Warehouse(path), 1, corpus)
    return path


def settings_for(warehouse: Path, tmp_path: Path) -> Settings:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "curation.yaml").write_text((DATA_DIR / "curation.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return Settings(warehouse=warehouse, data_dir=data)


@pytest.fixture
def client(loaded: Path, tmp_path: Path) -> TestClient:
    return TestClient(create_app(settings_for(loaded, tmp_path), token=TOKEN), base_url="http://127.0.0.1")


FILTERS = [
    {},
    {"topic": "ml"},  # ml or a child topic (deep_learning, nlp)
    {"topic": "nlp", "kind": "technical"},
    {"q": "WHAT is"},
    {"q": "overfitting", "min_sources": "2"},
    {"source": ML},
    {"answered": "no"},
    {"answered": "yes", "level": "intermediate"},
]


@pytest.mark.parametrize("params", FILTERS)
def test_bank_count_matches_the_export_of_the_same_filters(client: TestClient, loaded: Path, tmp_path: Path,
                                                           params: dict) -> None:  # fmt: skip
    page = client.get("/", params=params)
    assert page.status_code == 200
    filters = BankQuery.from_params(params).filters
    export_bank(loaded, tmp_path / "out", ["json"], filters)
    exported = json.loads((tmp_path / "out" / "bank.json").read_text(encoding="utf-8"))
    assert shown(page.text) == len(exported)
    for row in exported:
        assert f'/cluster/{row["cluster_id"]}"' in page.text


def test_facet_counts_are_those_of_each_choice(client: TestClient) -> None:
    everything = client.get("/").text
    chosen = client.get("/", params={"kind": "technical"}).text
    assert facet(chosen, "kind") == facet(everything, "kind")  # a chosen kind still shows the other kinds
    for kind, count in facet(everything, "kind").items():
        assert shown(client.get("/", params={"kind": kind}).text) == count
    for topic, count in facet(chosen, "topic").items():
        assert shown(client.get("/", params={"kind": "technical", "topic": topic}).text) == count


def test_export_link_gives_the_files_of_qbank_export(client: TestClient, loaded: Path, tmp_path: Path) -> None:
    page = client.get("/", params={"topic": "ml", "answered": "yes"})
    assert "qbank export --out exports/ --format csv --topic ml --answered" in page.text
    link = page.text.split('class="export-link" href="')[1].split('"')[0].replace("&amp;", "&")
    response = client.get(link)
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    result = CliRunner().invoke(cli, ["export", "--warehouse", str(loaded), "--out", str(tmp_path / "cli"),
                                      "--format", "csv", "--topic", "ml", "--answered"])  # fmt: skip
    assert result.exit_code == 0, result.output
    cli_files = sorted(p.relative_to(tmp_path / "cli").as_posix() for p in (tmp_path / "cli").rglob("*") if p.is_file())
    assert sorted(archive.namelist()) == cli_files
    for name in cli_files:
        assert archive.read(name) == (tmp_path / "cli" / name).read_bytes(), name


def test_hostile_question_and_answer_are_escaped_and_sanitized(client: TestClient, loaded: Path) -> None:
    con = duckdb.connect(str(loaded), read_only=True)
    cluster_id = con.execute("SELECT cluster_id FROM bank WHERE canonical_source_uri = ?", [HOSTILE]).fetchone()[0]
    con.close()
    for url in ("/?q=pwned", f"/cluster/{cluster_id}"):
        html = client.get(url).text
        assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html  # the question, as text
        main = BeautifulSoup(html, "html.parser").select_one("main")
        assert main.select("script, img, svg") == []
        for tag in main.find_all(True):
            assert not [name for name in tag.attrs if name.startswith("on")], tag
            assert not [v for v in tag.attrs.values() if "javascript:" in str(v).lower()], tag
    assert "<strong>Bold</strong> stays." in client.get(f"/cluster/{cluster_id}").text


def test_posts_need_the_form_token(client: TestClient, tmp_path: Path) -> None:
    curation = tmp_path / "data" / "curation.yaml"
    before = curation.read_text(encoding="utf-8")
    ids = ["q_a", "q_b"]
    for data, headers in (
        ({"a": ids[0], "b": ids[1], "decision": "same"}, {}),
        ({"a": ids[0], "b": ids[1], "decision": "same", "token": "guess"}, {}),
        ({"a": ids[0], "b": ids[1], "decision": "same", "token": TOKEN}, {"Origin": "http://evil.example"}),
    ):
        response = client.post("/review", data=data, headers=headers, follow_redirects=False)
        assert response.status_code == 403
        assert "Traceback" not in response.text
    assert curation.read_text(encoding="utf-8") == before


def test_a_decision_on_unknown_questions_is_refused(client: TestClient, tmp_path: Path) -> None:
    response = client.post("/review", data={"a": "q_x", "b": "q_y", "decision": "same", "token": TOKEN})
    assert response.status_code == 400
    assert load_curation(tmp_path / "data" / "curation.yaml").must_link == ()


def test_curation_edits_keep_comments_and_hand_entries_and_replace_a_pair(tmp_path: Path) -> None:
    path = tmp_path / "curation.yaml"
    path.write_text(
        "# my notes\nmust_link:\n  - [\"What is X?\", \"Explain X\"]  # by hand\ncannot_link: []\ncanonical: []\n",
        encoding="utf-8",
    )
    decisions.record_pair(path, "same", "q_1", "q_2", {"q_1": "What is one?"})
    decisions.record_pair(path, "related", "q_3", "q_4", {})
    decisions.record_pair(path, "different", "q_2", "q_1", {})  # changes the earlier decision on that pair
    decisions.record_canonical(path, "q_5", ["q_5", "q_6"], {})
    decisions.record_canonical(path, "q_6", ["q_5", "q_6"], {})  # one canonical choice per cluster
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# my notes\n") and "# by hand" in text
    assert [p for p in load_curation(path).must_link] == [("What is X?", "Explain X")]
    assert load_curation(path).cannot_link == (("q_2", "q_1"),)
    assert load_curation(path).canonical == ("q_6",)
    assert yaml.safe_load(text)["related"] == [["q_3", "q_4"]]
    assert [p.name for p in tmp_path.iterdir()] == ["curation.yaml"]  # no temp file left behind
    found = decisions.read_decisions(path)
    assert decisions.decided_pairs(found) == ["Explain X What is X?", "q_1 q_2", "q_3 q_4"]


def test_a_malformed_curation_file_is_reported_and_left_alone(client: TestClient, tmp_path: Path) -> None:
    curation = tmp_path / "data" / "curation.yaml"
    curation.write_text("must_link: [oops\n", encoding="utf-8")
    page = client.get("/review")
    assert page.status_code == 400
    assert "not valid YAML" in page.text and "Traceback" not in page.text
    assert curation.read_text(encoding="utf-8") == "must_link: [oops\n"


def test_unknown_cluster_and_unreadable_warehouse_are_one_line_errors(client: TestClient, tmp_path: Path) -> None:
    response = client.get("/cluster/c_0000000000000000")
    assert response.status_code == 404 and "no cluster or question with id" in response.text
    bad = tmp_path / "bad.duckdb"
    bad.write_text("this is not a database", encoding="utf-8")
    broken = TestClient(create_app(settings_for(bad, tmp_path)), base_url="http://127.0.0.1")
    page = broken.get("/")
    assert page.status_code in (400, 500)
    assert "Traceback" not in page.text and 'class="message"' in page.text


def test_an_empty_warehouse_renders_every_page(tmp_path: Path) -> None:
    empty = Warehouse(tmp_path / "empty.duckdb")
    empty.ensure_schema()
    client = TestClient(create_app(settings_for(empty.path, tmp_path)), base_url="http://127.0.0.1")
    for url in ("/", "/?topic=nlp&q=x", "/review", "/overview", "/export?format=json"):
        assert client.get(url).status_code == 200, url
    assert "Nothing left to review" in client.get("/review").text


def test_a_related_decision_is_recorded_for_the_related_level(client: TestClient, loaded: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(loaded), read_only=True)
    a, b = [r[0] for r in con.execute("SELECT question_id FROM occurrences ORDER BY 1 LIMIT 2").fetchall()]
    con.close()
    response = client.post("/review", data={"a": a, "b": b, "decision": "related", "token": TOKEN})
    assert response.status_code == 200  # after the redirect to the queue
    assert yaml.safe_load((tmp_path / "data" / "curation.yaml").read_text(encoding="utf-8"))["related"] == [[a, b]]
    row = BeautifulSoup(response.text, "html.parser").select_one("tr.decision")
    # the warehouse has a `related` table (schema v5): the next ingest links the two clusters
    assert row.select_one("td").get_text() == "related" and row.select_one(".status").get_text() == "pending"


def test_other_hosts_are_refused(loaded: Path, tmp_path: Path) -> None:
    # a DNS-rebinding page would reach 127.0.0.1 under its own host name
    other = TestClient(create_app(settings_for(loaded, tmp_path)), base_url="http://attacker.example")
    assert other.get("/").status_code == 400


def test_related_clusters_show_when_the_warehouse_has_them(loaded: Path, tmp_path: Path) -> None:
    copy = tmp_path / "wh.duckdb"
    copy.write_bytes(loaded.read_bytes())
    con = duckdb.connect(str(copy))
    first, second = [r[0] for r in con.execute("SELECT cluster_id FROM bank ORDER BY cluster_id LIMIT 2").fetchall()]
    client = TestClient(create_app(settings_for(copy, tmp_path)), base_url="http://127.0.0.1")
    con.close()
    assert "Related questions" not in client.get(f"/cluster/{first}").text  # no related pair: no section
    con = duckdb.connect(str(copy))
    a, b = (con.execute("SELECT min(question_id) FROM occurrences WHERE cluster_id = ?", [c]).fetchone()[0]
            for c in (first, second))  # fmt: skip
    con.execute("INSERT INTO related VALUES (?, ?, 70.0, 'curation', 'r_test')", [b, a])
    con.close()
    page = client.get(f"/cluster/{first}").text
    assert "Related questions" in page and f'/cluster/{second}"' in page


@pytest.mark.slow
def test_qbank_ui_prints_its_address_and_serves(loaded: Path, tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "qbank", "ui", "--warehouse", str(loaded), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line
        import httpx

        assert httpx.get(f"http://127.0.0.1:{port}/overview", timeout=10).status_code == 200
        taken = subprocess.run([sys.executable, "-m", "qbank", "ui", "--warehouse", str(loaded), "--port", str(port)],
                               capture_output=True, text=True, timeout=60)  # fmt: skip
        assert taken.returncode == 1
        assert taken.stderr.strip() == f"error: port {port} is in use; pick another with --port"
    finally:
        process.terminate()
        process.wait(10)
