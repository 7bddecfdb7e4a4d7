"""A Spark run's documents on the driver: everything but their texts.

:class:`SparkDocuments` is a :class:`dedupe.store.DocumentStore` whose
ids, sources, lines, URLs and text lengths are on the driver (about a
hundred bytes a document, what a local store keeps in memory), collected
from the read stage's frame, and whose texts stay in that frame, persisted
in the executors. The stages on Spark use the frame; the stages on the
driver use the per-document columns, which need no text. A text asked for
all the same (the report quotes passages and template lines) is fetched
from the frame: a slice of documents at a time, or, for the documents
named to :meth:`SparkDocuments.holding`, all of them in one job.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional

import numpy as np
import pyarrow as pa

from . import require_pyspark

require_pyspark()

from pyspark.sql import DataFrame  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from ...document import Document  # noqa: E402
from ...store import DocumentStore, _Coded, _Lines, _Strings  # noqa: E402

__all__ = ["SparkDocuments", "READ_AHEAD_CHARS", "READ_AHEAD_DOCS"]

#: A read of one document not held fetches the documents after it too, up
#: to this many characters of text and this many documents, in the same
#: job: the report reads the documents one at a time, in order (a job a
#: document made the report of 20k pages some ten minutes).
READ_AHEAD_CHARS = 8 << 20
READ_AHEAD_DOCS = 4096


class SparkDocuments(DocumentStore):
    """The documents of ``frame`` (:data:`dedupe.backends.spark.read.DOCUMENT_SCHEMA`,
    ``doc`` 0 .. n-1), their texts left in it.

    Attributes
    ----------
    frame : DataFrame
        The documents, texts included (persisted by the caller).
    fetched : int
        Texts fetched from the frame to the driver so far.
    """

    def __init__(self, frame: DataFrame):
        # No file: DocumentStore's own __init__ makes one for the texts.
        meta = frame.select(
            "doc", "id", "source", "line", "url", F.length("text").alias("length"),
            F.when(F.col("tag_paths").isNull(), F.lit(-1)).otherwise(F.size("tag_paths")).alias("tags"),
        ).toArrow()
        order = np.argsort(meta.column("doc").to_numpy(), kind="stable")
        meta = meta.take(pa.array(order))
        if not np.array_equal(meta.column("doc").to_numpy(), np.arange(meta.num_rows)):
            raise ValueError("the documents' frame does not number its documents 0 .. n-1")
        self.frame = frame
        self.fetched = 0
        self._held: dict[int, Document] = {}
        self._wanted: Optional[set[int]] = None  # to hold, when first read (:meth:`holding`)
        self._ahead: dict[int, Document] = {}  # the last read ahead
        self.path, self._temporary, self._made, self._file = None, None, [], None
        self.ids = _Strings.of(meta.column("id").to_pylist())
        self.sources = _Coded(meta.column("source").to_pylist())
        self.lines = _Lines.of(meta.column("line").to_pylist())
        self.urls = _Strings.of(meta.column("url").to_pylist())
        lengths = meta.column("length").to_numpy(zero_copy_only=False).astype(np.int64)
        tags = meta.column("tags").to_numpy(zero_copy_only=False).astype(np.int64)
        # Characters stand for bytes where the store's reads are cut by size (iteration).
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        self._columns, self._arrays = None, [lengths, tags, lengths, offsets]
        self._end = int(offsets[-1])
        self._pending, self._pending_size, self._sources = [], 0, {}

    def fetch(self, frame: DataFrame) -> list[Document]:
        """The documents of ``frame`` (``doc``, ``text``, ``tag_paths``), in ``doc`` order."""
        got = frame.select("doc", "text", "tag_paths").toArrow()
        order = np.argsort(got.column("doc").to_numpy(), kind="stable").tolist()
        docs = got.column("doc").to_pylist()
        texts, paths = got.column("text").to_pylist(), got.column("tag_paths").to_pylist()
        self.fetched += len(docs)
        return [
            Document(
                self.ids[d], texts[k], self.sources[d], self.lines[d], self.urls[d],
                None if paths[k] is None else tuple(paths[k]),
            )
            for k, d in ((k, docs[k]) for k in order)
        ]

    def _read(self, a: int, b: int) -> list[Document]:
        if self._wanted is not None and b - a == 1 and a in self._wanted:
            self._hold()
        if b > a and all(d in self._held for d in range(a, b)):
            return [self._held[d] for d in range(a, b)]
        if b - a != 1:
            return self._range(a, b)
        if a not in self._ahead:
            offsets = self._arrays[3]
            end = int(np.searchsorted(offsets, offsets[a] + READ_AHEAD_CHARS, side="right")) - 1
            end = min(max(end, a + 1), a + READ_AHEAD_DOCS, len(self))
            self._ahead = dict(zip(range(a, end), self._range(a, end)))
        return [self._ahead[a]]

    def read_texts(self, a: int, b: int) -> list[str]:
        """The texts of documents ``a`` to ``b``, fetched from the executors (no texts file here)."""
        return [d.text for d in self._read(a, b)] if b > a else []

    def _range(self, a: int, b: int) -> list[Document]:
        got = self.fetch(self.frame.where((F.col("doc") >= a) & (F.col("doc") < b)))
        if len(got) != b - a:
            raise OSError(f"documents {a}..{b - 1}: {len(got)} found in the Spark frame")
        return got

    @contextmanager
    def holding(self, which: np.ndarray) -> Iterator[None]:
        """Within the block, the documents ``which`` (indices) are fetched
        in one job when one of them is first read alone, and held: for a
        caller that reads many documents one at a time."""
        which = np.unique(np.asarray(which, dtype=np.int64))
        self._wanted = set(which.tolist())
        try:
            yield
        finally:
            self._held, self._wanted = {}, None

    def _hold(self) -> None:
        which = np.array(sorted(self._wanted), dtype=np.int64)
        self._wanted = None
        spark = self.frame.sparkSession
        wanted = spark.createDataFrame(pa.table({"doc": pa.array(which)}))
        self._held.update(zip(which.tolist(), self.fetch(self.frame.join(F.broadcast(wanted), "doc"))))

    def texts_of_blocks(self, blocks: DataFrame) -> dict[int, str]:
        """The texts of the blocks of ``blocks`` (``block``, ``doc``,
        ``start``, ``end``), cut from their documents in the executors."""
        cut = blocks.join(self.frame.select("doc", "text"), "doc").select(
            "block", F.expr("substring(text, start + 1, end - start)").alias("text")
        )
        got = cut.toArrow()
        return dict(zip(got.column("block").to_pylist(), got.column("text").to_pylist()))

    def tag_paths(self) -> Optional[dict[int, tuple[str, ...]]]:
        """Every document's tag paths (HTML input) by index; None when no document has any."""
        if not (self._arrays[1] >= 0).any():
            return None
        got = self.frame.where(F.col("tag_paths").isNotNull()).select("doc", "tag_paths").toArrow()
        return {d: tuple(p) for d, p in zip(got.column("doc").to_pylist(), got.column("tag_paths").to_pylist())}

    def append(self, doc: Document) -> None:
        raise TypeError("a Spark run's documents are read in its executors, not appended")

    def close(self) -> None:
        self._held, self._wanted, self._ahead = {}, None, {}
