"""The Spark executor: a run whose stages are computed on Spark where they have a Spark form.

:class:`SparkRun` is a :class:`dedupe.pipeline.Run` (the same stages, the
same contract, checkpoints and progress) whose :meth:`~SparkRun.computing`
hands the stages written for Spark their inputs. The texts stay in Spark:

* **read** (:mod:`.read`): files parsed in the executors; the documents'
  frame is persisted there and is the one every later stage uses. The
  driver gets :class:`.documents.SparkDocuments`: ids, sources, lines,
  URLs and lengths, no text.
* **blocks**, **clusters** (:mod:`.blocks`, :mod:`.clusters`) and
  **syndication** (:mod:`.syndication`, the kept spans joined to the
  documents' frame): on Spark, returning the local stages' tables.
* **boilerplate**: the local stage, its copy evidence (n-grams, rare
  n-grams, page pairs and their sums) computed in the executors
  (:mod:`.boilerplate`), and the rule (:func:`dedupe.boilerplate.decide`)
  decided there too (:mod:`.decide`): the entry pairs a self-join on the
  cluster class, the page pairs and their copy evidence joined to them,
  each round a map (the local judging code per partition of page pairs)
  and joins (copies within copies, votes per class). The driver makes the
  entries from the per-block arrays, holds a number or two per entry,
  class and document, decides when the rounds have settled, and collects
  the stage's ``copies`` and ``shared`` pair tables at the end.
* **model**: the local stage over a :class:`.model.SparkBlockTable`, whose
  reads of the texts (the own-content check) are done in the executors.
* **report**: the local report; the texts it quotes are fetched from the
  frame (:meth:`.documents.SparkDocuments.holding`, slices of pages).
* **write** (:mod:`.write`): the kept spans joined to the documents'
  frame, each input file written by an executor.

Inputs and the output may be URLs (``s3://bucket/crawl/``): the executors
open them through fsspec, as the local run does (:mod:`dedupe.io.remote`);
on a local master with the driver's store settings
(:func:`store_environment`).

Each returns what the local executor's would, so everything after them is
the same code on the same tables, and the output the same bytes.

:func:`spark_run` starts (or joins) the Spark session: under
``spark-submit`` the session it configured, else one on ``master``
(default ``local[*]``, every core of this machine).
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Callable, Iterator, Mapping, Optional

from . import require_pyspark

require_pyspark()

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
from pyspark import SparkConf, StorageLevel  # noqa: E402
from pyspark.sql import DataFrame, SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from ... import duplicates  # noqa: E402
from ... import store as stores  # noqa: E402
from ...document import UsageError  # noqa: E402
from ...pipeline import Run  # noqa: E402
from ...stages.contract import Stage, Tables  # noqa: E402

__all__ = ["SparkRun", "spark_run", "session", "local_cores", "store_environment", "SHUFFLE_CHARS", "STATUS_LIMITS", "STORE_ENVIRONMENT"]

#: The master a run starts when neither ``--spark-master`` nor spark-submit names one.
DEFAULT_MASTER = "local[*]"
#: Characters of text read per shuffle partition, in a session dedupe
#: started on a local master without a ``spark.sql.shuffle.partitions`` of
#: its own: a partition's share of the n-gram postings then stays a few
#: million rows. (At 100k pages, 300 MB, in 6 partitions, syndication's
#: group by n-gram could not allocate its sort's 256 MB pointer array in a
#: 4 GB heap.)
SHUFFLE_CHARS = 4 << 20
#: How much finished work the driver's status store keeps, in a session
#: dedupe starts (unless ``conf`` or spark-submit sets a key): a run is many
#: short jobs (the boilerplate decision a few SQL executions a round), and
#: with Spark's defaults (1000 of each) their plans and metrics filled a
#: 1 GB driver heap until it spent its time in GC.
STATUS_LIMITS = {
    "spark.sql.ui.retainedExecutions": "50",
    "spark.ui.retainedJobs": "100",
    "spark.ui.retainedStages": "100",
    "spark.ui.retainedTasks": "10000",
}
#: The worker daemon of a session dedupe starts (unless ``conf`` or
#: spark-submit names one): PySpark's, with dedupe's executor-side modules
#: imported before it forks its workers (:mod:`.daemon`).
DAEMON_MODULE = ("spark.python.daemon.module", "dedupe.backends.spark.daemon")
# Set by :func:`session` when dedupe chose the shuffle partitions.
_SIZED = "spark.dedupe.sizeShufflePartitions"


class SparkRun(Run):
    """A run on Spark: the stages with a Spark form computed there."""

    backend = "spark"

    def __init__(self, *args, spark: SparkSession):
        super().__init__(*args)
        self.spark = spark
        self._documents: Optional[DataFrame] = None
        #: The read stage's documents (None: documents not read on Spark).
        self._read_frame: Optional[DataFrame] = None
        self._blocks: Optional[DataFrame] = None
        self._chars: Optional[int] = None  # characters of text the read stage read
        #: Frames persisted for the run, released at its end.
        self._persisted: list[DataFrame] = []

    def computing(self, stage: Stage, compute: Callable[[], Tables], inputs: dict) -> Callable[[], Tables]:
        on_spark = _ON_SPARK.get(stage.name)
        if on_spark is None:
            return compute
        if stage.name in _AROUND:  # the local compute, with what it reads made on Spark
            return lambda: on_spark(self, **inputs)

        def compute_on_spark() -> Tables:
            with self.progress.stage(stage.name):
                return on_spark(self, **inputs)

        return compute_on_spark

    def cached(self, stage, key, compute, encode, decode):
        # The read stage's result is the documents' frame, in the executors:
        # read again by a rerun (in the executors), never kept as a texts
        # file on the driver. Its key still keys the stages after it, which
        # are kept and reused.
        if stage == "read":
            return compute()
        return super().cached(stage, key, compute, encode, decode)

    def documents_frame(self, documents) -> DataFrame:
        """The documents as a DataFrame (``doc``, ``text``, …): the read
        stage's; for documents not read on Spark, made from their texts once a run."""
        if self._read_frame is not None:
            return self._read_frame
        if self._documents is None:
            from .frames import documents_frame

            self._documents = documents_frame(self.spark, documents).persist()
        return self._documents

    def blocks_frame(self, documents, b) -> DataFrame:
        """The blocks' frame (:data:`.blocks.BLOCK_SCHEMA`): the blocks stage's,
        else (that stage read back from the work folder) made from its tables."""
        if self._blocks is None:
            from .blocks import blocks_frame_of

            self._blocks = blocks_frame_of(self.spark, self.documents_frame(documents), b)
        return self._blocks

    def make_table(self, documents, b, labels, host, decision):
        from .documents import SparkDocuments
        from .model import SparkBlockTable

        if not isinstance(documents, SparkDocuments):
            return super().make_table(documents, b, labels, host, decision)
        table = super().make_table(documents, b, labels, host, decision)
        args = [getattr(table, f.name) for f in fields(table) if f.init]
        return SparkBlockTable(*args, frame=self.blocks_frame(documents, b))

    def kept_frame(self, documents, spans, *columns: str) -> DataFrame:
        """``doc``, ``text``, ``spans`` and ``columns`` of the documents: the
        kept spans (numbers, from the driver) joined in Spark to the texts."""
        from .frames import partitions_for, spans_frame

        frame = self.documents_frame(documents).select("doc", "text", *columns)
        # Cut by text, as the read stage's frame is: the join alone leaves the
        # shuffle's few partitions (coalesced further by adaptive execution),
        # and at 100k pages syndication's n-gram grouping of one such
        # partition ran out of heap on local[2].
        chars = int(np.sum(spans.flat[:, 1] - spans.flat[:, 0])) if self._chars is None else self._chars
        kept = frame.join(spans_frame(self.spark, spans), "doc")
        return kept.repartitionByRange(partitions_for(self.spark, chars), "doc")


