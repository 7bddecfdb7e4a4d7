"""Candidate pairs from MinHash signatures: LSH banding, vectorised with numpy.

LSH proposes, verification decides (see :mod:`dedupe.verify`): the pairs
returned here are only candidates. The bands x rows split is datasketch's,
chosen for the threshold by its optimiser, told that a missed pair costs
nine times a false candidate: a false candidate costs one verification, a
missed near-duplicate is a template left in or a copy not reported. (With
equal weights a pair exactly at a 0.8 threshold is proposed 40% of the
time; with these, 87%.)

The index itself is not datasketch's. Two rows are candidates when, for some
band ``k < b``, their signature values ``[k * r, (k + 1) * r)`` are equal:
exactly datasketch's ``MinHashLSH`` rule (its bucket key is those ``r`` values'
bytes, and it also uses only the first ``b * r`` permutations). Instead of a
Python insert and query per row, each band is grouped by sorting its rows on
a 64-bit hash of their values; rows with equal hashes are then compared
value by value, and on any collision the band is sorted on the values
themselves, so grouping is exact. Every pair inside a group is generated
with array arithmetic and encoded as ``i * n + j``; the codes of successive
bands are sorted and deduplicated whenever the new ones outnumber the
distinct ones so far. Rows whose first ``b * r`` values are all equal (exact
copies, empty texts) are collapsed to one before banding and expanded after,
so their pairs are produced once rather than once per band. Tests keep
datasketch's index as the oracle: same pairs, on random near-duplicates.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

import numpy as np
from datasketch import MinHashLSH

from .arrays import argsort, segment_arange

__all__ = ["candidate_pairs", "band_keys", "pairs_from_band_keys", "bands_rows"]


# (false positive, false negative) weights for datasketch's optimiser.
WEIGHTS = (0.1, 0.9)

# Odd multiplier of the band and row hashes (2^64 / golden ratio).
MULT = np.uint64(0x9E3779B97F4A7C15)


@lru_cache(maxsize=64)
def bands_rows(threshold: float, num_perm: int) -> tuple[int, int]:
    """The (bands, rows) datasketch picks for this threshold and num_perm."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=WEIGHTS)
    return lsh.b, lsh.r


