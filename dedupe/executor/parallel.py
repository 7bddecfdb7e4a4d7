"""Run a step over contiguous chunks of its items, in worker processes and in this one.

A step is a function of one chunk (documents ``[start, end)``, say) whose
result depends on that chunk's items alone; :meth:`Workers.map` cuts the
items into chunks of about equal weight (characters of text, bytes of
input), runs the step on each, and returns the results in chunk order. The
caller concatenates them, so the output is the same for any number of
jobs and any chunking.

``jobs`` processes work on a step: this one and ``jobs - 1`` workers. The
workers take chunks from the front while this process takes them from the
back, so a step never waits for workers to start (each costs about a
second: it imports dedupe), and a small step (under about a second of
work, see :data:`MIN_CHUNK`) runs here alone. Workers start from a fork server
(``spawn`` where there is none): never a fork of this process, which may
hold threads (a progress bar's, the caller's) and their locks. As with any
such workers, a script that starts them runs its work under
``if __name__ == "__main__":``. They ignore Ctrl-C: this process takes it,
and stops them.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import warnings
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_for
from typing import Any, Callable, Iterator, Optional, Sequence

import numpy as np

from ..progress import Task
from . import lifeline, malloc

__all__ = ["MIN_CHUNK", "MAX_CHUNK", "JobsWarning", "Workers", "usable_cpus", "resolve_jobs", "plan"]

#: Least weight of a chunk, in characters of text through the blocks stage
#: (segmenting and normalising, the heaviest step per character: tens of
#: MB/s) or the same amount of other work: some tens of milliseconds, many
#: times what sending a chunk and its result between processes costs.
MIN_CHUNK = 1 << 18
# A step is shared out only with this many chunks or more (about a second of
# work): less is done here before a worker has started.
_MIN_CHUNKS_SHARED = 32
# Chunks per process: small enough that a worker starting late (or a slow
# chunk) leaves little for the others to wait for; and chunks of a step run
# here alone, so its progress moves.
_CHUNKS_PER_JOB = 16
_LOCAL_CHUNKS = 32
#: Most weight of a chunk: what one chunk's step holds at once (its text,
#: shingles and signatures) stays some hundreds of MB however large the
#: corpus.
MAX_CHUNK = 1 << 24


def usable_cpus() -> int:
    """Cores this process may run on (its CPU affinity where the system tells it)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class JobsWarning(UserWarning):
    """More jobs were asked for than there are usable cores: the run uses as
    many as there are cores."""


def resolve_jobs(jobs: Optional[int]) -> int:
    """The number of processes at work: ``jobs``, at most every usable core;
    every usable core for None or 0.

    More processes than cores make no step faster, and each worker holds a
    chunk's text, shingles and signatures (hundreds of MB): ``-j 1000`` on two
    cores took 4.5 GB in three seconds (issue #26). A larger ``jobs`` is cut
    to the cores with a :class:`JobsWarning` that says so.

    Raises
    ------
    ValueError
        For anything but None or an int >= 0.
    """
    cores = usable_cpus()
    if jobs is None:
        return cores
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 0:
        raise ValueError(f"The 'jobs' parameter must be an int >= 1, or 0 for every usable core. Got {jobs!r} instead.")
    if jobs > cores:
        warnings.warn(
            f"{jobs} jobs asked for, but this process may use {cores} cores: running {cores}", JobsWarning, stacklevel=3
        )
        return cores
    return jobs or cores


