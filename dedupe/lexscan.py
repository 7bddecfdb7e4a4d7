"""What the text features count, over arrays of many texts' characters.

:func:`char_counts` counts letters, digits, capitals, punctuation and words
over arrays of code points (:func:`ascii_flags` counts the same of ASCII
texts over their bytes).

Besides, :func:`dedupe.features.lexical_features` asks four regular expressions of
every distinct block text (its words, for the stop words; sentence ends;
separators; addresses) and a fifth of the short texts with a digit
(dates). Asked text by text, they were most of the model stage's time.
For ASCII texts, :func:`ascii_flags` answers the first four from one
array of the bytes of many texts: every pattern is a short fixed shape of
literal characters, word characters (``\\w``) and spaces (``\\s``), so a
match is a test on neighbouring bytes, and no match may run past the end
of its text. The answers are the expressions' own, to the count: texts
with a character outside ASCII (where ``re.I`` and ``str.lower`` reach
past ASCII) are left to the expressions, and ``tests/test_features.py``
compares the two on adversarial texts.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

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


def _find(b: np.ndarray, text: str, at: int = 0, candidates=None) -> np.ndarray:
    """The positions p (of ``candidates``, else all) where ``b[p + at:]``
    begins with ``text`` (``b`` padded: no match reads past its end)."""
    if candidates is None:
        p = np.flatnonzero(b[at : len(b) - _PAD] == ord(text[0]))
    else:
        p = candidates[b[candidates + at] == ord(text[0])]
    for j, ch in enumerate(text[1:], 1):
        p = p[b[p + at + j] == ord(ch)]
    return p


def _key(word: bytes) -> int:
    """Up to 8 bytes as one integer, the first the lowest (a window of :func:`_chunk`'s ``low8``)."""
    return int.from_bytes(word.ljust(8, b"\0"), "little")


def _stop_keys(stop: frozenset) -> tuple[np.ndarray, np.ndarray, set]:
    """The keys of the stop words of up to 8 letters (sorted), and of the
    longer ones: their first 8 letters' keys (sorted) and (first, rest) pairs.
    No word holds a NUL, so words of different lengths have different keys."""
    words = [w.encode("ascii") for w in stop]
    assert all(len(w) <= 16 for w in words)
    short = np.unique(np.array([_key(w) for w in words if len(w) <= 8], dtype=np.uint64))
    long = {(_key(w[:8]), _key(w[8:])) for w in words if len(w) > 8}
    return short, np.unique(np.array([a for a, _ in long] or [0], dtype=np.uint64)), long


# The low bytes that hold a word of each length up to 8.
_MASK = np.array([(1 << 8 * n) - 1 for n in range(9)], dtype=np.uint64)


def _among(keys: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Whether each of ``keys`` is one of the sorted ``known``."""
    return known[np.minimum(np.searchsorted(known, keys), len(known) - 1)] == keys


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
        out[a:b] = _chunk(texts[a:b], lengths[a:b], stop_keys)
        a = b
    return out


def _chunk(texts: Sequence[str], n: np.ndarray, stop_keys: tuple) -> np.ndarray:
    out = np.zeros((len(texts), 5), dtype=np.int64)
    # Text i is raw[starts[i]:ends[i]], followed by a NUL.
    raw = np.frombuffer(("\0".join(texts) + "\0" * _PAD).encode("ascii"), dtype=np.uint8)
    ends = np.cumsum(n + 1) - 1
    starts = ends - n
    end = np.zeros(len(raw), dtype=bool)
    end[ends] = True
    cls = _ASCII_CLASS[raw]
    word, space = (cls & 8) != 0, (cls & 16) != 0
    low = _LOWER[raw]

    def count(positions: np.ndarray) -> np.ndarray:
        """Matches per text, of matches starting at ``positions``."""
        return np.bincount(np.searchsorted(ends, positions), minlength=len(texts))

    # Words: maximal runs of word characters (NUL ends every text's last run).
    edges = np.flatnonzero(word[1:] != word[:-1]) + 1  # raw begins and ends with no word character...
    if word[0]:
        edges = np.r_[0, edges]  # ...but for a first text that begins with one
    w_start, w_end = edges[0::2], edges[1::2]
    w_len = w_end - w_start
    # Stop words: the lower-case bytes of a word, 8 at a time (the windows
    # of low8 overlap; raw's padding keeps them inside it).
    low8 = np.ndarray((len(low) - 7,), dtype="<u8", buffer=low, strides=(1,))
    short_keys, long_first, long_keys = stop_keys
    short = w_len <= 8
    s0 = w_start[short]
    stop = [s0[_among(low8[s0] & _MASK[w_len[short]], short_keys)]]
    s0, rest = w_start[(w_len > 8) & (w_len <= 16)], w_len[(w_len > 8) & (w_len <= 16)]
    maybe = _among(low8[s0], long_first)
    s0, rest = s0[maybe], rest[maybe] - 8
    pairs = zip(low8[s0].tolist(), (low8[s0 + 8] & _MASK[rest]).tolist())
    stop.append(s0[np.array([p in long_keys for p in pairs], dtype=bool)])
    out[:, 0] = count(np.concatenate(stop))
    # Sentence ends: a stop whose run of closing quotes and brackets is
    # followed by a space or the end of the text.
    stop_at = np.concatenate([_find(raw, "."), _find(raw, "!"), _find(raw, "?")])
    after = stop_at + 1
    closer = (raw == ord('"')) | (raw == ord("'")) | (raw == ord(")"))
    on = np.flatnonzero(closer[after])
    while len(on):  # every text's end (a NUL) ends its runs
        after[on] += 1
        on = on[closer[after[on]]]
    sentence = stop_at[space[after] | end[after]]
    out[:, 1] = count(sentence)
    last3 = sentence >= np.maximum(starts, ends - 3)[np.searchsorted(ends, sentence)]
    out[:, 2] = count(sentence[last3]) > 0
    # Separators.
    dash = _find(raw, "-", 1)
    dash = dash[space[dash] & space[dash + 2]]
    out[:, 3] = count(np.concatenate([_find(raw, "|"), _find(raw, "&gt;"), dash])) > 0
    # Addresses, in any case. "@" is no word character: the run of word
    # characters after one is a word that begins there.
    h = _find(low, "http")
    dot = _find(low, ".")
    tld = [d[~word[d + 4]] for d in (_find(low, "com", 1, dot), _find(low, "org", 1, dot), _find(low, "net", 1, dot))]
    at = raw[w_start - 1] == ord("@")
    mail = w_start[at][raw[w_end[at]] == ord(".")] - 1
    web = [_find(low, "://", 4, h), _find(low, "s://", 4, h), _find(low, "www."), mail] + tld
    out[:, 4] = count(np.concatenate(web)) > 0
    # Characters: each text's run of bytes and its NUL (which is
    # punctuation, neither a word character nor a space) summed.
    chars = np.zeros((len(texts), 7), dtype=np.int64)
    upto = cls[: ends[-1] + 1]
    for j, bit in enumerate((1, 2, 4)):  # letters, digits, capitals
        chars[:, j] = np.add.reduceat((upto & bit) != 0, starts, dtype=np.int64)
    chars[:, 3] = np.add.reduceat((upto & 24) == 0, starts, dtype=np.int64) - 1
    chars[:, 4] = count(w_start)
    chars[:, 5] = np.add.reduceat(word[: ends[-1] + 1], starts, dtype=np.int64)
    chars[:, 6] = count(w_start[(cls[w_start] & 4) != 0])
    return np.concatenate([chars, out], axis=1)


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
