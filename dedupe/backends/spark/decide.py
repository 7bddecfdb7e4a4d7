"""The boilerplate decision (:func:`dedupe.boilerplate.decide`) on Spark: its
page pairs, their copy evidence and its rounds as joins and aggregations in
the executors.

The driver makes the *entries* (one per cluster class and document, as
:func:`dedupe.boilerplate.decide` makes them, from the stage's per-block
arrays) and keeps what is a number per entry, per class or per document.
Everything per pair is made and kept in Spark:

* **entry pairs** (a self-join of the entries of each class that is checked
  pair by pair, ``2 <= size <= copy_check_limit``, on the class): each with
  whether it is evidence against copying (hosts and the class's sites, as
  locally);
* **document pairs** (the entry pairs' distinct ``(lo, hi)``) and their copy
  evidence both ways: :meth:`.boilerplate.SparkEvidence.sums` of the pairs
  asked as a frame, joined to them (nothing of it is collected);
* **rounds**: the entry pairs, each with its document pair's evidence, are
  kept partitioned by document pair. A round is two maps over them, as the
  local rounds are two passes over the shards. The first judges each
  partition's document pairs by the local code
  (:func:`dedupe.fixed_point.judge_shard`, its rows sorted as the local shards
  hold them, so every float sum is added in the local order, to the bit)
  and gives the driver the pairs that are copies and which way one lies in
  the other (a few rows: copies are what the verdicts collect anyway). The
  driver makes which document lies in which (a sparse matrix, as locally)
  and sends it back with the copies (broadcast); the second map finds each
  partition's votes against copying (entry pairs that are evidence, whose
  documents are neither copies nor both lie in one document) and gives a
  row per class: its votes, and its smallest ``x`` and ``y`` (the one
  entry pair of a class with a single vote, which the next round puts
  back). The driver decides the templates (a bool per entry) and whether
  they settled, and sends them back (broadcast). Nothing per pair is
  written, shuffled or kept between rounds;
* **verdicts**: the pairs that share a kept block (and those judged copies)
  are collected (the stage's ``copies`` and ``shared`` tables), and the
  entries shared with a copy (a bool per entry).

So the driver holds per-block, per-entry, per-class and per-document
arrays and the document pairs judged copies (the stage's ``copies``
table), never the entry pairs or the document pairs being judged.
"""

from __future__ import annotations

from typing import Iterator, Optional

import numpy as np
import pyarrow as pa
from scipy import sparse

from . import require_pyspark

require_pyspark()

from pyspark import StorageLevel  # noqa: E402
from pyspark.sql import DataFrame, SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from ...boilerplate import Decision, Entries, _decision, _entries, _sites  # noqa: E402
from ...fixed_point import MAX_ROUNDS, Rounds, judge_shard, known_entries  # noqa: E402
from ...config import BoilerplateConfig  # noqa: E402
from ...verify import row_products  # noqa: E402
from ...progress import Progress, as_progress  # noqa: E402

__all__ = [
    "decide", "checked_pairs", "DRIVER_PAIRS", "DRIVER_PAIRS_DEFAULT", "ENTRY_PAIR_SCHEMA", "COPIES_SCHEMA", "VOTES_SCHEMA",
]

#: The Spark setting: a decision with at most this many entry pairs to judge
#: runs on the driver (:func:`dedupe.boilerplate.decide`, its copy evidence
#: still asked of the executors), as Spark broadcasts a join's small side:
#: its rounds are then a pass over arrays each, where in the executors each
#: is a few jobs (tens of seconds on a small corpus). ``0``: always in the
#: executors. The decision is the same either way, to the bit.
DRIVER_PAIRS = "spark.dedupe.driverDecisionPairs"
#: Its default: about 50 MB of pairs on the driver (16 bytes a pair and the
#: evidence of its page pair), a corpus of some 10k pages.
DRIVER_PAIRS_DEFAULT = 2_000_000

