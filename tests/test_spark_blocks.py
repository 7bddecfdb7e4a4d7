"""The read, blocks and clusters stages on Spark equal the local stages:
the same documents (index, fields) and bad inputs, the same blocks and key
ids, the same cluster labels, however many files and read tasks.

Every Spark call joins the one local session of the ``spark`` fixture.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dedupe import Config
from dedupe.document import InputError
from dedupe.stages.blocks import run_blocks
from dedupe.stages.clusters import run_clusters
from dedupe.stages.read import run_read

pytest.importorskip("pyspark")

from dedupe.backends.spark.blocks import blocks_array, blocks_frame, blocks_frame_of  # noqa: E402
from dedupe.backends.spark.clusters import clusters_array  # noqa: E402
from dedupe.backends.spark.read import documents_list, read, read_inputs  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
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
    """A generated corpus (benchmarks/corpus.py): sites with templates, and syndicated copies."""
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "corpus.py"), "--pages", str(pages), "--out", str(folder),
         "--shard-pages", str(shard_pages), "--seed", "5"],
        check=True, capture_output=True,
    )
    return folder


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    """The same 300 pages in one JSONL file and in seven."""
    base = tmp_path_factory.mktemp("generated")
    return generated(base / "one", 300, 300), generated(base / "seven", 300, 45)


def test_seeds(spark, seeds_dir, stage_runs):
    want = local(stage_runs, [seeds_dir])
    got = on_spark(spark, [seeds_dir])
    assert_same(got, want)
    # Lines repeat across pages (the same key), and clusters join them.
    assert len(np.unique(got[2].key)) < len(got[2].key) and len(np.unique(got[3])) < len(got[3])


@pytest.mark.parametrize("which, tasks", [(0, 1), (1, 7)], ids=["one-file-one-task", "seven-files-seven-tasks"])
def test_a_generated_corpus_in_one_file_or_seven(spark, corpora, stage_runs, which, tasks):
    folder = corpora[which]
    assert len(list(folder.glob("*.jsonl"))) == (1, 7)[which]
    want = local(stage_runs, [folder])
    got = on_spark(spark, [folder], tasks=tasks)
    assert got[4] == tasks
    assert_same(got, want)
    documents, _, b, labels, _ = got
    assert len(documents) == 300
    # Templates repeat across pages, and near-identical lines join clusters of their own.
    assert len(np.unique(b.key)) < len(b.key) and len(np.unique(labels)) < len(np.unique(b.key))


@pytest.fixture
def bad_inputs(tmp_path):
    """Two good files around an empty one; a malformed line and an empty text in the first."""
    folder = tmp_path / "bad"
    folder.mkdir()
    page = lambda i: json.dumps({"id": f"p{i}", "url": f"https://a.example/{i}", "text": f"Page {i}\n\nShared footer line\n"})  # noqa: E731
    (folder / "a.jsonl").write_text(page(0) + "\n{not json\n" + json.dumps({"id": "e", "text": ""}) + "\n" + page(1) + "\n")
    (folder / "b.jsonl").write_text("")
    (folder / "c.jsonl").write_text(page(2) + "\n" + page(3) + "\n")
    return folder


def test_an_empty_file_and_a_malformed_line_are_accounted_for_as_locally(spark, stage_runs, bad_inputs):
    want = local(stage_runs, [bad_inputs])
    got = on_spark(spark, [bad_inputs], tasks=3)
    assert_same(got, want)
    assert [(Path(path).name, line, reason) for path, line, reason, _ in errors(got[1])] == [
        ("a.jsonl", 2, "invalid_json"), ("a.jsonl", 3, "empty")
    ]
    assert [d.id for d in got[0]] == ["p0", "p1", "p2", "p3"]


def test_strict_raises_the_first_bad_input_as_locally(spark, stage_runs, bad_inputs):
    with pytest.raises(InputError) as local_error:
        local(stage_runs, [bad_inputs], strict=True)
    with pytest.raises(InputError) as spark_error:
        read(spark, [str(bad_inputs)], Config.from_options(strict=True).read, tasks=3)
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
