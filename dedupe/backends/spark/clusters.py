"""The clusters stage on Spark: blocks identical once normalised, or
near-identical, joined into clusters, each labelled by its first block.

The steps of :func:`dedupe.stages.clusters.cluster_keys`, each where its
data is:

1. each distinct key's text (that of its first block), cut from its
   document in the executors;
2. its LSH band keys there too, by the local
   :func:`dedupe.sign.key_band_keys` (character n-grams for a short key,
   word n-grams for a long one);
3. the keys grouped by band key with Spark's shuffle: each group of two or
   more keys (of one kind, in one band) is a bucket, and buckets with the
   same members are verified once;
4. each bucket verified in an executor by the local
   :func:`dedupe.verify.similar_components` (shingled again as locally,
   the same threshold), which links each member to the smallest member of
   its verified component within the bucket;
5. connected components of those links (:mod:`.components`), and each
   block labelled by the first block of its component's smallest key.

The links differ from the local ones (locally all candidates are verified
at once, and a pair already connected is skipped), but the components are
the same: a bucket's components are those of its verified pairs, every
candidate pair shares a bucket, and every link joins keys a chain of
verified candidate pairs joins. So the labels are
:func:`dedupe.stages.clusters.run_clusters`'.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from . import require_pyspark

require_pyspark()

from pyspark.sql import DataFrame, SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from ... import verify  # noqa: E402
from ...config import Config  # noqa: E402
from ...executor import Workers  # noqa: E402
from ...ints import compact  # noqa: E402
from ...sign import key_band_keys, shingles  # noqa: E402
from ...stages.contract import Tables  # noqa: E402
from .components import components  # noqa: E402

__all__ = ["key_texts", "signed_keys", "buckets", "near_links", "clusters_frame", "clusters_array", "cluster_tables"]


def key_texts(documents: DataFrame, blocks: DataFrame) -> DataFrame:
    """``key``, ``text``: each distinct key and the text of its first block.

    ``documents`` has ``doc`` and ``text``; ``blocks`` is a frame of
    :data:`.blocks.BLOCK_SCHEMA`.
    """
    first = blocks.groupBy("key").agg(F.min(F.struct("block", "doc", "start", "end")).alias("f"))
    # A page's first blocks go to it together: its text is joined once, not once a key.
    spans = first.groupBy(F.col("f.doc").alias("doc")).agg(
        F.collect_list(F.struct("key", F.col("f.start").alias("start"), F.col("f.end").alias("end"))).alias("spans")
    )
    return spans.join(documents.select("doc", "text"), "doc").select("text", "spans").mapInArrow(_cut, "key long, text string")


def _cut(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        keys, texts = [], []
        for text, spans in zip(batch.column("text").to_pylist(), batch.column("spans").to_pylist()):
            for s in spans:
                keys.append(s["key"])
                texts.append(text[s["start"] : s["end"]])
        yield pa.RecordBatch.from_pydict({"key": pa.array(keys, pa.int64()), "text": pa.array(texts, pa.string())})


def signed_keys(texts: DataFrame, config: Config) -> DataFrame:
    """``key``, ``text``, ``short`` (compared on character n-grams) and
    ``bands`` (its LSH band keys, ``array<long>`` of the uint64 bits), by
    :func:`dedupe.sign.key_band_keys` in the executors."""
    sc, mc = config.shingle, config.minhash
    args = (sc.short_block_words, sc.char_ngram, sc.word_ngram, mc.num_perm, mc.seed, config.boilerplate.block_threshold)

    def sign(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            short, keys = key_band_keys(batch.column("text").to_pylist(), *args)
            offsets = np.arange(0, keys.size + 1, max(keys.shape[1], 1), dtype=np.int32)[: len(keys) + 1]
            bands = pa.ListArray.from_arrays(pa.array(offsets), pa.array(keys.view(np.int64).ravel()))
            yield pa.RecordBatch.from_arrays(
                [batch.column("key"), batch.column("text"), pa.array(short), bands], names=["key", "text", "short", "bands"]
            )

    return texts.mapInArrow(sign, "key long, text string, short boolean, bands array<long>")


def buckets(signed: DataFrame) -> DataFrame:
    """``short``, ``members``: the keys (sorted) that share a band key, of
    one kind in one band, two or more; each set of members once."""
    banded = signed.select("key", "short", F.posexplode("bands").alias("band", "band_key"))
    grouped = banded.groupBy("short", "band", "band_key").agg(F.array_sort(F.collect_list("key")).alias("members"))
    return grouped.where(F.size("members") >= 2).select("short", "members").distinct()


def near_links(signed: DataFrame, config: Config) -> DataFrame:
    """``src``, ``dst``: links whose connected components are those of the
    candidate pairs (keys sharing a bucket, :func:`buckets`) whose shingle
    sets have a Jaccard of ``block_threshold`` or more. Each bucket is
    verified in an executor by :func:`dedupe.verify.similar_components`."""
    sc = config.shingle
    threshold = config.boilerplate.block_threshold

    def verify_bucket(rows: pd.DataFrame) -> pd.DataFrame:
        rows = rows.sort_values("key")
        kind, ngram = ("char", sc.char_ngram) if bool(rows["short"].iloc[0]) else ("word", sc.word_ngram)
        with Workers(1) as workers:
            batch, _ = shingles(workers, rows["text"].tolist(), kind, ngram, normalise=True)
        # One band key for all: every pair of a bucket is a candidate.
        label = verify.similar_components(verify.shingle_matrix(batch), np.zeros((len(rows), 1), np.uint64), threshold)
        keys = rows["key"].to_numpy(dtype=np.int64)
        moved = np.flatnonzero(label != np.arange(len(label)))
        return pd.DataFrame({"src": keys[moved], "dst": keys[label[moved]]})

    members = buckets(signed).select("members", F.explode("members").alias("key"))
    return (
        members.join(signed.select("key", "short", "text"), "key")
        .groupBy("members")
        .applyInPandas(verify_bucket, "src long, dst long")
    )


def clusters_frame(documents: DataFrame, blocks: DataFrame, config: Config) -> DataFrame:
    """``block``, ``cluster``: each block's cluster, the index of its
    cluster's first block (as :func:`dedupe.stages.clusters.run_clusters`).

    ``documents`` has ``doc`` and ``text``; ``blocks`` is a frame of
    :data:`.blocks.BLOCK_SCHEMA`. The session needs a checkpoint folder
    (:func:`.components.components`).
    """
    signed = signed_keys(key_texts(documents, blocks), config).persist()
    try:
        labels = components(near_links(signed, config))  # which reads its links once (a checkpoint)
        first = blocks.groupBy("key").agg(F.min("block").alias("first"))
        # A key without links is its own component; the smallest key's first block is the component's first.
        cluster = (
            first.join(labels.withColumnRenamed("node", "key"), "key", "left")
            .select("key", F.coalesce("label", "key").alias("label"))
            .join(first.withColumnRenamed("key", "label").withColumnRenamed("first", "cluster"), "label")
            .select("key", "cluster")
        )
        out = blocks.select("block", "key").join(cluster, "key").select("block", "cluster").persist()
        out.count()
        return out
    finally:
        signed.unpersist()


def clusters_array(documents: DataFrame, blocks: DataFrame, config: Config) -> np.ndarray:
    """:func:`clusters_frame` collected to the driver: the local stage's
    labels (int32 where they fit), one per block in block order."""
    frame = clusters_frame(documents, blocks, config)
    try:
        table = frame.toArrow()
    finally:
        frame.unpersist()
    label = np.empty(table.num_rows, dtype=np.int64)
    label[table.column("block").to_numpy()] = table.column("cluster").to_numpy()
    return compact(label)


def cluster_tables(spark: SparkSession, documents: DataFrame, blocks: DataFrame, config: Config) -> Tables:
    """The clusters stage on Spark for :class:`~dedupe.backends.spark.run.SparkRun`:
    its table (:data:`dedupe.stages.clusters.STAGE`)."""
    return {"blocks": {"cluster": clusters_array(documents, blocks, config)}}
