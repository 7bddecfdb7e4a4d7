"""What a user would put together instead of ``dedupe clean``: the peers of
a whole run, each a command of its own so that ``speed.py`` times it as a
child process, beside ``dedupe clean`` on the same corpus.

    python benchmarks/peers.py rensa CORPUS_DIR OUT.jsonl
    python benchmarks/peers.py ccnet-rensa CORPUS_DIR OUT.jsonl

``rensa``: rensa's document pass the way its README shows it. Each page's
text split on whitespace into an ``RMinHash(num_perm=128, seed=42)``, the
signatures inserted in an ``RMinHashLSH`` (threshold 0.8, 16 bands, as in
its README), every page queried, and a page dropped when an earlier page
is a candidate whose estimated Jaccard is 0.8 or more. The pages kept are
written as JSONL. No boilerplate is removed, and nothing is reported but
the number of pages dropped.

``ccnet-rensa``: cc_net's paragraph rule in plain Python first (Wenzek et
al. 2020, "CCNet", section 3.3): each line normalised (lower case, digits as
0, punctuation removed), hashed (the first 8 bytes of its
SHA-1), and every line whose hash is on more than one page removed from
every page. Then the rensa pass above on what is left. cc_net does no
near-duplicate lines (a line that differs in a name stays) and keeps no
story two sites share: it is the cheap rule ``dedupe`` is measured against,
not the same result.

Both read the corpus's ``*.jsonl`` files (``{"id", "text", ...}`` per
line) as ``benchmarks/corpus.py`` writes them, in one process on one
core: rensa's own thread pool is held to one thread.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Iterator

os.environ.setdefault("RAYON_NUM_THREADS", "1")

NUM_PERM, SEED, THRESHOLD, BANDS = 128, 42, 0.8, 16

_DIGIT = re.compile(r"\d")
# Punctuation and non-printing characters, as cc_net's PUNCT_OR_NON_PRINTING_CHARS_RE.
_PUNCT = re.compile(r"[^\w\s]|[\x00-\x1f\x7f-\x9f]")


def records(corpus: Path) -> Iterator[dict]:
    for path in sorted(corpus.glob("*.jsonl")):
        with path.open(encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)


def rensa_pass(pages: list[dict]) -> list[dict]:
    """The pages no earlier page near-duplicates, by rensa's README."""
    from rensa import RMinHash, RMinHashLSH

    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=BANDS)
    hashes = []
    for i, page in enumerate(pages):
        m = RMinHash(num_perm=NUM_PERM, seed=SEED)
        m.update(page["text"].split())
        lsh.insert(i, m)
        hashes.append(m)
    kept = []
    for i, m in enumerate(hashes):
        if not any(j < i and m.jaccard(hashes[j]) >= THRESHOLD for j in lsh.query(m)):
            kept.append(pages[i])
    return kept


def ccnet_key(line: str) -> bytes:
    """cc_net's ``normalize_for_dedup`` (stripped, lower case, digits as 0,
    punctuation and non-printing characters removed), then the first 8
    bytes of the SHA-1 of that, as its ``str_hash``."""
    text = _PUNCT.sub("", _DIGIT.sub("0", line.strip().lower()))
    return hashlib.sha1(text.encode("utf-8")).digest()[:8]


def ccnet_lines(pages: list[dict]) -> list[dict]:
    """Every line found on more than one page removed from every page."""
    keyed = []
    on_pages: Counter = Counter()
    for page in pages:
        lines = [line for line in page["text"].split("\n") if line.strip()]
        keys = [ccnet_key(line) for line in lines]
        on_pages.update(set(keys))
        keyed.append((lines, keys))
    out = []
    for page, (lines, keys) in zip(pages, keyed):
        text = "\n\n".join(line for line, k in zip(lines, keys) if on_pages[k] == 1)
        out.append({**page, "text": text})
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in ("rensa", "ccnet-rensa"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    how, corpus, out = argv[0], Path(argv[1]), Path(argv[2])
    pages = list(records(corpus))
    if how == "ccnet-rensa":
        pages = ccnet_lines(pages)
    kept = rensa_pass(pages)
    with out.open("w", encoding="utf-8") as f:
        for page in kept:
            f.write(json.dumps(page, ensure_ascii=False) + "\n")
    print(f"{how}: {len(pages):,} pages read, {len(pages) - len(kept):,} dropped as near-duplicates", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
