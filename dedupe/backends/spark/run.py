"""The Spark executor: a run whose stages are computed on Spark where they have a Spark form.

:class:`SparkRun` is a :class:`dedupe.pipeline.Run` (the same stages, the
same contract, checkpoints and progress) whose :meth:`~SparkRun.computing`
hands the stages written for Spark their inputs as DataFrames: the read
stage (:mod:`.read`: files parsed in the executors), the blocks
(:mod:`.blocks`), the block clusters (:mod:`.clusters`) and syndication
(:mod:`.syndication`), and the write stage's files (:mod:`.write`). Each
returns what the local executor's would, so everything after them is the
same code on the same tables. The other stages run on the driver as on one
machine.

:func:`spark_run` starts (or joins) the Spark session: under
``spark-submit`` the session it configured, else one on ``master``
(default ``local[*]``, every core of this machine).
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Mapping, Optional

from . import require_pyspark

require_pyspark()

from pyspark import SparkConf  # noqa: E402
from pyspark.sql import DataFrame, SparkSession  # noqa: E402

from ... import store as stores  # noqa: E402
from ...document import Document, UsageError  # noqa: E402
from ...pipeline import Run  # noqa: E402
from ...stages.contract import Stage, Tables  # noqa: E402

__all__ = ["SparkRun", "spark_run", "session"]

#: The master a run starts when neither ``--spark-master`` nor spark-submit names one.
DEFAULT_MASTER = "local[*]"


class SparkRun(Run):
    """A run on Spark: the stages with a Spark form computed there."""

    backend = "spark"

    def __init__(self, *args, spark: SparkSession):
        super().__init__(*args)
        self.spark = spark
        self._documents: Optional[DataFrame] = None
        self._blocks: Optional[DataFrame] = None
        #: Frames persisted for the run, released at its end.
        self._persisted: list[DataFrame] = []

    def computing(self, stage: Stage, compute: Callable[[], Tables], inputs: dict) -> Callable[[], Tables]:
        on_spark = _ON_SPARK.get(stage.name)
        if on_spark is None:
            return compute

        def compute_on_spark() -> Tables:
            with self.progress.stage(stage.name):
                return on_spark(self, **inputs)

        return compute_on_spark

    def documents_frame(self, documents) -> DataFrame:
        """The documents as a DataFrame (``doc``, ``text``), made once a run."""
        if self._documents is None:
            from .frames import documents_frame

            self._documents = documents_frame(self.spark, documents).persist()
        return self._documents


def _read(run: SparkRun, inputs, store) -> tuple:
    """Files read in the executors (:mod:`.read`); their documents streamed,
    in order, into the driver's store, which the stages that run there read."""
    from .read import read_inputs

    frame, skipped, base = read_inputs(run.spark, inputs, run.config.read)
    run._persisted.append(base)
    documents = store()
    try:
        documents.extend(
            Document(
                id=r["id"], text=r["text"], source=r["source"], line=r["line"], url=r["url"],
                tag_paths=None if r["tag_paths"] is None else tuple(r["tag_paths"]),
            )
            for r in frame.orderBy("doc").toLocalIterator()
        )
        documents.finish()
    except BaseException:
        documents.close()
        raise
    run._documents = frame
    return documents, skipped


def _blocks(run: SparkRun, documents) -> Tables:
    from . import blocks

    frame, tables = blocks.blocks_tables(run.spark, run.documents_frame(documents), run.config)
    run._blocks = frame
    return tables


def _clusters(run: SparkRun, documents, blocks) -> Tables:
    from . import clusters

    frame = run._blocks
    if frame is None:  # the blocks stage was read back from the work folder
        from . import blocks as spark_blocks

        frame = spark_blocks.blocks_frame_of(run.spark, run.documents_frame(documents), blocks)
    return clusters.cluster_tables(run.spark, run.documents_frame(documents), frame, run.config)


def _syndication(run: SparkRun, texts, spans, shared) -> Tables:
    from . import syndication
    from .frames import kept_frame, pairs_frame

    config = run.config
    kept = kept_frame(run.spark, texts, spans).persist()
    try:
        return syndication.find(
            run.spark, kept, pairs_frame(run.spark, shared), config.shingle, config.minhash, config.syndication
        )
    finally:
        kept.unpersist()


def _write(run: SparkRun, corpus, analysis, output) -> list:
    from .frames import kept_frame
    from .write import write_files

    documents = analysis.documents
    kept = kept_frame(run.spark, stores.texts(documents), analysis.spans, stores.records(documents))
    return write_files(kept, corpus.files, output, run.config.read)


_ON_SPARK = {"read": _read, "blocks": _blocks, "clusters": _clusters, "syndication": _syndication, "write": _write}


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
    spark = builder.getOrCreate()
    if checkpoints is not None and not spark.sparkContext.getCheckpointDir():
        spark.sparkContext.setCheckpointDir(str(checkpoints))
    return spark, True


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
            yield run
        finally:
            for frame in (run._documents, run._blocks, *run._persisted):
                if frame is not None:
                    frame.unpersist()
            if started:
                spark.stop()
