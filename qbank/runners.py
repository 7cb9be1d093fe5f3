"""Choose where the ingest flow's per-source tasks run: threads in this process, or Dask workers.

    task_runner("thread")                          threads in this process (the default)
    task_runner("dask")                            a LocalCluster started for the run: 2 worker processes
    task_runner("dask", "tcp://scheduler:8786")    an existing Dask cluster, on this machine or others

Only per-source work (fetch, extract, split, classify) moves to the workers; the load task still runs
once and is the only writer of the warehouse. Prefect and prefect-dask are imported here, never by the
rest of the qbank package, so the library stays usable without them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Literal

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from qbank.errors import QbankError
from qbank.settings import FetchSettings

RunnerKind = Literal["thread", "dask"]
RUNNER_KINDS: tuple[str, ...] = ("thread", "dask")

# A LocalCluster sized for a small machine: one single-threaded process per core is what the
# CPU-bound stages (extract, split) need, since threads of one process share the GIL.
LOCAL_DASK_WORKERS = 2


def thread_count(sources: Sequence[str], listed: bool, settings: FetchSettings) -> int:
    """Threads for a run: `settings.concurrency` when sources may be URLs (threads wait on the network),
    the number of cores when they are all local paths (threads beyond the cores only take turns on the GIL:
    on the 1,000-file benchmark 8 threads cost ~25% more CPU than 2; docs/scaling.md).

    `listed`: sources also come from --from files, which may name URLs.
    """
    if listed or any(s.startswith(("http://", "https://")) for s in sources):
        return settings.concurrency
    return max(1, min(settings.concurrency, os.cpu_count() or 1))


def task_runner(kind: str, address: str | None = None, max_threads: int | None = None) -> TaskRunner:
    """The Prefect task runner for `kind`.

    Args:
        kind: "thread" (ThreadPoolTaskRunner) or "dask" (prefect-dask's DaskTaskRunner).
        address: for "dask", the address of a running scheduler (e.g. "tcp://10.0.0.5:8786"); None starts
            a LocalCluster with two single-threaded workers for the duration of the run.
        max_threads: for "thread", the pool size; None: the default of `FetchSettings.concurrency`. Prefect's
            own default is a thread per task, and 50 threads contending for the GIL cost ~15% more CPU
            than 4 or 8 on the 1,000-document benchmark (docs/scaling.md).

    Raises:
        QbankError: unknown kind, or an address given for the thread runner.
    """
    if kind == "thread":
        if address is not None:
            raise QbankError("--dask-address needs --runner dask")
        return ThreadPoolTaskRunner(max_workers=max_threads or FetchSettings().concurrency)
    if kind == "dask":
        from prefect_dask import DaskTaskRunner  # imported late: distributed is slow to import

        if address:
            return DaskTaskRunner(address=address)
        return DaskTaskRunner(
            cluster_class="distributed.LocalCluster",
            cluster_kwargs={"n_workers": LOCAL_DASK_WORKERS, "threads_per_worker": 1, "dashboard_address": None},
        )
    raise QbankError(f"unknown runner {kind!r}: choose one of {', '.join(RUNNER_KINDS)}")
