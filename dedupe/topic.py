"""Whether a block speaks of what its page speaks of.

An article's lines share their words: its headline, captions and
paragraphs name the same people, places and things, where a menu, a list
of other stories, a footer or a cookie notice do not. For every block, from
its page's texts alone (no markup, no other page: plain-text input has as
much of it as HTML, and a page without siblings too):

* ``topic_share``: of the block's distinct content words (not stop words,
  not numbers), the share that some prose block of the same page
  (:data:`PROSE_WORDS`+ words, the block itself left out) also uses;
* ``topic_support``: how many such blocks use them, on average (log);
* ``page_prose``: the page's distinct content words in prose blocks (log):
  how much there is to share (a product page has little prose);
* ``slug_share``: the share of the URL slug's words
  (:func:`dedupe.own_content.slug_words`) the block holds (NaN without
  one): the page's headline spells its slug.

Words are compared as :func:`dedupe.blocks.normalise` makes them (case
folded, digits made 0, punctuation made spaces) and hashed the way word
shingles are (:func:`dedupe.shingle.word_shingles`). Every figure of a
block depends on its own page only: pages can be measured in any groups,
in any process, with the same result.
"""

from __future__ import annotations

import functools
from typing import Optional, Sequence

import numpy as np
from numba import njit

from .arrays import run_starts
from .blocks import normalise, normalise_many
from .features import STOP_WORDS_FILE
from .own_content import slug_words
from .shingle import word_shingles

__all__ = ["TOPIC_NAMES", "PROSE_WORDS", "topic_features", "page_topic_features"]

TOPIC_NAMES = ["topic_share", "topic_support", "page_prose", "slug_share"]
_HALF = 1 << 31
#: Words (stop words included) that make a block prose.
PROSE_WORDS = 10


@functools.lru_cache(maxsize=1)
def _ignored() -> tuple[np.ndarray, int]:
    """The words that say nothing of a topic (stop words, and numbers:
    digits are 0s after normalising), as an open-addressing table of their
    hashes (int64, -1 where empty, a quarter full at most) and the shift
    that takes a hash's slot from its multiplicative hash (:func:`_slot`):
    a word is looked up in a probe or two, where a sorted array's bisection
    took most of the kernel's time."""
    words = STOP_WORDS_FILE.read_text(encoding="ascii").split() + ["0" * k for k in range(1, 21)]
    hashes = np.unique(word_shingles(sorted({normalise(w) for w in words} - {""}), 1).hashes)
    bits = max(4, int(np.ceil(np.log2(4 * max(len(hashes), 1)))))
    table = np.full(1 << bits, -1, dtype=np.int64)
    for h in hashes.tolist():
        slot = _slot(h, 32 - bits)
        while table[slot] != -1:
            slot = (slot + 1) & (len(table) - 1)
        table[slot] = h
    return table, 32 - bits


@njit(cache=True, inline="always")
def _slot(h, shift):
    """A 32-bit hash's first slot in :func:`_ignored`'s table (Fibonacci hashing)."""
    return ((h * 0x9E3779B1) & 0xFFFFFFFF) >> shift


@njit(cache=True, inline="always")
def _is_ignored(h, table, shift):
    """Whether the hash ``h`` is in :func:`_ignored`'s table (probed from its slot to an empty one)."""
    slot = _slot(h, shift)
    while table[slot] != -1:
        if table[slot] == h:
            return True
        slot = (slot + 1) & (len(table) - 1)
    return False


