"""The boilerplate stage's copy evidence on Spark: map and reduce steps in the executors.

The copy evidence (:class:`dedupe.copy_evidence.CopyEvidence`: how much of
a page's unrepeated prose another page carries, on rare word n-grams) is
computed here by :class:`SparkEvidence`, every step over the corpus in
the executors:

* **n-grams** (map, per block): the weighted blocks' texts cut from the
  documents' frame, their n-grams made by the local step's own function
  (:func:`dedupe.copy_evidence.block_grams`); rows ``(key, block, doc)``,
  distinct.
* **rare n-grams** (shuffle on the n-gram hash): each n-gram's documents
  counted, a partition of n-grams at a time in the executors' Python
  (numpy, off the JVM heap); those in at most :data:`dedupe.verify.MAX_DF`
  are rare. The
  driver receives each block's count of rare n-grams (a number a block),
  and weighs each block's n-grams with the local function
  (:func:`dedupe.copy_evidence.gram_weights`).
* **page pairs** (shuffle on the n-gram hash's shard, then on the page
  pair): each rare n-gram pairs the pages with weight in it with the other
  pages that hold it, and each pair's part of the evidence from each shard
  of n-grams (:data:`dedupe.ngrams.SHARDS`, the local index's shards) is
  summed where the shard is; the pairs asked about are kept and their
  parts added. The decision (:meth:`SparkEvidence.decide`, :mod:`.decide`)
  asks with a frame of its page pairs, made in the executors, and joins
  the sums (:meth:`SparkEvidence.sums`) to them there: nothing per pair
  reaches the driver. Asked with arrays (``evidence(d, e)``), the driver
  receives one number per pair asked.

The sums are added in the order the local matrices add them (documented on
:class:`~dedupe.copy_evidence.CopyEvidence`), so every float is the
local one's to the bit; ``tests/test_spark_boilerplate.py`` checks that on
pages made to share n-grams many ways. The rest of the decision (its
entry and page pairs, its rounds, its verdicts) is :mod:`.decide`'s.
"""

from __future__ import annotations

from typing import Iterator, Optional

import numpy as np
import pyarrow as pa
from numba import njit

from . import require_pyspark

require_pyspark()

from pyspark import StorageLevel  # noqa: E402
from pyspark.sql import DataFrame  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from ... import boilerplate  # noqa: E402
from ...arrays import run_starts  # noqa: E402
from ...boilerplate import Decision  # noqa: E402
from ...config import BoilerplateConfig  # noqa: E402
from ...copy_evidence import block_grams, gram_weights  # noqa: E402
from ...executor import Exchange, Workers, in_memory  # noqa: E402
from ...ngrams import SHARDS  # noqa: E402
from ...progress import Progress, as_progress  # noqa: E402
from ...verify import MAX_DF  # noqa: E402

assert SHARDS & (SHARDS - 1) == 0, "a shard is the hash's low bits"

__all__ = ["SparkEvidence", "evidence", "POSTING_SCHEMA", "PART_SCHEMA"]

#: A block's distinct n-grams: the hash's bits as a long, the block, its document.
POSTING_SCHEMA = "key long, block long, doc long"
_POSTING_TYPE = pa.schema([("key", pa.int64()), ("block", pa.int64()), ("doc", pa.int64())])
#: A page pair's part of the evidence from one shard of n-grams (:data:`dedupe.ngrams.SHARDS`).
PART_SCHEMA = "d long, e long, shard long, part double"
_PART_TYPE = pa.schema([("d", pa.int64()), ("e", pa.int64()), ("shard", pa.int64()), ("part", pa.float64())])
_SUM_SCHEMA = "d long, e long, evidence double"
_SUM_TYPE = pa.schema([("d", pa.int64()), ("e", pa.int64()), ("evidence", pa.float64())])


