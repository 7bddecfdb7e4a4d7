"""The copy evidence on Spark (:class:`dedupe.backends.spark.boilerplate.SparkEvidence`):
the local :class:`dedupe.copy_evidence.CopyEvidence`'s numbers, to the
bit, for any partitioning, on pages made to share n-grams many ways.

Every Spark call joins the one local Spark session of the ``spark`` fixture.
"""

import numpy as np
import pytest
from test_spark_syndication import generated_pages

from dedupe import Config, Document
from dedupe.blocktexts import fetch_from
from dedupe.copy_evidence import CopyEvidence
from dedupe.executor import Workers
from dedupe.verify import MAX_DF

pytest.importorskip("pyspark")

from dedupe.backends.spark.blocks import blocks_array, blocks_frame  # noqa: E402
from dedupe.backends.spark.boilerplate import SparkEvidence  # noqa: E402
from dedupe.backends.spark.frames import documents_frame  # noqa: E402

CONFIG = Config()
N = CONFIG.shingle.word_ngram


def tangled_pages(n: int, seed: int) -> list[Document]:
    """Pages of a few words, so n-grams recur: some in more than MAX_DF
    pages (common), most in fewer; a page's paragraphs share n-grams with
    each other (a page's weight in an n-gram is a sum of several blocks')."""
    rng = np.random.default_rng(seed)
    words = "alpha beta gamma delta eps zeta eta theta iota kappa lam mu nu xi omi pi rho sig tau ups".split()
    p = 1 / np.arange(1, len(words) + 1) ** 1.1
    p /= p.sum()
    pages = []
    for i in range(n):
        paragraphs = []
        motif = " ".join(rng.choice(words, size=5, p=p))
        for _ in range(int(rng.integers(2, 9))):
            body = " ".join(rng.choice(words, size=int(rng.integers(4, 30)), p=p))
            paragraphs.append(f"{motif} {body}" if rng.random() < 0.5 else body)
        # Characters beyond the BMP and accents: offsets count code points in Python and in Spark.
        if i % 17 == 0:
            paragraphs.append("\U0001f600 Café au lait déjà vu \U0001f355 pizza hoy")
        pages.append(Document(id=f"p{i}", text="\n\n".join(paragraphs) + "\n", source="tangled"))
    return pages


def both(spark, pages, partitions, seed):
    """The local and the Spark evidence of every ordered pair of pages, and
    how many n-grams are in more than MAX_DF of them."""
    documents = documents_frame(spark, pages)
    if partitions is not None:
        documents = documents.repartition(partitions)
    frame = blocks_frame(documents, CONFIG)
    try:
        b = blocks_array(frame, len(pages))
        n_docs = len(pages)
        doc_of = np.repeat(np.arange(n_docs, dtype=np.int32), b.counts)
        rng = np.random.default_rng(seed)
        # Weights no sum of which is exact in any order, where the blocks have weight.
        weight = np.where(b.weight > 0, rng.random(len(b.weight)) * 7 + 1 / 3, 0.0)
        # Clusters: most blocks alone; some spanning pages (not unrepeated), some in one page only.
        labels = np.arange(len(weight))
        some = rng.choice(len(weight), size=len(weight) // 8, replace=False)
        labels[some] = labels[rng.choice(some, size=len(some))]
        d, e = np.nonzero(~np.eye(n_docs, dtype=bool))
        with Workers(1) as workers:
            local = CopyEvidence(fetch_from(pages, b.counts, b.blocks), doc_of, labels, weight, n_docs, N, workers)
            try:
                want = local(d, e)
                common = sum(int(np.sum(~rows["rare"])) for rows in local.grams.shards())
            finally:
                local.close()
        on_spark = SparkEvidence(documents, frame, N, doc_of, labels, weight, n_docs)
        try:
            got = on_spark(d, e)
        finally:
            on_spark.close()
    finally:
        frame.unpersist()
    return want, got, common


@pytest.mark.parametrize("partitions, seed", [(None, 1), (5, 2), (1, 3)])
def test_the_local_evidence_to_the_bit(spark, partitions, seed):
    pages = tangled_pages(MAX_DF + 60, seed)
    want, got, common = both(spark, pages, partitions, seed)
    assert common > 0  # n-grams too common to count: left out on both sides
    assert np.count_nonzero(want) > 1000  # the test compares numbers, not zeros
    assert got.dtype == want.dtype and np.array_equal(got, want)


def test_generated_pages(spark):
    want, got, _ = both(spark, generated_pages(200), 3, 4)
    assert np.count_nonzero(want) > 100 and np.array_equal(got, want)


def test_pairs_not_asked_are_not_computed_and_a_pair_asked_twice_is_answered_twice(spark):
    pages = tangled_pages(40, 5)
    documents = documents_frame(spark, pages)
    frame = blocks_frame(documents, CONFIG)
    try:
        b = blocks_array(frame, len(pages))
        doc_of = np.repeat(np.arange(len(pages), dtype=np.int32), b.counts)
        labels = np.arange(len(b.weight))
        evidence = SparkEvidence(documents, frame, N, doc_of, labels, b.weight, len(pages))
        try:
            all_pairs = evidence(*np.nonzero(~np.eye(len(pages), dtype=bool)))
            assert np.count_nonzero(all_pairs) > 10
            d, e = np.array([3, 3, 0, 7]), np.array([5, 5, 0, 1])
            got = evidence(d, e)
            assert got[0] == got[1] == all_pairs[3 * 39 + 4] and got[2] == 0.0
            assert got[3] == all_pairs[7 * 39 + 1] and len(evidence(d[:0], e[:0])) == 0
        finally:
            evidence.close()
    finally:
        frame.unpersist()