#: An entry pair (``x < y``, entries of one class), its class, its document
#: pair (``lo < hi``), whether it is evidence against copying, and the
#: document pair's copy evidence both ways.
ENTRY_PAIR_SCHEMA = (
    "x long, y long, cls long, lo long, hi long, evidence boolean, loose_lo double, loose_hi double"
)
#: What a round's first map finds: the document pairs judged copies, with
#: whether ``lo`` lies in ``hi`` and ``hi`` in ``lo``.
COPIES_SCHEMA = "lo long, hi long, in_hi boolean, in_lo boolean"
_COPIES_TYPE = pa.schema([("lo", pa.int64()), ("hi", pa.int64()), ("in_hi", pa.bool_()), ("in_lo", pa.bool_())])
#: What a round's second map finds, per class of a partition: its votes
#: against copying, and the smallest ``x`` and ``y`` of the entry pairs voting.
VOTES_SCHEMA = "cls long, n long, x long, y long"
_VOTES_TYPE = pa.schema([(c, pa.int64()) for c in ("cls", "n", "x", "y")])
_KEPT_SCHEMA = "x long, y long, lo long, hi long, copy boolean"
_KEPT_TYPE = pa.schema([("x", pa.int64()), ("y", pa.int64()), ("lo", pa.int64()), ("hi", pa.int64()), ("copy", pa.bool_())])


def decide(
    spark: SparkSession, doc: np.ndarray, cluster: np.ndarray, weight: np.ndarray, repeat: np.ndarray,
    host: np.ndarray, n_docs: int, config: BoilerplateConfig, evidence=None, progress: Optional[Progress] = None,
    *, prose: Optional[np.ndarray] = None, known: Optional[np.ndarray] = None,
) -> Decision:
    """:func:`dedupe.boilerplate.decide` with its pairs in Spark (the
    module's docstring): the same arguments, ``evidence`` a
    :class:`.boilerplate.SparkEvidence` (None: no copy evidence), and the
    same :class:`~dedupe.boilerplate.Decision`, to the bit."""
    progress = as_progress(progress)
    host = np.asarray(host, dtype=np.int64)
    live = ~repeat if config.strip_repeats else np.ones(len(doc), dtype=bool)
    in_known = np.isin(cluster, np.unique(cluster[known])) if known is not None and known.any() else None
    entries = _entries(doc, cluster, weight, live, n_docs, prose, in_known)
    size = entries.size
    eligible = ((size >= 2) & (size >= config.min_documents))[entries.cluster]
    forced = (size > config.copy_check_limit)[entries.cluster] & eligible
    known_forced = known_entries(entries, live, in_known)
    if known_forced is not None:
        forced = forced | known_forced
    # What the executors' judging reads of the entries: no per-block array.
    slim = Entries(
        entries.cluster, entries.doc, entries.weight, entries.size, n_docs, np.zeros(0, np.int64),
        np.zeros(0, np.int64), entries.prose, entries.doc_prose,
    )
    context = spark.sparkContext
    static = context.broadcast((slim, forced, host, config))
    shipped = [static]
    with progress.stage("boilerplate · pairs"):
        pairs = _pairs(spark, entries, host, config, evidence)
    try:
        template, copied = _settle(spark, pairs, entries, forced, eligible, static, shipped, progress)
        with progress.stage("boilerplate · verdicts"):
            verdicts = _verdicts(spark, pairs, copied, template, len(entries.doc), entries.n_docs, shipped)
    finally:
        pairs.unpersist()
        for value in shipped:
            value.unpersist()
    copied, shared, with_copy = verdicts
    return _decision(entries, template, with_copy, [copied], [shared], live, repeat, config)


# --- pairs -------------------------------------------------------------------------------