def plan(weights: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Cut items into at most ``parts`` contiguous, non-empty ranges of about equal weight.

    Parameters
    ----------
    weights : ndarray, shape (n,)
        Non-negative weight of each item.
    parts : int

    Returns
    -------
    list of (int, int)
        ``(start, end)`` ranges covering ``0..n`` in order.
    """
    n = len(weights)
    if n == 0:
        return []
    parts = max(1, min(parts, n))
    cum = np.cumsum(np.asarray(weights, dtype=np.float64))
    targets = cum[-1] * np.arange(1, parts) / parts
    cuts = np.searchsorted(cum, targets, side="right")
    bounds = np.unique(np.concatenate([[0], cuts, [n]]))
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def _noop() -> int:
    return os.getpid()


def _start_worker(run_pid: int, tie: bool) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    malloc.lean()  # as the run's own process (dedupe.executor.malloc)
    # A killed run's workers die with it (dedupe.executor.lifeline). Only a fork server's
    # worker is tied by the kernel: a spawned one's parent is the run's thread
    # that started it (the warm-up thread, say), which ends long before the run.
    if tie:
        lifeline.die_with_parent()
    lifeline.watch(run_pid)


def _start(pool: ProcessPoolExecutor, n: int) -> None:
    try:
        for f in [pool.submit(_noop) for _ in range(n)]:
            f.result()
    except Exception:  # a pool that cannot start says so to the step that needs it
        pass


class Workers:
    """This process and a pool of worker processes (started on first need), shared by a run's steps.

    Parameters
    ----------
    jobs : int or None
        Processes at work: this one and ``jobs - 1`` workers; None or 0 for
        every usable core. 1 runs every step here alone.
    min_chunk : int
        Least weight of a chunk (:data:`MIN_CHUNK`); a step is shared out
        from 32 chunks of it up.

    Examples
    --------
    >>> with Workers(jobs=1) as workers:
    ...     workers.map(sum, np.ones(5), lambda a, b: (range(a, b),))
    [10]
    """

    def __init__(self, jobs: Optional[int] = None, min_chunk: int = MIN_CHUNK):
        self.jobs = resolve_jobs(jobs)
        if not isinstance(min_chunk, int) or isinstance(min_chunk, bool) or min_chunk < 1:
            raise ValueError(f"The 'min_chunk' parameter must be an int >= 1. Got {min_chunk!r} instead.")
        self.min_chunk = min_chunk
        #: Chunks run by worker processes so far (for tests and benchmarks).
        self.chunks_sent = 0
        self._executor: Optional[ProcessPoolExecutor] = None
        self._warming: Optional[threading.Thread] = None

    def would_split(self, total_weight: float) -> bool:
        """Whether a step of this total weight is shared with worker processes."""
        return self.jobs > 1 and total_weight >= _MIN_CHUNKS_SHARED * self.min_chunk

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
            # Multiprocessing's files (the fork server's socket) go in a folder a
            # later run can tell is a dead run's.
            lifeline.run_tempdir()
            if ctx.get_start_method() == "forkserver":
                # The server imports dedupe once, with numba made ready (dedupe.preload);
                # every worker is a fork of it. Started with Ctrl-C ignored, it and its
                # workers inherit that (no traceback from a worker, or from the
                # server's imports, when a person presses it).
                from multiprocessing import forkserver

                main_thread = threading.current_thread() is threading.main_thread()
                # Tied to the thread that starts it (dedupe.executor.lifeline): only the main
                # thread lives as long as the run.
                tied = ["dedupe.executor._forkserver"] if main_thread else []
                ctx.set_forkserver_preload([*tied, "dedupe.preload"])
                # None: a handler not set from Python (or not the main thread): left alone.
                previous = signal.getsignal(signal.SIGINT) if main_thread else None
                if previous is not None:
                    signal.signal(signal.SIGINT, signal.SIG_IGN)
                try:
                    forkserver.ensure_running()
                finally:
                    if previous is not None:
                        signal.signal(signal.SIGINT, previous)
            self._executor = ProcessPoolExecutor(
                max_workers=self.jobs - 1, mp_context=ctx, initializer=_start_worker,
                initargs=(os.getpid(), ctx.get_start_method() == "forkserver"),
            )
        return self._executor

    def warm_up(self, wait: bool = False) -> None:
        """Start the worker processes in the background (``wait``: and wait for them),
        so they are ready when a step needs them."""
        if self.jobs < 2:
            return
        if self._warming is None:
            pool = self._pool()
            self._warming = threading.Thread(
                target=_start, args=(pool, self.jobs - 1), name="dedupe-warm-up", daemon=True
            )
            self._warming.start()
        if wait:
            self._warming.join()

    def map(
        self,
        fn: Callable[..., Any],
        weights: Sequence[float],
        args: Callable[[int, int], tuple],
        task: Optional[Task] = None,
        counts: Optional[Sequence[int]] = None,
    ) -> list:
        """``fn(*args(start, end))`` for contiguous chunks of the items, in chunk order.

        Parameters
        ----------
        fn : callable
            A module-level function (worker processes import it by name).
        weights : array-like, shape (n_items,)
            Cost of each item; chunks are cut to about equal total weight.
        args : callable
            ``args(start, end)``: the arguments of ``fn`` for items ``[start, end)``.
        task : Task, optional
            Advanced as chunks finish, by their number of items (or ``counts``).
        counts : array-like, shape (n_items,), optional
            What each item counts for in ``task`` (default 1).

        Returns
        -------
        list
            One result per chunk, in item order; empty for no items.
        """
        split, chunks = self._chunks(weights, MAX_CHUNK)
        cum = np.concatenate([[0], np.cumsum(counts)]) if counts is not None else None

        def done(i: int) -> None:
            if task is not None:
                a, b = chunks[i]
                task.advance(int(cum[b] - cum[a]) if cum is not None else b - a)

        if not split or len(chunks) < 2:
            results = []
            for i, (a, b) in enumerate(chunks):
                results.append(fn(*args(a, b)))
                done(i)
            return results

        return self._share(fn, chunks, args, done)

    def _chunks(self, weights: Sequence[float], max_chunk: int) -> tuple[bool, list[tuple[int, int]]]:
        """Whether a step is shared with the workers, and its chunks."""
        weights = np.asarray(weights, dtype=np.float64)
        total = float(weights.sum())
        split = self.would_split(total)
        if split:
            parts = min(self.jobs * _CHUNKS_PER_JOB, int(total // self.min_chunk))
        else:
            parts = _LOCAL_CHUNKS if total >= self.min_chunk else 1
        return split, plan(weights, max(parts, int(np.ceil(total / max_chunk))))

    def imap(
        self,
        fn: Callable[..., Any],
        weights: Sequence[float],
        args: Callable[[int, int], tuple],
        task: Optional[Task] = None,
        max_chunk: int = MAX_CHUNK,
    ) -> Iterator[Any]:
        """:meth:`map`, yielding each chunk's result in chunk order as soon as
        it is its turn: a step whose results are the corpus itself (the read
        stage's documents) hands them on without holding them all.

        Chunks weigh at most ``max_chunk``; at most ``2 * jobs`` results wait
        to be taken at once. This process runs the next chunk itself while
        the one whose turn it is is still running in a worker, and every
        chunk until the workers have started.
        """
        split, chunks = self._chunks(weights, max_chunk)

        def done(i: int) -> None:
            if task is not None:
                task.advance(chunks[i][1] - chunks[i][0])

        if not split or len(chunks) < 2:
            for i, (a, b) in enumerate(chunks):
                result = fn(*args(a, b))
                done(i)
                yield result
            return
        self.warm_up()
        pool, warming = self._pool(), self._warming
        pending: dict[int, Any] = {}  # chunk -> Future, or the result this process computed
        claimed = 0
        try:
            for i in range(len(chunks)):
                while i not in pending or (isinstance(pending[i], Future) and not pending[i].done()):
                    waiting = sum(isinstance(v, Future) for v in pending.values())
                    # Chunks go to the workers once they have started: till then this
                    # process takes them in turn, rather than wait for its first result.
                    if claimed < len(chunks) and waiting < self.jobs - 1 and not warming.is_alive():
                        pending[claimed] = pool.submit(fn, *args(*chunks[claimed]))
                        claimed += 1
                    elif claimed < len(chunks) and len(pending) < 2 * self.jobs:
                        pending[claimed] = fn(*args(*chunks[claimed]))
                        claimed += 1
                    elif isinstance(pending.get(i), Future):
                        wait_for([pending[i]])
                result = pending.pop(i)
                if isinstance(result, Future):
                    result = result.result()
                    self.chunks_sent += 1
                done(i)
                yield result
        finally:
            for f in pending.values():
                if isinstance(f, Future):
                    f.cancel()

    def _share(self, fn, chunks: list[tuple[int, int]], args, done: Callable[[int], None]) -> list:
        """Run chunks in the workers, from the front, and here, from the back.

        A feeder thread hands the workers chunks once they have started, two
        each at a time; this thread takes the others and never waits for a
        worker while a chunk is left to take.
        """
        self.warm_up()
        pool, warming = self._pool(), self._warming
        results: list = [None] * len(chunks)
        futures: dict[int, Future] = {}
        ours = [False] * len(chunks)
        lock = threading.Lock()
        bounds = [0, len(chunks)]  # chunks [front, back) are nobody's yet
        failure: list[BaseException] = []

        def feed() -> None:
            warming.join()
            try:
                while True:
                    with lock:
                        in_flight = [f for f in futures.values() if not f.done()]
                    if len(in_flight) >= 2 * (self.jobs - 1):
                        wait_for(in_flight, return_when=FIRST_COMPLETED)
                        continue
                    with lock:  # claimed and submitted at once: a claimed chunk always has its future
                        if bounds[0] >= bounds[1]:
                            return
                        futures[bounds[0]] = pool.submit(fn, *args(*chunks[bounds[0]]))
                        bounds[0] += 1
            except BaseException as exc:  # the pool broke or shut down: the caller says so
                failure.append(exc)

        def collect(block: bool) -> None:
            with lock:
                mine = sorted(futures.items())
            for i, f in mine:
                if not ours[i] and (block or f.done()):
                    results[i] = f.result()
                    ours[i] = True
                    self.chunks_sent += 1
                    done(i)

        threading.Thread(target=feed, name="dedupe-feeder", daemon=True).start()
        try:
            while True:
                with lock:
                    if bounds[0] >= bounds[1]:
                        break
                    bounds[1] -= 1
                    i = bounds[1]
                results[i] = fn(*args(*chunks[i]))
                ours[i] = True
                done(i)
                collect(block=False)
            if failure:
                raise failure[0]
            collect(block=True)
        except BaseException:
            with lock:
                bounds[0] = bounds[1]  # nothing more for the feeder
                for f in futures.values():
                    f.cancel()
            raise
        return results

    def close(self, kill: bool = False) -> None:
        """Stop the worker processes (queued chunks are dropped).

        ``kill`` stops the chunks under way too, rather than waiting for
        them: after an error or Ctrl-C, their results are of no use.
        """
        if self._executor is None:
            return
        executor, self._executor, self._warming = self._executor, None, None
        if kill:
            terminate = getattr(executor, "terminate_workers", None)  # Python 3.14+
            if terminate is not None:
                terminate()
            else:
                for process in list((getattr(executor, "_processes", None) or {}).values()):
                    process.terminate()
        executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(kill=exc_type is not None)
