"""The copy evidence of unrepeated text: how much of a document's own
prose is found in another, edited or re-wrapped."""

from __future__ import annotations

from typing import Callable, Iterator, Optional, Sequence

import numpy as np
from numba import njit
from scipy import sparse

from . import verify
from .blocktexts import Fetch
from .executor import Exchange, Workers, in_memory
from .executor.threads import in_order
from .ints import index_type
from .ngrams import SHARDS, GramIndex
from .progress import Progress, as_progress
from .sign import sharded_shingles, shingles

__all__ = ["CopyEvidence", "block_grams", "gram_weights", "SHARE_ROWS"]

# Documents whose copy evidence is computed at once.
SHARE_ROWS = 8192

def block_grams(texts: Sequence[str], n: int, workers: Workers) -> tuple[np.ndarray, np.ndarray]:
    """The n-grams step (a map over blocks): the word ``n``-gram hashes of
    the blocks' normalised keys, all blocks' in order (uint64), and how many
    each block has (shape (len(texts),))."""
    batch, _ = shingles(workers, texts, "word", n, normalise=True)
    return batch.hashes, np.diff(batch.offsets)


def gram_weights(
    doc_of: np.ndarray, labels: np.ndarray, weight: np.ndarray, sized: np.ndarray, rare: np.ndarray
) -> np.ndarray:
    """What each rare n-gram of each weighted block ``sized`` counts for
    (float64, shape (len(sized),)): the block's weight over its ``rare``
    distinct n-grams, for a block in no cross-document cluster (its
    ``labels`` cluster spans its document alone), else 0.

    The copy evidence of ``d`` in ``e`` sums this over d's blocks' rare
    n-grams found in ``e`` (:class:`CopyEvidence`; the Spark backend's
    :mod:`dedupe.backends.spark.boilerplate` sums the same numbers).
    """
    # Blocks of a cluster that spans one document only are unrepeated.
    # (Its first and last documents are one: no (label, document) pairs
    # sorted, which at a million pages is gigabytes.)
    first_doc = np.full(len(labels), np.iinfo(doc_of.dtype).max, dtype=doc_of.dtype)
    last_doc = np.full(len(labels), -1, dtype=doc_of.dtype)
    np.minimum.at(first_doc, labels, doc_of)
    np.maximum.at(last_doc, labels, doc_of)
    lone = (first_doc == last_doc)[labels[sized]]
    del first_doc, last_doc
    return np.where(lone & (rare > 0), weight[sized] / np.maximum(rare, 1), 0.0)


