"""What a run tells while it goes: one task per stage, with counts and an ETA.

The library is silent unless asked (``progress=`` of :func:`dedupe.scan` and
:func:`dedupe.clean`); the command line asks, on standard error only
(standard output may carry ``--json``):

* :class:`RichProgress` on a terminal: a bar per stage, with counts, elapsed
  time and ETA;
* :class:`LogProgress` otherwise (a log file, a batch job): plain lines such
  as ``dedupe: blocks 12,000/50,000 documents (24%) 10.1s, ETA 32s``, at
  most one per stage every ten seconds, and a line when a stage ends (a
  step inside a stage, only if it wrote one before). A run that finishes
  within a second prints none.

Any callable ``fn(stage, done, total)`` can stand in for a reporter
(:func:`as_progress`); ``total`` is None for a stage that cannot count.

A long stage tells its steps as sub-stages of its own, named
``"stage · step"`` (``"boilerplate · copy evidence"``, ``"syndication ·
passages"``), each with its counts and so its ETA: the boilerplate and
syndication stages of a million-page run take tens of minutes each, and
would otherwise say nothing between "started" and "done".
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterator, Optional, TextIO, Union

__all__ = [
    "Progress", "Task", "LogProgress", "RichProgress", "Callback", "as_progress", "for_stderr", "monotonic",
    "INTERVAL", "QUIET_FOR",
]


class Task:
    """One stage under way: :meth:`advance` it as items are done."""

    __slots__ = ("_progress", "stage")

    def __init__(self, progress: "Progress", stage: str):
        self._progress = progress
        self.stage = stage

    def advance(self, n: int = 1) -> None:
        self._progress.advance(self.stage, n)


class Progress:
    """A silent reporter; the base of the others.

    A stage is told with :meth:`start`, :meth:`advance` (any number of
    times) and :meth:`end`; ``reused=True`` when its result came from the
    work folder (:mod:`dedupe.checkpoint`) rather than being computed.
    """

    def start(self, stage: str, total: Optional[int], unit: str) -> None:
        """A stage begins; ``total`` items of ``unit`` (None: it cannot count)."""

    def advance(self, stage: str, n: int) -> None:
        """``n`` more items of the stage are done."""

    def end(self, stage: str, reused: bool = False) -> None:
        """The stage is done (or was loaded from the work folder)."""

    def close(self) -> None:
        """No more stages: release the terminal."""

    def start_task(self, name: str, total: Optional[int] = None, unit: str = "") -> Task:
        """``start`` the stage and return its :class:`Task` (``end`` it when done): for a stage
        that ends inside a loop, where :meth:`stage`'s block does not fit."""
        self.start(name, total, unit)
        return Task(self, name)

    @contextmanager
    def stage(self, name: str, total: Optional[int] = None, unit: str = "") -> Iterator[Task]:
        """``start`` the stage, yield its :class:`Task`, and ``end`` it when the block completes."""
        self.start(name, total, unit)
        yield Task(self, name)
        self.end(name)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Callback(Progress):
    """Calls ``fn(stage, done, total)`` at the start, on every advance, and at the end of each stage."""

    def __init__(self, fn: Callable[[str, int, Optional[int]], None]):
        self._fn = fn
        self._done: dict[str, int] = {}
        self._total: dict[str, Optional[int]] = {}

    def start(self, stage: str, total: Optional[int], unit: str) -> None:
        self._done[stage], self._total[stage] = 0, total
        self._fn(stage, 0, total)

    def advance(self, stage: str, n: int) -> None:
        self._done[stage] += n
        self._fn(stage, self._done[stage], self._total[stage])

    def end(self, stage: str, reused: bool = False) -> None:
        total = self._total.get(stage)
        done = total if total is not None else self._done.get(stage, 0)
        self._fn(stage, done, total)


def as_progress(progress: Union[None, Progress, Callable]) -> Progress:
    """A :class:`Progress` from what a caller gave: None (silent), a reporter, or a callable."""
    if progress is None:
        return Progress()
    if isinstance(progress, Progress):
        return progress
    if callable(progress):
        return Callback(progress)
    raise TypeError(
        f"The 'progress' parameter must be a dedupe.progress.Progress or a callable(stage, done, total). "
        f"Got {progress!r} instead."
    )


#: Seconds between two plain lines about one stage, and the seconds a run
#: stays silent at first (:class:`LogProgress`). At ten seconds a log of a
#: run of minutes stays readable: five gave a six-second run 35 lines.
INTERVAL = 10.0
QUIET_FOR = 1.0


def monotonic() -> float:
    """The time :class:`LogProgress` spaces its lines by, in seconds
    (``time.monotonic``; a test replaces it to make a run last minutes)."""
    return time.monotonic()


def _seconds(s: float) -> str:
    if s < 60:
        return f"{s:.1f}s"
    m, s = divmod(int(s + 0.5), 60)
    return f"{m}m{s:02d}s" if m < 60 else f"{m // 60}h{m % 60:02d}m"


class _State:
    __slots__ = ("total", "unit", "done", "started", "last_line")

    def __init__(self, total: Optional[int], unit: str, now: float):
        self.total, self.unit, self.done, self.started, self.last_line = total, unit, 0, now, None


