"""The local backend against the Spark backend on ``local[2]``, and how each grows.

Usage::

    python benchmarks/spark.py [--pages 10000 100000] [--work DIR] [--seed S] [--driver-memory 4g]

On each generated corpus (``corpus.py``), ``dedupe clean`` runs twice, each
a child process watched by ``procs.run_watched`` (wall and CPU time, the
peak memory of the whole process tree (PSS: a shared page counted once): the JVM and Spark's Python workers
included): ``-j 2`` on this machine, and ``--backend spark --spark-master
local[2]``, the same two cores. The outputs are compared byte for byte.
The table shows Spark's fixed cost (the JVM, the session, a job per step)
and, from the growth between sizes, whether it starts to pay on one
machine; on a cluster the executors add cores and memory that one machine
does not have.
"""

from __future__ import annotations

import argparse
import filecmp
import math
import shutil
import sys
from pathlib import Path

from corpus import CorpusSpec, ensure_jsonl
from procs import Watched, run_watched

HERE = Path(__file__).resolve().parent


def clean(corpus: Path, out: Path, backend: str, timeout: float, max_rss_mb: float, driver_memory: str) -> Watched:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "dedupe", "clean", str(corpus), "-o", str(out), "--report", str(out / "report.json")]
    cmd += ["-q", "--no-checkpoint", "-j", "2"]
    if backend == "spark":
        cmd += ["--backend", "spark", "--spark-master", "local[2]", "--spark-conf", f"spark.driver.memory={driver_memory}"]
    return run_watched(cmd, out.with_suffix(".log"), timeout, max_rss_mb, ok_codes=(0, 1), cwd=HERE.parent)


def same_files(a: Path, b: Path) -> bool:
    names = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file())
    if names != sorted(str(p.relative_to(b)) for p in b.rglob("*") if p.is_file()):
        return False
    return all(filecmp.cmp(a / n, b / n, shallow=False) for n in names)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--work", type=Path, default=Path("/tmp/dedupe-bench-spark"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=3 * 3600)
    ap.add_argument("--max-rss-gb", type=float, default=16)
    # local[2] runs driver and executors in one JVM: this is the heap of both.
    ap.add_argument("--driver-memory", default="4g")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    for pages in args.pages:
        corpus = args.work / f"corpus-{pages}-seed{args.seed}"
        ensure_jsonl(CorpusSpec(pages, args.seed), corpus)
        runs = {b: clean(corpus, args.work / f"{b}-{pages}", b, args.timeout, args.max_rss_gb * 1024, args.driver_memory) for b in ("local", "spark")}
        same = all(w.status == "ok" for w in runs.values()) and same_files(args.work / f"local-{pages}", args.work / f"spark-{pages}")
        rows.append((pages, runs, same))
    head = f"{'pages':>8} {'backend':<14} {'status':<8} {'wall s':>8} {'cpu s':>8} {'peak PSS MB':>11} {'spark/local':>11} {'same bytes':>10}"
    print(f"\n== dedupe clean, local -j 2 vs Spark local[2], each a child process ==\n{head}\n{'-' * len(head)}")
    for pages, runs, same in rows:
        local, spark = runs["local"], runs["spark"]
        ratio = f"{spark.wall / local.wall:.1f}x" if local.wall > 0 else "—"
        for name, w in runs.items():
            print(
                f"{pages:>8,} {name:<14} {w.status:<8} {w.wall:>8.1f} {w.cpu:>8.1f} {w.peak_rss_mb:>11,.0f} "
                f"{ratio if name == 'spark' else '':>11} {('yes' if same else 'NO') if name == 'spark' else '':>10}"
            )
    if len(rows) >= 2:
        (n0, r0, _), (n1, r1, _) = rows[0], rows[-1]
        for name in ("local", "spark"):
            growth = math.log(r1[name].wall / r0[name].wall) / math.log(n1 / n0)
            print(f"{name}: {r1[name].wall / r0[name].wall:.1f}x the time for {n1 / n0:.0f}x the pages (n^{growth:.2f})")
    return 0 if all(same for _, _, same in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
