"""Array helpers the stages share: a stable argsort, runs of equal
values, an inverse of distinct values, rows grouped by key, aranges per
segment.

Each is a few numpy calls (the sort, a compiled pass besides), written
once here so that the stages read as what they do, and so that the memory
they take (int32 where it fits, temporaries freed as they go) is decided
in one place.
"""

from __future__ import annotations

from typing import Iterator, Optional

import numpy as np
from numba import njit

from .ints import index_type

__all__ = ["argsort", "run_starts", "unique_inverse", "group_by", "segment_arange"]

#: Keys below this many are sorted by numpy's stable argsort as they are.
PACKED_FROM = 1 << 14


def argsort(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` of 1-d keys: the same
    permutation, about twice as fast on long integer keys.

    numpy's stable argsort is a merge sort (timsort), and its sort of
    plain integers is several times faster (vectorised). So each integer
    key's distance from the smallest is packed with its row number into
    one uint64 and those are sorted: the row numbers come out in the
    stable order. Keys too wide
    to fit beside the row number give up their lowest bits, and rows whose
    kept bits tie (equal keys, or keys that differ only there) are put in
    the order of their whole keys. Keys spanning fewer than 2**16 values
    go to numpy's stable sort of 16-bit keys (a radix sort).
    """
    keys = np.asarray(keys)
    n = len(keys)
    if keys.ndim != 1 or n < max(PACKED_FROM, 2) or keys.dtype.kind not in "iu":
        return np.argsort(keys, kind="stable")
    lo = int(keys.min())
    span = int(keys.max()) - lo
    # The distance from the smallest key, in uint64 arithmetic (it wraps
    # where the keys pass int64's range; their distances do not).
    packed = keys.astype(np.uint64)
    packed -= np.uint64(lo % (1 << 64))
    if span < 1 << 16:
        return np.argsort(packed.astype(np.uint8 if span < 1 << 8 else np.uint16), kind="stable")
    row_bits = (n - 1).bit_length()
    dropped = max(0, span.bit_length() + row_bits - 64)
    if dropped:
        packed >>= np.uint64(dropped)
    packed <<= np.uint64(row_bits)
    packed |= np.arange(n, dtype=np.uint64)
    packed.sort()
    # The row numbers, in place (the run's memory high at a million pages
    # is such a sort: no copy beside the keys and this one array).
    mask = np.uint64((1 << row_bits) - 1)
    if dropped:
        _by_whole_keys(packed, mask, keys)
    packed &= mask
    return packed.view(np.int64)


@njit(cache=True, nogil=True)
def _by_whole_keys(packed, mask, keys):  # pragma: no cover - numba
    """Each run of ``packed`` (sorted) whose kept bits (those above
    ``mask``) tie, its rows in ascending order, put in the stable order of
    the rows' whole ``keys``."""
    n, i = len(packed), 0
    while i < n:
        j = i + 1
        while j < n and (packed[j] ^ packed[i]) <= mask:
            j += 1
        if j - i > 1:
            rows = packed[i:j] & mask
            k = keys[rows.astype(np.int64)]
            if not (k == k[0]).all():
                top = packed[i] & ~mask
                packed[i:j] = top | rows[np.argsort(k, kind="mergesort")]
        i = j


def run_starts(ranked: np.ndarray) -> np.ndarray:
    """Whether each value of the sorted ``ranked`` is the first of its run.

    Returns
    -------
    ndarray of bool, shape (len(ranked),)
    """
    new = np.empty(len(ranked), dtype=bool)
    new[:1] = True
    np.not_equal(ranked[1:], ranked[:-1], out=new[1:])
    return new


def unique_inverse(keys: np.ndarray, dtype: Optional[type] = None) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` for 1-d keys, with the
    inverse in ``dtype`` (default: int32 when the distinct keys fit,
    :func:`dedupe.ints.index_type`) and each temporary freed once used:
    numpy's own keeps int64 copies of the keys, a stage's peak when there
    are tens of millions.

    Returns
    -------
    unique : ndarray, shape (n_unique,)
        The distinct keys, sorted.
    inverse : ndarray of ``dtype``, shape (len(keys),)
        ``unique[inverse] == keys``.
    """
    order = argsort(keys)
    ranked = keys[order]
    new = run_starts(ranked)
    unique = ranked[new]
    del ranked
    inverse = np.empty(len(order), dtype=dtype or index_type(len(unique)))
    inverse[order] = np.cumsum(new, dtype=inverse.dtype) - 1
    return unique, inverse


def group_by(keys: np.ndarray, n_groups: int) -> Iterator[tuple[int, np.ndarray]]:
    """The rows of each key ``0 <= k < n_groups`` that has any, in key order,
    as ``(k, rows)``; rows keep their order within a key (a stable sort)."""
    order = argsort(keys)
    bounds = np.searchsorted(keys[order], np.arange(n_groups + 1))
    for k in np.flatnonzero(np.diff(bounds)).tolist():
        yield k, order[bounds[k] : bounds[k + 1]]


def segment_arange(counts: np.ndarray) -> np.ndarray:
    """``0, 1, ..., c - 1`` for each count ``c``, concatenated."""
    ends = np.cumsum(counts)
    return np.arange(ends[-1] if len(ends) else 0) - np.repeat(ends - counts, counts)


def pair_ids(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """An id (0, 1, ...) of each row's pair (``a``, ``b``) of ints (int64).

    One int64 key a row, made in place, and :func:`unique_inverse`: on tens
    of millions of rows (every block of a large corpus) each transient
    array is hundreds of megabytes."""
    if not len(a):
        return np.zeros(0, dtype=np.int64)
    b0 = b.astype(np.int64)
    b0 -= b0.min()
    span = int(b0.max()) + 1
    a_min, a_max = int(a.min()), int(a.max())
    if (a_max - a_min + 1) * span < 2**62:
        key = a.astype(np.int64)
        key -= a_min
        key *= span
        key += b0
        del b0
        return unique_inverse(key, np.int64)[1]
    _, ids = np.unique(np.stack([a.astype(np.int64) - a_min, b0]), axis=1, return_inverse=True)
    return ids.ravel().astype(np.int64, copy=False)