class LogProgress(Progress):
    """Plain progress lines, for a stream that is not a terminal.

    A stage writes a line once ``interval`` seconds have passed since it
    started or since its last line, and a line when it ends: a stage of
    ``t`` seconds writes at most ``1 + t / interval`` lines. A step inside
    a stage (``"boilerplate · pairs"``) writes its end only after a line of
    its own, so the many short steps of a run say nothing.

    Parameters
    ----------
    stream : text stream
    interval : float, optional
        Seconds between two lines about one stage (:data:`INTERVAL`).
    quiet_for : float, optional
        A run is silent for its first ``quiet_for`` seconds (:data:`QUIET_FOR`): a stage that
        ends within them prints nothing, so a small run's standard error is
        its summary alone. A stage reused from the work folder always says so.
    clock : callable, optional
        Returns seconds (:func:`monotonic`; tests pass their own).
    """

    def __init__(
        self, stream: TextIO, interval: Optional[float] = None, quiet_for: Optional[float] = None,
        clock: Optional[Callable[[], float]] = None,
    ):
        self._stream = stream
        self._interval = INTERVAL if interval is None else interval
        self._quiet_for = QUIET_FOR if quiet_for is None else quiet_for
        self._clock = clock or monotonic
        self._began = self._clock()
        self._stages: dict[str, _State] = {}

    def _line(self, text: str) -> None:
        self._stream.write(f"dedupe: {text}\n")
        self._stream.flush()

    def _counts(self, st: _State) -> str:
        unit = f" {st.unit}" if st.unit else ""
        if st.total is None:
            return f"{st.done:,}{unit}" if st.done else ""
        share = f" ({st.done / st.total:.0%})" if st.total else ""
        return f"{st.done:,}/{st.total:,}{unit}{share}"

    def start(self, stage: str, total: Optional[int], unit: str) -> None:
        # No line: the one it writes when it ends says what it did, and a
        # line at both ends made two lines of every short stage.
        self._stages[stage] = _State(total, unit, self._clock())

    def advance(self, stage: str, n: int) -> None:
        st = self._stages[stage]
        st.done += n
        now = self._clock()
        since = now - (st.last_line if st.last_line is not None else st.started)
        if since < self._interval:
            return
        st.last_line = now
        elapsed = now - st.started
        eta = ""
        if st.total and 0 < st.done < st.total:
            eta = f", ETA {_seconds(elapsed * (st.total - st.done) / st.done)}"
        self._line(f"{stage} {self._counts(st)} {_seconds(elapsed)}{eta}")

    def end(self, stage: str, reused: bool = False) -> None:
        st = self._stages.pop(stage, None)
        if reused:
            self._line(f"{stage} reused from the work folder")
            return
        if st is None:
            return
        now = self._clock()
        if st.last_line is None and (now - self._began < self._quiet_for or " \u00b7 " in stage):
            return
        done = st.total if st.total is not None else st.done
        counts = f": {done:,}{' ' + st.unit if st.unit else ''}" if done else ""
        self._line(f"{stage} done{counts} in {_seconds(now - st.started)}")


class RichProgress(Progress):
    """A bar per stage on a terminal (:mod:`rich.progress`): counts, elapsed time and ETA."""

    def __init__(self, console=None):
        from rich.console import Console
        from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
        from rich.progress import Progress as _Bars

        self._bars = _Bars(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            TextColumn("{task.fields[counts]}"),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
        )
        self._tasks: dict[str, int] = {}
        self._state: dict[str, _State] = {}
        self._started = False

    @staticmethod
    def _counts(st: _State) -> str:
        if st.total is None:
            return ""
        return f"{st.done:,}/{st.total:,}{' ' + st.unit if st.unit else ''}"

    def start(self, stage: str, total: Optional[int], unit: str) -> None:
        if not self._started:
            self._bars.start()
            self._started = True
        st = self._state[stage] = _State(total, unit, 0.0)
        self._tasks[stage] = self._bars.add_task(stage, total=total, counts=self._counts(st))

    def advance(self, stage: str, n: int) -> None:
        st = self._state[stage]
        st.done += n
        self._bars.update(self._tasks[stage], advance=n, counts=self._counts(st))

    def end(self, stage: str, reused: bool = False) -> None:
        if stage not in self._tasks:
            self.start(stage, None, "")
        task, st = self._tasks.pop(stage), self._state.pop(stage)
        if st.total is not None:
            st.done = st.total
        description = f"{stage} (reused)" if reused else stage
        total = st.total if st.total is not None else 1
        self._bars.update(task, description=description, total=total, completed=total, counts=self._counts(st))
        self._bars.stop_task(task)

    def close(self) -> None:
        if self._started:
            self._bars.stop()
            self._started = False


def for_stderr(quiet: bool = False, stream: Optional[TextIO] = None) -> Progress:
    """The command line's reporter: bars on a terminal, lines otherwise, nothing when ``quiet``."""
    if quiet:
        return Progress()
    stream = stream or sys.stderr
    from rich.console import Console

    console = Console(file=stream, highlight=False)
    if console.is_terminal and not console.is_dumb_terminal:
        return RichProgress(console)
    return LogProgress(stream)
