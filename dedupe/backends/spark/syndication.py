"""The syndication stage on Spark: the local stage's tables, from executors and shuffles.

The same result as :func:`dedupe.syndication.find` (through
:func:`dedupe.stages.syndication.to_tables`), array for array, for any
partitioning of the documents. Each step is the local one, spread out:

* **signatures** (executors): each document's cleaned text shingled and
  signed (:func:`dedupe.sign.shingles`), cut into LSH band keys
  (:func:`dedupe.lsh.band_keys`); its distinct n-grams, their number and
  their fingerprint (:class:`dedupe.ngrams.GramIndex`, over the batch).
* **first copies** (shuffle by n-gram set): documents with the same size,
  fingerprint and first band key are copies; the first by rank (by id on a
  run) is the first copy and stands for them all (its weight is their number).
* **candidates** (shuffles): first copies sharing a band key; pairs sharing
  at least :func:`dedupe.syndication.min_shared_ngrams` n-grams found in at
  most :data:`dedupe.verify.MAX_DF` documents (the inverted index, as a
  group by n-gram); the hint pairs. Each taken to its documents' first
  copies, verified on the true intersection of the two n-gram sets.
* **clusters** (executors): star clustering is greedy but never looks past
  a connected component, so the components of the near pairs
  (:mod:`.components`) are clustered one at a time by :func:`dedupe.cluster.stars`.
* **passages** (executors): :func:`dedupe.syndication.passages_of` on the
  reported pairs, joined to the two documents' texts and spans.

Only the result (clusters, members, reported pairs and their passages) is
collected to the driver.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from . import require_pyspark

require_pyspark()

from pyspark.sql import Column, DataFrame, SparkSession, Window  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from ... import cluster, lsh, verify  # noqa: E402
from ...config import MinHashConfig, ShingleConfig, SyndicationConfig  # noqa: E402
from ...document import UsageError  # noqa: E402
from ...executor import Workers  # noqa: E402
from ...ngrams import GramIndex  # noqa: E402
from ...sign import shingles  # noqa: E402
from ...stages.contract import Tables  # noqa: E402
from ...stages.syndication import to_tables  # noqa: E402
from ...syndication import (  # noqa: E402
    Cluster, Pair, Passage, Syndication, cleaned_key, min_shared_ngrams, passages_of,
)
from .components import components  # noqa: E402

__all__ = ["find"]

# What the signatures step keeps of each document. 64-bit unsigned values
# (band keys, fingerprints) are held as longs of the same bits: only their
# equality matters.
SIGNED = "doc long, size long, fingerprint long, keys array<long>, grams array<long>"
LOCATED = (
    "kind int, centre long, member long, a long, b long, jaccard double, containment double, "
    "offsets array<array<long>>, words array<long>, shared long"
)
# Rows of the located pairs: a cluster's member with its centre, or two documents apart.
MEMBER, APART = 0, 1


def _as_long(values: np.ndarray) -> np.ndarray:
    """Unsigned integers as int64: widened when narrower, the same bits when 64-bit."""
    return values.view(np.int64) if values.dtype.itemsize == 8 else values.astype(np.int64)


def _sign(batches: Iterator[pa.RecordBatch], n_gram: int, num_perm: int, seed: int, threshold: float):
    """The signatures step on an executor: documents (``doc``, ``text``,
    ``spans``) in, :data:`SIGNED` rows out."""
    with Workers(1) as workers:  # this process alone: the executor is the parallelism
        yield from _sign_batches(batches, workers, n_gram, num_perm, seed, threshold)


def _sign_batches(batches, workers: Workers, n_gram: int, num_perm: int, seed: int, threshold: float):
    for batch in batches:
        doc = batch.column("doc").to_numpy()
        if not len(doc):
            continue
        texts, spans = batch.column("text").to_pylist(), batch.column("spans").to_pylist()
        cleaned = [cleaned_key(t, s or ()) for t, s in zip(texts, spans)]
        shingled, sigs = shingles(workers, cleaned, "word", n_gram, (num_perm, seed))
        keys = lsh.band_keys(sigs, threshold)
        owner = np.repeat(np.arange(len(doc), dtype=np.int64), np.diff(shingled.offsets))
        # The sizes and fingerprints of the local stage's index, owner by owner.
        with GramIndex(np.arange(len(doc)), verify.MAX_DF, fingerprints=True) as index:
            index.add(shingled.hashes, owner)
            index.build()
            sizes, fingerprints = index.sizes.astype(np.int64), index.fingerprints
        order = np.lexsort((shingled.hashes, owner))
        hashes, owner = shingled.hashes[order], owner[order]
        distinct = np.ones(len(hashes), dtype=bool)
        distinct[1:] = (hashes[1:] != hashes[:-1]) | (owner[1:] != owner[:-1])
        counts = np.bincount(owner[distinct], minlength=len(doc))
        grams = pa.ListArray.from_arrays(
            pa.array(np.r_[0, np.cumsum(counts)].astype(np.int32)), pa.array(_as_long(hashes[distinct]))
        )
        band = pa.ListArray.from_arrays(
            pa.array(np.arange(len(doc) + 1, dtype=np.int32) * keys.shape[1]), pa.array(_as_long(keys.ravel()))
        )
        yield pa.RecordBatch.from_arrays(
            [pa.array(doc, pa.int64()), pa.array(sizes), pa.array(_as_long(fingerprints)), band, grams],
            names=["doc", "size", "fingerprint", "keys", "grams"],
        )


def _similar(batches: Iterator[pa.RecordBatch], threshold: float):
    """Each pair's Jaccard and containment (:func:`dedupe.verify.similarity`),
    and whether it is near (containment at the threshold, something shared)."""
    for batch in batches:
        inter, sa, sb = (batch.column(c).to_numpy() for c in ("inter", "sa", "sb"))
        jac, con = verify.similarity(inter, sa, sb)
        near = (con >= threshold) & (inter > 0)
        columns = {name: batch.column(name) for name in ("a", "b", "sa", "sb", "inter")}
        columns.update(jaccard=pa.array(jac), containment=pa.array(con), near=pa.array(near))
        yield pa.RecordBatch.from_pydict(columns)


def _stars(rows: pd.DataFrame) -> pd.DataFrame:
    """:func:`dedupe.cluster.stars` of one connected component: its nodes
    (rows with a ``weight`` and a ``rank``) and its near pairs (rows
    ``node``, ``dst``)."""
    nodes = rows[rows["weight"] >= 0].sort_values("node")
    edges = rows[rows["dst"] >= 0]
    node = nodes["node"].to_numpy(np.int64)
    pairs = np.searchsorted(node, edges[["node", "dst"]].to_numpy(np.int64)).reshape(-1, 2)
    # Ties in degree by rank (by id), as locally.
    centre = cluster.stars(len(node), pairs, nodes["weight"].to_numpy(np.int64), nodes["rank"].to_numpy(np.int64))
    return pd.DataFrame({"node": node, "centre": node[centre]})


def _locate(batches: Iterator[pa.RecordBatch], min_words: int):
    """The shared passages of each pair (:func:`dedupe.syndication.passages_of`),
    from the two documents' texts and spans, with the pair's similarity."""
    for batch in batches:
        a, b = batch.column("a").to_pylist(), batch.column("b").to_pylist()
        docs = {}
        for side, ids in (("a", a), ("b", b)):
            texts, spans = batch.column(f"text_{side}").to_pylist(), batch.column(f"spans_{side}").to_pylist()
            docs.update((i, (t, s or [])) for i, t, s in zip(ids, texts, spans))
        swap = np.greater(batch.column("rank_a").to_numpy(), batch.column("rank_b").to_numpy()).tolist()
        found = passages_of(list(zip(a, b)), docs, min_words, swap)  # scanned from the first by rank, as locally
        inter, sa, sb = (batch.column(c).to_numpy() for c in ("inter", "sa", "sb"))
        jac, con = verify.similarity(inter, sa, sb)
        yield pa.RecordBatch.from_pydict(
            {
                **{c: batch.column(c) for c in ("kind", "centre", "member", "a", "b")},
                "jaccard": pa.array(jac, pa.float64()),
                "containment": pa.array(con, pa.float64()),
                "offsets": pa.array([[[*q.a, *q.b] for q in p] for p in found], pa.list_(pa.list_(pa.int64()))),
                "words": pa.array([[q.words for q in p] for p in found], pa.list_(pa.int64())),
                "shared": pa.array([sum(q.words for q in p) for p in found], pa.int64()),
            }
        )


def _pairs_in(groups: DataFrame) -> DataFrame:
    """Every pair ``(a, b)``, ``a < b``, of the distinct ids of each row's ``docs``."""
    spread = groups.where(F.size("docs") > 1).select(F.explode("docs").alias("a"), "docs")
    return spread.select("a", F.explode(F.filter("docs", lambda x: x > F.col("a"))).alias("b"))


