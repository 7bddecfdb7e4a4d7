"""The copy evidence's n-grams on Spark: what the local step
(:func:`dedupe.copy_evidence.block_grams`) makes of the weighted blocks'
texts, in block order, dtypes included, for any partitioning.

Every Spark call joins the one local session of the ``spark`` fixture.
"""

import numpy as np
import pytest
from test_spark_syndication import generated_pages

from dedupe import Config, Document
from dedupe.copy_evidence import block_grams
from dedupe.executor import Workers

pytest.importorskip("pyspark")

from dedupe.backends.spark.blocks import blocks_array, blocks_frame  # noqa: E402
from dedupe.backends.spark.boilerplate import grams  # noqa: E402
from dedupe.backends.spark.frames import documents_frame  # noqa: E402

CONFIG = Config()
N = CONFIG.shingle.word_ngram


@pytest.fixture(scope="module")
def pages() -> list[Document]:
    # Characters beyond the BMP (one code point, two UTF-16 units) and
    # accents: block offsets count code points in Python and in Spark.
    odd = Document(id="odd", text="\U0001f600 Café au lait déjà vu\n\nLa niña comió \U0001f355 pizza hoy\n", source="odd")
    return generated_pages(200) + [odd]


@pytest.fixture
def small_batches(spark):
    """Arrow batches of 500 rows: the blocks come back in several batches, put in order."""
    key = "spark.sql.execution.arrow.maxRecordsPerBatch"
    before = spark.conf.get(key)
    spark.conf.set(key, "500")
    yield
    spark.conf.set(key, before)


@pytest.mark.parametrize("partitions", [None, 5])
def test_the_local_steps_ngrams_in_block_order(spark, pages, partitions, small_batches):
    documents = documents_frame(spark, pages)
    if partitions is not None:
        documents = documents.repartition(partitions)
    frame = blocks_frame(documents, CONFIG)
    try:
        b = blocks_array(frame, len(pages))
        sized = np.flatnonzero(b.weight > 0)
        doc = np.repeat(np.arange(len(pages)), b.counts)
        texts = [pages[doc[i]].text[s:e] for i, (s, e) in zip(sized.tolist(), b.blocks[sized, :2].tolist())]
        with Workers(1) as workers:
            want_hashes, want_counts = block_grams(texts, N, workers)
        got = list(grams(documents, frame, N)(sized))
    finally:
        frame.unpersist()
    assert len(got) > 1  # batches of blocks, put back in order
    hashes = np.concatenate([h for h, _ in got])
    counts = np.concatenate([c for _, c in got])
    assert hashes.dtype == want_hashes.dtype and np.array_equal(hashes, want_hashes)
    assert np.array_equal(counts, want_counts) and counts.sum() > 1000


def test_blocks_the_driver_does_not_have_are_an_error(spark, pages):
    documents = documents_frame(spark, pages[:20])
    frame = blocks_frame(documents, CONFIG)
    try:
        sized = np.flatnonzero(blocks_array(frame, 20).weight > 0)
        with pytest.raises(ValueError, match="weighted blocks"):
            list(grams(documents, frame, N)(sized[1:]))
    finally:
        frame.unpersist()
