"""Where ``dedupe clean`` reaches its peak memory: resident memory sampled
as the run goes, with the Python stack of the moment at each new high.

    python benchmarks/memtrace.py CORPUS --out DIR [--every 0.02] [--arrays N] [-- dedupe clean options]

``benchmarks/speed.py`` says how high a run's memory goes; this says where.
The run is ``dedupe clean CORPUS -o DIR/clean --report DIR/report.json
--work-dir DIR/work`` (left out with ``-- --no-checkpoint``) in this process, and a thread reads the resident
memory of this process and of its worker processes (``/proc``, Linux only)
every ``--every`` seconds. Each time the total passes its highest so far by
``--step`` MB, the main thread's stack is kept (the frames inside
``dedupe``). At the end it prints the peak, then each stack that was the
peak's last step up, the highest first: a profile of the high-water marks,
cheap enough to run at a million pages (a memory profiler that records
every allocation is not: ``memray`` slowed 200k pages about twofold).

``--arrays N`` also names, at each new high, the ``N`` largest numpy
arrays alive (what holds them: an object's attribute, a container, a local
of a running ``dedupe`` frame), for the plateau a run sits on rather
than the spike on top of it; finding them walks every object Python
tracks, so a run with it is slower.

Sampling can miss a spike shorter than ``--every``; ``VmHWM``, the
kernel's high-water mark for this process, is printed beside the sampled
peak so a missed one shows.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _status_kb(pid: str, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    """This process's children, their children and so on (``/proc/<pid>/task/*/children``)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                with open(f"/proc/{p}/task/{t}/children") as f:
                    kids = [int(k) for k in f.read().split()]
            except OSError:
                kids = []
            found += kids
            todo += kids
    return found


def _stack(frame) -> tuple[str, ...]:
    """The frames of ``frame``'s stack inside the dedupe package, innermost first."""
    out = []
    while frame is not None:
        code = frame.f_code
        if "/dedupe/" in code.co_filename.replace(os.sep, "/"):
            out.append(f"{Path(code.co_filename).name}:{frame.f_lineno} {code.co_name}")
        frame = frame.f_back
    return tuple(out)


def _holders(arrays: dict[int, list], obj, where: str) -> None:
    """Note in ``arrays`` each numpy array ``obj`` refers to (at its base), as held by ``where``."""
    import numpy as np

    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple)):
        items = ((f"[{i}]", v) for i, v in enumerate(obj))
    else:
        items = ((f"{type(obj).__name__}.?", v) for v in gc.get_referents(obj))
    for key, value in items:
        if isinstance(value, np.ndarray):
            root = value
            while isinstance(root.base, np.ndarray):
                root = root.base
            arrays.setdefault(id(root), [root.nbytes, f"{root.dtype}{list(root.shape)}"]).append(f"{where}{key}")


def live_arrays(main_frame, top: int, floor: int = 1 << 20) -> list[str]:
    """The ``top`` largest numpy arrays alive (at least ``floor`` bytes, views
    counted once, at their base), each with what holds it; then what all
    arrays and ``bytes`` objects hold together."""
    arrays: dict[int, list] = {}
    frame = main_frame
    while frame is not None:
        code = frame.f_code
        if "/dedupe/" in code.co_filename.replace(os.sep, "/"):
            _holders(arrays, dict(frame.f_locals), f"{code.co_name}:")
        frame = frame.f_back
    strings = {}
    for obj in gc.get_objects():
        if isinstance(obj, dict):
            _holders(arrays, obj, "{}.")
        elif isinstance(obj, (list, tuple)):
            _holders(arrays, obj, f"{type(obj).__name__}")
        else:
            _holders(arrays, obj, "")
        for value in obj.values() if isinstance(obj, dict) else obj if isinstance(obj, (list, tuple)) else ():
            if isinstance(value, (bytes, str)) and len(value) >= 4096:
                strings[id(value)] = sys.getsizeof(value)
    small = sum(a[0] for a in arrays.values() if a[0] < floor)
    n_small = sum(1 for a in arrays.values() if a[0] < floor)
    arrays = {k: a for k, a in arrays.items() if a[0] >= floor}
    out = []
    for nbytes, what, *held in sorted(arrays.values(), key=lambda a: -a[0])[:top]:
        names = sorted(set(held))
        out.append(f"{nbytes / (1 << 20):8.0f} MB  {what:<24} {', '.join(names[:3])}{' …' if len(names) > 3 else ''}")
    total = sum(a[0] for a in arrays.values())
    status = {f: _status_kb("self", f) >> 10 for f in ("RssAnon", "RssFile", "RssShmem")}
    out.append(
        f"{total / (1 << 20):8.0f} MB  in {len(arrays)} arrays of {floor >> 20} MB or more, "
        f"{small / (1 << 20):.0f} MB in {n_small:,} smaller, {sum(strings.values()) / (1 << 20):.0f} MB "
        f"in {len(strings):,} str and bytes of 4 kB or more; "
        f"{sys.getallocatedblocks():,} Python blocks; " + ", ".join(f"{k} {v:,} MB" for k, v in status.items())
    )
    return out


