"""Evidence that a block is its page's own content, whatever the repetition
rule makes of it: the page's headline, rows of numbers, table cells.

**A page's own headline** is kept on its page even where sibling pages list it.

A blog's "recent posts" sidebar lists the titles of its other posts, so a
post's headline repeats on many pages of its site and the repetition rule
takes it for a template, on its own page too. The page itself says which
line is its headline: its URL's slug spells it
(``/2012/08/tami-taylor-confirms-that-women-of-friday-night-lights…``), and
in HTML it is the page's first ``<h1>``. A block with that evidence is
kept on its page, unless the evidence is as common as the block (a site
name that is every page's ``<h1>``): it is a headline when at most half
the pages that carry it call it theirs. On the other pages it stays what
the rule found (a sidebar line, removed).

**Rows that differ in their numbers.** Block keys ignore digits, so that
"© 2019 Example" and "© 2021 Example" are one template; but then every
year of a genealogy table, every tenure of a list ("2018-2021") and every
price is one block too. A page that carries a cluster's line more than
once with different digits is listing values (a template's line appears
once a page, its year the page's own): the cluster is kept on that page.
The caller asks this of table cells only (see
:func:`dedupe.verdicts.own_content_of`).

**Cells of a table** (HTML input: ``td``, ``th``, ``dd``, ``dt`` in the
tag path) that repeat in their page are content: a spec sheet's "Yes", a
staff table's "Harvard University" twice.
"""

from __future__ import annotations

import math
import re
from typing import Callable, Optional, Sequence
from urllib.parse import unquote, urlsplit

import numpy as np
from numba import njit

from .ints import index_type
from .io.html import element_path

__all__ = ["slug_words", "matches_slug", "slug_matches", "own_headlines", "numbered_rows", "table_cells"]

_WORD = re.compile(r"\w+")
# A path segment's extension, and ids that are no words.
_EXTENSION = re.compile(r"\.(?:s?html?|php\d?|aspx?|jsp|cfm)$", re.IGNORECASE)
# A headline is a short line.
MAX_WORDS = 40
# Words a slug needs to say anything (a "/news/" segment says nothing).
MIN_SLUG_WORDS = 3


def slug_words(url: Optional[str]) -> frozenset[str]:
    """The words of the URL path's segment that spells most words, lower-cased
    (numbers dropped); empty when none has :data:`MIN_SLUG_WORDS`."""
    if not url:
        return frozenset()
    try:
        path = unquote(urlsplit(url if "//" in url else "//" + url).path)
    except ValueError:
        return frozenset()
    best: list[str] = []
    for segment in path.split("/"):
        words = [w for w in _WORD.findall(_EXTENSION.sub("", segment).replace("_", " ").lower()) if not w.isdigit()]
        if len(words) > len(best):
            best = words
    return frozenset(best) if len(best) >= MIN_SLUG_WORDS else frozenset()


def matches_slug(text: str, slug: frozenset[str]) -> bool:
    """Whether a line says what the slug spells: most of the slug's words are
    the line's, and they are at least half of the line's (slugs drop small
    words and are cut short)."""
    if not slug:
        return False
    text = text.lower()
    # A word of the line is in it as a substring: a line without enough of
    # the slug's words that way shares too few, told without cutting it into
    # words (most lines looked at, a template's, hold none).
    misses = len(slug) - math.ceil(0.8 * len(slug))  # slug words a match may lack
    for w in slug:
        if w not in text:
            if not misses:
                return False
            misses -= 1
    words = set(_WORD.findall(text))
    if not words or len(words) > MAX_WORDS:
        return False
    shared = len(slug & words)
    return shared >= 0.8 * len(slug) and shared >= 0.5 * len(words)


def slug_matches(texts: Sequence[str], urls: Sequence[Optional[str]]) -> np.ndarray:
    """:func:`matches_slug` of each text and the slug of its page's URL
    (``urls``, one per text; a page's blocks together, so a URL is cut once
    for its run): bool, shape (len(texts),)."""
    out = np.zeros(len(texts), dtype=bool)
    last: tuple = (object(), frozenset())
    for i, (text, url) in enumerate(zip(texts, urls)):
        if url != last[0]:
            last = (url, slug_words(url))
        out[i] = matches_slug(text, last[1])
    return out


def _first_h1(paths: Optional[Sequence[Optional[str]]], n_blocks: int) -> Optional[int]:
    """The index of a page's first ``<h1>`` block, by its tag paths (None: none, or no paths for its blocks)."""
    if paths is None or len(paths) != n_blocks:
        return None
    return next((k for k, p in enumerate(paths) if p is not None and element_path(p).rsplit(">", 1)[-1] == "h1"), None)


