"""The boilerplate stage's map step on Spark: the copy evidence's n-grams.

The copy evidence (:class:`dedupe.copy_evidence.CopyEvidence`) starts
from the word n-grams of every weighted block. Here they are made in the
executors, by the local step's own function
(:func:`dedupe.copy_evidence.block_grams`) on the blocks' texts, cut from
the documents' frame there; the driver receives the hashes (numbers, a
batch of blocks a row, in block order), never a text. The stage's reduce
steps (the n-gram index, the page pairs, the rounds of
:func:`dedupe.boilerplate.decide`) run on the driver over these arrays,
as on one machine.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa

from . import require_pyspark

require_pyspark()

from pyspark.sql import DataFrame  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from ...copy_evidence import Grams, block_grams  # noqa: E402
from ...executor import Workers  # noqa: E402

__all__ = ["grams", "GRAMS_SCHEMA"]

#: A batch of blocks' n-grams: its first block, then its blocks (int64),
#: their n-gram counts (int64) and the n-grams (of numpy dtype ``dtype``:
#: the local step's own), as raw bytes.
GRAMS_SCHEMA = "first long, blocks binary, counts binary, hashes binary, dtype string"
_GRAMS_TYPE = pa.schema(
    [("first", pa.int64()), ("blocks", pa.binary()), ("counts", pa.binary()), ("hashes", pa.binary()), ("dtype", pa.string())]
)


def _ngrams(n: int):
    def ngrams(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        with Workers(1) as workers:  # this process alone: the executor is the parallelism
            for batch in batches:
                blocks = batch.column("block").to_numpy().astype(np.int64)
                if not len(blocks):
                    continue
                hashes, counts = block_grams(batch.column("text").to_pylist(), n, workers)
                yield pa.RecordBatch.from_pydict(
                    {
                        "first": [int(blocks[0])], "blocks": [blocks.tobytes()],
                        "counts": [counts.astype(np.int64).tobytes()], "hashes": [hashes.tobytes()],
                        "dtype": [hashes.dtype.str],
                    },
                    schema=_GRAMS_TYPE,
                )

    return ngrams


def grams(documents: DataFrame, blocks: DataFrame, n: int) -> Grams:
    """The n-grams step of the copy evidence, in the executors.

    Parameters
    ----------
    documents : DataFrame
        ``doc``, ``text``.
    blocks : DataFrame
        :data:`dedupe.backends.spark.blocks.BLOCK_SCHEMA`.
    n : int
        Words an n-gram.

    Returns
    -------
    Grams
        ``grams(which)`` for the weighted blocks ``which`` (those of weight
        above 0, in order): what :func:`dedupe.copy_evidence.block_grams`
        makes of their texts, a batch of blocks at a time.
    """

    def made(which: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        texts = (
            blocks.where(F.col("weight") > 0)
            .select("doc", "block", "start", "end")
            .join(documents.select("doc", "text"), "doc")
            # Spark's substring counts characters (code points), as Python's slices do.
            .select("block", F.expr("substring(text, start + 1, end - start)").alias("text"))
        )
        batches = texts.repartitionByRange("block").sortWithinPartitions("block").mapInArrow(_ngrams(n), GRAMS_SCHEMA)
        at = 0
        for row in batches.orderBy("first").toLocalIterator(prefetchPartitions=True):
            got = np.frombuffer(row["blocks"], dtype=np.int64)
            if not np.array_equal(got, which[at : at + len(got)]):
                raise ValueError("the executors' weighted blocks are not the driver's")
            at += len(got)
            yield np.frombuffer(row["hashes"], dtype=row["dtype"]), np.frombuffer(row["counts"], dtype=np.int64)
        if at != len(which):
            raise ValueError(f"n-grams came for {at} weighted blocks, not {len(which)}")

    return made
