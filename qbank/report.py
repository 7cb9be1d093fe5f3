"""Plain-text rendering of what a run did: the summary printed at the end of `qbank ingest`."""

from __future__ import annotations

from collections import Counter

from qbank.records import DiscoveryReport, RunSummary
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
        if s.warning:
            lines.append(f"  warning: {safe(s.source_uri)}: {safe(s.warning)}")
    by_status = Counter(s.status for s in summary.sources)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
    lines.append(
        f"sources: {counts or 'none'} | questions: +{summary.questions_added} added, "
        f"{summary.questions_kept} kept, -{summary.questions_removed} removed, "
        f"{summary.questions_total} in warehouse | clusters: {summary.clusters_total}"
    )
    if summary.stages:  # summed over sources: the per-source stages run side by side
        lines.append("time: " + ", ".join(f"{s.stage} {s.wall:.2f}s" for s in summary.stages))
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
    if summary.discovery is not None:
        lines.extend(render_discovery(summary.discovery, width=width))
    return "\n".join(lines)


def render_discovery(report: DiscoveryReport, *, width: int = 100) -> list[str]:
    """What discovery found, kept and skipped (and why), as the last lines of the run summary."""
    from qbank.discover import SKIP_REASONS  # the words of each reason live with the stage that skips

    kept = f", {report.kept:,} kept by --match {report.pattern!r}" if report.pattern else ""
    unchanged = f" ({report.not_modified:,} unchanged, HTTP 304)" if report.not_modified else ""
    lines = [
        f"discovery: {report.found:,} URLs found{kept}, {report.handed_on:,} to ingest; "
        f"{report.pages_read:,} documents read{unchanged} in {report.seconds:.1f}s"
    ]
    if report.skipped:
        limits = dict(report.limits)
        caps = {"max_pages": f" ({limits.get('max_pages', 0):g})", "depth": f" ({limits.get('depth', 0):g})",
                "time_limit": f" ({limits.get('max_seconds', 0):g}s)"}  # fmt: skip
        reasons = [f"{n:,} {SKIP_REASONS.get(reason, reason)}{caps.get(reason, '')}" for reason, n in report.skipped]
        lines.append("  skipped: " + "; ".join(reasons))
        seen: set[str] = set()
        for reason, url in report.examples:
            if reason not in seen:  # one example per reason
                seen.add(reason)
                lines.append(f"    e.g. {SKIP_REASONS.get(reason, reason)}: {_shorten(url, width - 20)}")
    if report.sitemaps_skipped:
        lines.append(f"  {report.sitemaps_skipped:,} sitemap files of an index not read (max_sitemaps or time limit)")
    return lines


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]
