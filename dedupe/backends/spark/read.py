"""The read stage on Spark: every document of the inputs, read in the executors.

The files are listed on the driver as the local stage lists them
(:func:`dedupe.io.files.discover`, standard input read there once), cut
into tasks of about :data:`dedupe.stages.read.READ_CHUNK` of reading each
(:func:`dedupe.stages.read.read_weights`), and each task reads its files
with the local reader (:func:`dedupe.io.readers.read_file`). A document's
index in the run (``doc``) is the local one, file order then row: each
file's first index comes from the documents per file, a small aggregate
collected to the driver; the documents themselves never are. Bad inputs
are :class:`~dedupe.document.InputError` as locally, in the same order.

The files must be where the executors can reach them by the same path:
this machine for ``local[*]``, a shared file system on a cluster, or a
URL (``s3://bucket/crawl/``), listed on the driver and each file opened
in its executor through fsspec, by the local reader's own code
(:mod:`dedupe.io.remote`; no Hadoop connector).
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Iterator, Optional, Sequence, Union

import numpy as np
import pyarrow as pa

from . import require_pyspark

require_pyspark()

from pyspark.sql import DataFrame, SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from ...config import ReadConfig  # noqa: E402
from ...document import Document, InputError  # noqa: E402
from ...executor import plan  # noqa: E402
from ...io.files import InputFile, discover, load_stdin  # noqa: E402
from ...io.readers import read_file  # noqa: E402
from ...stages.read import READ_CHUNK, read_weights  # noqa: E402

__all__ = ["read", "read_inputs", "read_items", "documents_list", "DOCUMENT_SCHEMA", "ITEM_SCHEMA"]

PathLike = Union[str, os.PathLike]

#: What a read task returns for each item of its files: a document (``row``,
#: its position among its file's documents, and its fields) or a bad input
#: (``reason``, ``detail``; ``row`` null). ``item`` orders both in their file.
ITEM_SCHEMA = (
    "file long, item long, row long, id string, text string, source string, line long, url string, "
    "tag_paths array<string>, reason string, detail string"
)
#: The documents' frame (:func:`read`), one row per document.
DOCUMENT_SCHEMA = "doc long, id string, text string, source string, line long, url string, tag_paths array<string>"
_ITEM_TYPE = pa.schema(
    [
        ("file", pa.int64()), ("item", pa.int64()), ("row", pa.int64()), ("id", pa.string()), ("text", pa.string()),
        ("source", pa.string()), ("line", pa.int64()), ("url", pa.string()), ("tag_paths", pa.list_(pa.string())),
        ("reason", pa.string()), ("detail", pa.string()),
    ]
)
# Items, and characters of text, a task hands Spark in one Arrow batch.
_BATCH_ITEMS = 4096
_BATCH_CHARS = 16 << 20


def read(
    spark: SparkSession, inputs: Sequence[PathLike], config: Optional[ReadConfig] = None, *, tasks: Optional[int] = None
) -> tuple[DataFrame, list[InputError]]:
    """Read every document of the inputs on Spark, as :func:`dedupe.stages.read.run_read` does.

    Parameters
    ----------
    spark : SparkSession
    inputs : sequence of path-like
        Files, folders, and "-" for standard input.
    config : ReadConfig, optional
    tasks : int, optional
        Read tasks, each a run of consecutive files: as many files a task
        (at most one task a file); by default enough for every core, more
        for a large corpus, cut by reading weight. The result is the same
        for any.

    Returns
    -------
    documents : DataFrame
        :data:`DOCUMENT_SCHEMA`: ``doc`` is the document's index in the run
        (as locally: input file order, then position in its file), with the
        :class:`~dedupe.document.Document`'s fields. Partitioned by read
        task, in ``doc`` order. It is built on a persisted frame of what was
        read (the files are read once); ``documents.unpersist()`` does not
        release it, :func:`read_inputs` hands it out for that.
    skipped : list of InputError
        The bad inputs, in input order, as the local read stage lists them.

    Raises
    ------
    InputError
        With ``config.strict``, the first bad input.
    FileNotFoundError
        If an input does not exist.
    """
    documents, skipped, _ = read_inputs(spark, inputs, config, tasks=tasks)
    return documents, skipped


def read_inputs(
    spark: SparkSession, inputs: Sequence[PathLike], config: Optional[ReadConfig] = None, *, tasks: Optional[int] = None
) -> tuple[DataFrame, list[InputError], DataFrame]:
    """:func:`read`, and the persisted frame of items read it is built on
    (to ``unpersist()`` once the documents are no longer needed)."""
    config = config or ReadConfig()
    files = [load_stdin(f) if f.is_stdin else f for f in discover(inputs, config.format)]
    items = read_items(spark, files, config, tasks=tasks).persist()
    try:
        counts, skipped = _tally(items, len(files))
        if skipped and config.strict:
            raise skipped[0]
        return _documents(spark, items, counts), skipped, items
    except BaseException:
        items.unpersist()
        raise


def read_items(spark: SparkSession, files: Sequence[InputFile], config: ReadConfig, *, tasks: Optional[int] = None) -> DataFrame:
    """Every item (document or bad input) of the files, read in the executors: :data:`ITEM_SCHEMA`."""
    if tasks is None:
        weights = read_weights(files)
        tasks = max(spark.sparkContext.defaultParallelism, int(np.ceil(weights.sum() / READ_CHUNK)))
    else:
        weights = np.ones(len(files))
    ranges = plan(weights, tasks)
    # The executors' copies name the files absolutely: their working folder is not the driver's.
    files = [f if f.path is None else replace(f, path=f.path.absolute()) for f in files]

    def read_tasks(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for task in batch.column("id").to_pylist():
                a, b = ranges[task]
                yield from _read_range(files, a, b, config)

    one_each = spark.range(0, len(ranges), 1, max(len(ranges), 1))  # one range of files a task
    return one_each.mapInArrow(read_tasks, ITEM_SCHEMA)


def _read_range(files: Sequence[InputFile], a: int, b: int, config: ReadConfig) -> Iterator[pa.RecordBatch]:
    """The items of ``files[a:b]`` in Arrow batches; under ``strict``, a
    file's items up to its first bad input (the driver raises it)."""
    rows: dict[str, list] = {name: [] for name in _ITEM_TYPE.names}
    chars = 0
    for index in range(a, b):
        row = 0
        for item, got in enumerate(read_file(files[index], config)):
            rows["file"].append(index)
            rows["item"].append(item)
            if isinstance(got, InputError):
                values = (None, None, None, got.path, got.line, None, None, got.reason, got.detail)
            else:
                values = (row, got.id, got.text, got.source, got.line, got.url, got.tag_paths, None, None)
                row += 1
                chars += len(got.text)
            for name, value in zip(_ITEM_TYPE.names[2:], values):
                rows[name].append(value)
            if len(rows["file"]) >= _BATCH_ITEMS or chars >= _BATCH_CHARS:
                yield pa.RecordBatch.from_pydict(rows, schema=_ITEM_TYPE)
                rows = {name: [] for name in _ITEM_TYPE.names}
                chars = 0
            if isinstance(got, InputError) and config.strict:
                break
    if rows["file"]:
        yield pa.RecordBatch.from_pydict(rows, schema=_ITEM_TYPE)


