"""What the text features count, over arrays of many texts' characters.

:func:`char_counts` counts letters, digits, capitals, punctuation and words
over arrays of code points (:func:`ascii_flags` counts the same of ASCII
texts over their bytes).

Besides, :func:`dedupe.features.lexical_features` asks four regular expressions of
every distinct block text (its words, for the stop words; sentence ends;
separators; addresses) and a fifth of the short texts with a digit
(dates). Asked text by text, they were most of the model stage's time.
For ASCII texts, :func:`ascii_flags` answers the first four, and the
counts, from one array of the bytes of many texts in one compiled pass:
every pattern is a short fixed shape of literal characters, word
characters (``\\w``) and spaces (``\\s``), so a match is a test on
neighbouring bytes, and no match may run past the end of its text. The
answers are the expressions' own, to the count: texts with a character
outside ASCII (where ``re.I`` and ``str.lower`` reach past ASCII) are
left to the expressions, and ``tests/test_features.py`` compares the two
on adversarial texts.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
from numba import njit

__all__ = ["ascii_flags", "char_counts"]

# Texts are read in pieces of about this many characters.
_CHUNK = 1 << 24
# Every byte past a text's end: the separator (NUL: not a word character,
# not a space, in no pattern) and enough padding for the longest pattern.
_PAD = 8

_CODES = np.arange(256)
# Each ASCII byte's class bits (:func:`char_counts`' bits, from str's methods).
_ASCII_CLASS = np.array([
    0 if c >= 128 else chr(c).isalpha() | chr(c).isdigit() << 1 | chr(c).isupper() << 2
    | (chr(c).isalnum() or c == 0x5F) << 3 | chr(c).isspace() << 4
    for c in range(256)
], dtype=np.uint8)
_LOWER = np.where((_CODES >= 65) & (_CODES <= 90), _CODES + 32, _CODES).astype(np.uint8)


def _key(word: bytes) -> int:
    """Up to 8 bytes as one integer, the first the lowest (as :func:`_scan` reads a word)."""
    return int.from_bytes(word.ljust(8, b"\0"), "little")


def _stop_keys(stop: frozenset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The keys of the stop words of up to 8 letters (sorted), and of the
    longer ones their first 8 letters' keys and the rest's, sorted as pairs.
    No word holds a NUL, so words of different lengths have different keys."""
    words = [w.encode("ascii") for w in stop]
    assert all(len(w) <= 16 for w in words)
    short = np.unique(np.array([_key(w) for w in words if len(w) <= 8], dtype=np.uint64))
    long = sorted({(_key(w[:8]), _key(w[8:])) for w in words if len(w) > 8})
    return short, np.array([a for a, _ in long], dtype=np.uint64), np.array([b for _, b in long], dtype=np.uint64)


def ascii_flags(texts: Sequence[str], stop: frozenset) -> np.ndarray:
    """Per ASCII text, an (n, 12) array of int64: the 7 columns of
    :func:`char_counts` (which these texts need not be given to), then its
    words (``\\w+`` of the lower-cased text) in ``stop`` (lower-case ASCII
    letters), the matches of ``[.!?]["')]*(?:\\s|$)``, whether one lies in
    its last three characters, whether it holds ``[|]|&gt;|\\s-\\s``, and
    whether it holds ``https?://|www\\.|\\.(?:com|org|net)\\b|@\\w+\\.``
    (ignoring case)."""
    assert all(s.isascii() and s.isalpha() and s.islower() for s in stop)
    stop_keys = _stop_keys(stop)
    out = np.zeros((len(texts), 12), dtype=np.int64)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    upto = np.cumsum(lengths + 1)
    a = 0
    while a < len(texts):
        b = max(a + 1, int(np.searchsorted(upto, upto[a] - lengths[a] - 1 + _CHUNK, side="right")))
        n = lengths[a:b]
        # Text i is raw[starts[i]:ends[i]], followed by a NUL.
        raw = np.frombuffer(("\0".join(texts[a:b]) + "\0" * _PAD).encode("ascii"), dtype=np.uint8)
        ends = np.cumsum(n + 1) - 1
        _scan(raw, _LOWER[raw], ends - n, ends, _ASCII_CLASS, *stop_keys, out[a:b])
        a = b
    return out


