"""The driver's results as DataFrames, for the stages that run on Spark after
stages that ran on the driver: the kept spans and pairs (numbers), joined
in Spark to the read stage's documents (:func:`spans_frame`); and, for
documents that were not read on Spark (tests, small corpora), the
documents and their texts themselves.

Built from Arrow tables a slice at a time (no Python object per row), in
partitions of about :data:`PARTITION_CHARS` characters of text.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pyarrow as pa

from . import require_pyspark

require_pyspark()

from pyspark.sql import DataFrame, SparkSession  # noqa: E402

__all__ = ["documents_frame", "kept_frame", "spans_frame", "pairs_frame", "partitions_for", "PARTITION_CHARS", "SPAN_SLICE"]

#: Characters of text a partition holds, about.
PARTITION_CHARS = 32 << 20
# Documents sent to Spark in one Arrow table.
_SLICE = 20_000


def partitions_for(spark: SparkSession, chars: int) -> int:
    """Partitions for documents of ``chars`` characters of text: about
    :data:`PARTITION_CHARS` each, at least one a core."""
    return max(spark.sparkContext.defaultParallelism, -(-chars // PARTITION_CHARS))


def _frame(spark: SparkSession, tables: list[pa.Table], chars: int) -> DataFrame:
    frames = [spark.createDataFrame(t) for t in tables]
    frame = frames[0]
    for more in frames[1:]:
        frame = frame.unionByName(more)
    return frame.repartitionByRange(partitions_for(spark, chars), "doc")


def documents_frame(spark: SparkSession, documents: Sequence) -> DataFrame:
    """``doc`` (the document's index in the run), ``text``."""
    tables, chars = [], 0
    for start in range(0, max(len(documents), 1), _SLICE):
        texts = [d.text for d in documents[start : start + _SLICE]]
        chars += sum(map(len, texts))
        doc = pa.array(np.arange(start, start + len(texts), dtype=np.int64))
        tables.append(pa.table({"doc": doc, "text": pa.array(texts, pa.string())}))
    return _frame(spark, tables, chars)


def kept_frame(spark: SparkSession, texts: Sequence[str], spans: Sequence, records: Optional[Sequence] = None) -> DataFrame:
    """``doc``, ``text``, ``spans`` (the kept character spans [start, end) of
    each document's text, as ``array<array<long>>``), and with ``records``
    (each document's ``(source, line)``) ``source`` and ``line``."""
    tables, chars = [], 0
    span_type = pa.list_(pa.list_(pa.int64()))
    for start in range(0, max(len(texts), 1), _SLICE):
        part = list(texts[start : start + _SLICE])
        chars += sum(map(len, part))
        kept = [[[int(a), int(b)] for a, b in spans[i]] for i in range(start, start + len(part))]
        columns = {
            "doc": pa.array(np.arange(start, start + len(part), dtype=np.int64)),
            "text": pa.array(part, pa.string()),
            "spans": pa.array(kept, span_type),
        }
        if records is not None:
            these = records[start : start + len(part)]
            columns["source"] = pa.array([s for s, _ in these], pa.string())
            columns["line"] = pa.array([line for _, line in these], pa.int64())
        tables.append(pa.table(columns))
    return _frame(spark, tables, chars)


def pairs_frame(spark: SparkSession, pairs: np.ndarray) -> DataFrame:
    """``a``, ``b``: the rows of an (n, 2) array of document indices."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return spark.createDataFrame(pa.table({"a": pa.array(pairs[:, 0]), "b": pa.array(pairs[:, 1])}))


#: Spans sent to Spark in one Arrow table.
SPAN_SLICE = 1 << 20


def spans_frame(spark: SparkSession, spans) -> DataFrame:
    """``doc``, ``spans`` (each document's kept character spans [start, end),
    ``array<array<long>>``) of a :class:`dedupe.results.Spans`: numbers
    only, to join to the documents' frame where their texts are."""
    flat = np.asarray(spans.flat, dtype=np.int64).reshape(-1, 2)
    bounds = np.asarray(spans.bounds, dtype=np.int64)
    tables, at = [], 0
    n = len(bounds) - 1
    while at < n or not tables:
        end = min(n, int(np.searchsorted(bounds, bounds[at] + SPAN_SLICE, side="right")) - 1)
        end = max(end, min(at + 1, n))
        lo, hi = int(bounds[at]), int(bounds[end])
        pairs = pa.ListArray.from_arrays(pa.array(np.arange(0, 2 * (hi - lo) + 1, 2, dtype=np.int32)), pa.array(flat[lo:hi].ravel()))
        kept = pa.ListArray.from_arrays(pa.array((bounds[at : end + 1] - lo).astype(np.int32)), pairs)
        tables.append(pa.table({"doc": pa.array(np.arange(at, end, dtype=np.int64)), "spans": kept}))
        at = end
    frames = [spark.createDataFrame(t) for t in tables]
    frame = frames[0]
    for more in frames[1:]:
        frame = frame.unionByName(more)
    return frame