class CopyEvidence:
    """``evidence(d, e)``: weight of d's blocks that no other document
    repeats, times the share of each block's word n-grams found anywhere in e.

    A lightly edited or re-wrapped copy shares few whole blocks with its
    original but most of its words; this is the evidence the block clusters
    miss. Blocks with zero weight (menus beside prose) take no part, nor do
    n-grams too common to tell a copy (:data:`dedupe.verify.MAX_DF`).
    ``fetch`` reads the blocks' texts (their normalised keys are shingled,
    :func:`block_grams`). The n-grams are kept in a
    :class:`~dedupe.ngrams.GramIndex` (shards, spilled to disk on a large
    corpus); a pair's evidence is summed over the shards.

    The sums, in the order that makes every float the same (the Spark
    backend's :class:`dedupe.backends.spark.boilerplate.SparkEvidence` adds
    in this order): ``lone[d, g]``, the :func:`gram_weights` of d's blocks
    holding the rare n-gram g, added in block order; a shard's part of
    ``evidence(d, e)``, ``lone[d, g]`` over the shard's n-grams g in e, in
    ascending hash order, from 0; the evidence, the parts added in shard
    order (shard: the hash modulo :data:`dedupe.ngrams.SHARDS`).
    """

    def __init__(
        self, fetch: Fetch, doc_of: np.ndarray, labels: np.ndarray, weight: np.ndarray, n_docs: int,
        n: int, workers: Workers, exchange: Exchange = in_memory, progress: Optional[Progress] = None,
    ):
        self.n_docs = n_docs
        #: Slices whose products are made at once (:meth:`dedupe.copy_pairs.PairShards.build`).
        self.threads = workers.jobs
        sized = np.flatnonzero(weight > 0)
        self.grams = GramIndex(doc_of[sized], verify.MAX_DF, exchange)
        start = 0
        with as_progress(progress).stage("boilerplate · n-grams", len(sized), "blocks") as task:
            for texts in fetch(sized):
                # Each chunk's n-grams sorted by shard on the workers: the build merges them.
                parts, counts, _ = sharded_shingles(workers, texts, "word", n, normalise=True)
                for key, owner, bounds in parts:
                    self.grams.add_sorted(key, owner + start, bounds)
                start += len(counts)
                task.advance(len(counts))
            if start != len(sized):
                raise ValueError(f"n-grams came for {start} blocks, not the {len(sized)} weighted ones")
        with as_progress(progress).stage("boilerplate · n-gram index", SHARDS, "shards") as task:
            self.grams.build(workers.jobs, task)
        self.per_gram = gram_weights(doc_of, labels, weight, sized, self.grams.rare_sizes)
        # Asked for no more: an int32 per block each, while decide runs.
        self.grams.sizes = self.grams.rare_sizes = None

    #: Documents whose pairs one ``part`` of :meth:`passes` answers at once.
    rows = SHARE_ROWS
    #: Parts :meth:`passes` yields at most (one per non-empty shard of n-grams).
    n_passes = SHARDS

    def passes(self) -> Iterator[Callable[[np.ndarray, np.ndarray], np.ndarray]]:
        """The evidence a shard of n-grams at a time: for each shard,
        ``part(d, e)``, the shard's share of the evidence for pairs whose
        ``d`` all lie in one slice of :attr:`rows` documents (``k * rows``
        up). The evidence is the sum of the parts, in pass order."""
        document = self.grams.document
        weighted = self.per_gram > 0
        for rows in self.grams.shards():
            # The shard's columns are taken out as they are last used (the
            # step is the run's memory high at a million pages).
            rows = dict(rows)
            shape = (self.n_docs, int(rows["gram"].max()) + 1)
            in_docs = _shared_grams(rows, document, shape, self.threads)
            lone = _lone(rows, document, self.per_gram, weighted, shape, self.threads)
            own = _row_sums(lone.indptr, lone.data)

            # A slice of documents at a time, keeping only the pairs asked
            # about: all pairs of documents sharing an n-gram grow much faster
            # than the corpus.
            def part(d: np.ndarray, e: np.ndarray, lone=lone, in_docs=in_docs, own=own) -> np.ndarray:
                start = int(d[0]) // SHARE_ROWS * SHARE_ROWS
                found = lone[start : start + SHARE_ROWS] @ in_docs
                return np.where(d == e, own[d], _sample(found.indptr, found.indices, found.data, d - start, e, self.n_docs))

            def asked(start: int, code: np.ndarray, lone=lone, in_docs=in_docs, own=own) -> tuple[np.ndarray, np.ndarray]:
                return _asked(lone.indptr, lone.indices, lone.data, in_docs.indptr, in_docs.indices, own, code, self.n_docs)

            part.asked = asked
            yield part
            # Gone before the next shard's are made (the caller lets go of its own).
            del part, asked, lone, in_docs, own

    def products(self) -> Iterator[Callable[[int, np.ndarray], tuple[np.ndarray, np.ndarray]]]:
        """:meth:`passes` as questions put to the products: for each shard,
        ``asked(start, code)``, where ``code`` is the pairs asked about,
        ``d * n_docs + e`` sorted, every ``d`` in the slice of :attr:`rows`
        documents from ``start``; it gives the pairs the shard's product
        holds (their rows in ``code``, ascending) and the shard's evidence
        for each: the floats ``part`` reads. A pair not among them has none
        of the shard's."""
        for part in self.passes():
            yield part.asked

    def __call__(self, d: np.ndarray, e: np.ndarray) -> np.ndarray:
        """The evidence for pairs ``(d, e)`` all at once (:meth:`passes` for many pairs)."""
        out = np.zeros(len(d))
        order = np.argsort(d, kind="stable")
        bounds = np.searchsorted(d[order], np.arange(0, self.n_docs + SHARE_ROWS, SHARE_ROWS))
        for part in self.passes():
            for k in range(len(bounds) - 1):
                idx = order[bounds[k] : bounds[k + 1]]
                if len(idx):
                    out[idx] += part(d[idx], e[idx])
        return out

    def close(self) -> None:
        self.grams.close()


