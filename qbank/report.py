"""Plain-text rendering of what a run did: the summary printed at the end of `qbank ingest`."""

from __future__ import annotations

from collections import Counter

from qbank.records import RunSummary
from qbank.terminal import safe


def render_summary(summary: RunSummary, *, width: int = 100) -> str:
    """A per-source table, then totals and any data-quality warnings; source names and reasons come from
    outside (file names, servers), so their control characters are escaped."""
    rows = [("status", "added", "kept", "removed", "source")]
    for s in summary.sources:
        rows.append((s.status, str(s.added), str(s.kept), str(s.removed), _shorten(safe(s.source_uri), width - 40)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["", f"run {summary.run_id}: {summary.status}"]
    for i, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [row[c].rjust(widths[c]) for c in (1, 2, 3)] + [row[4]]
        lines.append("  " + "  ".join(cells))
        if i == 0:
            lines.append("  " + "  ".join("-" * w for w in widths) + "  ------")
    for s in summary.sources:
        if s.reason:
            lines.append(f"  {s.status}: {safe(s.source_uri)}: {safe(s.reason)}")
    by_status = Counter(s.status for s in summary.sources)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
    lines.append(
        f"sources: {counts or 'none'} | questions: +{summary.questions_added} added, "
        f"{summary.questions_kept} kept, -{summary.questions_removed} removed, "
        f"{summary.questions_total} in warehouse | clusters: {summary.clusters_total}"
    )
    if summary.interrupted:
        shown = ", ".join(safe(uri) for uri in summary.not_read[:5])
        more = f" (+{len(summary.not_read) - 5} more)" if len(summary.not_read) > 5 else ""
        lines.append(
            f"interrupted by {summary.interrupted}: loaded the {len(summary.sources)} sources that had finished; "
            f"{len(summary.not_read)} not read" + (f": {shown}{more}" if shown else "")
        )
    for check in summary.checks:
        if not check.ok:
            rows_hint = f" (e.g. {', '.join(check.rows[:3])})" if check.rows else ""
            lines.append(f"warning: {check.name}: {safe(check.message + rows_hint)}")
    return "\n".join(lines)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]
