"""The read, blocks and clusters stages on Spark equal the local stages:
the same documents (index, fields) and bad inputs, the same blocks and key
ids, the same cluster labels, however many files and read tasks.

Every Spark call joins the one local session of the ``spark`` fixture.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import generated_corpus

from dedupe import Config
from dedupe.document import InputError
from dedupe.stages.blocks import run_blocks
from dedupe.stages.clusters import run_clusters
from dedupe.stages.read import run_read

pytest.importorskip("pyspark")

from dedupe.backends.spark.blocks import SPAN, blocks_array, blocks_frame, blocks_frame_of, exclusive_sums  # noqa: E402
from dedupe.backends.spark.clusters import clusters_array  # noqa: E402
from dedupe.backends.spark.read import documents_list, read, read_inputs  # noqa: E402

BLOCK_FIELDS = ("blocks", "counts", "weight", "repeat", "key")


def local(stage_runs, inputs, **options):
    """The local read, blocks and clusters stages: documents, skipped, blocks, labels."""
    with stage_runs.run(**options) as run:
        corpus = run_read(run, [str(p) for p in inputs])
        documents = list(corpus.documents)
        b = run_blocks(run, documents)
        run.counts["block"] = len(b.key)
        labels = run_clusters(run, documents, b)
    return documents, corpus.skipped, b, labels


def on_spark(spark, inputs, tasks=None, **options):
    """The same stages on Spark, their results collected for comparison."""
    config = Config.from_options(**options)
    documents, skipped, items = read_inputs(spark, [str(p) for p in inputs], config.read, tasks=tasks)
    frame = blocks_frame(documents, config)
    try:
        got = documents_list(documents)
        b = blocks_array(frame, len(got))
        labels = clusters_array(documents, frame, config)
        partitions = documents.rdd.getNumPartitions()
    finally:
        frame.unpersist()
        items.unpersist()
    return got, skipped, b, labels, partitions


def errors(skipped):
    return [(e.path, e.line, e.reason, e.detail) for e in skipped]


def assert_same(spark_result, local_result):
    documents, skipped, b, labels, _ = spark_result
    want_documents, want_skipped, want_b, want_labels = local_result
    assert documents == want_documents
    assert errors(skipped) == errors(want_skipped)
    for name in BLOCK_FIELDS:
        got, want = getattr(b, name), getattr(want_b, name)
        assert got.dtype == want.dtype and np.array_equal(got, want), name
    assert labels.dtype == want_labels.dtype and np.array_equal(labels, want_labels)


def generated(folder: Path, pages: int, shard_pages: int) -> Path:
    return generated_corpus(folder, pages, shard_pages, seed=5)


def page(i: int) -> str:
    return json.dumps({"id": f"extra-{i}", "url": f"https://extra.example/{i}", "text": f"Page {i}\n\nShared footer line\n"})


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    """The same 300 pages in one JSONL file, and in five with two more
    between them: an empty file, and one with a malformed line and a
    record without text around two pages."""
    base = tmp_path_factory.mktemp("generated")
    one, seven = generated(base / "one", 300, 300), generated(base / "seven", 300, 60)
    (seven / "shard-00001-empty.jsonl").write_text("")
    bad = page(0) + "\n{not json\n" + json.dumps({"id": "e", "text": ""}) + "\n" + page(1) + "\n"
    (seven / "shard-00003-bad.jsonl").write_text(bad)
    return one, seven


def test_seeds(spark, seeds_dir, stage_runs):
    want = local(stage_runs, [seeds_dir])
    got = on_spark(spark, [seeds_dir])
    assert_same(got, want)
    # Lines repeat across pages (the same key), and clusters join them.
    assert len(np.unique(got[2].key)) < len(got[2].key) and len(np.unique(got[3])) < len(got[3])


def test_a_generated_corpus_in_one_file_read_by_one_task(spark, corpora, stage_runs):
    want = local(stage_runs, [corpora[0]])
    got = on_spark(spark, [corpora[0]], tasks=1)
    assert got[4] == 1
    assert_same(got, want)
    documents, skipped, b, labels, _ = got
    assert len(documents) == 300 and skipped == []
    # Templates repeat across pages, and near-identical lines join clusters of their own.
    assert len(np.unique(b.key)) < len(b.key) and len(np.unique(labels)) < len(np.unique(b.key))


def test_seven_files_read_by_seven_tasks_with_an_empty_file_and_bad_lines(spark, corpora, stage_runs):
    folder = corpora[1]
    assert len(list(folder.glob("*.jsonl"))) == 7
    want = local(stage_runs, [folder])
    got = on_spark(spark, [folder], tasks=7)
    assert got[4] == 7
    assert_same(got, want)
    documents, skipped, _, _, _ = got
    assert len(documents) == 302 and [d.id for d in documents if d.id.startswith("extra")] == ["extra-0", "extra-1"]
    assert [(Path(path).name, line, reason) for path, line, reason, _ in errors(skipped)] == [
        ("shard-00003-bad.jsonl", 2, "invalid_json"), ("shard-00003-bad.jsonl", 3, "empty")
    ]


def test_strict_raises_the_first_bad_input_as_locally(spark, stage_runs, corpora):
    with pytest.raises(InputError) as local_error:
        local(stage_runs, [corpora[1]], strict=True)
    with pytest.raises(InputError) as spark_error:
        read(spark, [str(corpora[1])], Config.from_options(strict=True).read, tasks=3)
    assert spark_error.value.message == local_error.value.message


def test_blocks_read_back_from_their_tables_make_the_same_frame(spark, seeds_dir, stage_runs):
    """A blocks stage reused from its checkpoint: its frame is made from the tables."""
    _, _, b, _ = local(stage_runs, [seeds_dir])
    documents, _ = read(spark, [str(seeds_dir)])
    frame = blocks_frame_of(spark, documents, b)
    again = blocks_array(frame, len(b.counts))
    frame.unpersist()
    for name in BLOCK_FIELDS:
        assert np.array_equal(getattr(again, name), getattr(b, name)), name


def test_exclusive_sums_carry_across_ranges(spark):
    """Block indices and key ids are prefix sums over ranges of ids: what
    each range adds reaches the ranges after it, also past an empty one."""
    order = [3 * SPAN + 1, 0, SPAN, 5, SPAN - 1, 3 * SPAN]
    weight = [7, 2, 4, 3, 1, 5]
    frame = spark.createDataFrame(list(zip(order, weight)), "at long, n long")
    got = dict(exclusive_sums(frame, "at", "n", "before").select("at", "before").collect())
    by_order = sorted(zip(order, weight))
    want = {at: sum(n for _, n in by_order[:i]) for i, (at, _) in enumerate(by_order)}
    assert got == want
