"""What the HTML elements blocks came from say: the block model's tag-path features.

Every block read from HTML has a tag path (:mod:`dedupe.io.html`); its
elements (:func:`dedupe.io.html.element_path`) say menu, list, footer or
article, and what the block's site says about the path (how many of its
pages have it, how much of it the repetition rule calls template) tells a
"related stories" box from the article beside it. :class:`TagEvidence`
reads the corpus's paths once, keeping each block's path id and what each
site says of each path; :meth:`TagEvidence.features` then gives the
features of any range of whole pages, so the model holds one range's
matrix at a time.
"""

from __future__ import annotations

from typing import Iterable, Optional, Sequence

import numpy as np

from .arrays import pair_ids
from .io.html import element_path

__all__ = ["TAG_NAMES", "TagEvidence", "path_ids"]

# Tag path cues, for blocks that came from HTML: elements whose presence
# among a block's ancestors says menu, page chrome, form or article.
_TAGS = ("a", "li", "nav", "header", "footer", "aside", "p", "h", "td", "form", "button", "article", "main",
         "blockquote", "section", "table", "ul", "label")


TAG_NAMES = (["log_depth"] + [f"in_{t}" for t in _TAGS] + ["leaf_div", "path_site_pages", "path_template",
             "path_log_words", "path_page_share", "path_near_longest", "path_sibling_longest"])


def path_ids(paths: Iterable[Optional[Sequence[str]]], blocks) -> Optional[tuple[np.ndarray, list[str]]]:
    """Each block's element path (:func:`dedupe.io.html.element_path`) as an
    id into the distinct paths, first met first, from each document's tag
    ``paths`` (None: it has none) and its ``blocks`` (a Ragged); -1 for the
    blocks of a document without tag paths (or whose paths do not match its
    blocks one for one). None when no document has any.

    Returns
    -------
    ids : ndarray of int64, shape (n_blocks,)
    distinct : list of str
    """
    pid = np.full(len(blocks.flat), -1, dtype=np.int64)
    ids: dict[str, int] = {}
    seen = False
    for d, p in enumerate(paths):
        seen |= p is not None
        lo, hi = int(blocks.bounds[d]), int(blocks.bounds[d + 1])
        if p is not None and len(p) == hi - lo:
            pid[lo:hi] = [ids.setdefault(element_path(x), len(ids)) for x in p]
    return (pid, list(ids)) if seen else None


def _is_heading(tag: str) -> bool:
    return len(tag) == 2 and tag[0] == "h" and tag[1] in "123456"


