"""The model stage's reads of the texts, on Spark.

The final verdicts (:func:`dedupe.verdicts.apply_model`) keep a page's own
headline and its table cells (:mod:`dedupe.own_content`); for that they
ask the block table (:class:`dedupe.stages.boilerplate.BlockTable`)
whether a block says what its page's URL slug spells, a few blocks' texts
(templates in table cells, HTML input) and the pages' tag paths (HTML
input). :class:`SparkBlockTable` answers from the executors: the slug
test (:func:`dedupe.own_content.matches_slug`) runs there on the blocks
the rule removes from pages whose URL has a slug (their spans go to the
documents, which stay in place), and only the blocks that pass come back,
as indices; the few texts asked for are cut there. The tag paths of HTML pages are collected (markup
names, no text).

With a learned block model on (``--block-model``), its text features
(:func:`dedupe.features.lexical_features`, the local function) are
computed in the executors, on the block texts cut there; the driver
receives fourteen numbers a block, in block order, and the pages' tag
paths (collected without texts); so are what each page's words say of its
blocks (:func:`dedupe.topic.topic_features`), a page at a time. The rest of the model's features are
per-block arrays the driver has.
"""

from __future__ import annotations

from typing import Callable, Iterator, Optional, Sequence

import numpy as np
import pyarrow as pa

from . import require_pyspark

require_pyspark()

from pyspark.sql import DataFrame  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from ...features import LEXICAL, lexical_features  # noqa: E402
from ...own_content import matches_slug, slug_words  # noqa: E402
from ...stages.boilerplate import BlockTable  # noqa: E402
from ...topic import TOPIC_NAMES, topic_features  # noqa: E402
from .documents import SparkDocuments  # noqa: E402

__all__ = ["SparkBlockTable", "slug_matches", "block_lexical", "block_topic"]

_LEXICAL_SCHEMA = "block long, " + ", ".join(f"f{k} double" for k in range(len(LEXICAL)))


