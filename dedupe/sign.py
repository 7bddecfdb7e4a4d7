"""Shingle and sign texts in chunks, on the workers (:mod:`dedupe.executor.parallel`).

The same batch and signatures as one call of :mod:`dedupe.shingle` and
:func:`dedupe.minhash.signatures` on all the texts, for any number of jobs.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from . import lsh, minhash, shingle
from .blocks import normalise_many
from .executor import Workers, plan
from .ngrams import shard_rows
from .progress import Task

__all__ = ["shingles", "sharded_shingles", "key_band_keys", "slices", "SLICE"]

#: Characters of text shingled at once by a stage that sends the n-grams on
#: (to :class:`dedupe.ngrams.GramIndex`) before shingling more.
SLICE = 1 << 24


def slices(lengths: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive ranges of texts of about :data:`SLICE` characters in all."""
    return plan(lengths, int(np.ceil(lengths.sum() / SLICE)))


def _shingle_texts(texts: Sequence[str], kind: str, n: int, num_perm: int, seed: int, normalise: bool = False):
    """Shingles of a chunk of texts (``kind`` "char" or "word" n-grams; of
    their normalised keys with ``normalise``), and their signatures unless
    ``num_perm`` is 0: ``(hashes, counts, signatures)``."""
    make = shingle.char_shingles if kind == "char" else shingle.word_shingles
    batch = make(normalise_many(texts) if normalise else list(texts), n)
    sigs = minhash.signatures(batch, num_perm, seed) if num_perm else None
    return batch.hashes, np.diff(batch.offsets), sigs


def shingles(
    workers: Workers, texts: Sequence[str], kind: str, n: int, sign: Optional[tuple[int, int]] = None,
    task: Optional[Task] = None, normalise: bool = False,
) -> tuple[shingle.ShingleBatch, Optional[np.ndarray]]:
    """Shingle (and with ``sign=(num_perm, seed)``, sign) texts in chunks:
    the same batch and signatures as one call on all of them. With
    ``normalise``, the texts' normalised keys (:func:`dedupe.blocks.normalise`)
    are shingled, normalised on the workers."""
    num_perm, seed = sign or (0, 0)
    if not texts:
        hashes, counts, sigs = _shingle_texts(texts, kind, n, num_perm, seed)
        parts = [(hashes, counts, sigs)]
    else:
        lengths = np.fromiter(map(len, texts), dtype=np.float64, count=len(texts))
        parts = workers.map(
            _shingle_texts, lengths, lambda a, b: (texts[a:b], kind, n, num_perm, seed, normalise), task
        )
    hashes = np.concatenate([p[0] for p in parts])
    counts = np.concatenate([p[1] for p in parts])
    offsets = np.concatenate([np.zeros(1, dtype=counts.dtype), np.cumsum(counts)])
    sigs = np.concatenate([p[2] for p in parts]) if sign else None
    return shingle.ShingleBatch(hashes, offsets), sigs


def _shard_texts(texts: Sequence[str], kind: str, n: int, num_perm: int, seed: int, normalise: bool = False):
    """:func:`_shingle_texts`, the shingles as :func:`dedupe.ngrams.shard_rows`
    makes them: ``(key, owner, bounds, counts, signatures)``."""
    hashes, counts, sigs = _shingle_texts(texts, kind, n, num_perm, seed, normalise)
    return (*shard_rows(hashes, counts), counts, sigs)


def sharded_shingles(
    workers: Workers, texts: Sequence[str], kind: str, n: int, sign: Optional[tuple[int, int]] = None,
    normalise: bool = False,
) -> tuple[list[tuple[np.ndarray, np.ndarray, np.ndarray]], np.ndarray, Optional[np.ndarray]]:
    """:func:`shingles` for a :class:`dedupe.ngrams.GramIndex`: each chunk's
    distinct n-grams sorted and split by shard on the workers
    (:func:`dedupe.ngrams.shard_rows`), for
    :meth:`~dedupe.ngrams.GramIndex.add_sorted`.

    Returns
    -------
    parts : list of (key, owner, bounds)
        One per chunk, in order; ``owner`` (int64) numbers the texts from 0.
    counts : ndarray of int64, shape (len(texts),)
        Shingles of each text (duplicates counted), as :func:`shingles`'s offsets tell.
    signatures : ndarray or None
        As :func:`shingles`'s, with ``sign``.
    """
    num_perm, seed = sign or (0, 0)
    lengths = np.fromiter(map(len, texts), dtype=np.float64, count=len(texts))
    got = workers.map(_shard_texts, lengths, lambda a, b: (texts[a:b], kind, n, num_perm, seed, normalise))
    if not got:
        got = [_shard_texts(texts, kind, n, num_perm, seed, normalise)]
    parts, start = [], 0
    for key, owner, bounds, counts, _ in got:
        parts.append((key, owner.astype(np.int64) + start, bounds))
        start += len(counts)
    counts = np.concatenate([p[3] for p in got])
    sigs = np.concatenate([p[4] for p in got]) if sign else None
    return parts, counts, sigs


def key_band_keys(
    texts: Sequence[str], short_words: int, char_n: int, word_n: int, num_perm: int, seed: int, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """What the block clusters need of a chunk of block texts: whether each
    normalised key is short (under ``short_words`` words: compared on
    character n-grams, else on word n-grams), and its LSH band keys
    (:func:`dedupe.lsh.band_keys`) over those n-grams — all a worker returns
    of their shingles and signatures.

    Returns
    -------
    short : ndarray of bool, shape (n,)
    keys : ndarray of uint64, shape (n, b)
    """
    keys = normalise_many(texts)
    words = np.fromiter((k.count(" ") + 1 if k else 0 for k in keys), dtype=np.int64, count=len(keys))
    short = words < short_words
    out = np.zeros((len(keys), lsh.bands_rows(threshold, num_perm)[0]), dtype=np.uint64)
    for mask, make, n in ((short, shingle.char_shingles, char_n), (~short, shingle.word_shingles, word_n)):
        idx = np.flatnonzero(mask)
        if len(idx):
            out[idx] = lsh.band_keys(minhash.signatures(make([keys[i] for i in idx.tolist()], n), num_perm, seed), threshold)
    return short, out
