"""The saved model on real pages: learn on the first half of a labelled
set, apply to the second half, and score both ways.

Usage::

    python benchmarks/learn.py [--set dragnet] [--jobs 1]

The set (``shared/benchdata/boilerplate/<set>.jsonl.gz``, found through
``DEDUPE_BENCHDATA`` as :mod:`quality` finds it) is converted and scored
exactly as ``benchmarks/quality.py`` does (its loading, corpus writing and
scoring functions; the README's metric), then split in two by page order:

* second half alone: ``dedupe.clean`` on the second half;
* second half with the model: ``dedupe learn`` on the first half, then
  ``dedupe.clean --model`` on the second half;
* whole run: ``dedupe.clean`` on both halves in one corpus, scored on the
  second half's pages (what the model should come close to).

It prints bag-of-words F1 (all pages, and pages whose site has 3+ pages in
the second half) and recall, and the wall times of learning, applying and
the whole run, each as a ratio of the whole run's, all measured in this
run. The check: F1 with the model >= F1 of the second half alone.
Exit code 1 when the check fails, 0 otherwise (also when the data is absent).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import quality  # noqa: E402  (benchmarks/quality.py: the metric)


def _kept(out_dir: Path, name: str) -> dict[str, str]:
    """The cleaned JSONL corpus ``name`` under ``out_dir``, by id."""
    kept = {}
    with open(out_dir / name, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                kept[str(rec["id"])] = rec.get("text") or ""
    return kept


def _timed(fn, *args, **kwargs) -> float:
    t = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="dragnet", choices=quality.ALL_SETS)
    parser.add_argument("--jobs", type=int, default=1, help="worker processes of every run (default 1)")
    args = parser.parse_args(argv)

    path = quality.benchdata_dir() / "boilerplate" / f"{args.set}.jsonl.gz"
    if not path.exists():
        print(f"no benchmark data at {path} (set DEDUPE_BENCHDATA to the benchdata folder); nothing measured")
        return 0
    import dedupe

    pages = quality.load_set(path, None, use_cache=True, comments=True)
    half = len(pages) // 2
    first, second = pages[:half], pages[half:]
    with tempfile.TemporaryDirectory(prefix="dedupe-learn-bench-") as tmp:
        root = Path(tmp)
        for name, part in (("first", first), ("second", second), ("whole", pages)):
            (root / name).mkdir()
            quality.write_corpus(part, root / name / f"{name}.jsonl")
        jobs = {"jobs": args.jobs}
        # Warm up (numba compiles on first use): not part of any timing.
        dedupe.scan([root / "first" / "first.jsonl"], limit=20, **jobs)

        t_whole = _timed(dedupe.clean, [root / "whole"], root / "out-whole", checkpoint=False, **jobs)
        t_alone = _timed(dedupe.clean, [root / "second"], root / "out-alone", checkpoint=False, **jobs)
        t_learn = _timed(dedupe.learn, [root / "first"], root / "model", **jobs)
        t_apply = _timed(
            dedupe.clean, [root / "second"], root / "out-model", checkpoint=False, model=root / "model", **jobs
        )
        scores = {
            "second half alone": quality.score(second, _kept(root / "out-alone", "second.jsonl")),
            "second half, model of the first": quality.score(second, _kept(root / "out-model", "second.jsonl")),
            "whole run, second half's pages": quality.score(second, _kept(root / "out-whole", "whole.jsonl")),
        }
        model = json.loads((root / "model" / "model.json").read_text("utf-8"))

    print(f"{args.set}: {len(pages)} pages; first half {len(first)} (learned), second half {len(second)} (scored)")
    print(f"model: {model['counts']['blocks']} distinct blocks, {model['counts']['templates']} templates, "
          f"{model['counts']['pages']} pages")
    print()
    print(f"{'run':<34} {'F1 all':>7} {'F1 multi':>9} {'R all':>7} {'pages':>6}")
    for name, s in scores.items():
        print(f"{name:<34} {s['all'][2]:>7.3f} {s['multi'][2]:>9.3f} {s['all'][1]:>7.3f} {s['all'][3]:>6}")
    print()
    print(f"{'wall time (jobs=' + str(args.jobs) + ')':<34} {'seconds':>8} {'/ whole':>8}")
    for name, t in (
        ("whole run (both halves)", t_whole), ("second half alone", t_alone), ("learn (first half)", t_learn),
        ("apply (second half, --model)", t_apply), ("learn + apply", t_learn + t_apply),
    ):
        print(f"{name:<34} {t:>8.2f} {t / t_whole:>8.2f}")
    with_model = scores["second half, model of the first"]["all"][2]
    alone = scores["second half alone"]["all"][2]
    ok = with_model >= alone
    print()
    print(f"check: F1 with the model {with_model:.3f} {'>=' if ok else '<'} F1 alone {alone:.3f}: {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
