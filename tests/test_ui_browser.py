"""`qbank ui` in a real browser (the OS's headless Chromium through Playwright) over a warehouse built by a
real ingest of small articles: filter the bank, open a cluster, review a pair, see the decision in
curation.yaml, re-ingest and see it applied; hostile answers never run script; a busy warehouse is said so."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from qbank.settings import Settings
from qbank.ui.app import create_app
from tests.ui_support import chromium, ingest, serve, ui_settings, write_articles

TIMEOUT_MS = 10_000
pytestmark = pytest.mark.slow  # a browser and real ingests: about 20 s for the module


@dataclass
class Bank:
    settings: Settings
    articles: list[Path]
    url: str

    @property
    def curation(self) -> dict:
        return yaml.safe_load((self.settings.data_dir / "curation.yaml").read_text(encoding="utf-8"))

    def reingest(self) -> None:
        ingest(self.articles, self.settings)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """One real ingest of the articles; each test gets a copy of its warehouse, data/ and raw/."""
    root = tmp_path_factory.mktemp("ui-bank")
    articles = write_articles(root / "articles")
    ingest(articles, ui_settings(root / "first"))
    return root / "first", articles


@pytest.fixture
def bank(ingested: tuple[Path, list[Path]], tmp_path: Path) -> Iterator[Bank]:
    first, articles = ingested
    for name in ("wh.duckdb", "data", "raw"):
        copy = shutil.copytree if (first / name).is_dir() else shutil.copy2
        copy(first / name, tmp_path / name)
    settings = ui_settings(tmp_path)
    with serve(create_app(settings)) as url:
        yield Bank(settings, articles, url)


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []  # no script error on any page


def rows(page: object) -> list[str]:
    return [t.strip() for t in page.locator("table.rows td.q > a").all_inner_texts()]


def test_bank_filter_by_topic_then_open_a_cluster(bank: Bank, page: object) -> None:
    page.goto(bank.url + "/")
    assert page.locator(".count strong").inner_text() == "7"  # 8 questions, the two overfitting ones merged
    assert len(rows(page)) == 7

    page.locator('[data-facet="topic"] a', has_text="Deep learning").click()
    page.wait_for_url("**topic=deep_learning**")
    assert sorted(rows(page)) == ["How does dropout work?", "What is a convolutional neural network?"]
    assert page.locator('[data-facet="topic"] a.on').inner_text().startswith("Deep learning")
    # the URL is the view: opened afresh, it shows the same rows
    page.goto(page.url)
    assert sorted(rows(page)) == ["How does dropout work?", "What is a convolutional neural network?"]

    page.locator('[data-facet="topic"] a.on').click()  # the selected facet clears itself
    page.wait_for_url(bank.url + "/")
    page.locator("input[name=q]").fill("overfitting")
    page.locator("form.search button").click()
    page.wait_for_url("**q=overfitting")
    assert rows(page) == ["What is overfitting?"]
    page.locator("table.rows td.q > a").first.click()
    page.wait_for_url("**/cluster/c_*")
    assert page.locator("h1.canonical").inner_text() == "What is overfitting?"
    wordings = page.locator(".variant .vq").all_inner_texts()
    assert sorted(wordings) == ["Explain overfitting.", "What is overfitting?"]
    reasons = {why.split(":", 1)[1].split()[0] for why in page.locator(".variant .why").all_inner_texts()}
    assert reasons == {"new_cluster", "exact_key"}
    # the best answer is rendered from Markdown
    assert page.locator(".answer.best .md strong").inner_text() == "noise"
    assert page.locator(".answer.best .md a").get_attribute("href") == "https://example.org/overfitting"


def test_review_same_writes_curation_and_the_next_ingest_merges(bank: Bank, page: object) -> None:
    page.goto(bank.url + "/review")
    pair = sorted(page.locator(".pair .vq").all_inner_texts())
    assert pair == ["How do you deal with missing data in a dataset?", "How would you handle missing values in a dataset?"]
    ids = page.locator(".pair .vmeta code").all_inner_texts()
    clusters = [a.get_attribute("href") for a in page.locator(".pair .side .hint a").all()]
    page.locator("button[value=same]").click()
    page.wait_for_load_state()

    assert sorted(bank.curation["must_link"][0]) == sorted(ids)
    assert page.locator("tr.decision td").first.inner_text() == "same"
    assert page.locator("tr.decision .status").inner_text() == "pending"
    assert "Nothing left to review" in page.locator("section.review").inner_text()

    bank.reingest()
    page.reload()
    assert page.locator("tr.decision .status").inner_text() == "applied"
    page.locator("tr.decision td a").first.click()
    page.wait_for_url("**/cluster/c_*")
    assert sorted(page.locator(".variant .vq").all_inner_texts()) == pair
    assert "merged in (must_link)" in page.locator("section.merges").inner_text()
    survivor = page.url
    assert survivor.removeprefix(bank.url) in clusters
    for link in clusters:  # the absorbed cluster's address leads to the one it was merged into
        page.goto(bank.url + link)
        assert page.url == survivor
    page.goto(bank.url + "/")
    assert page.locator(".count strong").inner_text() == "6"


def test_choose_canonical_and_split_out_a_member(bank: Bank, page: object) -> None:
    page.goto(bank.url + "/?q=overfitting")
    page.locator("table.rows td.q > a").first.click()
    page.wait_for_url("**/cluster/c_*")
    cluster_url = page.url
    other = page.locator(".variant:not(.is-canonical)")
    other_id = other.get_attribute("data-question-id")
    other.locator("button.make-canonical").click()
    page.wait_for_url("**#decisions")
    assert bank.curation["canonical"] == [other_id]
    assert page.locator("#decisions .status").inner_text() == "pending"
    bank.reingest()
    page.goto(cluster_url)
    assert page.locator("h1.canonical").inner_text() == "Explain overfitting."
    assert page.locator("#decisions .status").inner_text() == "applied"

    page.locator(".variant:not(.is-canonical) button.split").click()
    page.wait_for_url("**#decisions")
    assert len(bank.curation["cannot_link"]) == 1 and other_id in bank.curation["cannot_link"][0]
    bank.reingest()
    page.goto(cluster_url)
    assert page.locator(".variant .vq").all_inner_texts() == ["Explain overfitting."]
    page.goto(bank.url + "/?q=overfitting")
    assert sorted(rows(page)) == ["Explain overfitting.", "What is overfitting?"]


def test_hostile_source_runs_no_script(bank: Bank, page: object) -> None:
    # question and answer of a real source hold <script>, onerror=, onclick=, onload= and javascript: links
    for search, answer_text in (("window.__pwned", "It runs code:"), ("onerror", "Event handlers run script")):
        page.goto(bank.url + "/?q=" + search)
        assert len(rows(page)) == 1
        page.locator("table.rows td.q > a").first.click()
        page.wait_for_url("**/cluster/c_*")
        assert answer_text in page.locator(".answer.best .md").inner_text()  # the answer is shown, as text
        page.locator("details.answer summary").click()
        for anchor in page.locator("main .md a").all():
            anchor.click()  # a link left without its javascript: href goes nowhere
        assert page.evaluate("window.__pwned") is None
        main = page.locator("main")
        assert main.locator("script, svg, img, [onerror], [onclick], [onload]").count() == 0
        assert main.locator('a[href^="javascript"]').count() == 0
    assert "onerror= attribute or a javascript: link" in page.locator("h1.canonical").inner_text()


def test_busy_warehouse_page_says_so_and_retries(bank: Bank, page: object) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
         "time.sleep(30)", str(bank.settings.warehouse)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        response = page.goto(bank.url + "/")
        assert response.status == 503
        assert "The warehouse is busy" in page.locator("h1").inner_text()
        assert f"PID {holder.pid}" in page.locator("main").inner_text()
        assert "Traceback" not in page.content()
    finally:
        holder.kill()
        holder.wait(10)
    started = time.monotonic()
    page.wait_for_selector("table.rows", timeout=TIMEOUT_MS)  # the page reloads itself
    assert time.monotonic() - started < TIMEOUT_MS / 1000
    assert page.locator(".count strong").inner_text() == "7"
