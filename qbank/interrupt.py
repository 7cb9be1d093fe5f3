"""Stopping a run on request: SIGTERM or Ctrl-C set one process-wide flag that every long wait checks.

Signals reach a process, not a run, so the flag is process-wide: `STOP`. The ingest flow installs the
signal handlers (`qbank.runners.stop_on_signals`); the stages only look at the flag:

    STOP.check()          raises `Interrupted` once a stop was requested
    STOP.sleep(seconds)   waits, but raises `Interrupted` at once when a stop is requested meanwhile

Network reads, retry and politeness waits and the parser sandbox use them, so a worker thread ends
within a fraction of a second of a stop and the run can load what had finished.
"""

from __future__ import annotations

import signal
import threading


class Interrupted(BaseException):
    """The run was asked to stop (SIGTERM, Ctrl-C). A BaseException, like KeyboardInterrupt, so that the
    `except Exception` nets that turn a bad source into a Failure let it through."""

    def __init__(self, signal_name: str = "stop request", loaded: bool = False) -> None:
        super().__init__(f"interrupted by {signal_name}")
        self.signal_name = signal_name
        self.loaded = loaded  # the run's load had committed when the signal came

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 + the signal number (130 for Ctrl-C, 143 for SIGTERM)."""
        return exit_code_for(self.signal_name)


def exit_code_for(signal_name: str) -> int:
    try:
        return 128 + int(signal.Signals[signal_name])
    except KeyError:
        return 130


class StopFlag:
    """Set once by a signal handler; read by any thread."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signal_name: str | None = None

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def request(self, signal_name: str) -> None:
        if not self._event.is_set():
            self.signal_name = signal_name
            self._event.set()

    def clear(self) -> None:
        self.signal_name = None
        self._event.clear()

    def check(self) -> None:
        """Raise `Interrupted` if a stop was requested."""
        if self._event.is_set():
            raise Interrupted(self.signal_name or "stop request")

    def sleep(self, seconds: float) -> None:
        """`time.sleep` that a stop request cuts short (by raising `Interrupted`)."""
        if self._event.wait(max(0.0, seconds)):
            self.check()


STOP = StopFlag()