# What :func:`_scan` looks for, as bytes (constants of the compiled code).
_HTTP, _WWW, _GT, _SLASHES, _TLDS = (np.frombuffer(t, np.uint8) for t in (b"http", b"www.", b"&gt;", b"://", b"comorgnet"))
# The bytes a pattern begins with, or holds where a scan looks for it.
_MARKS = np.isin(_CODES, np.frombuffer(b".!?|&-hHwW", np.uint8))


@njit(cache=True, nogil=True)
def _has(b, p, text):
    """Whether ``b[p:]`` begins with the bytes ``text``."""
    for j in range(len(text)):
        if b[p + j] != text[j]:
            return False
    return True


@njit(cache=True, nogil=True)
def _word_key(low, p, n):
    """``n`` (at most 8) lower-case bytes from ``p`` as one integer, the first the lowest."""
    k = np.uint64(0)
    for j in range(n):
        k |= np.uint64(low[p + j]) << np.uint64(8 * j)
    return k


@njit(cache=True, nogil=True)
def _scan(raw, lower, starts, ends, cls_of, short_keys, long_first, long_rest, out):
    """:func:`ascii_flags`' 12 columns of each text ``raw[starts[i]:ends[i]]``
    (a NUL after each, and padding after the last: a match never reads
    past the buffer, and none runs across a NUL; ``lower``: the bytes in
    lower case), in one pass over the bytes."""
    http, www, gt, slashes, tlds, marks = _HTTP, _WWW, _GT, _SLASHES, _TLDS, _MARKS
    for i in range(len(starts)):
        a, e = starts[i], ends[i]
        letters = digits = capitals = punctuation = words = in_words = titled = stops = sentences = 0
        last3 = separator = address = 0
        in_word = False
        for p in range(a, e):
            c = raw[p]
            k = cls_of[c]
            letters += k & 1
            digits += (k >> 1) & 1
            capitals += (k >> 2) & 1
            punctuation += (k & 24) == 0
            if not k & 8:
                in_word = False
            elif not in_word:
                in_word = True
                q = p + 1  # a word: raw[p:q]
                while cls_of[raw[q]] & 8:
                    q += 1
                n = q - p
                words += 1
                in_words += n
                titled += (k >> 2) & 1
                if n <= 8:
                    key = _word_key(lower, p, n)
                    at = np.searchsorted(short_keys, key)
                    stops += at < len(short_keys) and short_keys[at] == key
                elif n <= 16:
                    first, rest = _word_key(lower, p, 8), _word_key(lower, p + 8, n - 8)
                    at = np.searchsorted(long_first, first)
                    while at < len(long_first) and long_first[at] == first:
                        if long_rest[at] == rest:
                            stops += 1
                            break
                        at += 1
                if p > a and raw[p - 1] == 64 and raw[q] == 46:  # @word.
                    address = 1
            if not marks[c]:
                continue
            if c == 46 or c == 33 or c == 63:  # . ! ?: a sentence's end, past closing quotes and brackets
                after = p + 1
                while raw[after] == 34 or raw[after] == 39 or raw[after] == 41:
                    after += 1
                if after == e or cls_of[raw[after]] & 16:
                    sentences += 1
                    if p >= max(a, e - 3):
                        last3 = 1
            if c == 124 or (c == 38 and _has(raw, p, gt)):  # | &gt;
                separator = 1
            elif c == 45 and p > a and cls_of[raw[p - 1]] & 16 and cls_of[raw[p + 1]] & 16:  # \s-\s
                separator = 1
            low = lower[p]
            if low == 104 and _has(lower, p, http):  # http:// https://
                if _has(raw, p + 5 if lower[p + 4] == 115 else p + 4, slashes):
                    address = 1
            elif low == 119 and _has(lower, p, www):
                address = 1
            elif c == 46:  # .com .org .net, then no word character
                for t in range(3):
                    if _has(lower, p + 1, tlds[3 * t : 3 * t + 3]) and not cls_of[raw[p + 4]] & 8:
                        address = 1
        row = out[i]
        row[0], row[1], row[2], row[3], row[4], row[5], row[6] = letters, digits, capitals, punctuation, words, in_words, titled
        row[7], row[8], row[9], row[10], row[11] = stops, sentences, last3, separator, address


