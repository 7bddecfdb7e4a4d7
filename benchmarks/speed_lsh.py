"""Candidate-pair speed: datasketch's MinHashLSH against :mod:`dedupe.lsh`.

Usage::

    python benchmarks/speed_lsh.py [--docs 100000] [--num-perm 128]
                                   [--threshold 0.7] [--seed 1]

Both methods get the same signatures and the same bands x rows (datasketch's
optimiser picks them; :func:`dedupe.lsh.bands_rows`). datasketch is run the
way ``dedupe.lsh`` used to run it: every row inserted through an insertion
session, then every row queried, pairs ``(i, j)`` with ``i < j`` kept. The
two must return the same pairs, or :func:`table` raises. Each method runs
once; times are wall-clock seconds on whatever else the machine is doing, so
read the ratio, not the seconds.

The corpus is synthetic text: documents of 40 to 160 words drawn from a
20,000-word vocabulary with Zipf-like frequencies, of which about 30% are
edited copies of an earlier document (words replaced, some truncated), 8%
exact copies and 1% empty, shingled into word 5-grams (the document stage's
``doc_ngram``) and signed with :func:`dedupe.minhash.signatures`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
# Run from a checkout without installing: the package is the repo's dedupe/.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from datasketch import MinHashLSH  # noqa: E402

from dedupe.lsh import WEIGHTS, bands_rows, candidate_pairs  # noqa: E402
from dedupe.minhash import lean_minhash, signatures  # noqa: E402
from dedupe.shingle import word_shingles  # noqa: E402

VOCABULARY = 20_000
SHARES = {"edited copy": 0.30, "exact copy": 0.08, "empty": 0.01}


def datasketch_pairs(signatures: np.ndarray, threshold: float, seed: int) -> np.ndarray:
    """Candidate pairs from datasketch's index, as ``dedupe.lsh`` used to get them."""
    n, num_perm = signatures.shape
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=WEIGHTS)
    with lsh.insertion_session() as session:
        for i in range(n):
            session.insert(i, lean_minhash(signatures[i], seed), check_duplication=False)
    found: list[tuple[int, int]] = []
    for i in range(n):
        found.extend((i, j) for j in lsh.query(lean_minhash(signatures[i], seed)) if j > i)
    # Each pair is found once (querying its first row): sorting is enough.
    pairs = np.array(found, dtype=np.int64).reshape(-1, 2)
    return pairs[np.lexsort(pairs.T[::-1])]


def _timed(method, signatures: np.ndarray, threshold: float, seed: int) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    pairs = method(signatures, threshold, seed)
    return time.perf_counter() - start, pairs


def table(signatures: np.ndarray, threshold: float, seed: int) -> list[dict]:
    """Time both methods on the same signatures; check they agree.

    Parameters
    ----------
    signatures : ndarray of uint32, shape (n, num_perm)
    threshold : float
        Jaccard threshold both indexes are tuned to.
    seed : int
        The seed the signatures were made with.

    Returns
    -------
    list of dict
        One row per method: ``method``, ``seconds``, ``items_per_s``,
        ``pairs`` and ``ratio`` (speed relative to datasketch's; datasketch
        first, at 1.0).

    Raises
    ------
    RuntimeError
        If the two methods return different pairs.
    """
    n = len(signatures)
    base_seconds, base_pairs = _timed(datasketch_pairs, signatures, threshold, seed)
    seconds, pairs = _timed(candidate_pairs, signatures, threshold, seed)
    if not np.array_equal(pairs, base_pairs):
        raise RuntimeError(f"dedupe.lsh found {len(pairs)} pairs, datasketch {len(base_pairs)}; not the same pairs")
    return [
        {"method": name, "seconds": s, "items_per_s": n / s, "pairs": len(p), "ratio": base_seconds / s}
        for name, s, p in [
            ("datasketch MinHashLSH", base_seconds, base_pairs),
            ("dedupe.lsh sorted bands", seconds, pairs),
        ]
    ]


def format_table(rows: list[dict]) -> str:
    """The rows of :func:`table` as aligned plain text."""
    lines = [f"{'method':<24} {'seconds':>9} {'items/s':>11} {'pairs':>10} {'vs datasketch':>14}"]
    lines += [
        f"{r['method']:<24} {r['seconds']:>9.2f} {r['items_per_s']:>11,.0f} {r['pairs']:>10,} {r['ratio']:>13.1f}x"
        for r in rows
    ]
    return "\n".join(lines)


def _word_ids(rng: np.random.Generator, lengths: np.ndarray) -> list[np.ndarray]:
    """Fresh documents: word ids with Zipf-like frequencies."""
    weights = 1.0 / (np.arange(VOCABULARY) + 2.7)
    ids = rng.choice(VOCABULARY, size=int(lengths.sum()), p=weights / weights.sum())
    return np.split(ids, np.cumsum(lengths)[:-1])


def _edited(rng: np.random.Generator, words: np.ndarray) -> np.ndarray:
    """A copy with up to 30% of its words replaced, truncated one time in three."""
    copy = words.copy()
    replace = rng.random(len(copy)) < rng.uniform(0.0, 0.3)
    copy[replace] = rng.integers(VOCABULARY, size=int(replace.sum()))
    if rng.random() < 1 / 3:
        copy = copy[: max(1, int(len(copy) * rng.uniform(0.6, 1.0)))]
    return copy


def corpus(n: int, seed: int) -> list[str]:
    """``n`` synthetic documents with near-duplicates, exact copies and empty ones."""
    rng = np.random.default_rng(seed)
    docs = _word_ids(rng, rng.integers(40, 161, n))
    # 0: fresh, 1: edited copy, 2: exact copy, 3: empty (the order of SHARES).
    kinds = rng.choice(len(SHARES) + 1, size=n, p=[1 - sum(SHARES.values()), *SHARES.values()])
    kinds[0] = 0
    for i in np.flatnonzero(kinds).tolist():
        source = docs[rng.integers(i)]
        if kinds[i] == 1:
            docs[i] = _edited(rng, source)
        elif kinds[i] == 2:
            docs[i] = source
        else:
            docs[i] = source[:0]
    vocabulary = np.array([f"w{k}" for k in range(VOCABULARY)])
    return [" ".join(vocabulary[d]) for d in docs]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000, help="number of documents (default 100000)")
    parser.add_argument("--num-perm", type=int, default=128, help="signature length (default 128)")
    parser.add_argument("--threshold", type=float, default=0.7, help="LSH threshold (default 0.7)")
    parser.add_argument("--seed", type=int, default=1, help="corpus and permutation seed (default 1)")
    args = parser.parse_args(argv)

    batch = word_shingles(corpus(args.docs, args.seed), 5)
    sigs = signatures(batch, args.num_perm, args.seed)
    b, r = bands_rows(args.threshold, args.num_perm)
    shares = ", ".join(f"{v:.0%} {k}" for k, v in SHARES.items())
    print(
        f"{args.docs:,} documents ({shares}), num_perm {args.num_perm}, "
        f"threshold {args.threshold} (bands x rows {b} x {r})"
    )
    print(format_table(table(sigs, args.threshold, args.seed)))
    print("both found the same pairs")


if __name__ == "__main__":
    main()