def hash_last_axis(values: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each vector along the last axis (equal vectors, equal hashes)."""
    h = values[..., 0].astype(np.uint64)
    for k in range(1, values.shape[-1]):
        h *= MULT
        h ^= values[..., k]
    return h


def _sort_rows(keys: np.ndarray, block: Optional[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Order the rows of ``block`` so that equal rows are adjacent, exactly.

    Parameters
    ----------
    keys : ndarray of uint64, shape (n,)
        A hash of each row: equal rows have equal keys.
    block : ndarray, shape (n, w), or None
        The rows; None when only their keys are known, which are then
        taken to be the rows (equal keys, equal rows).

    Returns
    -------
    order : ndarray of int64, shape (n,)
        A stable sort: equal rows keep their index order.
    same : ndarray of bool, shape (n - 1,)
        ``block[order[t + 1]]`` equals ``block[order[t]]``.
    """
    order = argsort(keys)
    sorted_keys = keys[order]
    same = sorted_keys[1:] == sorted_keys[:-1]
    if block is None:
        return order, same
    # Rows with different keys differ; check the others value by value.
    t = np.flatnonzero(same)
    if not (block[order[t]] == block[order[t + 1]]).all():
        # Two different rows share a key: sort on the values (first column primary).
        order = np.lexsort(block.T[::-1])
        rows = block[order]
        same = (rows[1:] == rows[:-1]).all(axis=1)
    return order, same


def _groups(same: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start (in sorted order) and size of each run of equal rows."""
    starts = np.flatnonzero(np.concatenate([[True], ~same]))
    sizes = np.diff(np.append(starts, len(same) + 1))
    return starts, sizes


def _firsts(same: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs within runs of equal rows, as each pair's first row (its
    position in sorted order) and how many rows after it it pairs with:
    every row but a run's last, with every row after it in the run."""
    starts, sizes = _groups(same)
    starts, sizes = starts[sizes > 1], sizes[sizes > 1]
    firsts = sizes - 1
    offset = segment_arange(firsts)
    return np.repeat(starts, firsts) + offset, np.repeat(firsts, firsts) - offset


def _pairs_of(order: np.ndarray, first: np.ndarray, later: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    one = np.repeat(first, later)
    other = one + 1 + segment_arange(later)
    # The sort is stable, so order[one] < order[other].
    return order[one], order[other]


def _pairs_within(order: np.ndarray, same: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair ``(i, j)``, ``i < j``, of rows in one run of equal rows."""
    return _pairs_of(order, *_firsts(same))


def _distinct(codes: np.ndarray) -> np.ndarray:
    """The distinct values of ``codes``, sorted (sorts in place)."""
    codes.sort()
    keep = np.ones(len(codes), dtype=bool)
    keep[1:] = codes[1:] != codes[:-1]
    return codes[keep]


def _band_pair_codes(rows: Optional[np.ndarray], band_keys: np.ndarray, r: int) -> np.ndarray:
    """Sorted codes ``i * n + j`` of the pairs of rows sharing a band.

    ``band_keys[:, k]`` hashes band ``k``, the values ``rows[:, k * r : (k + 1) * r]``
    (``rows`` None: the keys stand for the values).
    """
    n, b = band_keys.shape
    codes = np.zeros(0, dtype=np.int64)
    pending: list[np.ndarray] = []
    for k in range(b):
        values = None if rows is None else rows[:, k * r : (k + 1) * r]
        i, j = _pairs_within(*_sort_rows(np.ascontiguousarray(band_keys[:, k]), values))
        pending.append(i * n + j)
        # Deduplicate once the new codes outnumber the distinct ones: memory
        # stays within a few times the result plus one band, and the sorts
        # together handle at most about three times the codes generated.
        if sum(map(len, pending)) >= len(codes) or k == b - 1:
            codes = _distinct(np.concatenate([codes, *pending]))
            pending = []
    return codes


def _pair_codes_of_copies(
    used: Optional[np.ndarray], band_keys: np.ndarray, r: int, members: np.ndarray, same: np.ndarray
) -> np.ndarray:
    """Sorted pair codes when some rows are copies (equal on every band).

    Bands only one representative of each run of copies, then pairs every
    copy with the other copies of its run and with every copy of each
    representative its representative pairs with.
    """
    n = len(band_keys)
    starts, sizes = _groups(same)
    i, j = _pairs_within(members, same)
    reps = members[starts]
    u, v = np.divmod(_band_pair_codes(None if used is None else used[reps], band_keys[reps], r), len(starts))
    count = sizes[u] * sizes[v]
    t = segment_arange(count)
    size_v = np.repeat(sizes[v], count)
    a = members[np.repeat(starts[u], count) + t // size_v]
    c = members[np.repeat(starts[v], count) + t % size_v]
    # Pairs within a run and pairs across two runs: disjoint sets.
    codes = np.concatenate([i * n + j, np.minimum(a, c) * n + np.maximum(a, c)])
    codes.sort()
    return codes


def band_keys(signatures: np.ndarray, threshold: float) -> np.ndarray:
    """The LSH bucket of each row in each band, as a 64-bit hash.

    What :func:`pairs_from_band_keys` needs of a signature: ``b`` values per
    row rather than ``num_perm``, so the signatures of a large corpus need
    not be held at once (workers sign chunks and keep only these).

    Parameters
    ----------
    signatures : ndarray of uint32, shape (n, num_perm)
    threshold : float

    Returns
    -------
    ndarray of uint64, shape (n, b)
    """
    n, num_perm = signatures.shape
    b, r = bands_rows(threshold, num_perm)
    return hash_last_axis(signatures[:, : b * r].reshape(n, b, r))


def _pairs(used: Optional[np.ndarray], keys: np.ndarray, r: int) -> np.ndarray:
    n = len(keys)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    members, same = _sort_rows(hash_last_axis(keys), None if used is None else used)
    if used is None and same.any():
        # Equal row hashes: rows equal on every band key (exactly, the keys being the rows).
        t = np.flatnonzero(same)
        ok = (keys[members[t]] == keys[members[t + 1]]).all(axis=1)
        if not ok.all():
            order = np.lexsort(keys.T[::-1])
            rows = keys[order]
            members, same = order, (rows[1:] == rows[:-1]).all(axis=1)
    if same.any():
        codes = _pair_codes_of_copies(used, keys, r, members, same)
    else:
        codes = _band_pair_codes(used, keys, r)
    return np.stack(np.divmod(codes, n), axis=1)


def pairs_from_band_keys(keys: np.ndarray) -> np.ndarray:
    """Pairs of rows that share a band, from :func:`band_keys` alone.

    The same pairs as :func:`candidate_pairs` on the signatures the keys
    were made from, except that two different bands with the same 64-bit
    key (about one chance in 2^64 per pair of rows) make an extra candidate,
    which verification then judges like any other.

    Returns
    -------
    ndarray of int64, shape (n_pairs, 2)
        Unique pairs ``(i, j)`` with ``i < j``, sorted.
    """
    return _pairs(None, np.ascontiguousarray(keys), 1)


def candidate_pairs(signatures: np.ndarray, threshold: float, seed: int) -> np.ndarray:
    """Pairs of rows that share at least one LSH band.

    Parameters
    ----------
    signatures : ndarray of uint32, shape (n, num_perm)
    threshold : float
        Jaccard similarity the index is tuned to.
    seed : int
        The seed the signatures were made with. Band equality does not depend
        on it; it is part of the signature the datasketch oracle needs.

    Returns
    -------
    ndarray of int64, shape (n_pairs, 2)
        Unique pairs ``(i, j)`` with ``i < j``, sorted.
    """
    n, num_perm = signatures.shape
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    b, r = bands_rows(threshold, num_perm)
    return _pairs(signatures[:, : b * r], band_keys(signatures, threshold), r)