def _postings(n: int):
    def postings(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        with Workers(1) as workers:  # this process alone: the executor is the parallelism
            for batch in batches:
                if not batch.num_rows:
                    continue
                hashes, counts = block_grams(batch.column("text").to_pylist(), n, workers)
                block = np.repeat(batch.column("block").to_numpy().astype(np.int64), counts)
                doc = np.repeat(batch.column("doc").to_numpy().astype(np.int64), counts)
                key = hashes.astype(np.uint64).view(np.int64)
                order = np.lexsort((block, key))  # a block is in one batch: distinct here is distinct
                key, block, doc = key[order], block[order], doc[order]
                first = run_starts(key) | np.r_[True, block[1:] != block[:-1]]
                yield pa.RecordBatch.from_arrays(
                    [pa.array(key[first]), pa.array(block[first]), pa.array(doc[first])], schema=_POSTING_TYPE
                )

    return postings


@njit(cache=True)
def _pair_terms(key, doc, v):
    """Rows sorted by key, doc, block (``v``: the block's n-gram weight,
    0 when it has none): for each n-gram, each document ``d`` with weight
    in it, ``lone[d, g]`` (its blocks' weights added in block order, as
    scipy sums a matrix's duplicate entries), paired with every other
    document ``e`` holding it."""
    n = len(key)
    # (key, doc) runs: their first row, and lone (0: none; 0.0 + v is v exactly).
    run_first = np.empty(n, np.int64)
    run_lone = np.zeros(n, np.float64)
    m = 0
    for i in range(n):
        if i == 0 or key[i] != key[i - 1] or doc[i] != doc[i - 1]:
            run_first[m] = i
            m += 1
        if v[i] > 0:
            run_lone[m - 1] += v[i]
    # Each run's n-gram group (the runs of its key): where it starts and ends.
    group_start = np.empty(m, np.int64)
    group_end = np.empty(m, np.int64)
    for r in range(m):
        new_key = r == 0 or key[run_first[r]] != key[run_first[r - 1]]
        group_start[r] = r if new_key else group_start[r - 1]
    for r in range(m - 1, -1, -1):
        last = r == m - 1 or key[run_first[r]] != key[run_first[r + 1]]
        group_end[r] = r + 1 if last else group_end[r + 1]
    total = 0
    for r in range(m):
        if run_lone[r] > 0:
            total += group_end[r] - group_start[r] - 1
    d_out = np.empty(total, np.int64)
    e_out = np.empty(total, np.int64)
    k_out = np.empty(total, np.int64)
    l_out = np.empty(total, np.float64)
    t = 0
    for r in range(m):
        if run_lone[r] > 0:
            for s in range(group_start[r], group_end[r]):
                if s != r:
                    d_out[t] = doc[run_first[r]]
                    e_out[t] = doc[run_first[s]]
                    k_out[t] = key[run_first[r]]
                    l_out[t] = run_lone[r]
                    t += 1
    return d_out, e_out, k_out, l_out


def _gather(batches: Iterator[pa.RecordBatch]) -> Optional[pa.Table]:
    """A partition's batches as one table; None for an empty partition."""
    got = [b for b in batches if b.num_rows]
    return pa.Table.from_batches(got) if got else None


def _rare(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """A partition of postings (every posting of an n-gram in one
    partition): those of the n-grams in at most MAX_DF documents (as
    :meth:`dedupe.ngrams.GramIndex.build` counts them: distinct documents)."""
    table = _gather(batches)
    if table is None:
        return
    key, block, doc = (table.column(c).to_numpy() for c in ("key", "block", "doc"))
    order = np.lexsort((doc, key))
    key, block, doc = key[order], block[order], doc[order]
    new_gram = run_starts(key)
    new_doc = new_gram | np.r_[True, doc[1:] != doc[:-1]]
    starts = np.flatnonzero(new_gram)
    df = np.add.reduceat(new_doc, starts, dtype=np.int64)
    keep = np.repeat(df <= MAX_DF, np.diff(np.r_[starts, len(key)]))
    yield pa.RecordBatch.from_arrays([pa.array(key[keep]), pa.array(block[keep]), pa.array(doc[keep])], schema=_POSTING_TYPE)


def _terms(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """A partition of rare postings (every posting of a shard of n-grams in
    one partition, each with its block's weight ``v``): each page pair's
    part of the evidence from each shard, added from 0 in hash order, as
    the local product adds it."""
    table = _gather(batches)
    if table is None:
        return
    key = table.column("key").to_numpy()
    block = table.column("block").to_numpy()
    doc = table.column("doc").to_numpy()
    v = table.column("v").fill_null(0.0).to_numpy()
    order = np.lexsort((block, doc, key))
    d, e, k, lone = _pair_terms(key[order], doc[order], v[order])
    k = k.view(np.uint64)
    shard = (k % np.uint64(SHARDS)).astype(np.int64)
    order = np.lexsort((k, shard, e, d))
    got = _ordered_sums(d[order], e[order], shard[order], lone[order])
    yield pa.RecordBatch.from_arrays([pa.array(c) for c in got], schema=_PART_TYPE)


@njit(cache=True)
def _ordered_sums(d, e, shard, lone):
    """Rows sorted by d, e, shard, then hash: each (d, e, shard)'s sum,
    added from 0 in row order."""
    n = len(d)
    out_d = np.empty(n, np.int64)
    out_e = np.empty(n, np.int64)
    out_s = np.empty(n, np.int64)
    out = np.empty(n, np.float64)
    m = 0
    i = 0
    while i < n:
        part = 0.0
        j = i
        while j < n and d[j] == d[i] and e[j] == e[i] and shard[j] == shard[i]:
            part += lone[j]
            j += 1
        out_d[m], out_e[m], out_s[m], out[m] = d[i], e[i], shard[i], part
        m += 1
        i = j
    return out_d[:m], out_e[:m], out_s[:m], out[:m]


def _sums(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """A partition of parts (every part of a page pair in one partition):
    each pair's evidence, its shards' parts added in shard order, from 0."""
    table = _gather(batches)
    if table is None:
        return
    d, e, shard = (table.column(c).to_numpy() for c in ("d", "e", "shard"))
    order = np.lexsort((shard, e, d))
    d, e = d[order], e[order]
    # Each (d, e, shard) is one row: the pair's runs, summed in order.
    pair_d, pair_e, _, total = _ordered_sums(d, e, np.zeros(len(d), np.int64), table.column("part").to_numpy()[order])
    yield pa.RecordBatch.from_arrays([pa.array(pair_d), pa.array(pair_e), pa.array(total)], schema=_SUM_TYPE)


class SparkEvidence:
    """The copy evidence (:class:`dedupe.copy_evidence.CopyEvidence`'s
    numbers) computed in the executors (the module's docstring).

    Made with the stage's per-block arrays; the n-grams, their document
    counts and each block's rare n-grams are computed then (the rare
    postings kept in Spark, on disk). ``evidence(d, e)`` runs the page
    pairs' steps for the pairs asked, all at once: :attr:`rows` covers
    every document, so :func:`dedupe.boilerplate.decide` asks once.
    """

    def __init__(
        self, documents: DataFrame, blocks: DataFrame, n: int, doc_of: np.ndarray, labels: np.ndarray,
        weight: np.ndarray, n_docs: int, progress: Optional[Progress] = None,
    ):
        self.spark = documents.sparkSession
        self.n_docs = n_docs
        self.rows = max(n_docs, 1)
        sized = np.flatnonzero(weight > 0)
        with as_progress(progress).stage("boilerplate · n-grams", len(sized), "blocks") as task:
            texts = (
                blocks.where(F.col("weight") > 0)
                .select("doc", "block", "start", "end")
                .join(documents.select("doc", "text"), "doc")
                # Spark's substring counts characters (code points), as Python's slices do.
                .select("doc", "block", F.expr("substring(text, start + 1, end - start)").alias("text"))
            )
            # Explicit partition counts: adaptive execution would coalesce
            # by the rows going in (blocks), not the n-grams coming out (at
            # 100k pages six tasks made every posting, spilling 4 GB).
            self._parts = int(self.spark.conf.get("spark.sql.shuffle.partitions"))
            postings = texts.repartition(self._parts, "doc").mapInArrow(_postings(n), POSTING_SCHEMA)
            rare = postings.repartition(self._parts, "key").mapInArrow(_rare, POSTING_SCHEMA)
            self._rare = rare.persist(StorageLevel.DISK_ONLY)
            counted = self._rare.groupBy("block").count().toArrow()
            block = counted.column("block").to_numpy()
            at = np.searchsorted(sized, block)
            if len(block) and (at.max() >= len(sized) or not np.array_equal(sized[at], block)):
                raise ValueError("the executors' weighted blocks are not the driver's")
            rare = np.zeros(len(sized), dtype=np.int32)
            rare[at] = counted.column("count").to_numpy()
            task.advance(len(sized))
        per_gram = gram_weights(doc_of, labels, weight, sized, rare)
        weighted = per_gram > 0
        self._weights = self.spark.createDataFrame(
            pa.table({"block": pa.array(sized[weighted].astype(np.int64)), "v": pa.array(per_gram[weighted])})
        )

    def __call__(self, d: np.ndarray, e: np.ndarray) -> np.ndarray:
        """The evidence of each ``d[k]`` in ``e[k]`` (float64)."""
        d, e = np.asarray(d, dtype=np.int64), np.asarray(e, dtype=np.int64)
        out = np.zeros(len(d))
        if not len(d):
            return out
        asked = self.spark.createDataFrame(pa.table({"d": pa.array(d), "e": pa.array(e)})).coalesce(self._parts)
        got = self.sums(asked).toArrow()
        code = got.column("d").to_numpy() * self.n_docs + got.column("e").to_numpy()
        order = np.argsort(code)
        code, value = code[order], got.column("evidence").to_numpy()[order]
        want = d * self.n_docs + e
        at = np.minimum(np.searchsorted(code, want), max(len(code) - 1, 0))
        hit = (code[at] == want) if len(code) else np.zeros(len(want), dtype=bool)
        out[hit] = value[at[hit]]
        return out

    def sums(self, asked: DataFrame) -> DataFrame:
        """The evidence of each page pair of ``asked`` (``d``, ``e``: the
        evidence of ``d`` in ``e``) that has any, as a frame ``d``, ``e``,
        ``evidence`` (a pair asked twice is answered once; a pair without
        shared rare n-grams is left out: its evidence is 0). Nothing is
        collected: :func:`.decide.decide` joins it to its page pairs."""
        # A shard (the hash's low bits: SHARDS is a power of two) a partition
        # at most: its parts are summed whole there, in hash order.
        shard = F.col("key").bitwiseAND(SHARDS - 1)
        parts = (
            self._rare.join(self._weights, "block", "left")
            .repartition(SHARDS, shard)
            .mapInArrow(_terms, PART_SCHEMA)
            .join(asked.select("d", "e"), ["d", "e"], "left_semi")
        )
        return parts.repartition(self._parts, "d", "e").mapInArrow(_sums, _SUM_SCHEMA)

    def decide(
        self, doc: np.ndarray, cluster: np.ndarray, weight: np.ndarray, repeat: np.ndarray, host: np.ndarray,
        n_docs: int, config: BoilerplateConfig, exchange: Exchange = in_memory, progress: Optional[Progress] = None,
        *, prose: Optional[np.ndarray] = None, known: Optional[np.ndarray] = None,
    ) -> Decision:
        """:func:`dedupe.boilerplate.decide` (its arguments but ``loose``)
        with this evidence: with its pairs and rounds in Spark
        (:func:`.decide.decide`), or on the driver when it has at most
        :data:`.decide.DRIVER_PAIRS` entry pairs to judge. The same
        decision either way."""
        from .decide import DRIVER_PAIRS, DRIVER_PAIRS_DEFAULT, checked_pairs, decide

        if checked_pairs(doc, cluster, config) <= int(self.spark.conf.get(DRIVER_PAIRS, str(DRIVER_PAIRS_DEFAULT))):
            return boilerplate.decide(
                doc, cluster, weight, repeat, host, n_docs, config, self, exchange, progress, prose=prose, known=known,
            )
        return decide(
            self.spark, doc, cluster, weight, repeat, host, n_docs, config, evidence=self, progress=progress,
            prose=prose, known=known,
        )

    def close(self) -> None:
        self._rare.unpersist()


def evidence(documents: DataFrame, blocks: DataFrame, n: int, progress: Optional[Progress] = None):
    """The boilerplate stage's ``evidence`` (:data:`dedupe.stages.boilerplate.Evidence`)
    on Spark: a :class:`SparkEvidence` of the documents' and blocks' frames."""

    def make(doc_of: np.ndarray, labels: np.ndarray, weight: np.ndarray, n_docs: int) -> SparkEvidence:
        return SparkEvidence(documents, blocks, n, doc_of, labels, weight, n_docs, progress)

    return make
