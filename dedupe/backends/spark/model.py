"""The model stage's reads of the texts, on Spark.

The final verdicts (:func:`dedupe.verdicts.apply_model`) keep a page's own
headline and its table cells (:mod:`dedupe.own_content`); for that they
ask the block table (:class:`dedupe.stages.boilerplate.BlockTable`)
whether a block says what its page's URL slug spells, a few blocks' texts
(templates in table cells, HTML input) and the pages' tag paths (HTML
input). :class:`SparkBlockTable` answers from the executors: the slug
test runs there on every block (:func:`dedupe.own_content.matches_slug`),
and only the blocks that pass come back, as indices; the few texts asked
for are cut there. The tag paths of HTML pages are collected (markup
names, no text).

With a learned block model on (``--block-model``), its features read
every block's text (:attr:`BlockTable.texts`): those are fetched to the
driver a slice of documents at a time.
"""

from __future__ import annotations

from typing import Callable, Iterator, Optional, Sequence

import numpy as np
import pyarrow as pa

from . import require_pyspark

require_pyspark()

from pyspark.sql import DataFrame  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from ...own_content import matches_slug, slug_words  # noqa: E402
from ...stages.boilerplate import BlockTable  # noqa: E402
from .documents import SparkDocuments  # noqa: E402

__all__ = ["SparkBlockTable", "slug_matches"]


def _slug_test(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    slugs: dict[Optional[str], frozenset[str]] = {}
    for batch in batches:
        blocks = batch.column("block").to_numpy()
        urls, texts = batch.column("url").to_pylist(), batch.column("text").to_pylist()
        hit = [
            matches_slug(text, slugs[url] if url in slugs else slugs.setdefault(url, slug_words(url)))
            for url, text in zip(urls, texts)
        ]
        yield pa.RecordBatch.from_pydict({"block": blocks[np.array(hit, dtype=bool)]}, schema=pa.schema([("block", pa.int64())]))


def slug_matches(documents: DataFrame, blocks: DataFrame) -> np.ndarray:
    """The blocks whose text says what their page's URL slug spells
    (:func:`dedupe.own_content.matches_slug`), sorted (int64).

    ``documents``: ``doc``, ``text``, ``url``; ``blocks``: ``doc``, ``block``, ``start``, ``end``.
    """
    texts = blocks.select("doc", "block", "start", "end").join(
        documents.where(F.col("url").isNotNull()).select("doc", "text", "url"), "doc"
    ).select("block", "url", F.expr("substring(text, start + 1, end - start)").alias("text"))
    found = texts.mapInArrow(_slug_test, "block long").toArrow().column("block").to_numpy()
    return np.sort(found.astype(np.int64))


class SparkBlockTable(BlockTable):
    """A :class:`BlockTable` whose reads of the texts are done in Spark's
    executors: ``blocks`` is the run's blocks' frame
    (:data:`dedupe.backends.spark.blocks.BLOCK_SCHEMA`), the documents
    a :class:`~.documents.SparkDocuments`."""

    documents: SparkDocuments

    def __init__(self, *args, frame: DataFrame):
        super().__init__(*args)
        self._frame = frame
        self._slug: Optional[np.ndarray] = None
        self._paths: Optional[dict] = None
        self._paths_read = False

    def matches_slug(self, i: int, slug: frozenset[str]) -> bool:
        if self._slug is None:
            self._slug = slug_matches(self.documents.frame, self._frame)
        k = int(np.searchsorted(self._slug, i))
        return k < len(self._slug) and int(self._slug[k]) == i

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