def _tally(items: DataFrame, n_files: int) -> tuple[np.ndarray, list[InputError]]:
    """Documents read from each file (int64, shape (n_files,)), and the bad
    inputs in input order: one small aggregate, a row a file, collected."""
    bad = F.when(F.col("reason").isNotNull(), F.struct("item", "source", "line", "reason", "detail"))
    per_file = items.groupBy("file").agg(F.count("row").alias("n"), F.collect_list(bad).alias("bad")).collect()
    counts = np.zeros(n_files, dtype=np.int64)
    skipped = []
    for file, n, errors in sorted(per_file):
        counts[file] = n
        skipped += [InputError(e["source"], e["line"], e["reason"], e["detail"]) for e in sorted(errors)]
    return counts, skipped


def _documents(spark: SparkSession, items: DataFrame, counts: np.ndarray) -> DataFrame:
    """The documents of ``items``, each with its index in the run (``counts``: documents per file)."""
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if len(counts) else counts
    offsets = spark.createDataFrame(
        pa.table({"file": pa.array(np.arange(len(counts), dtype=np.int64)), "first": pa.array(first)})
    )
    # A broadcast join keeps the documents where the read tasks left them, in order.
    return items.where(F.col("reason").isNull()).join(F.broadcast(offsets), "file").select(
        (F.col("first") + F.col("row")).alias("doc"), "id", "text", "source", "line", "url", "tag_paths"
    )


def documents_list(documents: DataFrame) -> list[Document]:
    """The documents of a frame of :data:`DOCUMENT_SCHEMA`, in ``doc`` order,
    collected to the driver: for tests and small corpora."""
    rows = documents.orderBy("doc").collect()
    return [
        Document(
            id=r["id"], text=r["text"], source=r["source"], line=r["line"], url=r["url"],
            tag_paths=None if r["tag_paths"] is None else tuple(r["tag_paths"]),
        )
        for r in rows
    ]
