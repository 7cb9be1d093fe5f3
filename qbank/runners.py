"""Choose where the ingest flow's per-source tasks run: threads in this process, or Dask workers.

    task_runner("thread")                          threads in this process (the default)
    task_runner("dask")                            a LocalCluster started for the run: 2 worker processes
    task_runner("dask", "tcp://scheduler:8786")    an existing Dask cluster, on this machine or others

Only per-source work (fetch, extract, split, classify) moves to the workers; the load task still runs
once and is the only writer of the warehouse. Prefect and prefect-dask are imported here, never by the
rest of the qbank package, so the library stays usable without them.

`stop_on_signals()` makes SIGTERM and Ctrl-C stop a run cleanly (see its docstring).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Literal
from unittest import mock

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from qbank.errors import QbankError
from qbank.interrupt import STOP, Interrupted
from qbank.sandbox import die_with_parent
from qbank.settings import FetchSettings

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
        return ThreadPoolTaskRunner(max_workers=max_threads or FetchSettings.model_fields["concurrency"].default)
    if kind == "dask":
        from prefect_dask import DaskTaskRunner  # imported late: distributed is slow to import

        if address:
            return DaskTaskRunner(address=address)
        return DaskTaskRunner(
            cluster_class="distributed.LocalCluster",
            cluster_kwargs={"n_workers": LOCAL_DASK_WORKERS, "threads_per_worker": 1, "dashboard_address": None},
        )
    raise QbankError(f"unknown runner {kind!r}: choose one of {', '.join(RUNNER_KINDS)}")


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_scopes_lock = threading.Lock()
_open: list[StopScope] = []  # nested stop_on_signals scopes (the CLI's around the flow's) share the outermost


@dataclass
class StopScope:
    """Where the run is, which decides what a signal does: "work" (stop the workers, load what finished;
    a second signal: stop at once), "load" (abandon the load: its transaction rolls back) or "done"
    (the load committed: nothing left to stop)."""

    phase: Literal["work", "load", "done"] = "work"
    aborted: str | None = None  # the signal that abandoned the load (DuckDB may report it as its own error)


@contextmanager
def stop_on_signals(say: Callable[[str], None]) -> Iterator[StopScope]:
    """SIGTERM and Ctrl-C (SIGINT) stop the run cleanly, within a second or so.

    The first signal sets `qbank.interrupt.STOP`: the workers stop (network reads, waits and parser
    processes check it), the sources that had finished are loaded and the rest are left unread. A signal
    while loading, or a second signal, raises `Interrupted` in the main thread: the load's transaction
    rolls back and nothing of the run is kept. Once the load committed, signals are ignored: the run is
    ending anyway. `say` prints one line about it.

    Nested scopes share one state: the CLI opens one around the whole flow call, so that a signal after
    the flow's own scope closed (Prefect still winding down) is ignored rather than a KeyboardInterrupt.
    Handlers can only be installed from the main thread; elsewhere (a flow run in a worker thread) this
    only clears the flag. On exit the previous handlers come back; a requested stop stays requested (worker
    threads still finishing must see it) until the next run starts.
    """
    with _scopes_lock:
        outermost = not _open
        if outermost:
            STOP.clear()  # a new run; a stop requested before stays set until then, so late workers still see it
        scope = StopScope() if outermost else _open[0]
        _open.append(scope)

    def handler(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if scope.phase == "done":
            return
        if scope.phase == "load" or STOP.requested:
            scope.aborted = name
            raise Interrupted(name)
        STOP.request(name)
        say(f"{name}: stopping; the sources that finished will be loaded ({name} again: stop now, load nothing)")

    previous: dict[int, object] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in STOP_SIGNALS:
            previous[sig] = signal.signal(sig, handler)
    try:
        yield scope
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)  # type: ignore[arg-type]
        with _scopes_lock:
            _open.pop()


def _own_session() -> None:  # runs in the child between fork and exec
    os.setsid()  # out of the terminal's process group: Ctrl-C is ours to handle, not the server's
    die_with_parent(signal.SIGTERM)  # and on Linux, stop with the process that started it, even after kill -9


def shield_temporary_server() -> None:
    """Keep Ctrl-C from killing the temporary Prefect server a run without PREFECT_API_URL starts.

    Prefect starts that server as a child process in the terminal's process group, so Ctrl-C reaches it
    too: it dies, and the run that wanted to stop cleanly fails on connection errors instead. The server
    registered here (where Prefect's own test harness registers its server, so Prefect's code finds it)
    starts in a session of its own and, on Linux, is stopped by the kernel should qbank die.
    """
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value() or None in SubprocessASGIServer._instances:
        return

    class SessionServer(SubprocessASGIServer):
        def _run_uvicorn_command(self) -> subprocess.Popen:
            popen = subprocess.Popen

            def in_own_session(*args: object, **kwargs: object) -> subprocess.Popen:
                return popen(*args, preexec_fn=_own_session, **kwargs)  # type: ignore[call-overload]

            with mock.patch.object(subprocess, "Popen", in_own_session):
                return super()._run_uvicorn_command()

    SessionServer()  # registers itself as the default (port None) server; Prefect starts it when needed
