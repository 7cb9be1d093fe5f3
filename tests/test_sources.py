"""Listing sources: files, folders, URLs and list files become one ordered list of unique URIs."""

from __future__ import annotations

from pathlib import Path

import pytest

from qbank.sources import expand_sources, normalize_url


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A folder of notes: sources at two depths, a hidden folder, a hidden file and a non-source file."""
    (tmp_path / "b.md").write_text("# B\n")
    (tmp_path / "a.txt").write_text("A\n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.HTML").write_text("<p>c</p>")
    (tmp_path / "sub" / "d.ipynb").write_text("{}")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "notes.md").write_text("hidden\n")
    (tmp_path / ".draft.md").write_text("hidden\n")
    return tmp_path


def test_folder_is_searched_recursively_sorted_skipping_hidden_and_other_files(tree: Path) -> None:
    uris, failures = expand_sources([str(tree)])
    assert failures == []
    assert uris == [str(tree / "a.txt"), str(tree / "b.md"), str(tree / "sub" / "c.HTML"), str(tree / "sub" / "d.ipynb")]


def test_paths_become_absolute_and_resolved(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree / "sub")
    uris, failures = expand_sources(["../b.md", "./c.HTML"])
    assert failures == []
    assert uris == [str(tree / "b.md"), str(tree / "sub" / "c.HTML")]


def test_order_is_first_seen_and_duplicates_are_dropped(tree: Path) -> None:
    url = "https://example.org/questions"
    uris, failures = expand_sources([url, str(tree / "b.md"), str(tree), url + "#q2"])
    assert failures == []
    assert uris == [url, str(tree / "b.md"), str(tree / "a.txt"), str(tree / "sub" / "c.HTML"), str(tree / "sub" / "d.ipynb")]


def test_list_file_with_blank_lines_comments_and_duplicates(tree: Path) -> None:
    lists = tree / "lists"
    lists.mkdir()
    listing = lists / "sources.txt"
    listing.write_text(
        "# interview articles\n"
        "\n"
        "https://Example.org/ml-questions#top\n"
        "   \n"
        "../b.md   # relative to the list file\n"
        "https://example.org/ml-questions\n"
        "../b.md\n"
        "https://example.org/page#section-2\n"
    )
    uris, failures = expand_sources([], from_files=[listing])
    assert failures == []
    assert uris == ["https://example.org/ml-questions", str(tree / "b.md"), "https://example.org/page"]


def test_arguments_come_before_list_files_and_share_one_duplicate_check(tree: Path) -> None:
    listing = tree / "list.txt"
    listing.write_text("b.md\nhttps://example.org/x\n")
    uris, failures = expand_sources([str(tree / "b.md")], from_files=[listing])
    assert failures == []
    assert uris == [str(tree / "b.md"), "https://example.org/x"]


def test_missing_path_is_a_list_failure_and_the_rest_still_lists(tree: Path) -> None:
    missing = str(tree / "nope.md")
    uris, failures = expand_sources([missing, str(tree / "b.md")])
    assert uris == [str(tree / "b.md")]
    assert len(failures) == 1
    assert failures[0].stage == "list"
    assert failures[0].status == "failed"
    assert failures[0].reason == f"no such file or folder: {missing}"


def test_missing_list_file_is_a_failure(tmp_path: Path) -> None:
    uris, failures = expand_sources([], from_files=[tmp_path / "absent.txt"])
    assert uris == []
    assert [f.reason for f in failures] == [f"no such list file: {tmp_path / 'absent.txt'}"]


@pytest.mark.parametrize("source", ["ftp://example.org/q.md", "mailto:someone@example.org", "javascript:alert(1)"])
def test_other_schemes_are_refused(source: str) -> None:
    uris, failures = expand_sources([source])
    assert uris == []
    scheme = source.split(":")[0]
    assert [(f.stage, f.reason) for f in failures] == [
        ("list", f"unsupported scheme {scheme}: only http(s) URLs, files and folders")
    ]


def test_file_uri_is_read_as_a_path(tree: Path) -> None:
    uris, failures = expand_sources([(tree / "b.md").as_uri()])
    assert (uris, failures) == ([str(tree / "b.md")], [])


def test_existing_file_with_a_colon_is_not_taken_for_a_scheme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "notes:v2.md").write_text("# v2\n")
    monkeypatch.chdir(tmp_path)
    uris, failures = expand_sources(["notes:v2.md"])
    assert (uris, failures) == ([str(tmp_path / "notes:v2.md")], [])


def test_folder_without_sources_is_skipped_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    uris, failures = expand_sources([str(tmp_path)])
    assert uris == []
    assert failures[0].status == "skipped"
    assert failures[0].reason.startswith("no source files (")
    assert failures[0].reason.endswith(f") in folder {tmp_path}")


def test_http_without_host_is_not_a_url() -> None:
    uris, failures = expand_sources(["http:///just-a-path"])
    assert uris == []
    assert [f.reason for f in failures] == ["not a valid URL: http:///just-a-path"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("HTTPS://Example.ORG", "https://example.org/"),
        ("http://example.org:80/a?b=1#frag", "http://example.org/a?b=1"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        ("https://[::1]:8080/x", "https://[::1]:8080/x"),
        ("ftp://example.org/", None),
        ("https://example.org:99999/", None),
        # RFC 3986 5.2.4: dot segments resolved, so one article is one source
        ("http://example.org/a/b/../../ok.md", "http://example.org/ok.md"),
        ("http://example.org/a/./b/../c?x=../y", "http://example.org/a/c?x=../y"),
        ("http://example.org/../../ok.md", "http://example.org/ok.md"),
        ("http://example.org/a/b/..", "http://example.org/a/"),
        ("http://example.org/a/b/c/./../../g", "http://example.org/a/g"),
    ],
)
def test_normalize_url(given: str, expected: str | None) -> None:
    assert normalize_url(given) == expected
