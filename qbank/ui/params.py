"""The Bank page's state as URL parameters: filters (the same `ExportFilters` `qbank export` takes), sort, page.

Every view of the bank has one URL; links change one parameter and keep the rest, so a filtered view can
be bookmarked or sent to someone.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from qbank.export import ExportFilters
from warehouse.ui_queries import SORTS

PAGE_SIZE = 50
FILTER_PARAMS = ("q", "topic", "kind", "level", "source", "answered", "min_sources")
DEFAULT_SORT = "sources"


def _int(value: str | None, default: int, low: int) -> int:
    try:
        return max(low, int(value)) if value else default
    except ValueError:
        return default


@dataclass(frozen=True, slots=True)
class BankQuery:
    filters: ExportFilters = field(default_factory=ExportFilters)
    sort: str = DEFAULT_SORT
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> BankQuery:
        """Read the URL's parameters; unknown values fall back to the defaults rather than fail."""

        def text(name: str) -> str | None:
            return (params.get(name) or "").strip() or None

        answered = {"yes": True, "no": False}.get(params.get("answered", ""))
        filters = ExportFilters(
            topic=text("topic"), kind=text("kind"), level=text("level"), min_sources=_int(text("min_sources"), 1, 1),
            search=text("q"), source=text("source"), answered=answered,
        )  # fmt: skip
        sort = params.get("sort") if params.get("sort") in SORTS else DEFAULT_SORT
        return cls(filters, sort, _int(text("page"), 1, 1))

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE

    def params(self) -> dict[str, str]:
        """The non-default parameters of this view."""
        f = self.filters
        out = {
            "q": f.search, "topic": f.topic, "kind": f.kind, "level": f.level, "source": f.source,
            "answered": None if f.answered is None else ("yes" if f.answered else "no"),
            "min_sources": str(f.min_sources) if f.min_sources > 1 else None,
            "sort": None if self.sort == DEFAULT_SORT else self.sort,
            "page": str(self.page) if self.page > 1 else None,
        }  # fmt: skip
        return {k: v for k, v in out.items() if v}

    def url(self, path: str = "/", **changes: str | None) -> str:
        """This view's URL with some parameters changed (None removes one); a filter change goes to page 1."""
        params = self.params()
        if any(name in FILTER_PARAMS or name == "sort" for name in changes):
            params.pop("page", None)
        for name, value in changes.items():
            if value is None or value == "":
                params.pop(name, None)
            else:
                params[name] = str(value)
        return path + ("?" + urlencode(params) if params else "")

    def filters_only(self) -> BankQuery:
        return dataclasses.replace(self, sort=DEFAULT_SORT, page=1)

    def export_command(self, fmt: str) -> str:
        """The `qbank export` command line that writes the same files as this view's export link."""
        f = self.filters
        parts = ["qbank", "export", "--out", "exports/", "--format", fmt]
        for flag, value in (("--topic", f.topic), ("--kind", f.kind), ("--level", f.level),
                            ("--search", f.search), ("--source", f.source)):  # fmt: skip
            if value:
                parts += [flag, value]
        if f.min_sources > 1:
            parts += ["--min-sources", str(f.min_sources)]
        if f.answered is not None:
            parts.append("--answered" if f.answered else "--unanswered")
        return shlex.join(parts)
