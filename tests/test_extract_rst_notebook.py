"""reStructuredText and Jupyter notebook extraction into the common block shape."""

from __future__ import annotations

import json
import textwrap

import pytest

from extractors import extract
from qbank.errors import SourceError
from tests.test_extract_support import raw_doc

RST = textwrap.dedent(
    """\
    Go Interview Questions
    ======================

    :Author: Kim Example
    :Date: 2024-02-02

    Intro with *emphasis* and a `link <https://go.dev>`_.

    Concurrency
    -----------

    1. **What is a goroutine?**

       A function running concurrently, scheduled by the Go runtime.

       - cheap to start

    2. **How do channels block?**

    What does defer do?
    ~~~~~~~~~~~~~~~~~~~

    It runs a call when the surrounding function returns.

    .. code-block:: go

       defer f.Close()

    .. include:: /etc/passwd
    """
)


def test_rst_headings_lists_and_code():
    doc = extract(raw_doc(RST, uri="/docs/go.rst", media_type="text/x-rst"))
    assert doc.format == "rst"
    assert doc.title == "Go Interview Questions"
    assert [(b.level, b.text) for b in doc.blocks if b.kind == "heading"] == [
        (1, "Go Interview Questions"), (2, "Concurrency"), (3, "What does defer do?"),
    ]
    q1 = next(b for b in doc.blocks if b.text == "What is a goroutine?")
    assert (q1.kind, q1.number, q1.ordered, q1.bold, q1.depth) == ("list_item", 1, True, True, 0)
    answer = doc.blocks[q1.order + 1]
    assert answer.kind == "paragraph" and answer.depth == 1 and answer.text.startswith("A function running")
    assert next(b for b in doc.blocks if b.text == "cheap to start").depth == 1
    assert any(b.text == "Intro with emphasis and a link." for b in doc.blocks)
    assert any(b.kind == "code" and b.text == "defer f.Close()" for b in doc.blocks)
    assert doc.metadata == {"author": "Kim Example", "date": "2024-02-02"}
    assert "root:" not in "\n".join(b.text for b in doc.blocks)  # include directive disabled


def _notebook(cells: list[dict]) -> str:
    return json.dumps({"cells": cells, "metadata": {"kernelspec": {"language": "python"}}, "nbformat": 4})


def test_notebook_markdown_and_code_cells():
    nb = _notebook(
        [
            {"cell_type": "markdown", "source": ["# Pandas Questions\n", "\n", "1. **What is a DataFrame?**\n"]},
            {"cell_type": "code", "source": ["import pandas as pd\n", "pd.DataFrame()"], "outputs": [{"text": "out"}]},
            {"cell_type": "markdown", "source": "## Indexing\n\n- **loc** vs **iloc**"},
            {"cell_type": "raw", "source": "ignored"},
        ]
    )
    doc = extract(raw_doc(nb, uri="/nb/pandas.ipynb", media_type="application/x-ipynb+json"))
    assert doc.format == "ipynb" and doc.title == "Pandas Questions"
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("heading", "Pandas Questions"),
        ("list_item", "What is a DataFrame?"),
        ("code", "import pandas as pd\npd.DataFrame()"),
        ("heading", "Indexing"),
        ("list_item", "loc vs iloc"),
    ]
    assert doc.blocks[2].markdown.startswith("```python\n")
    assert doc.metadata == {"language": "python"}


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "invalid notebook JSON"), ('{"cells": 3}', "no list of cells"), (_notebook([]), "no text found")],
)
def test_bad_notebooks_raise_source_error(content: str, message: str):
    with pytest.raises(SourceError, match=message):
        extract(raw_doc(content, uri="/nb/x.ipynb", media_type="application/x-ipynb+json"))
