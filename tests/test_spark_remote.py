"""``--backend spark`` on an object store: a corpus read from ``s3://`` and
the cleaned corpus written back there, the same bytes as the local
backend's, against a real S3 API on 127.0.0.1 (moto's server, the
fixtures of tests/test_remote.py: no network). The executors open the
objects through fsspec, as the local run does: no Hadoop connector.

Every run here joins the one local Spark session of the ``spark`` fixture.
"""

import json

import pytest

pytest.importorskip("pyspark")
pytest.importorskip("s3fs", reason="the cloud extra is not installed: pip install -e '.[cloud]'")
pytest.importorskip("moto.server", reason="moto's server is not installed: pip install -e '.[cloud]'")

import shutil  # noqa: E402

import test_remote  # noqa: E402
from conftest import generated_corpus  # noqa: E402
from test_remote import _files  # noqa: E402

import dedupe  # noqa: E402

# tests/test_remote.py's fixtures: the moto server, the bucket, the small crawl.
endpoint, s3, crawl = test_remote.endpoint, test_remote.s3, test_remote.crawl


def test_s3_in_and_out_gives_the_local_backends_bytes(spark, s3, crawl, tmp_path):
    corpus = tmp_path / "crawl"
    shutil.copytree(crawl, corpus)
    generated_corpus(corpus / "generated", 400, 150, seed=5)  # templates and syndication across three files
    s3.put(str(corpus), "bucket/crawl", recursive=True)
    out = {}
    for backend in ("local", "spark"):
        result = dedupe.clean(
            ["s3://bucket/crawl/"], f"s3://bucket/{backend}/", report=f"s3://bucket/reports/{backend}.json",
            backend=backend, block_model="none",  # the paths are the test; the model on Spark: test_spark_backend
        )
        assert all(isinstance(w, str) and w.startswith(f"s3://bucket/{backend}/") for w in result.written)
        out[backend] = (_files(s3, f"s3://bucket/{backend}/"), s3.cat_file(f"bucket/reports/{backend}.json"))
    (local, local_report), (on_spark, spark_report) = out["local"], out["spark"]
    assert on_spark == local
    assert {"three_sites.jsonl", "shards/three.jsonl.gz", "shards/two_sites.parquet"} <= set(local)
    assert sum(name.startswith("generated/") for name in local) == 3
    assert spark_report == local_report
    summary = json.loads(local_report)["summary"]
    assert summary["templates"] > 5 and summary["syndication_clusters"] > 3


def test_a_local_corpus_cleaned_to_s3_and_an_s3_corpus_cleaned_to_a_folder(spark, s3, crawl, tmp_path):
    s3.put(str(crawl), "bucket/crawl", recursive=True)
    dedupe.clean([crawl], tmp_path / "local", backend="local", block_model="none")
    dedupe.clean([crawl], "s3://bucket/to-s3/", backend="spark", block_model="none")
    dedupe.clean(["s3://bucket/crawl/"], tmp_path / "from-s3", backend="spark", block_model="none")
    want = {p.relative_to(tmp_path / "local").as_posix(): p.read_bytes() for p in (tmp_path / "local").rglob("*") if p.is_file()}
    got = {p.relative_to(tmp_path / "from-s3").as_posix(): p.read_bytes() for p in (tmp_path / "from-s3").rglob("*") if p.is_file()}
    assert _files(s3, "s3://bucket/to-s3/") == want and got == want and len(want) > 5