def _lexical(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        lex = lexical_features(batch.column("text").to_pylist())
        columns = [batch.column("block")] + [pa.array(lex[:, k]) for k in range(len(LEXICAL))]
        yield pa.RecordBatch.from_arrays(columns, names=["block"] + [f"f{k}" for k in range(len(LEXICAL))])


def block_lexical(documents: DataFrame, blocks: DataFrame, n_blocks: int) -> np.ndarray:
    """:func:`dedupe.features.lexical_features` of every block, in the
    executors: ``blocks`` (``doc``, ``block``, ``start``, ``end``; blocks
    0 .. n_blocks-1) cut from ``documents`` (``doc``, ``text``) there.

    Returns
    -------
    ndarray of float64, shape (n_blocks, len(LEXICAL))
    """
    texts = blocks.select("doc", "block", "start", "end").join(documents.select("doc", "text"), "doc").select(
        # Spark's substring counts characters (code points), as Python's slices do.
        "block", F.expr("substring(text, start + 1, end - start)").alias("text")
    )
    return _by_block(texts.mapInArrow(_lexical, _LEXICAL_SCHEMA).toArrow(), n_blocks, len(LEXICAL), "text features")


def _by_block(got: pa.Table, n_blocks: int, n_columns: int, what: str) -> np.ndarray:
    """The columns ``f0``.. of ``got`` (one row per block, in any order) in
    block order, float64, shape (n_blocks, n_columns); every block once."""
    block = got.column("block").to_numpy()
    if len(block) != n_blocks or not np.array_equal(np.sort(block), np.arange(n_blocks)):
        raise ValueError(f"{what} came for {len(block)} blocks, not the {n_blocks} of the run")
    order = np.argsort(block)
    out = np.empty((n_blocks, n_columns), dtype=np.float64)
    for k in range(n_columns):
        out[:, k] = got.column(f"f{k}").to_numpy(zero_copy_only=False)[order]
    return out


_TOPIC_SCHEMA = "block long, " + ", ".join(f"f{k} double" for k in range(len(TOPIC_NAMES)))


def _topic(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        texts: list[str] = []
        doc: list[int] = []
        blocks: list[int] = []
        urls = batch.column("url").to_pylist()
        for page, (text, spans) in enumerate(zip(batch.column("text").to_pylist(), batch.column("spans").to_pylist())):
            texts += [text[s["start"] : s["end"]] for s in spans]
            blocks += [s["block"] for s in spans]
            doc += [page] * len(spans)
        topic = topic_features(texts, np.asarray(doc, dtype=np.int64), urls)
        columns = [pa.array(blocks, pa.int64())] + [pa.array(topic[:, k]) for k in range(len(TOPIC_NAMES))]
        yield pa.RecordBatch.from_arrays(columns, names=["block"] + [f"f{k}" for k in range(len(TOPIC_NAMES))])


def block_topic(documents: DataFrame, blocks: DataFrame, n_blocks: int) -> np.ndarray:
    """:func:`dedupe.topic.topic_features` of every block, in the executors:
    each document's ``blocks`` (``doc``, ``block``, ``start``, ``end``;
    blocks 0 .. n_blocks-1) go to the document (``doc``, ``text``,
    ``url``), and its blocks' texts are cut and measured there, a page at
    a time (each page's figures are its own).

    Returns
    -------
    ndarray of float64, shape (n_blocks, len(TOPIC_NAMES))
    """
    spans = blocks.groupBy("doc").agg(
        # Sorted by block number, the first field: the page's blocks in order.
        F.array_sort(F.collect_list(F.struct("block", "start", "end"))).alias("spans")
    )
    pages = spans.join(documents.select("doc", "text", "url"), "doc").select("text", "url", "spans")
    return _by_block(pages.mapInArrow(_topic, _TOPIC_SCHEMA).toArrow(), n_blocks, len(TOPIC_NAMES), "topic features")


def _slug_test(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        found: list[int] = []
        for text, url, blocks, starts, ends in zip(
            *(batch.column(c).to_pylist() for c in ("text", "url", "blocks", "starts", "ends"))
        ):
            slug = slug_words(url)
            found += [b for b, s, e in zip(blocks, starts, ends) if matches_slug(text[s:e], slug)]
        yield pa.RecordBatch.from_pydict({"block": pa.array(found, pa.int64())})


def slug_matches(documents: DataFrame, doc: np.ndarray, block: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """Which of the blocks ``block`` (of the documents ``doc``, at the
    character ``spans`` (start, end) there; in document order) say what
    their page's URL slug spells (:func:`dedupe.own_content.matches_slug`):
    those blocks, sorted (int64).

    The blocks' numbers go to the documents (``doc``, ``text``, ``url``),
    which stay where they are; only the matches come back.
    """
    if not len(block):
        return np.zeros(0, dtype=np.int64)
    doc, block, spans = np.asarray(doc, np.int64), np.asarray(block, np.int64), np.asarray(spans, np.int64)
    cut = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1], True])
    offsets = pa.array(cut.astype(np.int32))
    wanted = pa.table(
        {
            "doc": pa.array(doc[cut[:-1]]),
            "blocks": pa.ListArray.from_arrays(offsets, pa.array(block)),
            "starts": pa.ListArray.from_arrays(offsets, pa.array(spans[:, 0])),
            "ends": pa.ListArray.from_arrays(offsets, pa.array(spans[:, 1])),
        }
    )
    spark = documents.sparkSession
    texts = documents.select("doc", "text", "url").join(F.broadcast(spark.createDataFrame(wanted)), "doc")
    found = texts.mapInArrow(_slug_test, "block long").toArrow().column("block").to_numpy()
    return np.sort(found.astype(np.int64))


class SparkBlockTable(BlockTable):
    """A :class:`BlockTable` whose reads of the texts are done in Spark's
    executors: ``blocks`` is the run's blocks' frame
    (:data:`dedupe.backends.spark.blocks.BLOCK_SCHEMA`), the documents
    a :class:`~.documents.SparkDocuments`."""

    documents: SparkDocuments
    #: The texts stay in Spark's executors.
    texts_here = False

    def __init__(self, *args, frame: DataFrame):
        super().__init__(*args)
        self._frame = frame
        self._paths: Optional[dict] = None
        self._paths_read = False
        self._lexical: Optional[np.ndarray] = None
        self._topic: Optional[np.ndarray] = None

    def slug_matches(self, blocks: np.ndarray) -> np.ndarray:
        found = slug_matches(self.documents.frame, self.doc[blocks], blocks, self.blocks.flat[blocks, :2])
        return np.isin(blocks, found)

    def texts_of(self, which: np.ndarray) -> Callable[[int], str]:
        idx = np.flatnonzero(which)
        if not len(idx):
            return self.text_of
        wanted = self._frame.sparkSession.createDataFrame(pa.table({"block": pa.array(idx.astype(np.int64))}))
        texts = self.documents.texts_of_blocks(self._frame.join(F.broadcast(wanted), "block"))
        return texts.__getitem__

    def paths_of(self, d: int) -> Optional[Sequence[str]]:
        if not self._paths_read:
            self._paths, self._paths_read = self.documents.tag_paths(), True
        return None if self._paths is None else self._paths.get(d)

    def lexical_features(self, lo: int = 0, hi: Optional[int] = None) -> np.ndarray:
        # Every block's, computed in the executors at the first ask (one Spark job).
        if self._lexical is None:
            self._lexical = block_lexical(self.documents.frame, self._frame, len(self.doc))
        return self._lexical[lo:hi]

    def topic_features(self, lo: int = 0, hi: Optional[int] = None) -> np.ndarray:
        # Every block's, computed in the executors at the first ask (one Spark job).
        if self._topic is None:
            self._topic = block_topic(self.documents.frame, self._frame, len(self.doc))
        return self._topic[lo:hi]

    def tag_paths(self) -> Iterator[Optional[Sequence[str]]]:
        return (self.paths_of(d) for d in range(len(self.documents)))
