"""Segment documents into blocks and rebuild them from the blocks kept.

A block is one non-blank line: the unit a scraper writes for each HTML
block element, and the unit templates repeat in (a "Comments" heading, a
teaser paragraph). Blocks keep character offsets, so the cleaned text is
the original text with whole lines taken out, never rewritten.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

__all__ = ["segment", "rebuild", "kept_spans", "normalise", "light_key", "WORD"]

# A line holding at least one non-space character; \r and \n end a line.
_LINE = re.compile(r"[^\r\n]*\S[^\r\n]*")
_PUNCT = re.compile(r"[^\w\s]|_")
_DIGIT = re.compile(r"\d")
_SPACE = re.compile(r"\s+")
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
    spans = [(m.start(), m.end()) for m in _LINE.finditer(text)]
    if not spans:
        return np.zeros((0, 3), dtype=np.int64)
    out = np.empty((len(spans), 3), dtype=np.int64)
    out[:, :2] = spans
    breaks = np.array([m.start() for m in re.finditer("\n", text)], dtype=np.int64)
    out[:, 2] = np.searchsorted(breaks, out[:, 0]) + 1
    return out


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


def rebuild(text: str, blocks: np.ndarray, keep: np.ndarray) -> str:
    """The text with the blocks not kept taken out (and nothing else changed)."""
    return "".join(text[a:b] for a, b in kept_spans(len(text), blocks, keep))


def normalise(text: str) -> str:
    """The key two blocks share when they repeat "exactly".

    Unicode compatibility forms folded (NFKC), case folded, every digit
    made 0, punctuation and symbols made spaces, whitespace collapsed; as
    in cc_net's line deduplication (Wenzek et al. 2020), so "Posted 3 May"
    and "posted 12 may." are one line.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _DIGIT.sub("0", text)
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def light_key(text: str) -> str:
    """Key for repeats inside one document: case and spacing only.

    Lighter than :func:`normalise` on purpose: table rows that differ only
    in their numbers are distinct content within a page.
    """
    return _SPACE.sub(" ", text.casefold()).strip()