def _shared_grams(rows: dict, document: np.ndarray, shape: tuple[int, int], threads: int = 1) -> sparse.csr_matrix:
    """``in_docs`` of a shard's rows (:meth:`CopyEvidence.passes`): (n-gram,
    document) for the rare n-grams of more than one document, each 1. Only
    they can pair two documents: those of one document (most of them) add
    to its own pair (d, d) alone, which is the sum of its row of ``lone``
    (each of d's rare n-grams is in d), added in the row's order as the
    product adds it. Takes ``new_doc`` out of ``rows``.

    The rows are sorted by (n-gram, owner) and owners are in document
    order, so the entries kept (a document's first row of each n-gram) are
    distinct and sorted by (n-gram, document): the canonical CSR is their
    documents and the running count of n-grams, made here without scipy's
    COO copies (what ``csr_matrix((1, (gram, doc)))`` makes of them). One
    compiled pass counts each n-gram's documents; the documents are then
    written by ``threads`` parts of the rows, cut at n-gram boundaries,
    side by side (each row's document is a read from an array far larger
    than the caches at a million pages), each from its first n-gram's place.
    """
    rare, gram, owner, new_doc = rows["rare"], rows["gram"], rows["owner"], rows.pop("new_doc")
    counts = np.zeros(shape[1], dtype=np.int32)
    _first_counts(gram, rare, new_doc, counts)
    counts[counts < 2] = 0
    dtype = index_type(*shape, int(counts.sum(dtype=np.int64)))
    indptr = np.zeros(shape[1] + 1, dtype=dtype)
    np.cumsum(counts, out=indptr[1:])
    docs = np.empty(indptr[-1], dtype=dtype)
    fills = (
        (a, _shared_fill, (gram[a:b], owner[a:b], rare[a:b], new_doc[a:b], document, counts, indptr[gram[a]], docs))
        for a, b in _cuts(gram, threads) if b > a
    )
    for _ in in_order(fills, threads):
        pass
    m = sparse.csr_matrix((np.ones(len(docs)), docs, indptr), shape=shape[::-1])
    m.has_canonical_format = True
    return m


