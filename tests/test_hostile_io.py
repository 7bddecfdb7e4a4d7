"""Hostile inputs (issue #26): symbolic link loops, cut and bloated
compressed files, odd line endings, broken records, a full disk and
duplicate ids. Every test checks that each input document is accounted
for: kept (unchanged, cleaned or emptied) or skipped with a reason."""

import csv
import gzip
import io
import json
import subprocess
import tracemalloc
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from dedupe.cli import main
from dedupe.config import ReadConfig
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


# --- 4. bounds on decompressed size ---------------------------------------------------

LIMITS = "max-document-bytes = 2000\nmax-file-bytes = 20000\n"


def limited(tmp_path):
    path = tmp_path / "limits.toml"
    path.write_text(LIMITS, encoding="utf-8")
    return ("--config", path)


def zero_bomb(path, megabytes):
    """``megabytes`` MB of zero bytes, gzipped a megabyte at a time (about 1 KB a MB)."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    with open(path, "wb") as out:
        for _ in range(megabytes):
            out.write(squeeze.compress(bytes(1 << 20)))
        out.write(squeeze.flush())
    return path


def test_a_compression_bomb_is_skipped_while_it_streams(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    zero_bomb(corpus / "bomb.txt.gz", 64)
    zero_bomb(corpus / "bomb.jsonl.gz", 64)  # one endless line
    (corpus / "page.txt").write_text("a page of text\n", encoding="utf-8")

    tracemalloc.start()
    try:
        got = read_corpus([corpus], ReadConfig(max_document_bytes=2000, max_file_bytes=20000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert peak < 8 << 20  # 64 MB each, never loaded
    assert [d.id for d in got.documents] == ["page.txt"]
    assert [(e.reason, e.path, e.line) for e in got.skipped] == [
        ("too_large", str(corpus / "bomb.jsonl.gz"), 1),
        ("too_large", str(corpus / "bomb.txt.gz"), None),
    ]
    assert "--max-document-bytes" in got.skipped[1].message
    assert len(got.documents) + len(got.skipped) == 3


def test_documents_past_the_bound_are_skipped_in_every_format(tmp_path):
    big, small = "word " * 500, "a short page of a few words"  # 2500 and 27 bytes
    corpus = tmp_path / "in"
    corpus.mkdir()
    lines = [json.dumps({"id": f"j{i}", "text": t}) for i, t in enumerate([small, big, small])]
    (corpus / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open(corpus / "b.csv", "w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([["id", "text"], ["c0", small], ["c1", big], ["c2", small]])
    pq.write_table(pa.table({"id": ["p0", "p1", "p2"], "text": [small, big, small]}), corpus / "c.parquet")
    (corpus / "d.warc.gz").write_bytes(warc_bytes(1) + warc_bytes(1, words=500) + warc_bytes(1))
    (corpus / "e.txt").write_text(big, encoding="utf-8")

    result, data = clean(tmp_path, corpus, options=limited(tmp_path))

    assert result.exit_code == 1, result.output
    assert [(Path(s["source"]).name, s["line"], s["reason"]) for s in data["skipped"]] == [
        ("a.jsonl", 2, "too_large"),
        ("b.csv", 2, "too_large"),  # the csv module cannot go on past a field over its limit
        ("c.parquet", 2, "too_large"),
        ("d.warc.gz", 2, "too_large"),
        ("e.txt", None, "too_large"),
    ]
    assert data["summary"]["documents_skipped"]["too_large"] == 5
    assert data["config"]["max_document_bytes"] == 2000
    assert accounted(data) == 3 + 2 + 3 + 3 + 1  # the csv's third row is unread, under b.csv:2's entry
    assert len(data["documents"]) == 2 + 1 + 2 + 2


def test_a_file_past_its_bound_keeps_what_came_before(tmp_path):
    lines = [json.dumps({"id": f"j{i}", "text": f"page {i} " + "word " * 100}) for i in range(100)]  # 520 bytes each
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))

    got = read_corpus([path], ReadConfig(max_document_bytes=2000, max_file_bytes=20000))

    n = len(got.documents)
    assert 30 <= n <= 40
    assert [d.id for d in got.documents] == [f"j{i}" for i in range(n)]
    assert [(e.reason, e.line) for e in got.skipped] == [("too_large", n + 1)]
    assert "--max-file-bytes" in got.skipped[0].message


# --- 5a. JSONL with lone-CR line endings -----------------------------------------------


def test_lone_cr_ends_a_jsonl_line(tmp_path):
    records = [json.dumps({"id": f"r{i}", "text": f"page {i} of an old Mac export"}) for i in range(4)]
    path = tmp_path / "mac.jsonl"
    path.write_bytes(("\r".join(records[:2]) + "\r\r" + "\r".join(records[2:]) + "\r").encode())

    result, data = clean(tmp_path, path)

    assert result.exit_code == 0, result.output
    assert [(d["id"], d["line"]) for d in data["documents"]] == [("r0", 1), ("r1", 2), ("r2", 4), ("r3", 5)]
    assert accounted(data) == 4


def test_lines_are_split_the_same_across_read_boundaries(tmp_path):
    # The first CRLF straddles the first 64 KiB read; then CRLFs, lone CRs and LFs at every offset.
    first = json.dumps({"id": "r0", "text": "x" * (65535 - 24)})
    assert len(first) == 65535
    records = [first] + [json.dumps({"id": f"r{i}", "text": "x" * (1 + i * 37 % 700)}) for i in range(1, 400)]
    ends = ["\r\n", "\r", "\n"]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes("".join(r + ends[i % 3] for i, r in enumerate(records)).encode())

    got = read_corpus([path])

    assert [(d.id, d.line) for d in got.documents] == [(f"r{i}", i + 1) for i in range(400)]
    assert got.skipped == []
    assert len(got.documents) + len(got.skipped) == 400


# --- 5b. unchanged JSONL records are written byte for byte ---------------------------

HEADER, FOOTER = "Site Menu Home About Contact", "Copyright 2024 Example Site"


def test_unchanged_crlf_records_are_written_byte_identical(tmp_path):
    bodies = [
        "The river flooded the lower town after three days of rain. Residents moved to higher ground overnight.",
        "A new bakery opened on Elm Street this week. Its owner trained in Lyon for six years.",
        "The council voted to extend library hours on weekends. The change starts next month.",
        "Local runners finished the marathon in record numbers despite the heat.",
    ]
    records = [{"id": f"p{i}", "text": f"{HEADER}\n{b}\n{FOOTER}\n"} for i, b in enumerate(bodies)]
    records.append({"id": "plain", "text": "Caf\u00e9 notes: a page alone, with nothing another page repeats."})
    lines = [json.dumps(r).encode() + b"\r\n" for r in records]  # \u00e9 escaped, as json.dumps writes it
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "crlf.jsonl"
    path.write_bytes(b"".join(lines))

    result, data = clean(tmp_path, path)

    assert result.exit_code == 0, result.output
    assert [(d["id"], d["status"]) for d in data["documents"]] == [*((f"p{i}", "cleaned") for i in range(4)), ("plain", "unchanged")]
    out = (tmp_path / "out" / "crlf.jsonl").read_bytes()
    assert out.endswith(lines[-1])  # byte for byte, its CRLF too
    written = out.split(b"\r\n")[:-1]
    assert [json.loads(l)["text"] for l in written[:4]] == [f"{b}\n" for b in bodies]
    assert len(written) == 5
    assert accounted(data) == 5


# --- 5c. a Parquet file without the text column ------------------------------------


def test_parquet_without_the_text_column_accounts_for_every_row(tmp_path):
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"id": ["a", "b", "c"], "body": ["x", "y", "z"]}), path)

    result, data = clean(tmp_path, path)

    assert result.exit_code == 1, result.output
    assert [(s["line"], s["reason"]) for s in data["skipped"]] == [(1, "invalid_record"), (2, "invalid_record"), (3, "invalid_record")]
    assert "no 'text' or 'html' column" in data["skipped"][0]["message"]
    assert data["summary"]["documents_skipped"]["invalid_record"] == 3
    assert accounted(data) == 3


# --- 5d. an unterminated JSON string ---------------------------------------------------


def test_a_cut_jsonl_line_is_reported_as_an_unterminated_string(tmp_path):
    good = json.dumps({"id": "a", "text": "a whole record"})
    path = tmp_path / "cut.jsonl"
    path.write_bytes(f'{good}\n{{"id": "b", "text": "a record cut sho\n{good}\r\n'.encode())

    got = read_corpus([path])

    assert [d.line for d in got.documents] == [1, 3]
    assert [(e.reason, e.line) for e in got.skipped] == [("invalid_json", 2)]
    assert "Unterminated string starting at column 21" in got.skipped[0].message
    assert "control character" not in got.skipped[0].message
    assert len(got.documents) + len(got.skipped) == 3


# --- 5e. a full disk names the output -------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 64 KiB file system (tmpfs), where a write fails with ENOSPC.
    Mounting one needs root (or CAP_SYS_ADMIN); without it the test is skipped."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=False, capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {made.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_disk_full_names_the_output_path(tmp_path, tiny_disk):
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "small.txt").write_text("a small page\n", encoding="utf-8")
    text = " ".join(f"w{i}" for i in range(40_000))  # 250 KB, four times the disk
    (corpus / "big.txt").write_text(text, encoding="utf-8")
    out = tiny_disk / "out"

    result = run("clean", corpus, "-o", out, "-q", "--no-checkpoint")

    assert result.exit_code == 3, result.output
    assert f"{out / 'big.txt'}" in result.stderr
    assert "No space left on device" in result.stderr
    assert not any(p.name.endswith(".tmp") for p in out.rglob("*"))  # nothing half-written left behind


# --- 5f. duplicate ids ------------------------------------------------------------------


def test_duplicate_ids_warn_once_and_every_document_is_kept(tmp_path):
    texts = ["The river flooded the lower town.", "A new bakery opened on Elm Street.", "The council voted on library hours."]
    path = tmp_path / "dup.jsonl"
    path.write_text("".join(json.dumps({"key": k, "text": t}) + "\n" for k, t in zip(["x", "y", "x"], texts)), encoding="utf-8")
    report = tmp_path / "report.json"

    result = run("clean", path, "-o", tmp_path / "out", "--report", report, "--id-field", "key")

    assert result.exit_code == 0, result.output
    warned = [l for l in result.stderr.splitlines() if l.startswith("warning:")]
    assert len(warned) == 1
    assert "2 documents share 1 id(s)" in warned[0] and "'x'" in warned[0] and f"{path}:1 and {path}:3" in warned[0]
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["summary"]["duplicate_ids"] == 2
    assert [(d["id"], d["source"], d["line"]) for d in data["documents"]] == [("x", str(path), 1), ("y", str(path), 2), ("x", str(path), 3)]
    assert accounted(data) == 3
    written = (tmp_path / "out" / "dup.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(l)["text"] for l in written] == texts
