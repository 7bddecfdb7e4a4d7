"""Hostile inputs (issue #26): symbolic link loops, cut and bloated
compressed files, odd line endings, broken records, a full disk and
duplicate ids. Every test checks that each input document is accounted
for: kept (unchanged, cleaned or emptied) or skipped with a reason."""

import gzip
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from dedupe.cli import main
from dedupe.io.readers import read_corpus


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="dedupe")


def accounted(report: dict) -> int:
    """Documents the report accounts for: kept in any state, or skipped."""
    s = report["summary"]
    kept = s["documents_unchanged"] + s["documents_cleaned"] + s["documents_emptied"]
    assert kept == s["documents_read"] == len(report["documents"])
    assert sum(s["documents_skipped"].values()) == len(report["skipped"])
    return kept + len(report["skipped"])


def clean(tmp_path, *inputs, options=()):
    """``dedupe clean`` into tmp_path/out; the result and its report."""
    report = tmp_path / "report.json"
    result = run("clean", *inputs, "-o", tmp_path / "out", "--report", report, "-q", *options)
    data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else None
    return result, data


# --- 1. symbolic link loops --------------------------------------------------------


@pytest.mark.parametrize("work", [False, True], ids=["default", "work-dir"])
def test_symlink_loop_is_skipped_and_the_rest_is_written(tmp_path, work):
    corpus = tmp_path / "L"
    corpus.mkdir()
    (corpus / "a").symlink_to("b")
    (corpus / "b").symlink_to("a")
    (corpus / "c.txt").symlink_to("c.txt")
    (corpus / "x.txt").write_text("hi\n", encoding="utf-8")

    result, data = clean(tmp_path, corpus, options=("--work-dir", tmp_path / "work") if work else ())

    assert result.exit_code == 1, result.output
    assert (tmp_path / "out" / "x.txt").read_text(encoding="utf-8") == "hi\n"
    assert [(s["source"], s["reason"]) for s in data["skipped"]] == [
        (str(corpus / n), "unreadable") for n in ("a", "b", "c.txt")
    ]
    assert all("symbolic link loop" in s["message"] for s in data["skipped"])
    assert accounted(data) == 4


# --- 2. a cut .warc.gz keeps every intact record -----------------------------------


def rid(n):
    return f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>"


def warc_bytes(n, words=30, gzip=True):
    """``n`` HTML responses (ids rid(1)..rid(n)), each its own gzip member when ``gzip``."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzip)
    for i in range(1, n + 1):
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        body = f"<p>page {i} {'word ' * words}</p>".encode()
        headers = {"WARC-Record-ID": rid(i), "WARC-Date": "2024-05-01T00:00:00Z"}
        writer.write_record(
            writer.create_warc_record(
                f"https://a.example/{i}", "response", payload=io.BytesIO(body), http_headers=http, warc_headers_dict=headers
            )
        )
    return out.getvalue()


@pytest.mark.parametrize("n, words", [(4, 5), (60, 300)])
@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_cut_warc_gz_keeps_every_record_before_the_cut(tmp_path, n, words, keep):
    whole = warc_bytes(n, words)
    last = len(whole) - len(warc_bytes(n - 1, words))
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(whole[: len(whole) - last + int(last * keep)])

    result, data = clean(tmp_path, path)

    assert result.exit_code == 1, result.output
    assert [d["id"] for d in data["documents"]] == [rid(i) for i in range(1, n)]
    assert [(s["line"], s["reason"]) for s in data["skipped"]] == [(n, "unreadable")]
    assert accounted(data) == n
    written = (tmp_path / "out" / "cut.warc.jsonl.gz").read_bytes()
    assert [json.loads(line)["id"] for line in gzip.decompress(written).splitlines()] == [rid(i) for i in range(1, n)]


# --- 3. a WARC cut inside a record's header ----------------------------------------


@pytest.mark.parametrize("compressed", [False, True], ids=["warc", "warc.gz"])
@pytest.mark.parametrize("n", [1, 3])
def test_warc_cut_anywhere_in_a_record_header_reports_that_record(tmp_path, compressed, n):
    whole = warc_bytes(n, gzip=False)
    start = len(warc_bytes(n - 1, gzip=False))
    header = whole.index(b"\r\n\r\n", start) + 4 - start  # the WARC header block of the last record
    path = tmp_path / ("cut.warc.gz" if compressed else "cut.warc")
    for cut in range(1, header + 40, 3):
        data = whole[start : start + cut]
        if compressed:  # the intact records as gzip members, then the last one's member cut short
            path.write_bytes(warc_bytes(n - 1) + gzip.compress(data, mtime=0)[:-10])
        else:
            path.write_bytes(whole[:start] + data)

        corpus = read_corpus([path])

        assert [d.id for d in corpus.documents] == [rid(i) for i in range(1, n)], cut
        assert [(e.reason, e.line) for e in corpus.skipped] == [("unreadable", n)], (cut, corpus.skipped)
        assert len(corpus.documents) + len(corpus.skipped) == n


def test_warc_cut_inside_a_header_is_in_the_report(tmp_path):
    whole = warc_bytes(3, gzip=False)
    start = len(warc_bytes(2, gzip=False))
    path = tmp_path / "cut.warc"
    path.write_bytes(whole[: whole.index(b"Content-Length", start)])

    result, data = clean(tmp_path, path)

    assert result.exit_code == 1, result.output
    assert [(s["line"], s["reason"]) for s in data["skipped"]] == [(3, "unreadable")]
    assert "header" in data["skipped"][0]["message"]
    assert accounted(data) == 3