def _with_sets(pairs: DataFrame, signed: DataFrame) -> DataFrame:
    """``pairs`` with the intersection (``inter``) of their documents' n-gram
    sets and the sets' sizes (``sa``, ``sb``)."""
    sets = signed.select("doc", "size", "grams")
    side_a = sets.select(F.col("doc").alias("a"), F.col("size").alias("sa"), F.col("grams").alias("ga"))
    side_b = sets.select(F.col("doc").alias("b"), F.col("size").alias("sb"), F.col("grams").alias("gb"))
    joined = pairs.join(side_a, "a").join(side_b, "b")
    inter = F.size(F.array_intersect("ga", "gb")).cast("long").alias("inter")
    return joined.select(*[c for c in pairs.columns if c not in ("a", "b")], "a", "b", "sa", "sb", inter)


def _ordered(x: str, y: str) -> list[Column]:
    return [F.least(x, y).alias("a"), F.greatest(x, y).alias("b")]


def _check(frame: DataFrame, name: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UsageError(f"{name} must have columns {', '.join(columns)}; missing {', '.join(missing)}")


def _first_copies(signed: DataFrame, ranks: DataFrame) -> DataFrame:
    """``doc``, ``first``, ``weight``, ``rank`` of each non-empty document:
    the document of the smallest rank (``ranks``: ``doc``, ``rank``) with its
    n-gram set (told, as locally, by size, fingerprint and first band key),
    how many documents have that set, and the document's rank."""
    same_set = Window.partitionBy("size", "fingerprint", "key0")
    return (
        signed.where(F.col("size") > 0)
        .join(ranks, "doc")
        .withColumn("key0", F.col("keys")[0])
        .select(
            "doc", F.min(F.struct("rank", "doc")).over(same_set)["doc"].alias("first"),
            F.count(F.lit(1)).over(same_set).alias("weight"), "rank",
        )
    )


def _candidates(signed: DataFrame, first_of: DataFrame, hint_pairs: DataFrame, min_shared: int) -> DataFrame:
    """The distinct pairs ``(a, b)``, ``a < b``, of first copies to verify:
    first copies sharing a band key, the hint pairs, and documents sharing
    at least ``min_shared`` rare n-grams, each taken to its first copies."""
    firsts = first_of.where(F.col("doc") == F.col("first")).select("doc")
    banded = signed.join(firsts, "doc").select("doc", F.posexplode("keys").alias("band", "key"))
    lsh_pairs = _pairs_in(banded.groupBy("band", "key").agg(F.collect_list("doc").alias("docs")))

    # The inverted index of the rare n-grams. A window counts each n-gram's
    # documents and the group by that follows reuses its partitioning: one
    # shuffle, and no common n-gram's list is made.
    grams = signed.select("doc", F.explode("grams").alias("gram"))
    df = F.count(F.lit(1)).over(Window.partitionBy("gram"))
    rare = grams.withColumn("df", df).where(F.col("df").between(2, verify.MAX_DF))
    in_rare = rare.groupBy("gram").agg(F.collect_list("doc").alias("docs"))
    sharing = _pairs_in(in_rare).groupBy("a", "b").count().where(F.col("count") >= min_shared).select("a", "b")

    hints = hint_pairs.select(F.col("a").cast("long"), F.col("b").cast("long"))
    proposed = lsh_pairs.unionByName(hints).unionByName(sharing)
    # Empty documents have no first copy: their pairs drop out here.
    to_first = first_of.select("doc", "first")
    mapped = proposed.join(to_first.withColumnsRenamed({"doc": "a", "first": "fa"}), "a").join(
        to_first.withColumnsRenamed({"doc": "b", "first": "fb"}), "b"
    )
    return mapped.where(F.col("fa") != F.col("fb")).select(*_ordered("fa", "fb")).distinct()


def _star_centres(near: DataFrame, first_of: DataFrame) -> DataFrame:
    """``node``, ``centre`` of each first copy in a near pair (``src``,
    ``dst``): :func:`dedupe.cluster.stars` run on each connected component."""
    labels = components(near)
    # One group per component: its nodes with their weights, and its pairs
    # (a union, not a cogroup: both sides come from the labels).
    weights = first_of.where(F.col("doc") == F.col("first")).select(F.col("doc").alias("node"), "weight", "rank")
    nodes = labels.join(weights, "node").select("label", "node", "weight", "rank", F.lit(-1).cast("long").alias("dst"))
    edges = near.join(labels.withColumnRenamed("node", "src"), "src").select(
        "label", F.col("src").alias("node"), F.lit(-1).cast("long").alias("weight"),
        F.lit(-1).cast("long").alias("rank"), "dst",
    )
    return nodes.unionByName(edges).groupBy("label").applyInPandas(_stars, "node long, centre long")


def _located(
    docs: DataFrame, signed: DataFrame, first_of: DataFrame, verified: DataFrame, stars: DataFrame,
    config: SyndicationConfig,
) -> DataFrame:
    """:data:`LOCATED` rows of each pair to report: each cluster member
    with its centre, and each verified pair sharing something whose
    documents are in different clusters, with at least
    ``overlap_min_words`` words of passages."""
    # A first copy's centre is its star's (its own outside the near pairs);
    # any document's is its first copy's.
    centre_of = first_of.join(stars.withColumnRenamed("node", "first"), "first", "left").select(
        "doc", F.coalesce("centre", "first").alias("centre")
    )
    members = centre_of.where(F.col("doc") != F.col("centre")).select(
        F.lit(MEMBER).alias("kind"), "centre", F.col("doc").alias("member"), *_ordered("doc", "centre")
    )
    members = _with_sets(members, signed)
    apart = (
        verified.where(F.col("inter") > 0)
        .join(stars.withColumnsRenamed({"node": "a", "centre": "ca"}), "a", "left")
        .join(stars.withColumnsRenamed({"node": "b", "centre": "cb"}), "b", "left")
        .where(F.coalesce("ca", "a") != F.coalesce("cb", "b"))
        .select(F.lit(APART).alias("kind"), F.lit(-1).cast("long").alias("centre"),
                F.lit(-1).cast("long").alias("member"), "a", "b", "inter", "sa", "sb")
    )
    located = members.select(*apart.columns).unionByName(apart)
    for side in ("a", "b"):
        texts = docs.withColumnsRenamed({c: f"{c}_{side}" for c in ("text", "spans", "rank")} | {"doc": side})
        located = located.join(texts, side)
    found = located.mapInArrow(lambda it: _locate(it, config.min_passage_words), LOCATED)
    return found.where((F.col("kind") == MEMBER) | (F.col("shared") >= config.overlap_min_words))


def find(
    spark: SparkSession,
    documents: DataFrame,
    hint_pairs: DataFrame,
    shingle_config: ShingleConfig,
    minhash_config: MinHashConfig,
    config: SyndicationConfig,
) -> Tables:
    """Syndication clusters and partial overlaps, computed on Spark.

    Parameters
    ----------
    spark : SparkSession
        With a checkpoint folder set (the connected components need one).
    documents : DataFrame
        ``doc`` (long: the document's index, 0 .. n-1), ``text`` (string:
        the document as read), ``spans`` (``array<array<long>>``: the kept
        character spans ``[start, end)`` of its cleaned text), optionally
        ``rank`` (long: the local ``rank``, the order of choices among
        equals; ``doc`` without it).
    hint_pairs : DataFrame
        ``a``, ``b`` (long): pairs to verify besides the LSH candidates.
    shingle_config, minhash_config, config
        As for :func:`dedupe.syndication.find`.

    Returns
    -------
    Tables
        ``to_tables(dedupe.syndication.find(...))`` of the same documents:
        the same arrays, dtypes included.

    Raises
    ------
    UsageError
        When a column is missing, or the session has no checkpoint folder.
    """
    _check(documents, "documents", ("doc", "text", "spans"))
    _check(hint_pairs, "hint_pairs", ("a", "b"))
    n_gram, threshold = shingle_config.doc_ngram, config.lsh_threshold
    num_perm, seed = minhash_config.num_perm, minhash_config.seed

    rank = F.col("rank" if "rank" in documents.columns else "doc").cast("long").alias("rank")
    docs = documents.select(F.col("doc").cast("long"), "text", "spans", rank)
    ranks = docs.select("doc", "rank")
    held: list[DataFrame] = []  # persisted: each read several times

    def held_on(frame: DataFrame) -> DataFrame:
        held.append(frame.persist())
        return frame

    try:
        signed = held_on(docs.mapInArrow(lambda it: _sign(it, n_gram, num_perm, seed, threshold), SIGNED))
        first_of = held_on(_first_copies(signed, ranks))
        cand = _candidates(signed, first_of, hint_pairs, min_shared_ngrams(config, n_gram))
        verified = held_on(
            _with_sets(cand, signed).mapInArrow(
                lambda it: _similar(it, config.syndication_threshold),
                "a long, b long, sa long, sb long, inter long, jaccard double, containment double, near boolean",
            )
        )
        near = verified.where("near").select(F.col("a").alias("src"), F.col("b").alias("dst"))
        stars = held_on(_star_centres(near, first_of))
        reported = _located(docs, signed, first_of, verified, stars, config).collect()
    finally:
        for frame in held:
            frame.unpersist()
    return to_tables(_assemble(reported))


def _assemble(rows: list) -> Syndication:
    """The result from the reported rows, in the local stage's order:
    clusters by centre, members and their pairs by id; overlaps by pair."""
    members_of: dict[int, dict[int, Pair]] = {}
    overlaps = []
    for r in rows:
        found = [Passage(a=(o[0], o[1]), b=(o[2], o[3]), words=w) for o, w in zip(r.offsets, r.words)]
        pair = Pair(r.a, r.b, r.jaccard, r.containment, found)
        if r.kind == MEMBER:
            members_of.setdefault(r.centre, {})[r.member] = pair
        else:
            overlaps.append(pair)
    clusters = [
        Cluster(centre=c, members=sorted([c, *members_of[c]]), pairs=[members_of[c][m] for m in sorted(members_of[c])])
        for c in sorted(members_of)
    ]
    overlaps.sort(key=lambda p: (p.a, p.b))
    return Syndication(clusters=clusters, overlaps=overlaps)
