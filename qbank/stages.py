"""Counting and timing the stages of a run (`RunSummary.stages`, stored in `runs.stages`).

    clock = StageClock()
    with clock.stage("split", len(doc.blocks)) as split:
        result = split_document(...)
        split.out(len(result.items))
        split.drop_each(r.reason for r in result.rejected)
    clock.stats()  # -> tuple[StageStats, ...]

A stage is timed once per call (one document, or the run's whole normalize/dedupe/tag/load), never per
record: two clock reads on entering and two on leaving. CPU time is the calling thread's
(`time.thread_time`): per-source stages run in threads side by side, and a process clock would count the
others' work; the run's stages, which run alone and may use threads of their libraries (DuckDB, BLAS),
pass `cpu=time.process_time`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from qbank.records import STAGES, Stage, StageStats


@dataclass(slots=True)
class Tally:
    """The records one call of a stage took, gave and dropped (filled in by the stage's code)."""

    records_in: int = 0
    records_out: int = 0
    drops: Counter[str] = field(default_factory=Counter)

    def out(self, n: int) -> None:
        self.records_out += n

    def drop(self, reason: str, n: int = 1) -> None:
        if n:
            self.drops[reason] += n

    def drop_each(self, reasons: Iterable[str]) -> None:
        self.drops.update(reasons)


class StageClock:
    """The stages of one source or one run, counted and timed."""

    def __init__(self, cpu: Callable[[], float] = time.thread_time) -> None:
        self._cpu = cpu
        self._stats: dict[Stage, StageStats] = {}

    @contextmanager
    def stage(self, name: Stage, records_in: int = 0) -> Iterator[Tally]:
        """Time the block as one call of `name`; the block counts into the Tally it is given. Recorded
        even when the block raises (a document that fails to extract took that time too)."""
        tally = Tally(records_in)
        wall, cpu = time.perf_counter(), self._cpu()
        try:
            yield tally
        finally:
            self.add(StageStats(
                name, tally.records_in, tally.records_out, tuple(tally.drops.most_common()),
                time.perf_counter() - wall, self._cpu() - cpu, 1,
            ))  # fmt: skip

    def add(self, stats: StageStats) -> None:
        known = self._stats.get(stats.stage)
        self._stats[stats.stage] = stats if known is None else known + stats

    def stats(self) -> tuple[StageStats, ...]:
        """Each stage that ran, in pipeline order."""
        return tuple(self._stats[s] for s in STAGES if s in self._stats)


def combined(*groups: Sequence[StageStats]) -> tuple[StageStats, ...]:
    """The stages of many sources (and the run) summed per stage, in pipeline order."""
    clock = StageClock()
    for group in groups:
        for stats in group:
            clock.add(stats)
    return clock.stats()
