"""Parse documents in worker processes with a time budget, so one hostile document cannot stall a run.

Like datatrove's extractor sandbox: the CPU-heavy per-source work (extract -> split -> classify) runs in
a pool of long-lived worker processes (pebble's `ProcessPool`). A document that takes longer than its
budget (10,000 nested `<div>`s, a 100,000-item list) has its worker killed and replaced, and becomes a
`SourceError` with a one-line reason; so does a worker that crashes (a C-level stack overflow, the OOM
killer). The other documents of the run are not affected.

The workers are forked, as datatrove's are: a replacement is ready in milliseconds with the parsing
modules already imported, and, unlike "spawn" or "forkserver", a fork does not run the caller's
`__main__` again (a script without a `__name__` guard would start a pool inside each worker). The
child only parses (no network, no warehouse), and Python re-creates the import and logging locks
after a fork. Workers ignore Ctrl-C and die on SIGTERM: the parent decides when they stop. Inside a
daemonic process (a Dask worker), which may not have children, the work runs in-process, without a
budget.
"""

from __future__ import annotations

import atexit
import ctypes
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, TimeoutError as FutureTimeout, wait
from typing import TypeVar

from pebble import ProcessExpired, ProcessPool

from qbank.errors import SourceError
from qbank.interrupt import STOP

T = TypeVar("T")

_POLL = 0.25  # how often a waiting thread looks at the stop flag

_lock = threading.Lock()
_pool: ProcessPool | None = None
_pool_pid: int | None = None  # the process that made the pool (a forked child must make its own)


class OverBudget(SourceError):
    """The document took longer to parse than its budget."""


class WorkerCrashed(SourceError):
    """The worker process died while parsing the document."""


def _workers() -> ProcessPool:
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid() or not _pool.active:
            context = multiprocessing.get_context("fork")
            _pool = ProcessPool(max_workers=os.cpu_count() or 1, initializer=_worker_signals, context=context)
            _pool_pid = os.getpid()
        return _pool


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Ask Linux to send `sig` to this process when its parent dies (kill -9 included); elsewhere a no-op."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, sig)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _worker_signals() -> None:
    """In a worker: the default death on SIGTERM (pebble's way to stop one), no Ctrl-C of its own (the
    terminal sends it to the whole process group; the parent handles it), and death with the parent, so a
    worker grinding through a hostile document does not outlive a qbank killed with -9."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    die_with_parent()
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def shutdown() -> None:
    """Stop the worker processes (they are started again on the next use)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None and _pool_pid == os.getpid():
        pool.stop()
        try:
            pool.join(timeout=5)
        except TimeoutError:
            pass  # a worker that will not die: the fork server reaps it


atexit.register(shutdown)



def run_with_budget(seconds: float, what: str, function: Callable[..., T], *args: object) -> T:
    """`function(*args)` in a worker process, given at most `seconds` of wall-clock time.

    Args:
        seconds: the budget; the worker is killed when it runs out.
        what: names the work in the reason, e.g. "parsing".
        function: a module-level function (it is pickled by name), as are its arguments and result.

    Raises:
        OverBudget, WorkerCrashed: one-line reasons, SourceErrors like any unreadable document.
        Interrupted: a stop was requested while waiting (the worker is killed).
        Whatever `function` raises, re-raised here.
    """
    if multiprocessing.current_process().daemon:
        return function(*args)
    STOP.check()
    future = _workers().schedule(function, args=args, timeout=seconds)
    while not wait([future], timeout=_POLL).done:
        if STOP.requested:
            future.cancel()  # kills the worker
            STOP.check()
    try:
        return future.result()
    except FutureTimeout:
        raise OverBudget(
            f"gave up {what} after {seconds:g}s (parse_seconds): the document is too large or too deeply nested"
        ) from None
    except ProcessExpired as exc:
        raise WorkerCrashed(f"the worker {what} the document crashed (exit code {exc.exitcode})") from None
    except CancelledError:
        STOP.check()
        raise
