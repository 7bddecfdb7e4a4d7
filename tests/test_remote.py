"""Tests for dedupe.io.remote: a corpus read from an object store and the
cleaned corpus written back to it, against a real S3 API on 127.0.0.1
(moto's server, started here: no network), and memory:// for the rest.

``make test`` installs the ``cloud`` extra (fsspec, s3fs, moto's server);
without it these tests are skipped, saying so.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("s3fs", reason="the cloud extra is not installed: pip install -e '.[cloud]'")
moto_server = pytest.importorskip("moto.server", reason="moto's server is not installed: pip install -e '.[cloud]'")

import fsspec  # noqa: E402
import s3fs  # noqa: E402

import dedupe  # noqa: E402
from dedupe.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint():
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(endpoint, monkeypatch):
    """An S3 file system on the local endpoint, with a fresh ``bucket``; the
    environment a user sets for an S3-compatible store."""
    for name, value in {**CREDENTIALS, "AWS_ENDPOINT_URL": endpoint}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")  # nothing of this machine's own
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    s3fs.S3FileSystem.clear_instance_cache()
    fs = fsspec.filesystem("s3")
    if fs.exists("bucket"):
        fs.rm("bucket", recursive=True)
    fs.mkdir("bucket")
    yield fs
    s3fs.S3FileSystem.clear_instance_cache()


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    """A small corpus of every kind of record file: the seeds (text), JSONL
    with templates and a syndicated story, gzipped JSONL, and Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path_factory.mktemp("crawl") / "crawl"
    shutil.copytree(ROOT / "seeds", folder / "seeds")
    shutil.copy(ROOT / "tests" / "data" / "three_sites.jsonl", folder / "three_sites.jsonl")
    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / "two_sites.jsonl").read_text("utf-8").splitlines()]
    (folder / "shards").mkdir()
    pq.write_table(pa.Table.from_pylist(rows), folder / "shards" / "two_sites.parquet")
    subprocess.run(["gzip", "-nk", str(folder / "three_sites.jsonl")], check=True)
    os.replace(folder / "three_sites.jsonl.gz", folder / "shards" / "three.jsonl.gz")
    return folder


def _files(fs, url: str) -> dict[str, bytes]:
    root = url.split("://", 1)[1].rstrip("/")
    return {p[len(root) + 1 :]: fs.cat_file(p) for p in fs.find(root)}


