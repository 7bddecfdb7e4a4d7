"""A Spark run's documents on the driver (:class:`SparkDocuments`): what a
local store says of them, without their texts. (That a whole Spark run never
brings the corpus to the driver: tests/test_spark_backend.py.)

Every Spark call joins the one local session of the ``spark`` fixture.
"""

from pathlib import Path

import numpy as np
import pytest
from conftest import generated_corpus

import dedupe
from dedupe import store as stores
from dedupe.results import Spans

pytest.importorskip("pyspark")

from dedupe.backends.spark import frames  # noqa: E402
from dedupe.backends.spark.documents import SparkDocuments  # noqa: E402
from dedupe.backends.spark.read import read_inputs  # noqa: E402


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return generated_corpus(tmp_path_factory.mktemp("corpus") / "pages", 300, 70, seed=7)


@pytest.fixture(scope="module")
def both(spark, corpus):
    """The documents of the corpus as the local read stage stores them, and on Spark."""
    local = dedupe.scan([corpus]).corpus.documents
    frame, _, items = read_inputs(spark, [str(corpus)], dedupe.Config().read, tasks=3)
    frame = frame.persist()
    on_spark = SparkDocuments(frame)
    items.unpersist()
    yield local, on_spark
    frame.unpersist()


def test_the_columns_are_the_local_stores_and_no_text_is_read(both):
    local, on_spark = both
    assert len(on_spark) == len(local) == 300
    assert list(stores.ids(on_spark)) == list(stores.ids(local))
    assert list(stores.urls(on_spark)) == list(stores.urls(local))
    assert stores.records(on_spark) == stores.records(local)
    assert np.array_equal(stores.text_lengths(on_spark), stores.text_lengths(local))
    assert on_spark.fetched == 0 and on_spark._file is None


def test_texts_are_fetched_when_asked_for(both):
    local, on_spark = both
    before = on_spark.fetched
    assert on_spark[10:40] == local[10:40] and on_spark[299] == local[299]
    assert on_spark.fetched == before + 31
    assert list(on_spark) == list(local)


def test_documents_read_one_at_a_time_are_fetched_ahead(both, monkeypatch):
    """The report reads documents one at a time, in order: a job a window, not a job a document."""
    from dedupe.backends.spark import documents

    local, on_spark = both
    monkeypatch.setattr(documents, "READ_AHEAD_DOCS", 40)
    jobs = []
    fetch = SparkDocuments.fetch
    monkeypatch.setattr(SparkDocuments, "fetch", lambda self, frame: jobs.append(1) or fetch(self, frame))
    assert [on_spark[d] for d in range(100, 300)] == local[100:300]
    assert len(jobs) == 5
    assert on_spark[5] == local[5] and on_spark[30] == local[30] and len(jobs) == 6  # back, then inside its window


def test_held_documents_are_fetched_once(both):
    local, on_spark = both
    which = np.array([250, 3, 3, 17])
    with on_spark.holding(which):
        before = on_spark.fetched
        assert [on_spark[int(d)] for d in which] == [local[int(d)] for d in which]
        assert on_spark.fetched == before + 3  # in one job, on the first read
    assert on_spark._held == {}


def test_a_frame_not_numbered_from_zero_is_refused(spark, both):
    _, on_spark = both
    with pytest.raises(ValueError, match="0 .. n-1"):
        SparkDocuments(on_spark.frame.where("doc > 0"))


@pytest.mark.parametrize("slice_spans", [1 << 20, 3])
def test_spans_go_to_spark_as_numbers(spark, monkeypatch, slice_spans):
    monkeypatch.setattr(frames, "SPAN_SLICE", slice_spans)
    spans = Spans.of_counts(np.array([[0, 5], [7, 9], [1, 2], [3, 4], [5, 6], [0, 1]]), np.array([2, 0, 3, 0, 1]))
    got = sorted(frames.spans_frame(spark, spans).collect())
    assert [(r["doc"], [tuple(s) for s in r["spans"]]) for r in got] == list(enumerate(spans))
    assert frames.spans_frame(spark, Spans.of_counts(np.zeros((0, 2), np.int64), np.zeros(0, np.int64))).count() == 0
