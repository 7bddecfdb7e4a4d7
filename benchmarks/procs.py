"""A command run as a child and watched: its wall and CPU time, and the
peak resident memory of it and its worker processes (Linux ``/proc``)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import NamedTuple, Sequence

__all__ = ["Watched", "status_mb", "process_tree", "run_watched"]


class Watched(NamedTuple):
    status: str  # "ok", "exit N", "timeout" or "over memory limit"
    returncode: int
    wall: float
    cpu: float  # user + system, of the child and the processes it waited for
    peak_rss_mb: float


def status_mb(pid: int, field: str) -> float:
    """A ``/proc/<pid>/status`` memory field (VmRSS, VmHWM) in MB; 0 once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pss_mb(pid: int) -> float:
    """A process's proportional set size in MB (``/proc/<pid>/smaps_rollup``):
    its resident pages, each shared page divided among the processes sharing
    it, so that summed over a tree of forked workers (Spark's Python daemon
    forks its workers) shared pages count once, where a sum of RSS counts
    them once a process. VmRSS where the kernel has no ``smaps_rollup``."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return status_mb(pid, "VmRSS")
    return 0.0


def process_tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (worker processes of a parallel run)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def run_watched(
    cmd: Sequence[str], log: Path, timeout: float, max_rss_mb: float, ok_codes: Sequence[int] = (0,), cwd=None
) -> Watched:
    """Run ``cmd``, its stderr to ``log``; stop it past ``timeout`` seconds or ``max_rss_mb``.

    The peak is the largest sum of the tree's PSS seen (:func:`pss_mb`, polled every 50 ms),
    or the child's own high-water mark (VmHWM) if larger. (``wait4``'s
    ``ru_maxrss`` would count this process's memory, which the child had
    until exec.)
    """
    start = time.perf_counter()
    stopped, peak = None, 0.0
    with open(log, "wb") as err:
        # A session of its own, so stopping it stops its workers too.
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        while True:
            rss = sum(pss_mb(p) for p in process_tree(proc.pid))
            peak = max(peak, rss, status_mb(proc.pid, "VmHWM"))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout:
                stopped = "timeout"
            elif rss > max_rss_mb:
                stopped = "over memory limit"
            if stopped:
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if stopped is None:
        stopped = "ok" if code in ok_codes else f"exit {code} (see {log.name})"
    return Watched(stopped, code, wall, usage.ru_utime + usage.ru_stime, peak)
