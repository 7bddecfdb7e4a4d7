"""The whole run against what a user would cobble together (``speed.py``'s
"whole run" section).

On one generated corpus, each a child process (``procs.run_watched``):
``dedupe clean`` with the defaults (the learned block model among them) on
one core and on every core, and with the repetition rule alone
(``--block-model none``) on every core; rensa's document pass the
way its README shows it, and cc_net's line rule followed by that pass
(``peers.py``); then dedupe's time per stage, from its progress lines.
The ratios are what to read: all rows run one after the other on the
same machine in the same run.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from corpus import CorpusSpec, ensure_jsonl
from procs import Watched, run_watched

HERE = Path(__file__).resolve().parent
#: What the speed issue asks: dedupe within these multiples of each peer.
GOALS = {"rensa": 3.0, "ccnet-rensa": 1.5}
_DONE = re.compile(r"^dedupe: (.+?) done(?:: .*?)? in ([0-9.]+)s$")


def _dedupe(corpus: Path, out: Path, log: Path, jobs: int, timeout: float, max_rss_mb: float, *extra: str) -> Watched:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-c", "from dedupe.cli import main; main()", "clean", str(corpus), "-o", str(out)]
    cmd += ["--report", str(out) + ".json", "-j", str(jobs), "--no-checkpoint", *extra]
    return run_watched(cmd, log, timeout, max_rss_mb, ok_codes=(0, 1), cwd=HERE.parent)


def _peer(how: str, corpus: Path, out: Path, log: Path, timeout: float, max_rss_mb: float) -> Watched:
    cmd = [sys.executable, str(HERE / "peers.py"), how, str(corpus), str(out)]
    return run_watched(cmd, log, timeout, max_rss_mb, cwd=HERE.parent)


def stage_times(log: Path) -> list[tuple[str, float]]:
    """``(stage, seconds)`` from a run's plain progress lines, in order."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        m = _DONE.match(line.strip())
        if m:
            found.append((m.group(1), float(m.group(2))))
    return found


def section(pages: int, seed: int, work: Path, timeout: float, max_rss_gb: float) -> None:
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / f"corpus-{pages}-seed{seed}"
    ensure_jsonl(CorpusSpec(pages, seed), corpus)
    mb = sum(p.stat().st_size for p in corpus.glob("*.jsonl")) / 1e6
    limit = max_rss_gb * 1024
    rows = [
        ("dedupe clean -j 1", _dedupe(corpus, work / "whole-j1", work / "whole-j1.log", 1, timeout, limit)),
        ("dedupe clean -j 2", _dedupe(corpus, work / "whole-j2", work / "whole-j2.log", 2, timeout, limit)),
        (
            "dedupe clean -j 2, rule alone",
            _dedupe(corpus, work / "rule-j2", work / "rule-j2.log", 2, timeout, limit, "--block-model", "none"),
        ),
        ("rensa document pass (README)", _peer("rensa", corpus, work / "rensa.jsonl", work / "rensa.log", timeout, limit)),
        (
            "cc_net line rule + that pass",
            _peer("ccnet-rensa", corpus, work / "ccnet.jsonl", work / "ccnet.log", timeout, limit),
        ),
    ]
    print(f"\n== Whole run on {pages:,} generated pages ({mb:,.0f} MB JSONL), each a child process ==")
    head = f"{'run':<32} {'status':<8} {'wall s':>7} {'cpu s':>7} {'peak PSS MB':>11} {'dedupe -j 2 is':>15}"
    print(head + "\n" + "-" * len(head))
    ours = rows[1][1].wall
    for name, w in rows:
        ratio = f"{ours / w.wall:.1f}x" if w.status == "ok" and w.wall > 0 else "—"
        print(f"{name:<32} {w.status:<8} {w.wall:>7.1f} {w.cpu:>7.1f} {w.peak_rss_mb:>11,.0f} {ratio:>15}")
    for label, mine in (("the defaults", ours), ("the rule alone", rows[2][1].wall)):
        for (name, w), goal in zip(rows[3:], GOALS.values()):
            verdict = "met" if w.status == "ok" and mine <= goal * w.wall else "not met"
            print(f"goal: dedupe clean -j 2 ({label}) within {goal:g}x of '{name}': {verdict} ({mine / max(w.wall, 1e-9):.1f}x)")
    print("(rensa and cc_net run on one core; they keep every template line rensa cannot see, and report nothing)")
    print("\ndedupe clean -j 2, time per stage (its progress lines):")
    for stage, seconds in stage_times(work / "whole-j2.log"):
        print(f"  {stage:<36} {seconds:>6.1f} s")
