"""The blocks stage on Spark: every document cut into blocks in the executors,
each normalised key numbered by its first occurrence across the corpus.

Documents are segmented a partition at a time by the local stage's
:func:`dedupe.stages.blocks.segment_documents` (blocks, weights, repeats in
their page, key digests). A block's index in the run is its document's
first block (the blocks of the documents before it) plus its position in
the document; a key's id is the rank of its first block among the keys'
first blocks. Both are prefix sums, computed without a sort of the whole
corpus or a collect of it (:func:`exclusive_sums`): the totals of ranges of
ids go to the driver (one row per :data:`SPAN` ids), each range is summed
within its own window. The ids are those of
:func:`dedupe.stages.blocks.first_occurrence_ids`.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa

from . import require_pyspark

require_pyspark()

from pyspark.sql import DataFrame, SparkSession, Window  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from ...arrays import segment_arange  # noqa: E402
from ...config import Config  # noqa: E402
from ...ints import compact  # noqa: E402
from ...stages.blocks import Blocks, segment_documents, tables_of  # noqa: E402
from ...stages.contract import Tables  # noqa: E402

__all__ = [
    "blocks_frame", "blocks_tables", "blocks_frame_of", "blocks_array", "exclusive_sums", "BLOCK_SCHEMA", "SPAN",
]

#: The blocks' frame: ``doc``, ``i`` (the block's position in its document),
#: ``block`` (its index in the run), ``start``, ``end`` (character offsets in
#: its document's text), ``line`` (1-based), ``weight``, ``repeat`` (an
#: earlier block of its page has its light key), ``key`` (its normalised
#: key's id, by first occurrence), ``prose`` (a prose line).
BLOCK_SCHEMA = (
    "doc long, i long, block long, start long, end long, line long, weight double, repeat boolean, key long,"
    " prose boolean"
)
# What the executors return of each block: the digest as two longs (the uint64 bits).
_SEGMENT_SCHEMA = (
    "doc long, i long, start long, end long, line long, weight double, repeat boolean, prose boolean, hi long, lo long"
)
#: Ids a range of :func:`exclusive_sums` holds (a power of two): its rows are summed in one window.
SPAN = 1 << 16


def _segment(short_words: int):
    def segment(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            docs = batch.column("doc").to_numpy(zero_copy_only=False)
            flat, counts, weight, repeat, digest, prose = segment_documents(batch.column("text").to_pylist(), short_words)
            digest = digest.view(np.int64)
            yield pa.RecordBatch.from_pydict(
                {
                    "doc": np.repeat(docs.astype(np.int64), counts), "i": segment_arange(counts).astype(np.int64),
                    "start": flat[:, 0].astype(np.int64), "end": flat[:, 1].astype(np.int64),
                    "line": flat[:, 2].astype(np.int64), "weight": weight, "repeat": repeat,
                    "prose": prose, "hi": digest[:, 0].copy(), "lo": digest[:, 1].copy(),
                }
            )

    return segment


def exclusive_sums(frame: DataFrame, order: str, weight: str, name: str) -> DataFrame:
    """``frame`` with ``name``: for each row, the sum of ``weight`` over the
    rows whose ``order`` is smaller (long).

    ``order`` is a non-negative long, distinct on every row. Rows go to
    ranges of :data:`SPAN` values of ``order``; the range totals (one row a
    range) are summed on the driver, the rows of a range in a window.
    The columns ``_range`` and ``_before`` are the sums' own.
    """
    spark = frame.sparkSession
    span = F.shiftright(F.col(order), SPAN.bit_length() - 1)  # exact, where a division by SPAN is a double
    totals = sorted(frame.groupBy(span.alias("_range")).agg(F.sum(weight).alias("total")).collect())
    ranges = np.array([r for r, _ in totals], dtype=np.int64)
    before = np.concatenate([[0], np.cumsum([int(t) for _, t in totals], dtype=np.int64)[:-1]]).astype(np.int64)
    offsets = spark.createDataFrame(pa.table({"_range": pa.array(ranges), "_before": pa.array(before[: len(ranges)])}))
    within = Window.partitionBy("_range").orderBy(order).rowsBetween(Window.unboundedPreceding, -1)
    return (
        frame.withColumn("_range", span)
        .join(F.broadcast(offsets), "_range")
        .withColumn(name, (F.col("_before") + F.coalesce(F.sum(weight).over(within), F.lit(0))).cast("long"))
        .drop("_range", "_before")
    )


def blocks_frame(documents: DataFrame, config: Config) -> DataFrame:
    """The blocks of every document (:data:`BLOCK_SCHEMA`), as the local blocks stage cuts and numbers them.

    Parameters
    ----------
    documents : DataFrame
        ``doc`` (0 .. n-1, the document's index in the run) and ``text``.
    config : Config

    Returns
    -------
    DataFrame
        Persisted (``unpersist()`` it when done), in no particular order.
    """
    short_words = config.shingle.short_block_words
    # Each step is read twice (its sums, then its rows): kept until the blocks are.
    kept = [documents.select("doc", "text").mapInArrow(_segment(short_words), _SEGMENT_SCHEMA).persist()]
    try:
        per_doc = kept[0].groupBy("doc").agg(F.count("*").alias("n"))
        firsts = exclusive_sums(per_doc, "doc", "n", "first_block").select("doc", "first_block")
        kept.append(kept[0].join(firsts, "doc").withColumn("block", F.col("first_block") + F.col("i")).persist())
        keys = kept[1].groupBy("hi", "lo").agg(F.min("block").alias("first"))
        keys = exclusive_sums(keys.withColumn("one", F.lit(1)), "first", "one", "key").select("hi", "lo", "key")
        blocks = kept[1].join(keys, ["hi", "lo"]).select(*(c.split()[0] for c in BLOCK_SCHEMA.split(", "))).persist()
        blocks.count()
        return blocks
    finally:
        for frame in kept:
            frame.unpersist()


def blocks_array(blocks: DataFrame, n_docs: int) -> Blocks:
    """The local stage's :class:`~dedupe.stages.blocks.Blocks` of a blocks
    frame, collected to the driver (every block's numbers, no text).

    ``n_docs`` is the number of documents (those without blocks count).
    """
    table = blocks.select("block", "doc", "start", "end", "line", "weight", "repeat", "key", "prose").toArrow()
    order = np.argsort(table.column("block").to_numpy(), kind="stable")
    column = lambda name: table.column(name).to_numpy()[order]  # noqa: E731
    spans = np.stack([column("start"), column("end"), column("line")], axis=1) if len(order) else np.zeros((0, 3), np.int64)
    counts = np.bincount(column("doc"), minlength=n_docs).astype(np.int64)
    return Blocks(
        compact(spans), counts, column("weight").astype(np.float64), column("repeat").astype(bool),
        compact(column("key")), column("prose").astype(bool),
    )


def blocks_tables(spark: SparkSession, documents: DataFrame, config: Config) -> tuple[DataFrame, Tables]:
    """The blocks stage on Spark for :class:`~dedupe.backends.spark.run.SparkRun`:
    the blocks' frame (:func:`blocks_frame`) and the stage's tables (:data:`dedupe.stages.blocks.STAGE`)."""
    frame = blocks_frame(documents, config)
    return frame, tables_of(blocks_array(frame, documents.count()))


def blocks_frame_of(spark: SparkSession, documents: DataFrame, b: Blocks) -> DataFrame:
    """The blocks' frame (:data:`BLOCK_SCHEMA`) of the local stage's tables
    (a blocks stage read back from its checkpoint), partitioned as ``documents``."""
    n = len(b.key)
    doc = np.repeat(np.arange(len(b.counts), dtype=np.int64), b.counts)
    spans = np.asarray(b.blocks, dtype=np.int64).reshape(-1, 3)
    table = pa.table(
        {
            "doc": doc, "i": segment_arange(b.counts).astype(np.int64), "block": np.arange(n, dtype=np.int64),
            "start": spans[:, 0], "end": spans[:, 1], "line": spans[:, 2],
            "weight": np.asarray(b.weight, np.float64), "repeat": np.asarray(b.repeat, bool),
            "key": np.asarray(b.key, np.int64), "prose": np.asarray(b.prose, bool),
        }
    )
    frames = [spark.createDataFrame(table.slice(a, _SLICE)) for a in range(0, max(n, 1), _SLICE)]
    frame = frames[0]
    for more in frames[1:]:
        frame = frame.unionByName(more)
    return frame.repartitionByRange(documents.rdd.getNumPartitions(), "doc").persist()


# Blocks sent to Spark in one Arrow table.
_SLICE = 1 << 20
