"""Org-mode, AsciiDoc and PDF (issue 13): the same Block list as the other formats, so the splitter reads them
unchanged; a PDF without a text layer is refused with that reason, recorded for its source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from extractors import extract
from extractors.detect import decode, detect_format
from qbank.errors import SourceError
from qbank.fetch import Fetcher
from qbank.pipeline import finalize, new_run, process_source
from qbank.records import Block, RawDocument
from qbank.settings import FetchSettings, Settings, SplitSettings
from qbank.split import split
from tests.test_extract_support import make_pdf, raw_doc
from warehouse.store import Warehouse

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def shape(blocks: tuple[Block, ...]) -> list[tuple]:
    return [(b.kind, b.level, b.depth, b.number, b.text) for b in blocks]


# -- Org-mode ----------------------------------------------------------------------------------------


def test_org_outline_lists_and_source_blocks(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("LOCAL SECRET LINE\n", encoding="utf-8")
    text = (FIXTURES / "questions.org").read_text(encoding="utf-8").replace("INCLUDE_TARGET", str(secret))
    doc = extract(raw_doc(text, uri="/notes/questions.org", media_type="text/plain"))
    assert doc.format == "org"
    assert doc.title == "Data Engineering Interview Notes"
    assert doc.metadata["author"] == "Qbank Fixtures" and doc.metadata["date"] == "2026-03-01"
    assert shape(doc.blocks) == [
        ("heading", 1, 0, None, "Data Engineering Interview Notes"),  # #+TITLE
        ("paragraph", 0, 0, None, "These notes collect questions from mock interviews; see the notes page."),
        ("heading", 2, 0, None, "Spark"),  # `*`, tag dropped
        ("heading", 3, 0, None, "What is a shuffle and why is it expensive?"),  # TODO keyword, tags, drawer dropped
        ("paragraph", 0, 0, None, "A shuffle moves rows between executors so that equal keys meet. It writes intermediate files to local disk."),
        ("heading", 3, 0, None, "Explain lazy evaluation"),  # priority cookie dropped
        ("code", 0, 0, None, 'df = spark.read.parquet("events")\ndf.filter(df.kind == "click").count()'),
        ("heading", 3, 0, None, "Follow-up questions"),
        ("list_item", 0, 0, None, "Why is groupByKey slower than reduceByKey?"),
        ("list_item", 0, 1, None, "What does a combiner do?"),
        ("list_item", 0, 1, None, "When does it not help?"),
        ("list_item", 0, 0, None, "How do you pick the number of partitions?"),
        ("heading", 2, 0, None, "SQL"),
        ("list_item", 0, 0, 1, "What is a window function?"),
        ("list_item", 0, 0, 2, "How do you remove duplicate rows?"),
        ("paragraph", 0, 1, None, "Use ROW_NUMBER() over a partition and keep the first row."),  # no subscript
        ("list_item", 0, 0, 3, "What is the difference between WHERE and HAVING?"),
        ("table", 0, 0, None, "Question | Answer\nWhat is a CTE? | A named subquery\nWhat is a lateral join? | A join that sees the left row"),
        ("quote", 0, 0, None, "Is a view materialized?"),
        ("heading", 2, 0, None, "Streaming"),
        ("heading", 3, 0, None, "What is exactly-once delivery?"),
        ("code", 0, 0, None, "producer -> broker -> consumer"),
    ]
    assert next(b for b in doc.blocks if b.number == 2).bold
    assert next(b for b in doc.blocks if b.kind == "code").markdown.startswith("```python\n")
    assert not any("SECRET" in b.text or "comment" in b.text for b in doc.blocks)  # sandboxed; comments dropped


def test_org_questions_reach_the_splitter() -> None:
    doc = extract(raw_doc((FIXTURES / "questions.org").read_bytes(), uri="/notes/questions.org"))
    items, _ = split(doc, SplitSettings())
    by_question = {i.question: i for i in items}
    assert "What is a shuffle and why is it expensive?" in by_question
    assert by_question["What is a shuffle and why is it expensive?"].answer_text.startswith("A shuffle moves rows")
    assert by_question["How do you remove duplicate rows?"].answer_text.startswith("Use ROW_NUMBER()")
    assert by_question["What is a window function?"].section == "SQL"


# -- AsciiDoc ----------------------------------------------------------------------------------------


def test_asciidoc_sections_lists_listings_and_labels() -> None:
    doc = extract(raw_doc((FIXTURES / "questions.adoc").read_bytes(), uri="https://example.org/k8s/questions.adoc"))
    assert doc.format == "asciidoc"
    assert doc.title == "Kubernetes Interview Questions"
    assert doc.metadata["toc"] == "left" and "fixtures@example.org" in doc.metadata["author"]
    assert shape(doc.blocks) == [
        ("heading", 1, 0, None, "Kubernetes Interview Questions"),  # `= Title`
        ("paragraph", 0, 0, None, "Questions we ask platform engineers, with short answers. See the reference for more."),
        ("heading", 2, 0, None, "Workloads"),  # `==`
        ("list_item", 0, 0, 1, "What is a Pod?"),  # `.` ordered lists, numbered
        ("list_item", 0, 0, 2, "What is the difference between a Deployment and a StatefulSet?"),
        ("list_item", 0, 1, 1, "When would you pick a StatefulSet?"),  # `..`
        ("list_item", 0, 1, 2, "What happens to its volumes on scale-down?"),
        ("list_item", 0, 0, 3, "How does a DaemonSet schedule its pods?"),
        ("list_item", 0, 0, None, "What is a ReplicaSet?"),  # `*`
        ("list_item", 0, 1, None, "Who creates it?"),  # `**`
        ("list_item", 0, 0, None, "What is a Job?"),
        ("heading", 3, 0, None, "Configuration"),  # `===`
        # `Q.`/`Ans.` labels stay text for the splitter (not block titles); `+` is a line break
        ("paragraph", 0, 0, None, "Q. How do you pass a secret to a container?\nAns. Mount it as a volume or expose it as an environment variable."),
        ("paragraph", 0, 0, None, "Q. What is a ConfigMap?"),
        ("code", 0, 0, None, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings"),  # `----` listing
        ("heading", 2, 0, None, "Networking"),
        ("paragraph", 0, 0, None, "Example topology"),  # block title
        ("code", 0, 0, None, "client -> ingress -> service -> pod"),  # `....` literal
        ("table", 0, 0, None, "Question | Answer\nWhat is a Service? | A stable address for a set of pods\nWhat is an Ingress? | HTTP routing into the cluster"),
        ("quote", 0, 0, None, "What is a NetworkPolicy?"),
        ("paragraph", 0, 0, None, "How does kube-proxy route traffic?"),
        ("paragraph", 0, 0, None, "Note"),  # admonition label
        ("paragraph", 0, 0, None, "kube-proxy can run in iptables or IPVS mode."),
    ]
    assert next(b for b in doc.blocks if b.text == "How does kube-proxy route traffic?").bold
    assert next(b for b in doc.blocks if b.kind == "code").markdown.startswith("```yaml\n")


@pytest.mark.parametrize(
    ("content", "uri", "media_type", "expected"),
    [
        ("* Heading\nText\n", "/a.org", "text/plain", "org"),
        ("Text\n", "/a.txt", "text/x-org", "org"),
        ("#+TITLE: Notes\n* What is X?\n", "/notes.txt", "text/plain", "org"),
        ("== Section\n\n. item\n", "/a.adoc", "text/plain", "asciidoc"),
        ("== Section\n", "/a.asciidoc", "", "asciidoc"),
        ("Text\n", "/a", "text/asciidoc", "asciidoc"),
        ("= Title\n:toc:\n\n== Section\n\nText.\n", "/a.txt", "text/plain", "asciidoc"),
        ("Intro.\n\n[source,python]\n----\nx = 1\n----\n", "/a.txt", "text/plain", "asciidoc"),
    ],
)
def test_org_and_asciidoc_are_detected(content: str, uri: str, media_type: str, expected: str) -> None:
    raw = raw_doc(content, uri=uri, media_type=media_type)
    assert detect_format(raw, decode(raw)) == expected


def test_fetch_types_org_and_asciidoc_files(tmp_path: Path) -> None:
    (tmp_path / "a.org").write_text("* What is X?\n", encoding="utf-8")
    (tmp_path / "b.adoc").write_text("== What is Y?\n", encoding="utf-8")
    with Fetcher(FetchSettings()) as fetcher:
        org, adoc = fetcher.fetch(str(tmp_path / "a.org")), fetcher.fetch(str(tmp_path / "b.adoc"))
    assert isinstance(org, RawDocument) and isinstance(adoc, RawDocument)
    assert (org.media_type, adoc.media_type) == ("text/x-org", "text/asciidoc")
    assert extract(org).format == "org" and extract(adoc).format == "asciidoc"


# -- PDF ---------------------------------------------------------------------------------------------

HEADER, TITLE = (0, "ACME Data Guide"), (0, "Data Platform Interview Questions")
PAGES = [
    [
        TITLE,
        HEADER,
        (0, "SECTION 1: Storage"),
        (0, "1. What is the difference between a data lake and a data warehouse, and when is a"),
        (3, "lakehouse the better choice?"),
        (0, "2. How does columnar storage speed up analytical queries that read only a few attri-"),
        (3, "butes of a wide table?"),
        (3, "- it reads only the columns the query names"),
        (0, "3. What is partition pruning?"),
        (40, "Page 1 of 3"),
    ],
    [
        HEADER,
        (0, "4. Why would you choose Parquet over CSV for a large table that many jobs read"),
        (3, "every day?"),
        (0, "PySpark -"),
        (0, "5. How do you broadcast a small table in a join?"),
        (40, "Page 2 of 3"),
    ],
    [HEADER, (0, "6. What is data skew and how do you handle it in a join on a hot key?"), (40, "Page 3 of 3")],
]


def test_pdf_text_layer_goes_through_the_plain_text_layout_rules() -> None:
    data = make_pdf(PAGES, title="Microsoft Word - guide.docx")
    doc = extract(raw_doc(data, uri="/guides/guide.pdf", media_type="application/pdf"))
    assert doc.format == "pdf"
    assert doc.title == "Data Platform Interview Questions"  # the first line, not the info dictionary's
    assert doc.metadata["pages"] == "3"
    assert shape(doc.blocks) == [
        ("heading", 1, 0, None, "Data Platform Interview Questions"),
        ("heading", 2, 0, None, "SECTION 1: Storage"),
        ("list_item", 0, 0, 1, "What is the difference between a data lake and a data warehouse, and when is a lakehouse the better choice?"),
        ("list_item", 0, 0, 2, "How does columnar storage speed up analytical queries that read only a few attributes of a wide table?"),
        ("list_item", 0, 1, None, "it reads only the columns the query names"),
        ("list_item", 0, 0, 3, "What is partition pruning?"),
        ("list_item", 0, 0, 4, "Why would you choose Parquet over CSV for a large table that many jobs read every day?"),
        ("heading", 2, 0, None, "PySpark"),
        ("list_item", 0, 0, 5, "How do you broadcast a small table in a join?"),
        ("list_item", 0, 0, 6, "What is data skew and how do you handle it in a join on a hot key?"),
    ]  # running header and "Page N of 3" footers gone; "attri-/butes" joined


def test_look_alike_questions_at_the_top_of_pages_are_not_taken_for_a_header() -> None:
    """Only short lines match from page to page with their numbers masked ("- 2 -"); long ones must repeat
    exactly, or a list of similar questions would lose the first question of every page."""
    pages = [
        [(0, f"{n}. What is the difference between a list and a tuple in Python, and when would you use one?"),
         (0, f"{n + 1}. {topic}"), (40, f"- {n // 2 + 1} -")]
        for n, topic in ((1, "What is a heap?"), (3, "What is a trie?"), (5, "What is a B-tree?"))
    ]
    doc = extract(raw_doc(make_pdf(pages), uri="/a.pdf", media_type="application/pdf"))
    assert [b.number for b in doc.blocks] == [1, 2, 3, 4, 5, 6]


def test_pdf_is_read_whatever_it_is_named_or_served_as() -> None:
    data = make_pdf([[(0, "What is a data contract?")]])
    for uri, media_type in (("/download", "application/octet-stream"), ("/notes.txt", "text/plain")):
        assert extract(raw_doc(data, uri=uri, media_type=media_type)).format == "pdf"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (make_pdf([[], []]), "PDF without a text layer (2 pages, scanned images?)"),
        (make_pdf([[(0, "What is a join?")]], password="s3cret"), "encrypted PDF: it needs a password"),
        (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", "unreadable PDF"),
    ],
)
def test_unreadable_pdfs_are_refused_with_their_reason(data: bytes, reason: str) -> None:
    with pytest.raises(SourceError, match=re.escape(reason)) as err:
        extract(raw_doc(data, uri="/a.pdf", media_type="application/pdf"))
    assert "\n" not in str(err.value)


def test_a_pdf_without_text_is_recorded_as_failed_for_its_source(settings: Settings, tmp_path: Path) -> None:
    scanned, good = tmp_path / "scanned.pdf", tmp_path / "good.pdf"
    scanned.write_bytes(make_pdf([[], [], []]))
    good.write_bytes(make_pdf([[(0, "SQL Questions"), (0, "1. What is a window function?"), (0, "2. What is a CTE?")]]))
    results = [process_source(str(path), settings) for path in (scanned, good)]
    finalize(results, settings, new_run(settings))
    _, rows = Warehouse(settings.warehouse).query(
        "SELECT source_uri, status, error_stage, error, format, media_type, question_count FROM sources ORDER BY source_uri"
    )
    assert rows == [
        (str(good), "ok", None, None, "pdf", "application/pdf", 2),
        (
            str(scanned), "failed", "extract",
            "PDF without a text layer (3 pages, scanned images?): qbank reads a PDF's text, it does not run OCR",
            None, None, 0,
        ),
    ]