def topic_features(texts: Sequence[str], doc: np.ndarray, urls: Sequence[Optional[str]]) -> np.ndarray:
    """The :data:`TOPIC_NAMES` figures of each block.

    Parameters
    ----------
    texts : sequence of str
        The blocks' texts, whole pages, in page order.
    doc : array of int, shape (len(texts),)
        Each block's page (equal for a page's blocks, pages contiguous).
    urls : sequence of str or None
        Each page's URL, in the order the pages first appear in ``doc``.

    Returns
    -------
    ndarray of float64, shape (len(texts), len(TOPIC_NAMES))
    """
    n = len(texts)
    out = np.full((n, len(TOPIC_NAMES)), np.nan)
    if n == 0:
        return out
    doc = np.asarray(doc, dtype=np.int64)
    bounds = np.r_[np.flatnonzero(run_starts(doc)), n]
    if len(urls) != len(bounds) - 1:
        raise ValueError(f"{len(urls)} URLs for {len(bounds) - 1} pages")
    words = word_shingles(normalise_many(texts), 1)
    slugs = [slug_words(u) for u in urls]
    slug = word_shingles([normalise(" ".join(sorted(s))) for s in slugs], 1)
    # Each page's slug words, distinct and sorted, for the kernel's binary search.
    slug_hashes = [np.unique(h) for h in np.split(slug.hashes, slug.offsets[1:-1])]
    slug_offsets = np.zeros(len(slugs) + 1, dtype=np.int64)
    np.cumsum([len(h) for h in slug_hashes], out=slug_offsets[1:])
    flat = np.concatenate(slug_hashes) if slug_hashes else np.zeros(0, np.uint32)
    prose = np.diff(words.offsets) >= PROSE_WORDS
    _pages(words.hashes, words.offsets, prose, bounds, *_ignored(), flat.astype(np.uint32), slug_offsets, out)
    return out


@njit(cache=True)
def _pages(hashes, offsets, prose_block, bounds, ignored, shift, slug, slug_offsets, out):
    """Each page's blocks' figures, into ``out``: the page's (word, block)
    pairs sorted, one pass over each word's pairs to count the prose blocks
    using it, one more to credit its blocks."""
    for p in range(len(bounds) - 1):
        b0, b1 = bounds[p], bounds[p + 1]
        keys = np.empty(offsets[b1] - offsets[b0], np.int64)
        k = 0
        for b in range(b0, b1):
            for t in range(offsets[b], offsets[b + 1]):
                h = np.int64(hashes[t])
                if _is_ignored(h, ignored, shift):
                    continue
                # The word's hash, centred to fit a signed key, then the block.
                keys[k] = ((h - _HALF) << 32) | (b - b0)
                k += 1
        keys = np.sort(keys[:k])
        m = b1 - b0
        distinct = np.zeros(m, np.int64)
        shared = np.zeros(m, np.int64)
        support = np.zeros(m)
        found = np.zeros(m, np.int64)
        own = slug[slug_offsets[p] : slug_offsets[p + 1]]
        prose_words = 0
        i = 0
        while i < k:
            h = keys[i] >> 32
            j, last, prose = i, -1, 0
            while j < k and keys[j] >> 32 == h:
                b = keys[j] & 0xFFFFFFFF
                if b != last:
                    prose += prose_block[b0 + b]
                    last = b
                j += 1
            prose_words += prose > 0
            word = h + _HALF
            s = np.searchsorted(own, word)
            in_slug = s < len(own) and own[s] == word
            last = -1
            for q in range(i, j):
                b = keys[q] & 0xFFFFFFFF
                if b == last:
                    continue
                last = b
                others = prose - prose_block[b0 + b]
                distinct[b] += 1
                shared[b] += others > 0
                support[b] += np.log1p(others)
                found[b] += in_slug
            i = j
        for b in range(m):
            if distinct[b] > 0:
                out[b0 + b, 0] = shared[b] / distinct[b]
                out[b0 + b, 1] = support[b] / distinct[b]
            out[b0 + b, 2] = np.log1p(prose_words)
            if len(own):
                out[b0 + b, 3] = found[b] / len(own)


def page_topic_features(texts: Sequence[str], doc: np.ndarray, urls: Sequence[Optional[str]], workers=None) -> np.ndarray:
    """:func:`topic_features`, groups of whole pages at a time in the
    ``workers``' processes (:class:`dedupe.executor.parallel.Workers`) when
    given: the same figures (each page's are its own)."""
    doc = np.asarray(doc, dtype=np.int64)
    if workers is None or len(doc) == 0:
        return topic_features(texts, doc, urls)
    starts = np.flatnonzero(run_starts(doc))
    bounds = np.r_[starts, len(doc)]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    chars = np.add.reduceat(lengths, starts) + 1
    parts = workers.map(
        topic_features, chars, lambda a, b: (texts[bounds[a] : bounds[b]], doc[bounds[a] : bounds[b]], urls[a:b])
    )
    return np.concatenate(parts)