class TagEvidence:
    """The corpus's tag-path evidence, read once; :meth:`features` gives it block by block.

    Per block: the depth of its path, which of the cue elements (``_TAGS``:
    links, list items, nav, header, footer, aside, forms, article, main …)
    enclose it, whether the block element itself is a bare ``div``; and what
    its site and page say about the path: the share of the site's pages that
    have it, the share of the path's words on the site the repetition rule
    calls template (a "related stories" list keeps its path while its links
    change), its mean words per block there, the share of the page's words
    under it, and how close the path is to that of the page's longest block
    (paragraphs of the main text share its parent; menus and footers sit in
    other branches). NaN where a block has no tag path (plain-text input).

    Parameters
    ----------
    pid : ndarray of int64, shape (n_blocks,)
        Each block's path id (:func:`path_ids`), -1 without one.
    distinct : list of str
        The distinct element paths, by id.
    doc : ndarray of int, shape (n_blocks,)
        Each block's document (blocks in document order).
    site : ndarray of int, shape (n_docs,)
        Each document's site id.
    words, template : ndarray, shape (n_blocks,)
        Each block's words (:func:`dedupe.features.words_of`) and whether the
        repetition rule calls it a template.
    """

    def __init__(self, pid: np.ndarray, distinct: list[str], doc: np.ndarray, site: np.ndarray,
                 words: np.ndarray, template: np.ndarray):
        self.pid, self.doc = pid, doc
        self.parts = [p.split(">") for p in distinct]
        self.cues = np.array(
            [[float(any(t == c or (c == "h" and _is_heading(t)) for t in tags)) for c in _TAGS] for tags in self.parts],
            dtype=np.float64,
        ).reshape(len(self.parts), len(_TAGS))
        self.depth = np.array([len(tags) for tags in self.parts], dtype=np.float64)
        self.leaf_div = np.array([tags[-1] == "div" for tags in self.parts], dtype=np.float64)
        # (site, path) groups of the distinct paths' ids, over every block with a path.
        rows = np.flatnonzero(pid >= 0)
        r_doc = doc[rows]
        r_site = site[r_doc]
        w, t = words[rows], template[rows]
        site_path = pair_ids(r_site, pid[rows])
        # Pages of the site that have the path, over the site's pages.
        self.pages_with = np.bincount(np.unique(np.stack([site_path, r_doc]), axis=1)[0])
        _, site_inv = np.unique(r_site, return_inverse=True)
        site_inv = site_inv.ravel()
        self.site_pages = np.bincount(np.unique(np.stack([site_inv, r_doc]), axis=1)[0])
        self.path_words = np.bincount(site_path, weights=w)
        self.path_template = np.bincount(site_path, weights=w * t)
        self.path_blocks = np.bincount(site_path)
        self.site_path = np.full(len(pid), -1, dtype=np.int64)
        self.site_inv = np.full(len(pid), -1, dtype=np.int64)
        self.site_path[rows], self.site_inv[rows] = site_path, site_inv

    def features(self, lo: int, hi: int, words: np.ndarray) -> np.ndarray:
        """The features of blocks ``lo`` to ``hi`` (whole pages; ``words``:
        theirs), the same whatever the range.

        Returns
        -------
        ndarray of float32, shape (hi - lo, len(TAG_NAMES))
        """
        out = np.full((hi - lo, len(TAG_NAMES)), np.nan, dtype=np.float32)
        sel = np.flatnonzero(self.pid[lo:hi] >= 0)
        if not len(sel):
            return out
        rows = lo + sel
        pid, r_doc, w = self.pid[rows], self.doc[rows], words[sel]
        site_path, site_inv = self.site_path[rows], self.site_inv[rows]
        page_path = pair_ids(r_doc, pid)
        first = int(r_doc.min())
        page_words = np.bincount(r_doc - first, weights=w)
        # The page's longest block with a path, and its path's elements.
        longest = {}
        for i, (d, n) in enumerate(zip(r_doc.tolist(), w.tolist())):
            if d not in longest or n > w[longest[d]]:
                longest[d] = i
        near = np.empty(len(rows))
        sibling = np.empty(len(rows))
        known: dict[tuple[int, int], tuple[float, float]] = {}  # by (path, the longest block's path)
        parts = self.parts
        for i, (d, own) in enumerate(zip(r_doc.tolist(), pid.tolist())):
            pair = (own, int(pid[longest[d]]))
            if pair not in known:
                tags, ref = parts[own], parts[pair[1]]
                common = 0
                for a, b in zip(tags, ref):
                    if a != b:
                        break
                    common += 1
                known[pair] = (common / max(len(tags), len(ref)), float(tags[:-1] == ref[:-1]))
            near[i], sibling[i] = known[pair]
        cols = [
            np.log1p(self.depth[pid]),
            self.cues[pid],
            self.leaf_div[pid],
            self.pages_with[site_path] / np.maximum(self.site_pages[site_inv], 1),
            self.path_template[site_path] / np.maximum(self.path_words[site_path], 1e-9),
            np.log1p(self.path_words[site_path] / np.maximum(self.path_blocks[site_path], 1)),
            np.bincount(page_path, weights=w)[page_path] / np.maximum(page_words[r_doc - first], 1),
            near,
            sibling,
        ]
        out[sel] = np.column_stack(cols).astype(np.float32)
        return out
