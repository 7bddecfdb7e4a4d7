"""Peak memory on hostile corpora, beside an ordinary one of as many pages.

    python benchmarks/hostile.py [--pages 100000] [--memory 2G] [--bomb-mb 1024] [--work-dir .cache/hostile]

Each case is one ``dedupe clean CASE -o OUT --report R --memory M -j 1`` run
as a child (``procs.run_watched``): its wall time, peak resident memory of
the whole process tree, the report's size, and whether every input document
is accounted for (read or listed as skipped). The first row is the peer: a
generated corpus (``corpus.py``) of as many pages, so the table says what
each hostile case costs next to ordinary pages, not a lone figure.

The cases (issue #26):

- ``tiny``: pages of one to three words from a vocabulary of twenty, so each
  text is carried by hundreds of pages (syndication's copies);
- ``not-found``: every page "Page not found", emptied by cleaning;
- ``shared-lines``: pages of two short lines drawn from a handful, each
  line on hundreds of other pages (the boilerplate stage's page pairs);
- ``gzip-bomb``: one ``.txt.gz`` of ``--bomb-mb`` MB of zeros, a few MB
  compressed (skipped past the decompressed-size bound, not loaded).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import CorpusSpec, ensure_jsonl  # noqa: E402
from procs import run_watched  # noqa: E402

_WORDS = "home news page about contact login the new data read more next back menu search help top sport world video".split()


def _jsonl(path: Path, texts) -> int:
    n = 0
    with path.open("w") as f:
        for n, text in enumerate(texts, 1):
            f.write(json.dumps({"id": f"p{n}", "text": text}) + "\n")
    return n


def tiny(path: Path, pages: int) -> int:
    rng = random.Random(0)
    return _jsonl(path, (" ".join(rng.choices(_WORDS, k=rng.randint(1, 3))) for _ in range(pages)))


def not_found(path: Path, pages: int) -> int:
    return _jsonl(path, ("Page not found" for _ in range(pages)))


def shared_lines(path: Path, pages: int) -> int:
    rng = random.Random(1)
    heads = ["Home", "Home page", "Page not found"]
    return _jsonl(
        path, (f"{rng.choice(heads)}\n\n{' '.join(rng.choices('abcd', k=rng.randint(1, 3)))}" for _ in range(pages))
    )


def gzip_bomb(path: Path, megabytes: int) -> int:
    zeros = bytes(1 << 20)
    with gzip.open(path, "wb", compresslevel=1) as f:
        for _ in range(megabytes):
            f.write(zeros)
    return 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=100_000)
    ap.add_argument("--memory", default="2G", help="dedupe's --memory for every run")
    ap.add_argument("--bomb-mb", type=int, default=1024)
    ap.add_argument("--work-dir", default=str(HERE.parent / ".cache" / "hostile"))
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--max-rss-gb", type=float, default=8)
    args = ap.parse_args(argv)
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)

    cases: list[tuple[str, Path, int]] = []
    generated = work / f"generated-{args.pages}"
    ensure_jsonl(CorpusSpec(n_pages=args.pages), generated)
    cases.append(("generated (peer)", generated, args.pages))
    for name, make, size in (
        ("tiny", tiny, args.pages),
        ("not-found", not_found, args.pages),
        ("shared-lines", shared_lines, args.pages),
    ):
        path = work / f"{name}-{size}.jsonl"
        cases.append((name, path, make(path, size)))
    bomb = work / "bomb"
    bomb.mkdir(exist_ok=True)
    cases.append((f"gzip-bomb ({args.bomb_mb} MB)", bomb, gzip_bomb(bomb / "bomb.txt.gz", args.bomb_mb)))

    rows = []
    for name, path, inputs in cases:
        out = work / "out" / name.split()[0]
        report = out.with_suffix(".report.json")
        cmd = [sys.executable, "-c", "from dedupe.cli import main; main()", "clean", str(path), "-o", str(out), "--report", str(report)]
        cmd += ["--memory", args.memory, "-j", "1", "--no-checkpoint", "-q"]
        run = run_watched(cmd, work / f"{name.split()[0]}.log", args.timeout, args.max_rss_gb * 1024, ok_codes=(0, 1), cwd=HERE.parent)
        accounted, report_mb = "-", 0.0
        if report.exists():
            s = json.loads(report.read_text())["summary"]
            accounted = "yes" if s["documents_read"] + sum(s["documents_skipped"].values()) == inputs else "NO"
            report_mb = report.stat().st_size / 2**20
        rows.append((name, inputs, run, report_mb, accounted))

    peer = rows[0][2]
    print(f"dedupe clean --memory {args.memory} -j 1, one run each ({args.pages:,} pages a case)")
    print("| case | documents | status | wall s | x peer | peak RSS MB | x peer | report MB | report B/doc | accounted |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, inputs, run, report_mb, accounted in rows:
        print(
            f"| {name} | {inputs:,} | {run.status} | {run.wall:.1f} | {run.wall / peer.wall:.2f} | "
            f"{run.peak_rss_mb:,.0f} | {run.peak_rss_mb / peer.peak_rss_mb:.2f} | {report_mb:.1f} | "
            f"{report_mb * 2**20 / inputs:,.0f} | {accounted} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
