"""The pairs the boilerplate decision judges: every pair of entries (a
cluster class in a document) in one class, and the document pairs they
make, each weighed with the copy evidence of the documents' unrepeated
text.

There are tens of millions of each at a million pages, so they are kept
in :class:`PairShards` by the pair's lower document (spilled to disk past
the run's budget) and :func:`dedupe.boilerplate.decide` reads them back a
shard at a time, in an order that keeps every sum the same to the bit.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from .arrays import argsort, group_by, run_starts, unique_inverse
from .executor import Exchange, in_memory
from .executor.threads import in_order
from .ints import index_type
from .ngrams import group_pairs
from .progress import Progress

__all__ = ["PairShards", "entry_pairs", "PAIR_SHARDS", "PAIR_BATCH"]


# Shards the entry and document pairs are kept in (by the pair's lower
# document), and entry pairs made at once. A shard's pairs are what decide
# holds and sorts at once beyond its per-block arrays (at a million pages,
# a 32nd of them was over a gigabyte); how many shards changes no sum.
PAIR_SHARDS = 128
PAIR_BATCH = 1 << 22


def entry_pairs(small: np.ndarray, small_cluster: np.ndarray, index) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every pair of entries ``small`` (sorted by cluster) in the same
    cluster, as :func:`dedupe.ngrams.group_pairs` makes them, whole clusters
    at a time, about :data:`PAIR_BATCH` pairs at a time."""
    if len(small) == 0:
        return
    starts = np.flatnonzero(run_starts(small_cluster))
    sizes = np.diff(np.r_[starts, len(small)])
    ends = np.cumsum(sizes * (sizes - 1) // 2)
    a = 0
    while a < len(sizes):
        done = int(ends[a - 1]) if a else 0
        b = max(a + 1, int(np.searchsorted(ends, done + PAIR_BATCH, side="right")))
        first, second = group_pairs(sizes[a:b])
        yield small[starts[a] + first].astype(index), small[starts[a] + second].astype(index)
        a = b


def _document_pairs(
    ent_doc: np.ndarray, x: np.ndarray, y: np.ndarray, n_docs: int, index
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct document pairs ``(lo, hi)`` of the entry pairs ``(x,
    y)``, sorted, as ``lo`` and ``hi`` (int32 when documents fit), and each
    entry pair's (``index`` dtype): ``np.unique(..., return_inverse=True)``
    freeing what it no longer needs as it goes (there are tens of millions)."""
    docs = index_type(n_docs)
    if len(x) == 0:
        return np.zeros(0, docs), np.zeros(0, docs), np.zeros(0, index)
    upair, pair_of = unique_inverse(ent_doc[x].astype(np.int64) * n_docs + ent_doc[y], index)
    return (upair // n_docs).astype(docs), (upair % n_docs).astype(docs), pair_of


class PairShards:
    """decide's pairs, in shards by the lower document of the pair (on disk
    for a large corpus): entry pairs (``x``, ``y``, ``evidence``, and
    ``pair_of``, their document pair's index in the shard) and document
    pairs (``lo``, ``hi``, ``same_host``, ``loose_lo``, ``loose_hi``).

    :meth:`add` entry pairs, :meth:`build` once, then iterate: ``(entry
    pairs, document pairs)`` shard by shard. The shards hold consecutive
    ranges of the sorted document pairs, and each shard keeps the entry
    pairs in the order they were added, so sums over a document pair's
    entry pairs are the same, to the bit, as over all pairs at once.
    """

    def __init__(self, ent_doc: np.ndarray, n_docs: int, index, exchange: Exchange = in_memory):
        self.n = PAIR_SHARDS
        self._ent_doc, self._n_docs, self._index, self._exchange = ent_doc, n_docs, index, exchange
        self._added = exchange(self.n)
        self._entries = exchange(self.n)
        self._docs = exchange(self.n)
        self._loose = exchange(self.n)
        self._offsets: list[int] = []

    def add(self, x: np.ndarray, y: np.ndarray, evidence: np.ndarray) -> None:
        shard = self._ent_doc[x].astype(np.int64) * self.n // max(self._n_docs, 1)
        for s, idx in group_by(shard, self.n):
            self._added.put(s, x=x[idx], y=y[idx], evidence=evidence[idx])

    def build(self, host: np.ndarray, loose, progress: Progress) -> None:
        """Find each shard's document pairs, and weigh the copy evidence of
        every one (both ways); ``progress`` hears of the two as sub-stages
        of "boilerplate"."""
        # Evidence is asked for a slice of documents at a time, so the pairs
        # go (both ways) to one bucket per slice of their first document.
        slice_rows = max(getattr(loose, "rows", self._n_docs), 1)
        queries = self._exchange(-(-self._n_docs // slice_rows))
        self._offsets = [0]
        task = progress.start_task("boilerplate · document pairs", self.n, "shards")
        for s in range(self.n):
            task.advance()
            rows = self._added.load(s)
            x, y = rows.get("x", np.zeros(0, self._index)), rows.get("y", np.zeros(0, self._index))
            lo, hi, pair_of = _document_pairs(self._ent_doc, x, y, self._n_docs, self._index)
            self._entries.put(s, x=x, y=y, evidence=rows.get("evidence", np.zeros(0, bool)), pair_of=pair_of)
            del rows, x, y, pair_of
            self._docs.put(s, lo=lo, hi=hi, same_host=(host[lo] >= 0) & (host[lo] == host[hi]))
            # Each pair's place, both ways (int32 while they fit: a column
            # written to disk and read back on a large corpus).
            at = np.arange(self._offsets[-1], self._offsets[-1] + len(lo), dtype=index_type(2 * (self._offsets[-1] + len(lo))))
            self._offsets.append(self._offsets[-1] + len(lo))
            for way, (d, e) in enumerate(((lo, hi), (hi, lo))):
                for k, idx in group_by(d // slice_rows, queries.n):
                    queries.put(k, d=d[idx], e=e[idx], at=at[idx] * 2 + way)
        self._added.close()
        # Each slice's queries in document order, then by the other
        # document, sorted once for every pass (the evidence reads each
        # document's row once, going down, and finds its pairs by search).
        # The code is the pair: its documents are not kept beside it.
        for k in range(queries.n):
            q = queries.load(k)
            if q:
                code = q["d"].astype(np.int64) * self._n_docs + q["e"]
                order = argsort(code)
                queries.replace(k, code=code[order], at=q["at"][order])
        progress.end(task.stage)
        with queries, self._exchange(queries.n) as sums:
            if loose is not None and hasattr(loose, "products"):
                self._sum_products(loose, queries, sums, progress)
            elif loose is not None:
                passes = loose.passes() if hasattr(loose, "passes") else [loose]
                # (Passes that find an empty shard of n-grams are skipped: the stage may end early.)
                n_passes = getattr(loose, "n_passes", 1)
                with progress.stage("boilerplate · copy evidence", n_passes * queries.n, "slices") as task:
                    for p, part in enumerate(passes):
                        for k in range(queries.n):
                            q = queries.load(k, ("code",))
                            if q:
                                d, e = np.divmod(q["code"], self._n_docs)
                                found = part(d.astype(self._index), e.astype(self._index))
                                sums.replace(k, total=found if p == 0 else sums.load(k)["total"] + found)
                            task.advance()
            # Back to the pairs' own shards.
            for k in range(queries.n):
                q, t = queries.load(k, ("at",)), sums.load(k)
                if q:
                    at = q["at"]
                    total = t["total"] if t else np.zeros(len(at))
                    shard = np.searchsorted(self._offsets, at // 2, side="right") - 1
                    for s, idx in group_by(shard, self.n):
                        self._loose.put(s, at=at[idx], total=total[idx])
        # Each shard's evidence beside its document pairs, once: the rounds
        # read the shards over and over.
        for s in range(self.n):
            docs = self._docs.load(s)
            docs["loose_lo"], docs["loose_hi"] = self._evidence(s)
            self._docs.replace(s, **docs)
        self._loose.close()

    def _sum_products(self, loose, queries, sums, progress: Progress) -> None:
        """The copy evidence of every query, from ``loose.products()`` (each
        shard's product asked, slice by slice, for the slice's sorted
        codes: it holds a few for every hundred pairs asked): each query's
        total adds what the passes found for it in pass order, from 0
        (``np.add.at``), as the passes' running sums do (a pass with no
        entry for a pair adds 0 to it)."""
        slice_rows = max(getattr(loose, "rows", self._n_docs), 1)
        n_passes = getattr(loose, "n_passes", 1)
        # ``loose.threads`` slices at a time (the compiled products let go
        # of the GIL), their entries kept in the order one at a time keeps them.
        threads = max(int(getattr(loose, "threads", 1)), 1)

        def calls(asked) -> Iterator[tuple]:
            for k in range(queries.n):
                # Read for every pass (the one column used): mapped, not copied.
                code = queries.load(k, ("code",), mapped=True).get("code")
                yield (k, asked, (k * slice_rows, code)) if code is not None else (k, None, ())

        # The entries found are read once, at the end: on a corpus whose
        # queries went to disk they go there at once, not into the memory
        # the passes' matrices need (at a million pages they filled the
        # shards' share of the budget, some 25 MB a pass, at the run's high).
        if queries.on_disk:
            sums.to_disk()
        # A pass at a time: its last products are taken, and the pass let
        # go of, before the next pass's matrices are made.
        passes = iter(loose.products())
        with progress.stage("boilerplate · copy evidence", n_passes * queries.n, "slices") as task:
            while (asked := next(passes, None)) is not None:
                for k, found in in_order(calls(asked), threads):
                    if found is not None and len(found[0]):
                        sums.put(k, row=found[0], value=found[1])
                    task.advance()
                del asked
        for k in range(queries.n):
            q = queries.load(k, ("code",), mapped=True)
            if q:
                rows = sums.load(k)
                total = np.zeros(len(q["code"]))
                if rows:
                    np.add.at(total, rows["row"], rows["value"])
                sums.replace(k, total=total)

    def _evidence(self, s: int) -> tuple[np.ndarray, np.ndarray]:
        """``(loose_lo, loose_hi)`` of shard ``s``'s document pairs."""
        n = self._offsets[s + 1] - self._offsets[s]
        both = np.zeros(2 * n)
        rows = self._loose.load(s)
        if rows:
            both[rows["at"] - 2 * self._offsets[s]] = rows["total"]
        return both[0::2], both[1::2]

    def __iter__(self) -> Iterator[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]:
        for s in range(self.n):
            yield self._entries.load(s), self._docs.load(s)

    def close(self) -> None:
        for shards in (self._added, self._entries, self._docs, self._loose):
            shards.close()

    def __enter__(self) -> "PairShards":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