def checked_pairs(doc: np.ndarray, cluster: np.ndarray, config: BoilerplateConfig) -> int:
    """How many entry pairs the decision judges, about (every block counted
    live): pairs of documents of each class carried by 2 to
    ``copy_check_limit`` documents."""
    n = int(doc.max(initial=0)) + 1
    _, size = np.unique(np.unique(cluster.astype(np.int64) * n + doc) // n, return_counts=True)
    size = size[(size >= 2) & (size <= config.copy_check_limit)].astype(np.int64)
    return int((size * (size - 1) // 2).sum())



def _pairs(spark: SparkSession, entries: Entries, host: np.ndarray, config: BoilerplateConfig, evidence) -> DataFrame:
    """The entry pairs (:data:`ENTRY_PAIR_SCHEMA`) of the classes checked pair
    by pair, partitioned by document pair, persisted (on disk) and made."""
    parts = int(spark.conf.get("spark.sql.shuffle.partitions"))
    checked = (entries.size >= 2) & (entries.size <= config.copy_check_limit)
    small = np.flatnonzero(checked[entries.cluster])
    cls = entries.cluster[small].astype(np.int64)
    ent_doc = entries.doc[small].astype(np.int64)
    many = (_sites(entries, host) >= config.cross_site_min_sites)[cls]
    table = pa.table({
        "e": pa.array(small.astype(np.int64)), "cls": pa.array(cls), "doc": pa.array(ent_doc),
        "host": pa.array(host[ent_doc]), "many": pa.array(many, pa.bool_()),
    })
    ents = spark.createDataFrame(table).repartition(parts, "cls")
    a = ents.select(F.col("e").alias("x"), "cls", F.col("doc").alias("lo"), F.col("host").alias("hx"), "many")
    b = ents.select(F.col("e").alias("y"), "cls", F.col("doc").alias("hi"), F.col("host").alias("hy"))
    # Entries are sorted by class, then document: x < y is lo < hi.
    entry_pairs = a.join(b, "cls").where(F.col("x") < F.col("y")).select(
        "x", "y", "cls", "lo", "hi",
        ((F.col("hx") < 0) | (F.col("hy") < 0) | (F.col("hx") == F.col("hy")) | F.col("many")).alias("evidence"),
    ).persist(StorageLevel.DISK_ONLY)
    try:
        documents = entry_pairs.select("lo", "hi").distinct().persist(StorageLevel.DISK_ONLY)
        if evidence is not None:
            asked = documents.select(F.col("lo").alias("d"), F.col("hi").alias("e")).unionByName(
                documents.select(F.col("hi").alias("d"), F.col("lo").alias("e"))
            )
            # One row per (d, e) found: each way of a pair is its one value.
            sums = evidence.sums(asked)
            ways = sums.select(
                F.least("d", "e").alias("lo"), F.greatest("d", "e").alias("hi"),
                F.when(F.col("d") < F.col("e"), F.col("evidence")).alias("loose_lo"),
                F.when(F.col("d") > F.col("e"), F.col("evidence")).alias("loose_hi"),
            ).groupBy("lo", "hi").agg(F.max("loose_lo").alias("loose_lo"), F.max("loose_hi").alias("loose_hi"))
            documents = documents.join(ways, ["lo", "hi"], "left")
        else:
            documents = documents.select("lo", "hi", F.lit(None).cast("double").alias("loose_lo"),
                                         F.lit(None).cast("double").alias("loose_hi"))
        documents = documents.fillna(0.0, ["loose_lo", "loose_hi"])
        out = (
            entry_pairs.join(documents, ["lo", "hi"])
            .select("x", "y", "cls", "lo", "hi", "evidence", "loose_lo", "loose_hi")
            .repartition(parts, "lo", "hi")
            .persist(StorageLevel.DISK_ONLY)
        )
        out.count()
        documents.unpersist()
    finally:
        entry_pairs.unpersist()
    return out


# --- rounds ------------------------------------------------------------------------------


def _sorted_shard(table: pa.Table, names: tuple) -> tuple[dict, dict, np.ndarray]:
    """A partition's entry pairs as the local shards hold them: by document
    pair, then entry (each pair's entries in class order, as they were
    added), as ``(e, p, order)``: entry pairs ``x``, ``y``, ``pair_of`` and
    ``names``; document pairs ``lo``, ``hi`` and the first of each run's ``names``."""
    x, y, lo, hi = (table.column(c).to_numpy() for c in ("x", "y", "lo", "hi"))
    order = np.lexsort((x, hi, lo))
    x, y, lo, hi = x[order], y[order], lo[order], hi[order]
    new = np.r_[True, (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])] if len(lo) else np.zeros(0, bool)
    first = np.flatnonzero(new)
    e = {"x": x, "y": y, "lo": lo, "hi": hi, "pair_of": np.cumsum(new) - 1}
    p = {"lo": lo[first], "hi": hi[first]}
    for name in names:
        p[name] = table.column(name).to_numpy()[order][first]
    return e, p, order


def _judge(static, state):
    """The first map of a round: each partition's document pairs judged by
    the local :func:`dedupe.fixed_point.judge_shard` (:data:`COPIES_SCHEMA`: the copies)."""

    def judge(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        got = [b for b in batches if b.num_rows]
        if not got:
            return
        table = pa.Table.from_batches(got)
        entries, forced, host, config = static.value
        template, votes, sole, kept = state.value
        e, p, _ = _sorted_shard(table, ("loose_lo", "loose_hi"))
        p["same_host"] = (host[p["lo"]] >= 0) & (host[p["lo"]] == host[p["hi"]])
        # The entry pair's own vote of last round: a class with one vote, this pair's.
        own = _own(sole, entries.cluster[e["x"]], e["x"], e["y"])
        rounds = Rounds(forced, template, votes, [], [])
        is_copy, in_hi, in_lo = judge_shard(e, p, own, entries, rounds, kept, config)
        yield pa.RecordBatch.from_arrays(
            [pa.array(p["lo"][is_copy]), pa.array(p["hi"][is_copy]), pa.array(in_hi[is_copy]), pa.array(in_lo[is_copy])],
            schema=_COPIES_TYPE,
        )

    return judge


def _count(static, found):
    """The second map of a round: each partition's votes against copying,
    a row per class (:data:`VOTES_SCHEMA`)."""

    def count(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        entries = static.value[0]
        copies, inside = found.value
        for batch in batches:
            x, y, lo, hi = (batch.column(c).to_numpy() for c in ("x", "y", "lo", "hi"))
            suspect = batch.column("evidence").to_numpy(zero_copy_only=False) & ~_is_copy(copies, lo, hi, entries.n_docs)
            x, y, lo, hi = x[suspect], y[suspect], lo[suspect], hi[suspect]
            # Whether lo and hi lie in one document (as locally).
            bad = ~(row_products(inside, inside, lo, hi) > 0)
            x, y = x[bad], y[bad]
            if not len(x):
                continue
            cls = entries.cluster[x].astype(np.int64)
            order = np.argsort(cls, kind="stable")
            cls, x, y = cls[order], x[order], y[order]
            first = np.flatnonzero(np.r_[True, cls[1:] != cls[:-1]])
            yield pa.RecordBatch.from_arrays(
                [pa.array(cls[first]), pa.array(np.diff(np.r_[first, len(cls)]).astype(np.int64)),
                 pa.array(np.minimum.reduceat(x, first)), pa.array(np.minimum.reduceat(y, first))],
                schema=_VOTES_TYPE,
            )

    return count


def _is_copy(copies: np.ndarray, lo: np.ndarray, hi: np.ndarray, n_docs: int) -> np.ndarray:
    """Whether each document pair ``(lo, hi)`` is among ``copies`` ((n, 2),
    sorted), by the key ``lo * n_docs + hi`` (documents number fewer than 2**31)."""
    if not len(copies) or not len(lo):
        return np.zeros(len(lo), dtype=bool)
    keys = copies[:, 0].astype(np.int64) * n_docs + copies[:, 1]
    asked = lo.astype(np.int64) * n_docs + hi
    at = np.minimum(np.searchsorted(keys, asked), len(keys) - 1)
    return keys[at] == asked


def _settle(
    spark: SparkSession, pairs: DataFrame, entries: Entries, forced: np.ndarray, eligible: np.ndarray, static,
    shipped: list, progress: Progress,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`dedupe.fixed_point.settle`'s rounds: which entries are
    templates, and the document pairs the last round judged copies ((n, 2), sorted)."""
    n_clusters, n_docs = entries.n_clusters, entries.n_docs
    total = np.bincount(entries.doc, weights=entries.weight, minlength=n_docs)
    template = forced
    votes = np.zeros(n_clusters, dtype=np.int64)
    sole = (np.zeros(0, np.int64),) * 3
    copied = np.zeros((0, 2), dtype=np.int64)
    context = spark.sparkContext
    for number in range(1, MAX_ROUNDS + 1):
        with progress.stage(f"boilerplate · round {number}", 2, "steps") as task:
            kept = total - np.bincount(entries.doc, weights=entries.weight * template, minlength=n_docs)
            state = context.broadcast((template, votes, sole, kept))
            shipped.append(state)
            got = pairs.mapInArrow(_judge(static, state), COPIES_SCHEMA).toArrow()
            copied = _sorted_pairs(got)
            task.advance()
            lo, hi = got.column("lo").to_numpy(), got.column("hi").to_numpy()
            in_hi, in_lo = got.column("in_hi").to_numpy(), got.column("in_lo").to_numpy()
            src, dst = np.r_[lo[in_hi], hi[in_lo]].astype(np.int64), np.r_[hi[in_hi], lo[in_lo]].astype(np.int64)
            inside = sparse.csr_matrix((np.ones(len(src)), (src, dst)), shape=(n_docs, n_docs))
            found = context.broadcast((copied, inside))
            shipped.append(found)
            votes, sole = _votes(pairs.mapInArrow(_count(static, found), VOTES_SCHEMA), n_clusters)
            task.advance()
        # A template: carried by documents that are not all copies of each other.
        settled = forced | (eligible & (votes[entries.cluster] > 0))
        if np.array_equal(settled, template):
            break
        template = settled
    return template, copied


def _own(sole: tuple, cls: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether each entry pair ``(x, y)`` of class ``cls`` was last round's
    one vote of its class (``sole``: :func:`_votes`'s): the local rounds'
    ``own`` wherever it matters (a class's votes less its own are 0 just
    when the class has one vote, this pair's)."""
    classes, sole_x, sole_y = sole
    if not len(classes):
        return np.zeros(len(x), dtype=bool)
    at = np.minimum(np.searchsorted(classes, cls), len(classes) - 1)
    return (classes[at] == cls) & (sole_x[at] == x) & (sole_y[at] == y)


def _votes(counted: DataFrame, n_clusters: int) -> tuple[np.ndarray, tuple]:
    """Each class's votes against copying (the partitions' rows of
    :func:`_count` added up), and the classes with one vote (sorted) with
    that entry pair's ``x``, ``y``."""
    got = counted.groupBy("cls").agg(F.sum("n").alias("n"), F.min("x").alias("x"), F.min("y").alias("y")).toArrow()
    cls = got.column("cls").to_numpy().astype(np.int64)
    votes = np.zeros(n_clusters, dtype=np.int64)
    votes[cls] = got.column("n").to_numpy()
    one = votes[cls] == 1
    order = np.argsort(cls[one])
    sole = tuple(a[order] for a in (cls[one], got.column("x").to_numpy()[one], got.column("y").to_numpy()[one]))
    return votes, sole


# --- verdicts ----------------------------------------------------------------------------


def _both_kept(kept):
    """The map of the verdicts: the entry pairs whose two entries are kept,
    each with whether its document pair was judged a copy."""

    def both(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        keep, copies, n_docs = kept.value
        for batch in batches:
            x, y = batch.column("x").to_numpy(), batch.column("y").to_numpy()
            mask = keep[x] & keep[y]
            if mask.any():
                lo, hi = batch.column("lo").to_numpy()[mask], batch.column("hi").to_numpy()[mask]
                yield pa.RecordBatch.from_arrays(
                    [pa.array(x[mask]), pa.array(y[mask]), pa.array(lo), pa.array(hi),
                     pa.array(_is_copy(copies, lo, hi, n_docs))], schema=_KEPT_TYPE,
                )

    return both


def _sorted_pairs(table: pa.Table) -> np.ndarray:
    """An (n, 2) int64 array of a table's ``lo``, ``hi``, sorted."""
    lo, hi = table.column("lo").to_numpy().astype(np.int64), table.column("hi").to_numpy().astype(np.int64)
    order = np.lexsort((hi, lo))
    return np.stack([lo[order], hi[order]], axis=1).reshape(-1, 2)


def _verdicts(
    spark: SparkSession, pairs: DataFrame, copied: np.ndarray, template: np.ndarray, n_entries: int, n_docs: int,
    shipped: list,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The document pairs that share kept text (a pair of entries both
    kept), (n, 2) sorted, and the entries shared with a copy of their
    document (``copied``: the pairs judged copies); with ``copied``."""
    both = None
    try:
        kept = spark.sparkContext.broadcast((~template, copied, n_docs))
        shipped.append(kept)
        both = pairs.select("x", "y", "lo", "hi").mapInArrow(_both_kept(kept), _KEPT_SCHEMA)
        both = both.persist(StorageLevel.MEMORY_AND_DISK)
        shared = _sorted_pairs(both.select("lo", "hi").distinct().toArrow())
        with_copies = both.where("copy")
        ends = with_copies.select(F.col("x").alias("e")).unionByName(with_copies.select(F.col("y").alias("e")))
        with_copy = np.zeros(n_entries, dtype=bool)
        with_copy[ends.distinct().toArrow().column("e").to_numpy()] = True
    finally:
        if both is not None:
            both.unpersist()
    return copied, shared, with_copy