class Sampler(threading.Thread):
    """Reads the resident memory of this process tree every ``every`` seconds;
    keeps the main thread's stack at each rise of ``step`` bytes past the peak."""

    def __init__(self, every: float, step: int, arrays: int = 0):
        super().__init__(name="memtrace", daemon=True)
        self.every, self.step, self.arrays = every, step, arrays
        self.main = threading.main_thread().ident
        self.peak = 0
        self.peak_main = 0
        self.rises: list[tuple[int, int, tuple[str, ...]]] = []  # (total, this process, stack)
        self.held: dict[tuple[str, ...], list[str]] = {}  # stack -> its largest live arrays (--arrays)
        self.done = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        mark = 0
        while not self.done.is_set():
            own = _status_kb(str(me), "VmRSS") * 1024
            total = own + sum(_status_kb(str(p), "VmRSS") * 1024 for p in _descendants(me))
            self.peak_main = max(self.peak_main, own)
            if total > self.peak:
                self.peak = total
                if total >= mark + self.step:
                    frame = sys._current_frames().get(self.main)
                    stack = _stack(frame)
                    self.rises.append((total, own, stack))
                    if self.arrays:
                        self.held[stack] = live_arrays(frame, self.arrays)
                    mark = total
                    del frame
            time.sleep(self.every)


def report(sampler: Sampler, top: int) -> str:
    gb = 1 << 30
    lines = [
        f"peak resident memory, sampled: {sampler.peak / gb:.2f} GB in all, "
        f"{sampler.peak_main / gb:.2f} GB in the main process "
        f"(its kernel high-water mark, VmHWM: {_status_kb('self', 'VmHWM') / (1 << 20):.2f} GB)",
        "",
        "each rise to a new high, highest first (total GB, main GB, where the main process was):",
    ]
    # The last rise within each distinct stack is the highest it reached.
    best: dict[tuple[str, ...], tuple[int, int]] = {}
    for total, own, stack in sampler.rises:
        if stack not in best or total > best[stack][0]:
            best[stack] = (total, own)
    for stack, (total, own) in sorted(best.items(), key=lambda kv: -kv[1][0])[:top]:
        where = " <- ".join(stack[:4]) or "(outside dedupe)"
        lines.append(f"{total / gb:6.2f} {own / gb:6.2f}  {where}")
        lines += [f"         {line}" for line in sampler.held.get(stack, [])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1 :]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("--out", required=True, help="folder for the cleaned corpus, report and work folder")
    ap.add_argument("--every", type=float, default=0.02, help="seconds between samples")
    ap.add_argument("--step", type=float, default=32, help="MB past the peak before a stack is kept again")
    ap.add_argument("--top", type=int, default=15, help="stacks printed")
    ap.add_argument("--arrays", type=int, default=0, help="largest live numpy arrays named at each high (0: none)")
    args = ap.parse_args(argv)
    if not Path("/proc/self/status").exists():
        print("memtrace reads /proc: Linux only", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(REPO))
    from dedupe.cli import main as dedupe_main

    sampler = Sampler(args.every, int(args.step * (1 << 20)), args.arrays)
    sampler.start()
    cmd = ["clean", args.corpus, "-o", str(out / "clean"), "--report", str(out / "report.json")]
    if "--no-checkpoint" not in extra:  # the two contradict each other
        cmd += ["--work-dir", str(out / "work")]
    cmd += extra
    status = 0
    try:
        dedupe_main(cmd, prog_name="dedupe", standalone_mode=False)
    except SystemExit as stop:
        status = stop.code or 0
    finally:
        sampler.done.set()
        sampler.join()
    print(report(sampler, args.top))
    return int(status) if isinstance(status, int) else 1


if __name__ == "__main__":
    sys.exit(main())