def _cuts(gram: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """The rows (sorted by n-gram) cut into about ``parts`` ranges of about
    equal size, each cut at an n-gram's first row."""
    n = len(gram)
    parts = max(1, min(int(parts), n))
    cuts = [0]
    for k in range(1, parts):
        cuts.append(max(cuts[-1], int(np.searchsorted(gram, gram[n * k // parts]))))
    cuts.append(n)
    return list(zip(cuts, cuts[1:]))


@njit(cache=True, nogil=True)
def _first_counts(gram, rare, new_doc, counts):  # pragma: no cover - numba
    """Adds to ``counts`` each n-gram's documents: its rows that are rare
    and their document's first."""
    for t in range(len(gram)):
        if rare[t] and new_doc[t]:
            counts[gram[t]] += 1


@njit(cache=True, nogil=True)
def _shared_fill(gram, owner, rare, new_doc, document, counts, at, docs):  # pragma: no cover - numba
    """Writes the documents of these rows' n-grams of more than one
    document (``counts`` above 0) to ``docs`` from ``at`` on, in row order."""
    for t in range(len(gram)):
        if rare[t] and new_doc[t] and counts[gram[t]] > 0:
            docs[at] = document[owner[t]]
            at += 1


def _lone(
    rows: dict, document: np.ndarray, per_gram: np.ndarray, weighted: np.ndarray, shape: tuple[int, int],
    threads: int = 1,
) -> sparse.csr_matrix:
    """``lone`` of a shard's rows (:meth:`CopyEvidence.passes`): (document,
    n-gram), the weights of the document's blocks holding the rare n-gram,
    added in block order. Takes ``rare``, ``gram`` and ``owner`` out of
    ``rows``.

    Compiled passes count each document's entries, then fill them: a
    document's rows of an n-gram are adjacent in the shard (sorted by
    n-gram, then owner, in document order) and come in block order, and
    its n-grams come ascending, so the matrix is canonical and every sum
    is the one scipy's ``csr_matrix((w, (doc, gram)))`` makes (its COO
    conversion keeps the rows' order and adds duplicates in it), without
    that conversion's copies (the step was the run's memory high at a
    million pages).

    The rows are cut at n-gram boundaries into ``threads`` parts, counted
    and filled side by side (at a million pages each row's document and
    weight are reads from arrays far larger than the processor's caches,
    and the main process did this alone): a document's entries from an
    earlier part go first, which is where one pass puts them.
    """
    rare, gram, owner = rows.pop("rare"), rows.pop("gram"), rows.pop("owner")
    dtype = index_type(*shape, len(gram))
    parts = [(gram[a:b], owner[a:b], rare[a:b], weighted, document) for a, b in _cuts(gram, threads)]
    counts = [np.zeros(shape[0], dtype=dtype) for _ in parts]
    for _ in in_order(((k, _lone_counts, (*part, counts[k])) for k, part in enumerate(parts)), threads):
        pass
    indptr = np.zeros(shape[0] + 1, dtype=dtype)
    for c in counts:
        indptr[1:] += c
    np.cumsum(indptr, out=indptr)
    # Where each part's entries of a document start: after the earlier parts'.
    at = indptr[:-1].copy()
    for c in counts:
        at, c[:] = at + c, at
    indices = np.empty(indptr[-1], dtype=dtype)
    data = np.zeros(indptr[-1])
    fills = ((k, _lone_fill, (*part, per_gram, counts[k], indices, data)) for k, part in enumerate(parts))
    for _ in in_order(fills, threads):
        pass
    m = sparse.csr_matrix((data, indices, indptr), shape=shape)
    m.has_canonical_format = True
    return m


@njit(cache=True, nogil=True)
def _lone_counts(gram, owner, rare, weighted, document, counts):  # pragma: no cover - numba
    """Adds each document's number of :func:`_lone` entries among these rows to ``counts``."""
    last_g, last_d = -1, -1
    for t in range(len(gram)):
        if rare[t] and weighted[owner[t]]:
            d = document[owner[t]]
            if gram[t] != last_g or d != last_d:
                counts[d] += 1
                last_g, last_d = gram[t], d


@njit(cache=True, nogil=True)
def _lone_fill(gram, owner, rare, weighted, document, per_gram, fill, indices, data):  # pragma: no cover - numba
    """Writes these rows' :func:`_lone` entries, each document's from
    ``fill[d]`` on (``data`` zeros; ``fill`` advanced)."""
    last_g, last_d, at = -1, -1, -1
    for t in range(len(gram)):
        if rare[t] and weighted[owner[t]]:
            d = document[owner[t]]
            if gram[t] != last_g or d != last_d:
                at = fill[d]
                fill[d] += 1
                indices[at] = gram[t]
                last_g, last_d = gram[t], d
            data[at] += per_gram[owner[t]]


@njit(cache=True)
def _row_sums(indptr, data):  # pragma: no cover - numba
    """Each row's sum of a CSR matrix, added in the row's order from 0 (as
    a sparse product adds a row's terms)."""
    out = np.zeros(len(indptr) - 1)
    for r in range(len(out)):
        total = 0.0
        for k in range(indptr[r], indptr[r + 1]):
            total += data[k]
        out[r] = total
    return out


@njit(cache=True, nogil=True)
def _asked(lone_ptr, lone_col, lone_val, in_ptr, in_col, own, code, n_docs):  # pragma: no cover - numba
    """The queries ``code`` (``d * n_docs + e``, sorted) that the product
    ``lone @ in_docs`` holds, as their rows in ``code`` and its values (a
    document's own pair ``(d, d)``: ``own[d]`` where positive, not the
    product's); ``lone`` and ``in_docs`` in canonical CSR (their
    ``indptr``, ``indices``, ``data``; every value of ``in_docs`` is 1).

    Only the rows asked about are multiplied, each as scipy multiplies a
    row (SMMP: for each of its entries in order, the other matrix's row
    added into a dense row, from 0; an entry held where the sum is not 0),
    so the values are the product's to the bit. No product is made, sorted
    or searched whole: the dense row is read a query at a time, or, where
    the row touched few documents for the queries it has, each document it
    touched (in order) is looked up among them by bisection."""
    rows = np.empty(len(code), dtype=np.int64)
    values = np.empty(len(code), dtype=np.float64)
    dense = np.zeros(n_docs, dtype=np.float64)
    held = np.zeros(n_docs, dtype=np.bool_)
    touched = np.empty(n_docs, dtype=np.int64)
    m, lo = 0, 0
    while lo < len(code):
        d = code[lo] // n_docs
        first = d * n_docs  # (d's codes: first + e)
        hi = lo + np.searchsorted(code[lo:], first + n_docs)
        n_touched = 0
        for jj in range(lone_ptr[d], lone_ptr[d + 1]):
            v = lone_val[jj]  # (times in_docs' 1: v itself)
            g = lone_col[jj]
            for kk in range(in_ptr[g], in_ptr[g + 1]):
                e = in_col[kk]
                if not held[e]:
                    held[e] = True
                    touched[n_touched] = e
                    n_touched += 1
                dense[e] += v
        asked = code[lo:hi]
        if n_touched * (np.log2(len(asked)) + 8) < len(asked):
            # Few documents touched for the queries: each looked up.
            if own[d] > 0 and not held[d]:
                held[d] = True
                touched[n_touched] = d
                n_touched += 1
            found = touched[:n_touched]
            found.sort()
            for e in found:
                if e == d:
                    if own[d] <= 0:
                        continue
                    value = own[d]
                elif dense[e] != 0.0:
                    value = dense[e]
                else:
                    continue
                a = np.searchsorted(asked, first + e)
                while a < len(asked) and asked[a] == first + e:  # (a pair asked more than once: each)
                    rows[m], values[m] = lo + a, value
                    m += 1
                    a += 1
        else:
            # Each query read against the dense row.
            for q in range(len(asked)):
                e = asked[q] - first
                if e == d:
                    if own[d] > 0:
                        rows[m], values[m] = lo + q, own[d]
                        m += 1
                elif dense[e] != 0.0:
                    rows[m], values[m] = lo + q, dense[e]
                    m += 1
        for t in range(n_touched):
            dense[touched[t]] = 0.0
            held[touched[t]] = False
        lo = hi
    return rows[:m].copy(), values[:m].copy()


@njit(cache=True)
def _sample(indptr, indices, data, rows, cols, n_cols):
    """``m[rows, cols]`` of a CSR matrix ``m`` (its ``indptr``, ``indices``,
    ``data``), float64 (len(rows),); fastest with ``rows`` sorted.

    scipy looks each entry up along its row, which a product leaves
    unsorted: a row's length per entry asked. Here a row is spread into a
    dense row once for its run of entries asked, and read: its length once,
    and one read per entry. (Duplicate entries add up, as scipy's do.)
    """
    out = np.zeros(len(rows), dtype=np.float64)
    dense = np.zeros(n_cols, dtype=np.float64)
    q = 0
    while q < len(rows):
        r = rows[q]
        for k in range(indptr[r], indptr[r + 1]):
            dense[indices[k]] += data[k]
        t = q
        while t < len(rows) and rows[t] == r:
            out[t] = dense[cols[t]]
            t += 1
        for k in range(indptr[r], indptr[r + 1]):
            dense[indices[k]] = 0.0
        q = t
    return out