def own_headlines(
    text_of: Callable[[int], str], doc: np.ndarray, cluster: np.ndarray, urls: Sequence[Optional[str]],
    paths_of: Callable[[int], Optional[Sequence[str]]], candidates: np.ndarray,
    matches: Optional[Callable[[np.ndarray], np.ndarray]] = None,
) -> np.ndarray:
    """Which blocks are their page's own headline (the module's docstring).

    Parameters
    ----------
    text_of : callable
        A block's text, by its index (flat, in document order).
    doc, cluster : ndarray of int, shape (n_blocks,)
        Each block's document (sorted) and repeated-block cluster.
    urls : sequence of (str or None)
        Each document's URL.
    paths_of : callable
        A document's blocks' tag paths (HTML input), or None.
    candidates : ndarray of bool, shape (n_blocks,)
        The blocks to look at (those the rule removes): a block elsewhere is
        never one, though its evidence counts against a cluster's.
    matches : callable, optional
        ``matches(blocks)``: whether each of the blocks (int64, sorted) says
        what its page's URL slug spells, bool; by default
        :func:`slug_matches` of their ``text_of`` here (an executor that
        holds the texts elsewhere answers it there, all blocks at once).

    Returns
    -------
    ndarray of bool, shape (n_blocks,)
    """
    n_docs = len(urls)
    if matches is None:
        matches = lambda b: slug_matches([text_of(i) for i in b.tolist()], [urls[d] for d in doc[b].tolist()])  # noqa: E731
    own = np.zeros(len(doc), dtype=bool)
    first = np.searchsorted(doc, np.arange(n_docs + 1))
    looked = np.unique(doc[candidates]).tolist()
    slugged = np.zeros(n_docs, dtype=bool)
    for d in looked:
        h1 = _first_h1(paths_of(d), first[d + 1] - first[d])
        if h1 is not None:
            own[first[d] + h1] = True
        slugged[d] = bool(slug_words(urls[d]))
    tested = np.flatnonzero(candidates & ~own & slugged[doc])
    if len(tested):
        own[tested] = matches(tested)
    if not own.any():
        return own
    # Evidence as common as the block is no evidence: at most half the
    # pages that carry a cluster may call it theirs (a site name that is
    # every page's <h1> is no page's headline); a block on its own page only
    # is that page's to claim.
    cid = np.asarray(cluster)
    if len(cid) and (cid.min() < 0 or cid.max() >= len(cid)):  # not block indices: numbered densely
        cid = np.unique(cid, return_inverse=True)[1].reshape(-1)
    n = int(cid.max()) + 1
    last = np.empty(n, dtype=index_type(n_docs))
    carriers = _pages_carrying(cid, doc, np.ones(len(cid), dtype=bool), last)
    own_h1 = _all_first_h1(cid, own, doc, first, paths_of, n_docs)
    claims = _pages_carrying(cid, doc, own_h1, last)
    return own & candidates & ((2 * claims[cid] <= carriers[cid]) | (carriers[cid] == 1))


@njit(cache=True)
def _pages_carrying(cid, doc, which, last):
    """For each cluster ``0 .. len(last) - 1``, the pages with a block of it
    among ``which`` (blocks in page order, ``doc`` non-decreasing): one pass,
    no sort, nothing per block (the clusters of a million pages' thirty
    million blocks). ``last`` is scratch, one per cluster."""
    counts = np.zeros(len(last), np.int32)
    last[:] = -1
    for i in range(len(cid)):
        if which[i]:
            c = cid[i]
            if last[c] != doc[i]:
                counts[c] += 1
                last[c] = doc[i]
    return counts


def _all_first_h1(cid, own, doc, first, paths_of, n_docs) -> np.ndarray:
    """``own``, with the first ``<h1>`` of every page that carries a
    cluster some block of ``own`` is in: the pages that call it theirs
    (looked at beyond the candidates, where a site name is kept)."""
    claimed = np.zeros(int(cid.max()) + 1, dtype=bool)
    claimed[cid[own]] = True
    out = own.copy()
    for d in np.unique(doc[claimed[cid]]).tolist():
        h1 = _first_h1(paths_of(d), first[d + 1] - first[d])
        if h1 is not None:
            out[first[d] + h1] = True
    return out


_DIGIT = re.compile(r"\d")
_CELL_TAGS = frozenset(("td", "th", "dd", "dt"))


def numbered_rows(text_of: Callable[[int], str], doc: np.ndarray, cluster: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Which ``candidates`` sit on a page that carries their cluster's line
    more than once with different digits (the module's docstring)."""
    idx = np.flatnonzero(candidates)
    texts = {int(i): text_of(int(i)) for i in idx}
    idx = np.array([i for i in idx.tolist() if _DIGIT.search(texts[i])], dtype=np.int64)
    out = np.zeros(len(doc), dtype=bool)
    if len(idx) < 2:
        return out
    variants: dict[tuple[int, int], set[str]] = {}
    for i in idx.tolist():
        variants.setdefault((int(cluster[i]), int(doc[i])), set()).add(texts[i])
    listed = {k for k, v in variants.items() if len(v) > 1}
    out[idx] = [(int(cluster[i]), int(doc[i])) in listed for i in idx.tolist()]
    return out


def table_cells(paths_of: Callable[[int], Optional[Sequence[str]]], doc: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Which ``candidates`` are cells of a table or a definition list, by their tag paths."""
    out = np.zeros(len(doc), dtype=bool)
    first = np.searchsorted(doc, np.arange(int(doc.max()) + 2 if len(doc) else 1))
    for d in np.unique(doc[candidates]).tolist():
        paths = paths_of(d)
        if paths is None or len(paths) != first[d + 1] - first[d]:
            continue
        for i in np.flatnonzero(candidates[first[d] : first[d + 1]]).tolist():
            path = paths[i]
            out[first[d] + i] = path is not None and not _CELL_TAGS.isdisjoint(path.split(">"))
    return out
