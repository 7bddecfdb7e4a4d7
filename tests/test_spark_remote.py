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
    """The local backend from S3 to S3 is the reference; on Spark, the S3
    corpus cleaned to S3 (its report too): the same cleaned files and the
    same report. (A Spark run costs a minute here whatever its size: one
    run both reads and writes the object store.)"""
    corpus = tmp_path / "crawl"
    shutil.copytree(crawl, corpus)
    generated_corpus(corpus / "generated", 400, 150, seed=5)  # templates and syndication across three files
    s3.put(str(corpus), "bucket/crawl", recursive=True)
    rule = {"block_model": "none"}  # the paths are the test; the model on Spark: test_spark_backend
    result = dedupe.clean(["s3://bucket/crawl/"], "s3://bucket/local/", report="s3://bucket/reports/local.json",
                          backend="local", **rule)
    assert all(isinstance(w, str) and w.startswith("s3://bucket/local/") for w in result.written)
    local = _files(s3, "s3://bucket/local/")
    assert {"three_sites.jsonl", "shards/three.jsonl.gz", "shards/two_sites.parquet"} <= set(local)
    assert sum(name.startswith("generated/") for name in local) == 3

    on_spark = dedupe.clean(["s3://bucket/crawl/"], "s3://bucket/spark/", report="s3://bucket/reports/spark.json",
                            backend="spark", **rule)
    assert all(isinstance(w, str) and w.startswith("s3://bucket/spark/") for w in on_spark.written)
    assert _files(s3, "s3://bucket/spark/") == local
    report = s3.cat_file("bucket/reports/local.json")
    assert s3.cat_file("bucket/reports/spark.json") == report
    summary = json.loads(report)["summary"]
    assert summary["templates"] > 5 and summary["syndication_clusters"] > 3