# Character classes, one bit each, of every code point a text holds: the
# counts of letters, digits, capitals and punctuation are the hot part of
# the text features, so they are counted over arrays of code points
# rather than character by character. Each code point's class is asked of
# Python's own str methods (the first time it is seen), so the counts are
# those of ``str.isalpha`` and friends, and of ``re``'s ``\w`` and ``\s``.
_ALPHA, _DIGIT, _UPPER, _WORDCHAR, _SPACE = 1, 2, 4, 8, 16
_CLASS_OF: Optional[np.ndarray] = None
_KNOWN: Optional[np.ndarray] = None
# Texts are counted in pieces of about this many characters (four bytes each).
_CHUNK_CHARS = 1 << 23


def _classify(codes: np.ndarray) -> None:
    assert _CLASS_OF is not None and _KNOWN is not None
    for c in codes.tolist():
        ch = chr(c)
        word = ch.isalnum() or ch == "_"
        _CLASS_OF[c] = ch.isalpha() | ch.isdigit() << 1 | ch.isupper() << 2 | word << 3 | ch.isspace() << 4
    _KNOWN[codes] = True


def _char_classes(codes: np.ndarray) -> np.ndarray:
    """The class bits of each code point in ``codes`` (uint32)."""
    global _CLASS_OF, _KNOWN
    if _CLASS_OF is None:
        _CLASS_OF, _KNOWN = np.zeros(0x110000, dtype=np.uint8), np.zeros(0x110000, dtype=bool)
        _classify(np.arange(256))
    assert _KNOWN is not None
    unseen = codes[~_KNOWN[codes]]
    if len(unseen):
        _classify(np.unique(unseen))
    return _CLASS_OF[codes]


def char_counts(texts: Sequence[str]) -> np.ndarray:
    """Per text: its letters, digits, capitals, punctuation (neither word
    nor space characters), words (runs of word characters, as ``\\w+``
    finds them), characters in words, and words that begin with a capital:
    an (n, 7) array of int64."""
    out = np.zeros((len(texts), 7), dtype=np.int64)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    # Pieces of whole texts, each at most _CHUNK_CHARS but for a longer text alone.
    upto = np.cumsum(lengths)
    a = 0
    while a < len(texts):
        b = max(a + 1, int(np.searchsorted(upto, upto[a] - lengths[a] + _CHUNK_CHARS, side="right")))
        n = lengths[a:b]
        ends = np.cumsum(n)
        starts = ends - n
        codes = np.frombuffer("".join(texts[a:b]).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        cls = _char_classes(codes)
        word = (cls & _WORDCHAR) != 0
        first = word.copy()
        first[1:] &= ~word[:-1]
        full = starts[n > 0]
        first[full] = word[full]
        # The sum over each text, from its first character to the next
        # text's (texts without characters take none and get 0).
        for j, flags in enumerate(((cls & _ALPHA) != 0, (cls & _DIGIT) != 0, (cls & _UPPER) != 0,
                                   (cls & (_WORDCHAR | _SPACE)) == 0, first, word,
                                   first & ((cls & _UPPER) != 0))):
            if len(full):
                out[a + np.flatnonzero(n > 0), j] = np.add.reduceat(flags.view(np.uint8), full, dtype=np.int64)
        a = b
    return out
