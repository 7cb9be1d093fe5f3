"""The pipeline's guard against a source that suddenly loses its questions (a login wall, an error page).

The data-quality checks run inside each load live with their SQL in `warehouse/checks.py`; the rule of
what counts as losing most of a source's questions (`lost_most`) is theirs, and is used here too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from qbank.records import Failure, SourceResult
from warehouse.checks import lost_most


def hold_sudden_drops(
    results: Sequence[SourceResult], stored: Mapping[str, int], max_drop: float = 0.5
) -> list[SourceResult]:
    """Changed sources that lost more than `max_drop` of their stored questions become `suspect`.

    A page that had questions and now has none (or few) is more often a login wall, a cookie banner or an
    error page served with HTTP 200 than an author deleting their article. Such a source is not loaded:
    its stored questions stay, its status says why, and the run exits 3; a run with `accept_changes`
    (`qbank ingest --accept-changes`) applies the drop deliberately.
    """
    held = []
    for result in results:
        before = stored.get(result.source_uri, 0)
        now = len(result.items)
        if result.failure is None and not result.unchanged and lost_most(before, now, max_drop):
            reason = (
                f"now yields {now} of its {before} stored questions (a login wall or error page?): kept the stored "
                "ones; run with --accept-changes to apply the drop"
            )
            result = replace(result, failure=Failure(result.source_uri, "split", reason, status="suspect"))
        held.append(result)
    return held
