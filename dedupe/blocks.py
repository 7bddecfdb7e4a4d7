"""Segment documents into blocks and rebuild them from the blocks kept.

A block is one non-blank line: the unit a scraper writes for each HTML
block element, and the unit templates repeat in (a "Comments" heading, a
teaser paragraph). Blocks keep character offsets, so the cleaned text is
the original text with whole lines taken out, never rewritten.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from typing import Sequence

import numpy as np
from numba import njit

__all__ = ["segment", "rebuild", "kept_spans", "kept_spans_all", "normalise", "normalise_many", "light_key", "WORD"]

# A line holding at least one non-space character; \r and \n end a line.
_LINE = re.compile(r"[^\r\n]*\S[^\r\n]*")
_DIGIT = re.compile(r"\d")
# Whitespace, punctuation, symbols and "_": what normalise makes spaces.
_NOT_WORD = re.compile(r"[\W_]+")
#: What counts as a word everywhere (the benchmark metric's tokens too).
WORD = re.compile(r"\w+")


def segment(text: str) -> np.ndarray:
    """Find the blocks of a text.

    Returns
    -------
    ndarray of int64, shape (n_blocks, 3)
        ``start``, ``end`` (character offsets of the line, without its line
        break) and the 1-based ``line`` number of each block, in order.
    """
    if text.isascii():
        return _ascii_lines(np.frombuffer(text.encode("ascii"), dtype=np.uint8), _ASCII_SPACE)
    spans = [(m.start(), m.end()) for m in _LINE.finditer(text)]
    if not spans:
        return np.zeros((0, 3), dtype=np.int64)
    out = np.empty((len(spans), 3), dtype=np.int64)
    out[:, :2] = spans
    breaks = np.array([m.start() for m in re.finditer("\n", text)], dtype=np.int64)
    out[:, 2] = np.searchsorted(breaks, out[:, 0]) + 1
    return out


# Which ASCII characters are whitespace to ``\S`` (str.isspace).
_ASCII_SPACE = np.array([chr(c).isspace() for c in range(128)], dtype=np.bool_)


@njit(cache=True)
def _ascii_lines(codes, is_space):
    """:func:`segment` of an ASCII text's bytes: each line (cut at ``\r`` and
    ``\n``, as ``_LINE``'s matches are) holding a non-space character."""
    out = np.empty((len(codes) // 2 + 1, 3), dtype=np.int64)
    n = 0
    line = 1
    start = 0
    solid = False  # the line so far holds a non-space
    for i in range(len(codes) + 1):
        if i == len(codes) or codes[i] == 10 or codes[i] == 13:
            if solid:
                out[n, 0], out[n, 1], out[n, 2] = start, i, line
                n += 1
            if i < len(codes) and codes[i] == 10:
                line += 1
            start = i + 1
            solid = False
        elif not is_space[codes[i]]:
            solid = True
    return out[:n].copy()


def kept_spans(text_length: int, blocks: np.ndarray, keep: np.ndarray) -> list[tuple[int, int]]:
    """The character spans of the original text that survive.

    Each block owns its line and the line breaks and blank lines after it,
    up to the next block; the text before the first block always stays.
    Adjacent spans are merged.
    """
    if len(blocks) == 0:
        return [(0, text_length)] if text_length else []
    owns_to = np.append(blocks[1:, 0], text_length)
    spans: list[tuple[int, int]] = []
    if blocks[0, 0] > 0:
        spans.append((0, int(blocks[0, 0])))
    for start, end, k in zip(blocks[:, 0].tolist(), owns_to.tolist(), keep.tolist()):
        if not k:
            continue
        if spans and spans[-1][1] == start:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def kept_spans_all(
    lengths: np.ndarray, counts: np.ndarray, starts: np.ndarray, keep: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`kept_spans` of every document at once, from flat arrays.

    Parameters
    ----------
    lengths : ndarray of int, shape (n_docs,)
        Characters in each document's text.
    counts : ndarray of int, shape (n_docs,)
        Blocks of each document (its rows of ``starts`` and ``keep``, in order).
    starts : ndarray of int, shape (n_blocks,)
        Where each block starts in its document's text; a document's blocks
        in text order (:func:`segment`'s), else ValueError.
    keep : ndarray of bool, shape (n_blocks,)

    Returns
    -------
    spans : ndarray of int64, shape (n_spans, 2)
        Every document's kept spans, in document order.
    per_doc : ndarray of int64, shape (n_docs,)
        Spans of each document.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    starts = np.asarray(starts)
    keep = np.asarray(keep, dtype=bool)
    if int(counts.sum()) != len(starts) or len(keep) != len(starts) or len(counts) != len(lengths):
        raise ValueError(
            f"{len(lengths)} lengths, {len(counts)} counts of {int(counts.sum())} blocks, "
            f"{len(starts)} starts, {len(keep)} keeps"
        )
    # One pass over the blocks in text order, holding nothing per block
    # (a sort of the pieces held some ten arrays of thirty million blocks
    # at a million pages): counted, then written.
    found = _spans_in_order(lengths, counts, starts, keep, None)
    if found < 0:
        raise ValueError("each document's blocks must come in text order (their starts non-decreasing)")
    spans = np.empty((found, 2), dtype=np.int64)
    per_doc = np.zeros(len(lengths), dtype=np.int64)
    _spans_in_order(lengths, counts, starts, keep, (spans, per_doc))
    return spans, per_doc


@njit(cache=True)
def _spans_in_order(lengths, counts, starts, keep, out):
    """:func:`kept_spans_all`'s spans, each document's blocks in text order:
    the spans counted (``out`` None), or written to ``out`` (spans,
    per_doc, as counted first). -1 if some document's blocks are out of order.

    A document's pieces, in order: the text before its first block (kept),
    then each kept block up to the next block's start (the last one to the
    text's end), or its whole text when it has no blocks. A piece that
    starts where the one before it ends goes on the same span."""
    n_spans = 0
    b = 0
    for d in range(len(lengths)):
        n_blocks, length = counts[d], lengths[d]
        open_hi = -1  # the current span's end; -1: none open in this document
        if n_blocks == 0:
            if length > 0:
                if out is not None:
                    out[0][n_spans, 0], out[0][n_spans, 1] = 0, length
                    out[1][d] = 1
                n_spans += 1
            continue
        for i in range(b, b + n_blocks - 1):
            if starts[i + 1] < starts[i]:
                return -1
        first = starts[b]
        for k in range(-1, n_blocks):
            if k < 0:
                if first <= 0:
                    continue
                lo, hi = 0, first
            else:
                i = b + k
                if not keep[i]:
                    continue
                lo = starts[i]
                hi = starts[i + 1] if k + 1 < n_blocks else length
            if open_hi >= 0 and lo == open_hi:
                open_hi = hi
                if out is not None:
                    out[0][n_spans - 1, 1] = hi
                continue
            if out is not None:
                out[0][n_spans, 0], out[0][n_spans, 1] = lo, hi
                out[1][d] += 1
            n_spans += 1
            open_hi = hi
        b += n_blocks
    return n_spans


def rebuild(text: str, blocks: np.ndarray, keep: np.ndarray) -> str:
    """The text with the blocks not kept taken out (and nothing else changed)."""
    return "".join(text[a:b] for a, b in kept_spans(len(text), blocks, keep))


def normalise(text: str) -> str:
    """The key two blocks share when they repeat "exactly".

    Unicode compatibility forms folded (NFKC), case folded, every digit
    made 0, punctuation and symbols made spaces, whitespace collapsed; as
    in cc_net's line deduplication (Wenzek et al. 2020), so "Posted 3 May"
    and "posted 12 may." are one line.

    Notes
    -----
    After NFKC and case folding, digits and punctuation are mapped one code
    point at a time, so a table of what becomes of each (:func:`_map_each`
    over every code point) maps the text, and runs of spaces are squeezed,
    in one compiled pass. ASCII text skips NFKC, which leaves it unchanged,
    and case folding, which its table does (``lower`` is ASCII's case fold).
    """
    if text.isascii():
        buf = bytearray(text.encode("ascii"))
        return buf[: _map_squeeze(buf, _ASCII_TABLE)].decode("ascii")
    folded = unicodedata.normalize("NFKC", text).casefold()
    buf = bytearray(folded.encode(_UTF32, "surrogatepass"))  # lone surrogates pass (and become spaces)
    n = _map_squeeze(np.frombuffer(buf, dtype=np.uint32), _unicode_table())
    return buf[: 4 * n].decode(_UTF32)


def normalise_many(texts: Sequence[str]) -> list[str]:
    """:func:`normalise` of each text, in one compiled pass over all of them.

    The same strings as ``[normalise(t) for t in texts]``, without a compiled
    call (and its dispatch, some microseconds) per text: for the blocks
    stage, which normalises every line of the corpus, a third faster. (For
    page-long texts the call costs nothing next to the text.)
    """
    out: list[str] = [""] * len(texts)
    ascii_idx = [i for i, t in enumerate(texts) if t.isascii()]
    if ascii_idx:
        _normalise_into(out, ascii_idx, [texts[i] for i in ascii_idx], "ascii", np.uint8, _ASCII_TABLE)
    if len(ascii_idx) < len(texts):
        other_idx = [i for i, t in enumerate(texts) if not t.isascii()]
        folded = [unicodedata.normalize("NFKC", texts[i]).casefold() for i in other_idx]
        _normalise_into(out, other_idx, folded, _UTF32, np.uint32, _unicode_table())
    return out


def _normalise_into(out: list, idx: list, texts: list, encoding: str, dtype, table: np.ndarray) -> None:
    """Map and squeeze ``texts`` (ASCII, or NFKC case-folded text) as one
    buffer of code points; ``out[idx[k]]`` gets text k's result."""
    buf = bytearray("".join(texts).encode(encoding, "surrogatepass"))  # lone surrogates pass (and become spaces)
    ends = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)))
    lengths = np.empty(len(texts), dtype=np.int64)
    n = _map_squeeze_many(np.frombuffer(buf, dtype=dtype), ends, table, lengths)
    joined = buf[: np.dtype(dtype).itemsize * n].decode(encoding)
    bounds = np.concatenate([[0], np.cumsum(lengths)]).tolist()
    for k, i in enumerate(idx):
        out[i] = joined[bounds[k] : bounds[k + 1]]


def _map_each(chars: str) -> str:
    """What :func:`normalise` makes of each character once case folded, one for one.

    A decimal digit of any script becomes "0"; whitespace, punctuation,
    symbols, "_" (and unassigned code points, lone surrogates) become " ";
    letters and the other numbers stay.
    """
    return _NOT_WORD.sub(lambda m: " " * len(m[0]), _DIGIT.sub("0", chars))


# UTF-32 in this machine's byte order: its bytes are numpy's uint32 code points.
_UTF32 = "utf-32-le" if sys.byteorder == "little" else "utf-32-be"
# normalise's map of the ASCII code points, lower-casing (= case folding) included.
_ASCII_TABLE = np.frombuffer(_map_each(bytes(range(128)).decode("ascii").lower()).encode("ascii"), dtype=np.uint8)


@functools.cache
def _unicode_table() -> np.ndarray:
    """normalise's map of every code point, uint32 (4.5 MB), made at first use."""
    every = np.arange(sys.maxunicode + 1, dtype=np.uint32).tobytes().decode(_UTF32, "surrogatepass")
    return np.frombuffer(_map_each(every).encode(_UTF32), dtype=np.uint32)


@njit(cache=True)
def _map_squeeze_many(codes, ends, table, lengths):
    """:func:`_map_squeeze` of each text of ``codes`` (text t ends at
    ``ends[t]``), the results packed one after the other from the start;
    ``lengths[t]`` is result t's length. Returns the total length.

    Without branches on the text (a space every few letters would make
    them unpredictable): a pending space and the code point are written
    where they would go, and the write position moves only past those
    kept. Never writes past what has been read.
    """
    n = 0
    start = 0
    for t in range(len(ends)):
        first = n
        pending = False  # a space is due before the next code point kept
        for i in range(start, ends[t]):
            m = table[codes[i]]
            space = m == 32
            codes[n] = 32
            n += pending and not space
            codes[n] = m
            n += not space
            pending = space and n > first
        lengths[t] = n - first
        start = ends[t]
    return n


@njit(cache=True)
def _map_squeeze(codes, table):
    """Map the code points through ``table`` and squeeze the spaces, in place.

    A run of spaces becomes one space, and none is kept at either end.
    Returns the length ``n`` of the result, ``codes[:n]``; it is never
    longer than what has been read, so only code points already read are
    overwritten. (:func:`_map_squeeze_many` of one text.)
    """
    ends = np.full(1, len(codes), dtype=np.int64)
    lengths = np.empty(1, dtype=np.int64)
    return _map_squeeze_many(codes, ends, table, lengths)


def light_key(text: str) -> str:
    """Key for repeats inside one document: case and spacing only.

    Lighter than :func:`normalise` on purpose: table rows that differ only
    in their numbers are distinct content within a page.
    """
    # str.split() splits where ``\s+`` matches (both are str.isspace), and
    # drops the ends as strip() does: twice as fast as the regex.
    return " ".join(text.casefold().split())
