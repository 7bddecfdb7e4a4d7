"""MinHash signatures of a batch of shingle sets, identical to datasketch's.

datasketch 2.0's "affine32" scheme: each 32-bit shingle hash is pre-mixed
with the MurmurHash3 32-bit finalizer, then permutation ``k`` maps it to
``a[k] * h + b[k] mod 2^32`` and the signature keeps the minimum. The
permutations come from datasketch itself for the given seed, so a signature
here equals ``datasketch.MinHash(num_perm, seed, scheme="affine32")`` fed the
same hashes (tests check it bit for bit).

The products and minima run in one compiled loop (numba) in uint32
arithmetic, which wraps mod 2^32 as the scheme does; no (shingles x
permutations) array is ever built.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash
from numba import njit

from .shingle import ShingleBatch

__all__ = ["SCHEME", "permutations", "signatures", "lean_minhash", "EMPTY"]

#: The datasketch scheme the signatures follow; pinned, since datasketch 2.0
#: changed its default scheme and a persisted index must use one scheme.
SCHEME = "affine32"
#: Signature value of an empty set (datasketch's initial hash value).
EMPTY = np.uint32(0xFFFFFFFF)

_U32 = np.uint32


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Permutation parameters ``(a, b)``, uint32 arrays of shape (num_perm,)."""
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
    return np.ascontiguousarray(a, dtype=_U32), np.ascontiguousarray(b, dtype=_U32)


@njit(cache=True, inline="always")
def _fmix32(h):
    """MurmurHash3 fmix32, datasketch's pre-mix of a 32-bit input hash."""
    h = np.uint32(h ^ (h >> np.uint32(16)))
    h = np.uint32(h * np.uint32(0x85EBCA6B))
    h = np.uint32(h ^ (h >> np.uint32(13)))
    h = np.uint32(h * np.uint32(0xC2B2AE35))
    return np.uint32(h ^ (h >> np.uint32(16)))


@njit(cache=True)
def _kernel(hashes, offsets, a, b, sig):
    """Fill ``sig`` (pre-set to EMPTY) with every text's minima.

    Shingles go four at a time through one pass over the permutations (the
    vector lanes run along the permutations; four products per load and
    store of the running minima). A text's last group is padded with its
    last shingle again, which leaves a minimum unchanged.
    """
    for t in range(len(offsets) - 1):
        text = hashes[offsets[t] : offsets[t + 1]]  # a slice: see dedupe.shingle's kernels
        row = sig[t]
        last = len(text) - 1
        for i in range(0, len(text), 4):
            h0 = _fmix32(text[i])
            h1 = _fmix32(text[min(i + 1, last)])
            h2 = _fmix32(text[min(i + 2, last)])
            h3 = _fmix32(text[min(i + 3, last)])
            for k in range(len(a)):
                ak, bk = a[k], b[k]
                low01 = min(np.uint32(ak * h0 + bk), np.uint32(ak * h1 + bk))
                low23 = min(np.uint32(ak * h2 + bk), np.uint32(ak * h3 + bk))
                row[k] = min(row[k], min(low01, low23))


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
    sig = np.full((len(batch), num_perm), EMPTY, dtype=_U32)
    _kernel(batch.hashes.astype(_U32, copy=False), batch.offsets.astype(np.int64, copy=False), a, b, sig)
    return sig


def lean_minhash(signature: np.ndarray, seed: int) -> LeanMinHash:
    """Wrap one signature row for datasketch's LSH index."""
    return LeanMinHash(seed=seed, hashvalues=signature, scheme=SCHEME)
