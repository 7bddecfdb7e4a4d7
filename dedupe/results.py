"""What a run returns: the analysis of a set of documents, its rows per
document, the cleaned texts, and (for files) the run's result."""

from __future__ import annotations

import operator
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np

from . import store as stores
from .document import Document
from .syndication import Syndication

if TYPE_CHECKING:
    from .config import Config

__all__ = ["Analysis", "Ragged", "Spans", "CleanedTexts", "CleanedByRecord"]


@dataclass
class Analysis:
    """Everything found in a set of documents.

    Attributes
    ----------
    documents : list of Document
    blocks : Ragged of ndarray of int32 (int64 past 2**31 characters), shape (n_blocks_i, 3)
        Each document's blocks (start, end, line).
    action : Ragged of ndarray of int8, shape (n_blocks_i,)
        What happens to each block (:data:`dedupe.boilerplate.KEEP` ...).
    template : Ragged of ndarray of int32 (int64 past 2**31 blocks), shape (n_blocks_i,)
        Repeated-block cluster of each block (same cluster = same template).
    spans : Ragged of list of (int, int)
        Character spans of each document that survive.
    cleaned : sequence of str
        Each document's cleaned text (:class:`CleanedTexts`: made from the
        spans when asked for, not held).
    syndication : dedupe.syndication.Syndication
    config : Config or None
        The config it was found with, where the caller gave it
        (:func:`dedupe.analyse` does): what :func:`dedupe.report_of` records.
    """

    documents: list[Document]
    blocks: "Ragged"
    action: "Ragged"
    template: "Ragged"
    spans: "Ragged"
    cleaned: "CleanedTexts"
    syndication: Syndication
    config: Optional["Config"] = None


class Ragged(Sequence):
    """Each document's rows of one flat array: ``r[i]`` is document i's rows
    (a view, made when asked for), ``r.flat`` all of them in document order
    and ``r.bounds`` where each document's rows start in it (``n_docs + 1``
    of them, the last ``len(r.flat)``).

    Held as a million separate arrays, per-document rows cost about a
    hundred bytes each in array headers alone.
    """

    def __init__(self, flat: np.ndarray, bounds: np.ndarray):
        self.flat = flat
        self.bounds = bounds

    @classmethod
    def of_counts(cls, flat: np.ndarray, counts: np.ndarray) -> "Ragged":
        """Rows ``counts[i]`` of ``flat`` for document i, in order."""
        return cls(flat, np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]))

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        i = operator.index(i)
        if not -len(self) <= i < len(self):
            raise IndexError("document index out of range")
        i %= len(self)
        return self._row(self.flat[self.bounds[i] : self.bounds[i + 1]])

    def _row(self, rows: np.ndarray):
        return rows

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} documents, {len(self.flat)} rows)"


class Spans(Ragged):
    """Each document's kept spans, as a list of ``(start, end)`` tuples when
    asked for; held as an (n_spans, 2) array."""

    def _row(self, rows: np.ndarray) -> list[tuple[int, int]]:
        return [(a, b) for a, b in rows.tolist()]


class CleanedTexts(Sequence[str]):
    """Each document's cleaned text, made from its kept spans when asked
    for: held all at once they would be the corpus over again."""

    def __init__(self, documents: Sequence[Document], spans: Sequence[Sequence[tuple[int, int]]]):
        self._documents = documents
        self._spans = spans

    def __len__(self) -> int:
        return len(self._documents)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        text = self._documents[i].text
        return "".join(text[a:b] for a, b in self._spans[i])

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and len(other) == len(self) and all(a == b for a, b in zip(self, other))

    def __repr__(self) -> str:
        return f"CleanedTexts({len(self)} documents)"


class CleanedByRecord(Mapping):
    """``(source, line)`` -> cleaned text, as the writers ask for it; the
    documents ``leave_out`` names (indices) are not in it, so the writers
    pass their records over as they do a skipped input's."""

    def __init__(self, documents: Sequence[Document], cleaned: CleanedTexts, leave_out: Collection[int] = ()):
        out = set(leave_out)
        self._index = {record: i for i, record in enumerate(stores.records(documents)) if i not in out}
        self._cleaned = cleaned

    def __getitem__(self, key):
        return self._cleaned[self._index[key]]

    def __iter__(self):
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)
