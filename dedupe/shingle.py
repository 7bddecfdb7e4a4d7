"""Cut texts into shingles and hash them, a whole batch at once.

A shingle's hash is the polynomial rolling hash of its Unicode code points,
``sum cp[j] * B^(len-1-j)`` (mod 2^64), finalised with the MurmurHash3
64-bit mixer and cut to 32 bits: the input width of datasketch's "affine32"
MinHash scheme. A word n-gram is the same polynomial over its words'
hashes, each word's hash xor-ed with a separator constant first.

The batch is encoded to UTF-8 a piece (about a million code points) at a
time and handed to compiled loops (numba), one pass per text: code points
are decoded on the fly and summed into prefix hashes
``A[k] = sum_{j<k} cp[j] * B^-j``, so any span ``[s, e)`` hashes in O(1)
as ``B^(e-1) * (A[e] - A[s])``, without branching on word lengths. Python
makes a few calls per piece (and encodes each text of a piece that is not
all ASCII); no Python loop runs per shingle.

Two kinds of shingles:

* character n-grams, for short texts: a line like "Comments" has no word
  n-grams worth the name, but it has character 5-grams;
* word n-grams, for long texts, where they are cheaper and just as telling.

A text shorter than ``n`` units gives one shingle: itself.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from numba import njit

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
_SPACE = 32
# Texts are encoded and hashed this many code points at a time: the buffer
# stays in cache, and its memory is reused from one piece to the next
# instead of faulting in fresh pages for a copy of the whole batch.
PIECE = 1 << 20


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


@njit(cache=True, inline="always")
def _mix(h):
    """MurmurHash3 fmix64, then the high 32 bits."""
    h ^= h >> _S33
    h *= _M1
    h ^= h >> _S33
    h *= _M2
    h ^= h >> _S33
    return np.uint32(h >> _S32)


@njit(cache=True)
def _powers(n):
    """``B^j`` and ``B^-j`` for ``j`` in ``0..n``."""
    pw = np.empty(n + 1, np.uint64)
    iv = np.empty(n + 1, np.uint64)
    pw[0] = 1
    iv[0] = 1
    for j in range(1, n + 1):
        pw[j] = pw[j - 1] * _BASE
        iv[j] = iv[j - 1] * _BASE_INV
    return pw, iv


# The kernels index slices (``text = buf[a:b]``, then ``text[j]``) rather than
# ``buf[a + j]``: numba must allow for a negative ``a + j`` (Python's
# wraparound) and checks every such access, which made the loops half as fast.


@njit(cache=True, inline="always")
def _prefix(text, ascii_only, iv, pre, spaces):
    """Decode one text's UTF-8 bytes into prefix hashes over its code points.

    Fills ``pre[0..L]`` (``L`` code points) and ``spaces[0..m)`` with the
    code point index of every space. Returns ``(L, m)``.
    """
    acc = np.uint64(0)
    m = 0
    if ascii_only:
        for j in range(len(text)):
            c = text[j]
            pre[j] = acc
            acc += np.uint64(c) * iv[j]
            spaces[m] = j
            m += c == _SPACE
        pre[len(text)] = acc
        return len(text), m
    i = 0
    j = 0
    while i < len(text):
        c = np.int64(text[i])
        if c < 0x80:
            i += 1
        elif c < 0xE0:
            c = ((c & 0x1F) << 6) | (np.int64(text[i + 1]) & 0x3F)
            i += 2
        elif c < 0xF0:
            c = ((c & 0x0F) << 12) | ((np.int64(text[i + 1]) & 0x3F) << 6) | (np.int64(text[i + 2]) & 0x3F)
            i += 3
        else:
            c = (
                ((c & 0x07) << 18)
                | ((np.int64(text[i + 1]) & 0x3F) << 12)
                | ((np.int64(text[i + 2]) & 0x3F) << 6)
                | (np.int64(text[i + 3]) & 0x3F)
            )
            i += 4
        pre[j] = acc
        acc += np.uint64(c) * iv[j]
        spaces[m] = j
        m += c == _SPACE
        j += 1
    pre[j] = acc
    return j, m


@njit(cache=True, inline="always")
def _ngrams(pre, pw, count, n, out):
    """Hash the n-grams of a sequence of ``count`` units (at least 1) into ``out``.

    ``pre`` holds the sequence's prefix hashes. A sequence shorter than
    ``n`` is one n-gram: itself.
    """
    if count >= n:
        ends, starts, powers = pre[n:], pre[: count - n + 1], pw[n - 1 :]
        for s in range(count - n + 1):
            out[s] = _mix(powers[s] * (ends[s] - starts[s]))
    else:
        out[0] = _mix(pw[count - 1] * pre[count])


@njit(cache=True)
def _char_kernel(buf, byte_offsets, ascii_only, out_offsets, n, longest):
    """Character n-gram hashes of every text of a UTF-8 buffer (``longest``: most code points)."""
    out = np.empty(out_offsets[-1], np.uint32)
    pw, iv = _powers(longest + 1)
    pre = np.empty(longest + 1, np.uint64)
    spaces = np.empty(longest + 1, np.int64)
    for t in range(len(byte_offsets) - 1):
        if byte_offsets[t + 1] > byte_offsets[t]:
            length, _ = _prefix(buf[byte_offsets[t] : byte_offsets[t + 1]], ascii_only, iv, pre, spaces)
            _ngrams(pre, pw, length, n, out[out_offsets[t] : out_offsets[t + 1]])
    return out


@njit(cache=True)
def _word_kernel(buf, byte_offsets, ascii_only, out_offsets, n, longest):
    """Word n-gram hashes of every text of a UTF-8 buffer (``longest``: most code points)."""
    out = np.empty(out_offsets[-1], np.uint32)
    pw, iv = _powers(longest + 2)
    pre = np.empty(longest + 1, np.uint64)
    spaces = np.empty(longest + 2, np.int64)
    wpre = np.empty(longest + 2, np.uint64)
    for t in range(len(byte_offsets) - 1):
        if byte_offsets[t + 1] == byte_offsets[t]:
            continue
        length, m = _prefix(buf[byte_offsets[t] : byte_offsets[t + 1]], ascii_only, iv, pre, spaces)
        spaces[m] = length  # the last word ends where the text does
        n_words = m + 1
        # Word hashes, summed into prefix hashes over the word sequence.
        acc = np.uint64(0)
        start = 0
        for w in range(n_words):
            end = spaces[w]
            word = (pw[max(end - 1, 0)] * (pre[end] - pre[start])) ^ _TOKEN_SEP  # "" hashes to 0
            wpre[w] = acc
            acc += word * iv[w]
            start = end + 1
        wpre[n_words] = acc
        _ngrams(wpre, pw, n_words, n, out[out_offsets[t] : out_offsets[t + 1]])
    return out


@njit(cache=True)
def _word_counts(buf, byte_offsets):
    """Words per text: spaces + 1, none in an empty text (a space is one byte in UTF-8)."""
    words = np.zeros(len(byte_offsets) - 1, np.int64)
    for t in range(len(words)):
        text = buf[byte_offsets[t] : byte_offsets[t + 1]]
        if len(text):
            spaces = 0
            for j in range(len(text)):
                spaces += text[j] == _SPACE
            words[t] = spaces + 1
    return words


@njit(cache=True)
def _span_kernel(cp, starts, ends):
    """Hash of each span ``cp[starts[i]:ends[i]]`` of a code point array."""
    out = np.empty(len(starts), np.uint32)
    for i in range(len(starts)):
        h = np.uint64(0)
        for j in range(starts[i], ends[i]):
            h = h * _BASE + np.uint64(cp[j])
        out[i] = _mix(h)
    return out


def _utf8(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, bool]:
    """Texts as one UTF-8 buffer, each text's byte offsets, and whether all are ASCII."""
    joined = "".join(texts)
    ascii_only = joined.isascii()  # O(1) in CPython
    if ascii_only:
        data = joined.encode("ascii")
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    else:
        # Lone surrogates (from JSON escapes) are code points like any other.
        encoded = [t.encode("utf-8", "surrogatepass") for t in texts]
        data = b"".join(encoded)
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(texts))
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return np.frombuffer(data, dtype=np.uint8), offsets, ascii_only


