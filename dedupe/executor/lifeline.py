"""Worker processes that die with their run, and the temporary folders of runs that died.

A run killed outright (``kill -9``, the out-of-memory killer) runs no
clean-up of its own, and what it started outlives it unless told otherwise:
a worker waits for chunks on a queue whose writing end it holds itself, the
fork server lives while a worker holds its "alive" pipe, and the resource
tracker while either holds its pipe (issue #26: the three stayed 80 s and
more, a worker with 350 MB). So a worker is tied to its run twice:

* on Linux, the kernel kills it when its parent dies
  (``prctl(PR_SET_PDEATHSIG, SIGKILL)``). That fires on the death of the
  *thread* that started the process: a worker's parent is the fork server
  (one thread), and the fork server, started from the run's main thread,
  is tied the same way (:mod:`dedupe.executor._forkserver`), so a killed run takes
  the server, the server its workers, and the tracker, left with no writer,
  ends;
* everywhere, a watchdog thread in the worker (:func:`watch`) ends it once
  the run's process is gone, for the cases the first cannot cover (another
  system, a server started from another thread, a parent that died before
  the worker was tied).

A run's temporary folders (multiprocessing's ``pymp-*``, which holds the
fork server's socket, through a marker; spilled shards) are named with the
run's process id, so a later run removes those whose process is gone
(:func:`sweep_temp`), never a live run's.
"""

from __future__ import annotations

import ctypes
import multiprocessing.util
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import spill

__all__ = ["RUN_PREFIX", "die_with_parent", "watch", "run_tempdir", "sweep_temp"]

#: A run's mark on its multiprocessing folder: ``dedupe-run-<pid>-pymp-<random>``.
RUN_PREFIX = "dedupe-run-"
_MP_PREFIX = "pymp-"
# prctl(2) option: the signal this process gets when its parent thread dies.
_PR_SET_PDEATHSIG = 1
# How often the watchdog looks for the run's process: a killed run's workers
# are gone within about this long where the kernel does not end them first.
_WATCH_SECONDS = 0.5


def die_with_parent() -> bool:
    """Have the kernel kill this process when the thread that started it dies
    (Linux only); False where that cannot be asked for."""
    if not sys.platform.startswith("linux"):
        return False
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent:  # the parent died before the kernel was told: nothing would fire
        os._exit(1)
    return True


def watch(run_pid: int, interval: float = _WATCH_SECONDS) -> threading.Thread:
    """End this process once ``run_pid`` (the run's process) or this process's
    parent is gone: a daemon thread that looks every ``interval`` seconds."""
    parent = os.getppid()

    def look() -> None:
        while not spill.gone(run_pid) and os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)  # nothing of a dead run's is worth finishing or cleaning up here

    thread = threading.Thread(target=look, name="dedupe-watchdog", daemon=True)
    thread.start()
    return thread


def run_tempdir() -> Path:
    """Multiprocessing's temporary folder for this process (``pymp-<random>``,
    which holds the fork server's socket), marked as this process's.

    Multiprocessing's own name tells nothing of its owner, so beside it goes
    an empty folder ``dedupe-run-<pid>-pymp-<random>`` (a marker, not a
    parent: a socket's path must stay short), removed at exit after
    multiprocessing has removed its own; a later run removes both once the
    process is gone (:func:`sweep_temp`).
    """
    folder = Path(multiprocessing.util.get_temp_dir())
    marker = folder.parent / f"{RUN_PREFIX}{os.getpid()}-{folder.name}"
    if folder.name.startswith(_MP_PREFIX) and not marker.exists():
        try:
            marker.mkdir()
        except OSError:
            return folder  # unmarked, as multiprocessing leaves it
        # multiprocessing removes its folder at exit with priority -100; the marker goes after it.
        multiprocessing.util.Finalize(None, shutil.rmtree, args=(str(marker),), kwargs={"ignore_errors": True}, exitpriority=-101)
    return folder


def sweep_temp() -> list[Path]:
    """Remove what runs whose process is gone left in the system's temporary
    folder (spilled shards without a work folder, multiprocessing's folders
    marked by :func:`run_tempdir`); return what was removed."""
    root = Path(tempfile.gettempdir())
    gone = spill.sweep(root)
    for marker in spill.sweep(root, RUN_PREFIX):
        gone.append(marker)
        owned = root / marker.name[len(RUN_PREFIX) :].partition("-")[2]
        if owned.name.startswith(_MP_PREFIX) and owned.is_dir() and not owned.is_symlink():
            shutil.rmtree(owned, ignore_errors=True)
            gone.append(owned)
    return gone
