"""MinHash signatures of a batch of shingle sets, identical to datasketch's.

datasketch 2.0's "affine32" scheme: each 32-bit shingle hash is pre-mixed
with the MurmurHash3 32-bit finalizer, then permutation ``k`` maps it to
``a[k] * h + b[k] mod 2^32`` and the signature keeps the minimum. The
permutations come from datasketch itself for the given seed, so a signature
here equals ``datasketch.MinHash(num_perm, seed, scheme="affine32")`` fed the
same hashes (tests check it bit for bit).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash

from .shingle import ShingleBatch

__all__ = ["SCHEME", "permutations", "signatures", "lean_minhash", "EMPTY"]

#: The datasketch scheme the signatures follow; pinned, since datasketch 2.0
#: changed its default scheme and a persisted index must use one scheme.
SCHEME = "affine32"
#: Signature value of an empty set (datasketch's initial hash value).
EMPTY = np.uint32(0xFFFFFFFF)

_U32 = np.uint32
# Rows of the (shingles x permutations) product handled at once: bounds the
# temporary to _CHUNK * num_perm * 4 bytes (32 MB at 128 permutations).
_CHUNK = 1 << 16


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Permutation parameters ``(a, b)``, uint32 arrays of shape (num_perm,)."""
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
    return np.ascontiguousarray(a, dtype=_U32), np.ascontiguousarray(b, dtype=_U32)


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> _U32(16))
    h = h * _U32(0x85EBCA6B)
    h = h ^ (h >> _U32(13))
    h = h * _U32(0xC2B2AE35)
    return h ^ (h >> _U32(16))


def signatures(batch: ShingleBatch, num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """MinHash signature of every text of a batch.

    Parameters
    ----------
    batch : ShingleBatch
        Shingle hashes (uint32) and per-text offsets.
    num_perm : int
        Signature length.
    seed : int
        Permutation seed.

    Returns
    -------
    ndarray of uint32, shape (n_texts, num_perm)
        A text without shingles gets the all-``EMPTY`` signature.
    """
    a, b = permutations(num_perm, seed)
    n = len(batch)
    sig = np.full((n, num_perm), EMPTY, dtype=_U32)
    offsets = batch.offsets
    hv = _fmix32(batch.hashes.astype(_U32, copy=False))
    lo = 0
    while lo < n:
        # Take whole texts up to about _CHUNK shingles (at least one text).
        hi = max(int(np.searchsorted(offsets, offsets[lo] + _CHUNK, side="right")) - 1, lo + 1)
        hi = min(hi, n)
        s0, s1 = offsets[lo], offsets[hi]
        if s1 > s0:
            phv = hv[s0:s1, None] * a[None, :] + b[None, :]
            local = offsets[lo:hi] - s0
            nonempty = offsets[lo + 1 : hi + 1] > offsets[lo:hi]
            mins = np.minimum.reduceat(phv, local[nonempty], axis=0)
            sig[lo:hi][nonempty] = mins
        lo = hi
    return sig


def lean_minhash(signature: np.ndarray, seed: int) -> LeanMinHash:
    """Wrap one signature row for datasketch's LSH index."""
    return LeanMinHash(seed=seed, hashvalues=signature, scheme=SCHEME)