def _offsets(units: np.ndarray, n: int) -> np.ndarray:
    """Shingle offsets for texts of ``units`` code points or words.

    A text of 1..n-1 units gives one shingle (itself); an empty text none.
    """
    counts = np.where(units >= n, units - n + 1, np.minimum(units, 1))
    offsets = np.zeros(len(units) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets


def _pieces(lengths: np.ndarray) -> list[tuple[int, int]]:
    """Runs of whole texts of about ``PIECE`` code points (at least one text each)."""
    ends = np.cumsum(lengths)
    runs = []
    lo = 0
    while lo < len(lengths):
        done = ends[lo - 1] if lo else 0
        hi = max(int(np.searchsorted(ends, done + PIECE, side="right")), lo + 1)
        runs.append((lo, hi))
        lo = hi
    return runs


def _shingle(texts: Sequence[str], n: int, words: bool) -> ShingleBatch:
    """Hash the shingles of ``texts`` piece by piece (see ``PIECE``)."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    hashes = []
    offsets = [np.zeros(1, dtype=np.int64)]
    for lo, hi in _pieces(lengths):
        buf, byte_offsets, ascii_only = _utf8(texts[lo:hi])
        units = _word_counts(buf, byte_offsets) if words else lengths[lo:hi]
        local = _offsets(units, n)
        kernel = _word_kernel if words else _char_kernel
        hashes.append(kernel(buf, byte_offsets, ascii_only, local, n, int(lengths[lo:hi].max())))
        offsets.append(local[1:] + offsets[-1][-1])
    if not hashes:
        return ShingleBatch(np.zeros(0, np.uint32), offsets[0])
    return ShingleBatch(hashes[0] if len(hashes) == 1 else np.concatenate(hashes), np.concatenate(offsets))


def hash_spans(texts: Sequence[str], starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Hash arbitrary spans of the concatenation of ``texts`` (for tests).

    Returns
    -------
    ndarray of uint32
    """
    cp = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return _span_kernel(cp, np.asarray(starts, np.int64), np.asarray(ends, np.int64))


def char_shingles(texts: Sequence[str], n: int) -> ShingleBatch:
    """Character n-grams of each text.

    Parameters
    ----------
    texts : sequence of str
        Normalised texts.
    n : int
        n-gram length in code points.
    """
    return _shingle(texts, n, words=False)


def word_shingles(texts: Sequence[str], n: int) -> ShingleBatch:
    """Word n-grams of each text (words split on single spaces).

    Each word is hashed once from the text's prefix hashes; an n-gram's hash
    is the polynomial of its word hashes, from prefix hashes over the word
    sequence, so nothing is hashed twice.
    """
    return _shingle(texts, n, words=True)
