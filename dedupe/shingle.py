"""Cut texts into shingles and hash them, a whole batch at once.

Shingles are hashed with a polynomial rolling hash over Unicode code points
(mod 2^64, computed from prefix sums so any span hashes in O(1)), then
finalised with the MurmurHash3 64-bit mixer and cut to 32 bits: the input
width of datasketch's "affine32" MinHash scheme. No Python loop runs per
shingle; the loops below run per text.

Two kinds of shingles:

* character n-grams, for short texts: a line like "Comments" has no word
  n-grams worth the name, but it has character 5-grams;
* word n-grams, for long texts, where they are cheaper and just as telling.

A text shorter than ``n`` units gives one shingle: itself.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["char_shingles", "word_shingles", "hash_spans", "ShingleBatch"]

_U64 = np.uint64
_BASE = _U64(0x100000001B3)  # FNV-1a 64-bit prime: odd, so invertible mod 2^64
_BASE_INV = _U64(pow(0x100000001B3, -1, 1 << 64))
_M1 = _U64(0xFF51AFD7ED558CCD)
_M2 = _U64(0xC4CEB9FE1A85EC53)
_S33 = _U64(33)
_S32 = _U64(32)
# Separates tokens of a word n-gram, so ("ab", "c") and ("a", "bc") differ.
_TOKEN_SEP = _U64(0x9E3779B97F4A7C15)


class ShingleBatch:
    """Shingle hashes of a batch of texts, flat.

    Attributes
    ----------
    hashes : ndarray of uint32, shape (n_shingles,)
        Every shingle of every text (duplicates within a text kept).
    offsets : ndarray of int64, shape (n_texts + 1,)
        Text ``i`` owns ``hashes[offsets[i]:offsets[i + 1]]``.
    """

    __slots__ = ("hashes", "offsets")

    def __init__(self, hashes: np.ndarray, offsets: np.ndarray):
        self.hashes = hashes
        self.offsets = offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def sets(self) -> list[np.ndarray]:
        """Each text's distinct shingles, sorted (for tests and small jobs)."""
        return [np.unique(self.hashes[a:b]) for a, b in zip(self.offsets[:-1], self.offsets[1:])]


def _mix(h: np.ndarray) -> np.ndarray:
    """MurmurHash3 fmix64, then the high 32 bits."""
    h = h ^ (h >> _S33)
    h = h * _M1
    h = h ^ (h >> _S33)
    h = h * _M2
    h = h ^ (h >> _S33)
    return (h >> _S32).astype(np.uint32)


class _Prefix:
    """Prefix hashes of a code point array: any span hashes in O(1).

    ``pre[k] = sum_{j<k} cp[j] * B^(k-1-j)`` (mod 2^64), written as
    ``B^(k-1) * cumsum(cp[j] * B^-j)`` so numpy computes it without a loop.
    """

    def __init__(self, codepoints: np.ndarray):
        n = len(codepoints)
        with np.errstate(over="ignore"):
            powers = np.empty(n + 1, dtype=_U64)
            powers[0] = 1
            powers[1:] = _BASE
            self.pow = np.multiply.accumulate(powers)
            inv = np.empty(n, dtype=_U64)
            if n:
                inv[0] = 1
                inv[1:] = _BASE_INV
                inv = np.multiply.accumulate(inv)
            acc = np.cumsum(codepoints.astype(_U64) * inv, dtype=_U64)
            self.pre = np.zeros(n + 1, dtype=_U64)
            if n:
                self.pre[1:] = acc * self.pow[:-1]

    def span(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return self.pre[ends] - self.pre[starts] * self.pow[ends - starts]


def _codepoints(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    joined = "".join(texts)
    cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    return cp, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def _windows(starts: np.ndarray, lengths: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Start index of every n-window of every item, and windows per item.

    An item of 1..n-1 units gives one window: the whole item; an empty
    item gives none.
    """
    counts = np.where(lengths >= n, lengths - n + 1, np.minimum(lengths, 1))
    first = np.repeat(starts, counts)
    item_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    within = np.arange(item_offsets[-1]) - np.repeat(item_offsets[:-1], counts)
    return first + within, counts


def hash_spans(texts: Sequence[str], starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Hash arbitrary spans of the concatenation of ``texts`` (for tests).

    Returns
    -------
    ndarray of uint32
    """
    cp, _ = _codepoints(texts)
    return _mix(_Prefix(cp).span(np.asarray(starts, np.int64), np.asarray(ends, np.int64)))


def char_shingles(texts: Sequence[str], n: int) -> ShingleBatch:
    """Character n-grams of each text.

    Parameters
    ----------
    texts : sequence of str
        Normalised texts.
    n : int
        n-gram length in code points.
    """
    cp, offsets = _codepoints(texts)
    lengths = np.diff(offsets)
    starts, counts = _windows(offsets[:-1], lengths, n)
    owner_len = np.repeat(lengths, counts)
    ends = starts + np.minimum(owner_len, n)
    hashes = _mix(_Prefix(cp).span(starts, ends))
    return ShingleBatch(hashes, np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))


def word_shingles(texts: Sequence[str], n: int) -> ShingleBatch:
    """Word n-grams of each text (words split on single spaces).

    Each word is hashed once from the prefix sums; an n-gram's hash is the
    polynomial of its word hashes, so it too needs no loop per shingle.
    """
    tokens_per_text = [t.split(" ") if t else [] for t in texts]
    words = [w for toks in tokens_per_text for w in toks]
    wcounts = np.fromiter((len(t) for t in tokens_per_text), dtype=np.int64, count=len(texts))
    cp, woffsets = _codepoints(words)
    word_hash = _Prefix(cp).span(woffsets[:-1], woffsets[1:]) ^ _TOKEN_SEP
    # Word n-grams are spans of the word-hash sequence: hash that sequence
    # the same way, as "code points" of 64 bits.
    text_starts = np.cumsum(wcounts) - wcounts
    starts, counts = _windows(text_starts, wcounts, n)
    ends = starts + np.minimum(np.repeat(wcounts, counts), n)
    hashes = _mix(_Prefix(word_hash).span(starts, ends))
    return ShingleBatch(hashes, np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))
