"""How much each block weighs when two documents are compared as copies."""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np
from numba import njit

__all__ = ["block_weights", "weights_and_prose", "MIN_PROSE_CHARS", "MAX_PROSE_PUNCT"]

_PUNCT = re.compile(r"[^\w\s]")

# Documents are compared as copies on their prose: a site menu or a sidebar
# is many short lines, a republished article is paragraphs, and a page whose
# menu outweighs its body must not look like a copy of every other page of
# its site. Prose is a line of `short_block_words`+ words that is not dense
# with punctuation (markup and code left in a page are). A page with almost
# no prose (a list, a poem) is compared on all its lines instead, so two
# copies of it are still copies.
MIN_PROSE_CHARS = 200
MAX_PROSE_PUNCT = 0.1


def block_weights(texts: Sequence[str], doc_of: np.ndarray, n_docs: int, short_words: int) -> np.ndarray:
    """Characters per block for comparing documents: prose blocks only, where a document has prose."""
    return weights_and_prose(texts, doc_of, n_docs, short_words)[0]


def weights_and_prose(
    texts: Sequence[str], doc_of: np.ndarray, n_docs: int, short_words: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`block_weights` (float64), and whether each block is a prose
    line (bool): what two documents with a little prose each must share,
    beyond a sidebar of short lines, to be copies
    (:func:`dedupe.boilerplate.decide`)."""
    chars, words, punct = _counts(texts)
    prose = (words >= short_words) & (punct <= MAX_PROSE_PUNCT * np.maximum(chars, 1))
    prose_chars = np.bincount(doc_of, weights=chars * prose, minlength=n_docs)
    has_prose = prose_chars[doc_of] >= MIN_PROSE_CHARS
    return np.where(prose | ~has_prose, chars, 0.0), prose


def _counts(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Of each text: characters once stripped, words (``str.split``), and
    punctuation characters (``_PUNCT``), float64 each.

    ASCII texts (most lines of most corpora) are counted in one compiled pass
    over their bytes, by tables of what Python's ``isspace`` and ``_PUNCT``
    make of each ASCII character; the others by those very functions.
    """
    n = len(texts)
    out = np.empty((3, n), dtype=np.float64)
    is_ascii = np.fromiter(map(str.isascii, texts), dtype=bool, count=n)
    idx = np.flatnonzero(is_ascii).tolist()
    if idx:
        picked = [texts[i] for i in idx]
        ends = np.cumsum(np.fromiter(map(len, picked), dtype=np.int64, count=len(picked)))
        buf = np.frombuffer("".join(picked).encode("ascii"), dtype=np.uint8)
        out[:, idx] = _ascii_counts(buf, ends, _ASCII_CLASS)
    for i in np.flatnonzero(~is_ascii).tolist():
        t = texts[i]
        out[:, i] = len(t.strip()), len(t.split()), len(_PUNCT.findall(t))
    return out[0], out[1], out[2]


# Each ASCII character: 1 if whitespace (str.isspace), 2 if punctuation (_PUNCT), else 0.
_ASCII_CLASS = np.array(
    [1 if chr(c).isspace() else 2 if _PUNCT.fullmatch(chr(c)) else 0 for c in range(128)], dtype=np.uint8
)


@njit(cache=True)
def _ascii_counts(buf, ends, classes):
    """:func:`_counts` of ASCII texts, one after the other in ``buf`` (text
    t ends at ``ends[t]``): float64 (3, n_texts)."""
    out = np.zeros((3, len(ends)), dtype=np.float64)
    start = 0
    for t in range(len(ends)):
        first, last, words, punct = -1, -1, 0, 0
        inside = False
        for i in range(start, ends[t]):
            c = classes[buf[i]]
            if c != 1:
                if first < 0:
                    first = i
                last = i
                words += not inside
            inside = c != 1
            punct += c == 2
        out[0, t] = last - first + 1 if first >= 0 else 0
        out[1, t] = words
        out[2, t] = punct
        start = ends[t]
    return out
