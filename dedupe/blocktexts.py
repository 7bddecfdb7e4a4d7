"""Block texts read back a slice at a time, for the steps that shingle them."""

from __future__ import annotations

from typing import Callable, Iterator, Sequence

import numpy as np

from . import store as stores
from .document import Document
from .sign import slices

__all__ = ["Fetch", "fetch_from", "fetch_list"]

# Reads raw block texts: ``fetch(which)`` yields the texts of the blocks
# ``which`` (sorted indices) in order, a slice of about SLICE characters at a time.
Fetch = Callable[[np.ndarray], Iterator[list[str]]]


def fetch_from(documents: Sequence[Document], counts: np.ndarray, blocks: np.ndarray) -> Fetch:
    """Block texts cut from the documents, read a slice of documents at a time."""
    bounds = np.concatenate([[0], np.cumsum(counts)])
    lengths = stores.text_lengths(documents).astype(np.float64)
    texts = stores.texts(documents)

    def fetch(which: np.ndarray) -> Iterator[list[str]]:
        doc = np.searchsorted(bounds, which, side="right") - 1
        for a, e in slices(lengths):
            lo, hi = np.searchsorted(doc, [a, e])
            if lo == hi:
                continue
            first = int(doc[lo])
            docs = texts[first : int(doc[hi - 1]) + 1]
            yield [
                docs[d - first][s:t]
                for d, (s, t) in zip(doc[lo:hi].tolist(), blocks[which[lo:hi], :2].tolist())
            ]

    return fetch


def fetch_list(texts: Sequence[str]) -> Fetch:
    """Block texts held in memory (in slices all the same)."""

    def fetch(which: np.ndarray) -> Iterator[list[str]]:
        lengths = np.fromiter((len(texts[i]) for i in which.tolist()), dtype=np.float64, count=len(which))
        for a, e in slices(lengths):
            yield [texts[i] for i in which[a:e].tolist()]

    return fetch