def _local(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _named_apart(report: dict) -> dict:
    """The report less what names the inputs (a path here, a URL there)."""
    report = {k: v for k, v in report.items() if k not in ("inputs", "dedupe_version")}
    report["documents"] = [{k: v for k, v in d.items() if k != "source"} for d in report["documents"]]
    report["skipped"] = [{k: v for k, v in d.items() if k not in ("source", "message")} for d in report["skipped"]]
    return report


def test_clean_from_s3_to_s3_gives_the_bytes_of_the_local_run(s3, crawl, tmp_path):
    s3.put(str(crawl), "bucket/crawl", recursive=True)
    local = CliRunner().invoke(main, ["clean", str(crawl), "-o", str(tmp_path / "clean"), "--report", str(tmp_path / "local.json"), "-q"])
    remote = CliRunner().invoke(
        main, ["clean", "s3://bucket/crawl/", "-o", "s3://bucket/clean/", "--report", "s3://bucket/reports/remote.json",
               "--html", str(tmp_path / "remote.html"), "-q"],
    )
    assert local.exit_code == remote.exit_code == 0, (local.output, remote.output)

    written = _files(s3, "s3://bucket/clean/")
    assert written == _local(tmp_path / "clean")
    assert {"seeds/001_ea77cd63d6422dfc.txt", "three_sites.jsonl", "shards/three.jsonl.gz", "shards/two_sites.parquet"} <= set(written)
    # Put once whole: no temporary object, no probe, under the output or beside it.
    assert sorted(s3.find("bucket/clean")) == sorted(f"bucket/clean/{name}" for name in written)
    assert sorted(s3.find("bucket/reports")) == ["bucket/reports/remote.json"]

    local_report = json.loads((tmp_path / "local.json").read_text("utf-8"))
    remote_report = json.loads(s3.cat_file("bucket/reports/remote.json"))
    assert remote_report["inputs"] == ["s3://bucket/crawl/"]
    assert remote_report["documents"][0]["source"].startswith("s3://bucket/crawl/")
    assert _named_apart(remote_report) == _named_apart(local_report)
    assert (tmp_path / "remote.html").stat().st_size > 0


def test_report_of_a_single_object(s3, crawl):
    s3.put_file(str(crawl / "three_sites.jsonl"), "bucket/one/three_sites.jsonl")
    result = dedupe.scan(["s3://bucket/one/three_sites.jsonl"])
    assert result.report.data["summary"]["documents_read"] == 9
    assert result.report.data["summary"]["syndication_clusters"] == 1
    assert {d.source for d in result.corpus.documents} == {"s3://bucket/one/three_sites.jsonl"}


def test_an_output_inside_the_input_prefix_is_refused(s3, crawl):
    s3.put_file(str(crawl / "three_sites.jsonl"), "bucket/crawl/three_sites.jsonl")
    result = CliRunner().invoke(main, ["clean", "s3://bucket/crawl/", "-o", "s3://bucket/crawl/out/", "-q"])
    assert result.exit_code == 2
    assert "must not be the input s3://bucket/crawl/ or inside it" in result.output
    assert s3.find("bucket/crawl") == ["bucket/crawl/three_sites.jsonl"]


def test_a_missing_bucket_is_a_clear_error(s3, tmp_path):
    result = CliRunner().invoke(main, ["clean", "s3://no-such-bucket/crawl/", "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 2
    assert "s3://no-such-bucket/crawl/: no such file or folder" in result.output
    assert "Traceback" not in result.output


def test_an_output_to_a_missing_bucket_is_refused_before_the_run(s3, crawl, tmp_path):
    result = CliRunner().invoke(main, ["clean", str(crawl / "seeds"), "-o", "s3://no-such-bucket/clean/", "-q"])
    assert result.exit_code == 2
    assert "s3://no-such-bucket/clean/: cannot write the output there" in result.output
    assert "Traceback" not in result.output


def test_missing_credentials_are_a_clear_error(s3, crawl, monkeypatch):
    s3.put_file(str(crawl / "three_sites.jsonl"), "bucket/crawl/three_sites.jsonl")
    for name in CREDENTIALS:
        monkeypatch.delenv(name)
    s3fs.S3FileSystem.clear_instance_cache()
    result = CliRunner().invoke(main, ["report", "s3://bucket/crawl/", "-q"])
    assert result.exit_code == 2
    assert "s3://bucket/crawl/: cannot list it: no credentials found (set AWS_ACCESS_KEY_ID" in result.output
    assert "Traceback" not in result.output


def test_memory_file_system_round_trip(crawl):
    fs = fsspec.filesystem("memory")
    fs.put(str(crawl / "seeds"), "/corpus/seeds", recursive=True)
    fs.pipe_file("/corpus/seeds/.hidden.txt", b"a hidden file is no corpus file")
    result = dedupe.clean(["memory://corpus/seeds"], "memory://cleaned/", report="memory://cleaned-report.json")
    local = dedupe.clean([crawl / "seeds"], crawl.parent / "seeds-out", checkpoint=False)
    assert result.written == [f"memory://cleaned/{p.name}" for p in local.written]
    for path in local.written:
        assert fs.cat_file(f"/cleaned/{path.name}") == path.read_bytes()
    assert json.loads(fs.cat_file("/cleaned-report.json"))["summary"] == local.report.data["summary"]
    reported = CliRunner().invoke(main, ["report", "memory://corpus/seeds", "--report", "memory://reports/r.json", "-q"])
    assert reported.exit_code == 0, reported.output
    assert json.loads(fs.cat_file("/reports/r.json"))["summary"] == local.report.data["summary"]
    fs.rm("/reports", recursive=True)
    fs.rm("/corpus", recursive=True)
    fs.rm("/cleaned", recursive=True)


def test_a_local_run_does_not_need_fsspec(tmp_path):
    # As if fsspec and s3fs were not installed: importing them fails.
    code = (
        "import sys; sys.modules.update(fsspec=None, s3fs=None); import dedupe; "
        "r = dedupe.clean([sys.argv[1]], sys.argv[2], checkpoint=False); print(len(r.written))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "seeds"), str(tmp_path / "out")],
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["5"]
    assert _local(tmp_path / "out") == _local(ROOT / "tests" / "golden" / "seeds")


def test_without_fsspec_a_url_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "fsspec", None)  # as if not installed: its import fails
    from dedupe.io.remote import RemoteError, list_files

    with pytest.raises(RemoteError, match=r"s3://b/c: reading and writing URLs needs fsspec: pip install 'crawl-dedupe\[cloud\]'"):
        list_files("s3://b/c")


def test_a_file_over_http_is_read_and_a_missing_one_is_a_usage_error(crawl):
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(crawl))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        result = dedupe.scan([f"{base}/three_sites.jsonl"])
        assert result.report.data["summary"]["documents_read"] == 9
        assert result.report.data["documents"][0]["source"] == f"{base}/three_sites.jsonl"
        missing = CliRunner().invoke(main, ["report", f"{base}/nope.jsonl", "-q"])
        assert missing.exit_code == 2 and f"{base}/nope.jsonl: no such file or folder" in missing.output
    finally:
        server.shutdown()
        server.server_close()


def test_memory_urls_are_refused_on_the_spark_backend_before_any_work(tmp_path):
    # (Other URLs are read and written on Spark: tests/test_spark_remote.py.)
    with pytest.raises(dedupe.UsageError, match=r"memory://nowhere/: memory:// is this process's own file system"):
        dedupe.scan(["memory://nowhere/"], backend="spark")


def test_a_rerun_on_unchanged_objects_reuses_the_kept_stages_and_a_changed_one_reads_again(s3, crawl, tmp_path):
    from conftest import Told

    s3.put_file(str(crawl / "three_sites.jsonl"), "bucket/crawl/three_sites.jsonl")
    work = tmp_path / "work"
    first = dedupe.scan(["s3://bucket/crawl/"], work_dir=work, progress=Told())
    told = Told()
    again = dedupe.scan(["s3://bucket/crawl/"], work_dir=work, progress=told)
    assert "read" in told.reused and again.report.data["summary"] == first.report.data["summary"]

    lines = (crawl / "three_sites.jsonl").read_bytes().splitlines(keepends=True)
    s3.pipe_file("bucket/crawl/three_sites.jsonl", b"".join(lines[:-1]))  # one page fewer: a new ETag
    told = Told()
    changed = dedupe.scan(["s3://bucket/crawl/"], work_dir=work, progress=told)
    assert "read" in told.computed and changed.report.data["summary"]["documents_read"] == 8
