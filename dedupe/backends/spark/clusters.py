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
   more keys (of one kind, in one band) is a bucket, and the buckets are
   hashed to partitions;
4. each partition's buckets verified in an executor by the local
   :func:`dedupe.verify.similar_components` (shingled again as locally,
   the same threshold), told those buckets as the keys' band keys, which
   links each key to the smallest key of its verified component;
5. connected components of those links (:mod:`.components`), and each
   block labelled by the first block of its component's smallest key.

The links differ from the local ones (locally all candidates are verified
at once, and a pair already connected is skipped), but the components are
the same: a partition's components are those of the verified pairs of its
buckets (similar_components only skips pairs that cannot reach the
threshold or are already connected), every candidate pair shares a bucket,
and every link joins keys a chain of verified candidate pairs joins. So the labels are
:func:`dedupe.stages.clusters.run_clusters`'.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from . import require_pyspark

require_pyspark()

from pyspark.sql import DataFrame, SparkSession, Window  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from ... import verify  # noqa: E402
from ...config import Config  # noqa: E402
from ...executor import Workers  # noqa: E402
from ...ints import compact  # noqa: E402
from ...sign import key_band_keys, shingles  # noqa: E402
from ...stages.contract import Tables  # noqa: E402
from .components import components  # noqa: E402

__all__ = ["key_texts", "signed_keys", "near_links", "verify_buckets", "clusters_frame", "clusters_array", "cluster_tables"]


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
            offsets = np.arange(len(keys) + 1, dtype=np.int32) * keys.shape[1]  # each row's b band keys
            bands = pa.ListArray.from_arrays(pa.array(offsets), pa.array(keys.view(np.int64).ravel()))
            yield pa.RecordBatch.from_arrays(
                [batch.column("key"), batch.column("text"), pa.array(short), bands], names=["key", "text", "short", "bands"]
            )

    return texts.mapInArrow(sign, "key long, text string, short boolean, bands array<long>")


def near_links(signed: DataFrame, config: Config) -> DataFrame:
    """``src``, ``dst``: links whose connected components are those of the
    candidate pairs (keys of one kind sharing a band key) whose shingle sets
    have a Jaccard of ``block_threshold`` or more.

    The keys of each bucket (a band key two or more keys share, in one band)
    are brought together by Spark's shuffle, buckets hashed to partitions,
    and each partition verified as :func:`dedupe.stages.clusters.near_edges`
    verifies a corpus (:func:`verify_buckets`).
    """
    bucket = ("short", "band", "band_key")
    banded = signed.select("key", "short", F.posexplode("bands").alias("band", "band_key"))
    members = banded.withColumn("size", F.count("*").over(Window.partitionBy(*bucket))).where(F.col("size") >= 2)
    rows = members.select("key", *bucket).join(signed.select("key", "text"), "key").repartition(*bucket)
    sc = config.shingle
    threshold = config.boilerplate.block_threshold
    ngram = {True: ("char", sc.char_ngram), False: ("word", sc.word_ngram)}

    def verify_partition(parts: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        parts = list(parts)
        if not parts:  # a partition without buckets
            return
        rows = pd.concat(parts, ignore_index=True)
        for short in (True, False):
            these = rows[rows["short"] == short]
            if len(these):
                yield verify_buckets(these, *ngram[short], threshold)

    return rows.mapInPandas(verify_partition, "src long, dst long")


def verify_buckets(rows: pd.DataFrame, kind: str, ngram: int, threshold: float) -> pd.DataFrame:
    """Links (``src``, ``dst``) joining the keys of ``rows`` as the verified
    pairs of their buckets join them.

    ``rows`` are (``key``, ``band``, ``band_key``, ``text``): each key in
    each bucket of one kind. The keys' band keys are those buckets alone,
    renumbered in each band (a band where a key is in none of them gets a
    number of its own), so that :func:`dedupe.verify.similar_components`,
    given the keys' ``kind`` n-gram sets of ``ngram`` as locally, verifies
    exactly the pairs that share one of these buckets. Each key is linked
    to the smallest key of its component.
    """
    keys, first, row = np.unique(rows["key"].to_numpy(dtype=np.int64), return_index=True, return_inverse=True)
    n = len(keys)
    band = rows["band"].to_numpy(dtype=np.int64)
    n_bands = int(band.max()) + 1
    codes = np.arange(n, dtype=np.int64)[:, None] + np.zeros((1, n_bands), dtype=np.int64)
    for k in np.unique(band).tolist():
        mine = band == k
        _, bucket = np.unique(rows["band_key"].to_numpy(dtype=np.int64)[mine], return_inverse=True)
        codes[row[mine], k] = n + bucket  # past every key's own number
    texts = rows["text"].to_numpy(dtype=object)[first].tolist()
    with Workers(1) as workers:
        batch, _ = shingles(workers, texts, kind, ngram, normalise=True)
    label = verify.similar_components(verify.shingle_matrix(batch), codes.astype(np.uint64), threshold)
    moved = np.flatnonzero(label != np.arange(n))
    return pd.DataFrame({"src": keys[moved], "dst": keys[label[moved]]})


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