def _read(run: SparkRun, inputs, store) -> tuple:
    """Files read in the executors (:mod:`.read`); the documents' frame
    persisted there, and on the driver their ids, sources, lines, URLs and
    lengths (:class:`.documents.SparkDocuments`), not their texts."""
    from .documents import SparkDocuments
    from .read import read_inputs

    frame, skipped, base = read_inputs(run.spark, inputs, run.config.read)
    try:
        frame = frame.persist()
        run._persisted.append(frame)
        documents = SparkDocuments(frame)
    finally:
        base.unpersist()  # the documents' frame holds what is needed of it
    run._read_frame = frame
    run._chars = int(documents.lengths.sum())
    if run.spark.conf.get(_SIZED, "false") == "true":
        cores = run.spark.sparkContext.defaultParallelism
        run.spark.conf.set("spark.sql.shuffle.partitions", str(max(3 * cores, -(-run._chars // SHUFFLE_CHARS))))
    return documents, skipped


def _blocks(run: SparkRun, documents) -> Tables:
    from . import blocks

    frame, tables = blocks.blocks_tables(run.spark, run.documents_frame(documents), run.config)
    run._blocks = frame
    return tables


def _clusters(run: SparkRun, documents, blocks) -> Tables:
    from . import clusters

    frame = run.blocks_frame(documents, blocks)
    return clusters.cluster_tables(run.spark, run.documents_frame(documents), frame, run.config)


def _boilerplate(run: SparkRun, documents, blocks, compute) -> Tables:
    """The local stage with its copy evidence computed in the executors (:mod:`.boilerplate`)."""
    from .boilerplate import evidence

    if run._read_frame is None:  # documents not read on Spark: the local stage
        return compute()
    frame = run.blocks_frame(documents, blocks)
    return compute(evidence(run.documents_frame(documents), frame, run.config.shingle.word_ngram, run.progress))


def _syndication(run: SparkRun, texts, spans, shared, rank=None) -> Tables:
    from . import syndication
    from .frames import kept_frame, pairs_frame

    config = run.config
    if run._read_frame is None:
        kept = kept_frame(run.spark, texts, spans).persist()
    else:
        # On disk: the read stage's frame already holds the texts in memory,
        # and syndication's groupings need the heap (local[2] shares one).
        kept = run.kept_frame(None, spans).persist(StorageLevel.DISK_ONLY)
    try:
        documents = kept
        if rank is not None:  # the order of choices among equals (by id), as locally
            ranks = pa.table({"doc": np.arange(len(rank), dtype=np.int64), "rank": np.asarray(rank, dtype=np.int64)})
            documents = kept.join(F.broadcast(run.spark.createDataFrame(ranks)), "doc")
        return syndication.find(
            run.spark, documents, pairs_frame(run.spark, shared), config.shingle, config.minhash, config.syndication
        )
    finally:
        kept.unpersist()


def _report(run: SparkRun, analysis, compute):
    """The local report, the texts it quotes one document at a time (the
    syndicated pages' ids and passages) fetched first, in one job."""
    from .documents import SparkDocuments

    documents = analysis.documents
    if not isinstance(documents, SparkDocuments):
        return compute()
    synd = analysis.syndication
    pairs = [p for c in synd.clusters for p in c.pairs] + list(synd.overlaps)
    quoted = [m for c in synd.clusters for m in (c.centre, *c.members)] + [d for p in pairs for d in (p.a, p.b)]
    with documents.holding(np.array(quoted, dtype=np.int64)):
        return compute()


def _write(run: SparkRun, corpus, analysis, output) -> list:
    from .frames import kept_frame
    from .write import write_files

    documents = analysis.documents
    if run._read_frame is None:
        kept = kept_frame(run.spark, stores.texts(documents), analysis.spans, stores.records(documents))
    else:
        kept = run.kept_frame(documents, analysis.spans, "source", "line")
    # The near-duplicates --drop-duplicates leaves out are not written, as
    # the local write stage leaves them out (a file of only those is not written).
    dropped = duplicates.find(analysis.syndication, run.config.duplicates).dropped
    if len(dropped):
        left_out = run.spark.createDataFrame(pa.table({"doc": pa.array(np.asarray(dropped, dtype=np.int64))}))
        kept = kept.join(F.broadcast(left_out), "doc", "left_anti")
    return write_files(kept, corpus.files, output, run.config.read)


_ON_SPARK = {
    "read": _read, "blocks": _blocks, "clusters": _clusters, "boilerplate": _boilerplate,
    "syndication": _syndication, "report": _report, "write": _write,
}
# Stages whose Spark form runs the local compute (which tells its own progress).
_AROUND = {"boilerplate", "report"}


def session(
    master: Optional[str] = None, conf: Optional[Mapping[str, str]] = None, checkpoints: Optional[Path] = None
) -> tuple[SparkSession, bool]:
    """The Spark session to run on, and whether this call started it.

    An active session (a notebook's, spark-submit's) is joined as it is
    (its master and settings are its own); otherwise one is started on
    ``master``, or on the master spark-submit configured, or on
    :data:`DEFAULT_MASTER`, with the settings ``conf``.

    Raises
    ------
    UsageError
        When ``master`` is not the active session's master (one Spark
        context a process).
    """
    active = SparkSession.getActiveSession()
    if active is not None:
        running_on = active.sparkContext.master
        if master is not None and master != running_on:
            raise UsageError(f"a Spark session on {running_on} is running here: it cannot also run on {master}")
        return active, False
    builder = SparkSession.builder.appName("dedupe").config("spark.ui.showConsoleProgress", "false")
    for key, value in (*STATUS_LIMITS.items(), DAEMON_MODULE):
        if key not in (conf or {}) and not SparkConf().contains(key):
            builder = builder.config(key, value)
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    master = master or (None if SparkConf().contains("spark.master") else DEFAULT_MASTER)
    if not (os.environ.get("PYSPARK_PYTHON") or SparkConf().contains("spark.pyspark.python")):
        # The executors' Python: this one (its packages, dedupe's among them),
        # unless spark-submit or the environment says which. PySpark reads it
        # from the environment only.
        os.environ["PYSPARK_PYTHON"] = sys.executable
    if master is not None:
        builder = builder.master(master)
        if master.startswith("local"):
            # The loopback address: a machine whose hostname does not resolve still runs.
            builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
            if "spark.sql.shuffle.partitions" not in (conf or {}):
                # Spark's default, 200, is for a cluster: on one machine every
                # shuffle would run 200 tasks of a few documents each (at 10k
                # pages on local[2], most of the run). Three a core to start
                # with, as the docs advise for executors; more once the read
                # stage knows the text's size (:data:`SHUFFLE_CHARS`).
                builder = builder.config("spark.sql.shuffle.partitions", str(3 * local_cores(master)))
                builder = builder.config(_SIZED, "true")
    spark = builder.getOrCreate()
    if checkpoints is not None and not spark.sparkContext.getCheckpointDir():
        spark.sparkContext.setCheckpointDir(str(checkpoints))
    return spark, True


def local_cores(master: str) -> int:
    """The cores of a ``local``, ``local[N]``, ``local[*]`` or ``local[N,F]`` master."""
    inside = master[master.find("[") + 1 : master.find("]")] if "[" in master else "1"
    cores = inside.split(",")[0].strip()
    if cores == "*":
        return os.cpu_count() or 1
    return max(1, int(cores)) if cores.isdigit() else 1


#: The driver's environment variables an object store's fsspec driver reads
#: (credentials, endpoint, region, profile), by prefix.
STORE_ENVIRONMENT = ("AWS_", "FSSPEC_", "GOOGLE_", "GCSFS_", "AZURE_")


@contextmanager
def store_environment(spark: SparkSession) -> Iterator[None]:
    """On a local master, the executors' Python is given the driver's
    :data:`STORE_ENVIRONMENT` while inside (as it stands now, not as it
    stood when the session started), so that they open URLs (:mod:`dedupe.io.remote`)
    as the driver does; the session's own is put back after. A cluster's
    executors use their own (``spark.executorEnv.*``, an instance role):
    nothing of the driver's is sent to another machine."""
    context = spark.sparkContext
    if not context.master.startswith("local"):
        yield
        return
    before = dict(context.environment)
    context.environment.update({k: v for k, v in os.environ.items() if k.startswith(STORE_ENVIRONMENT)})
    try:
        yield
    finally:
        context.environment.clear()
        context.environment.update(before)


@contextmanager
def spark_run(
    *args, master: Optional[str] = None, conf: Optional[Mapping[str, str]] = None
) -> Iterator[SparkRun]:
    """A :class:`SparkRun` (``args`` as for :class:`~dedupe.pipeline.Run`);
    a session it started is stopped at its end, a joined one left running."""
    with tempfile.TemporaryDirectory(prefix="dedupe-spark-") as folder:
        spark, started = session(master, conf, Path(folder))
        run = SparkRun(*args, spark=spark)
        try:
            with store_environment(spark):
                yield run
        finally:
            for frame in (run._documents, run._blocks, *run._persisted):
                if frame is not None:
                    frame.unpersist()
            if started:
                spark.stop()
