"""Tests for dedupe.io.jsonl: compressed JSONL, standard input, HTML records,
and a real cc_net file read and written back."""

import bz2
import gzip
import io
import json

import pytest
import zstandard

from dedupe.config import ReadConfig
from dedupe.io.files import discover, load_stdin
from dedupe.io.readers import Corpus, read_corpus, read_file
from dedupe.io.writers import write_corpus

RECORDS = [{"id": f"d{i}", "url": f"https://s.example/{i}", "text": f"body {i}\nsecond line", "extra": [i]} for i in range(5)]
RAW = b"".join(json.dumps(r).encode("utf-8") + b"\n" for r in RECORDS)
COMPRESSORS = {".gz": lambda b: gzip.compress(b, mtime=0), ".bz2": bz2.compress, ".zst": zstandard.compress}
DECOMPRESSORS = {".gz": gzip.decompress, ".bz2": bz2.decompress, ".zst": lambda b: zstandard.ZstdDecompressor().stream_reader(b).read()}


def upper(corpus):
    return {(d.source, d.line): d.text.upper() for d in corpus.documents}


@pytest.mark.parametrize("suffix", sorted(COMPRESSORS))
def test_compressed_jsonl_round_trip(tmp_path, suffix):
    path = tmp_path / f"part.jsonl{suffix}"
    path.write_bytes(COMPRESSORS[suffix](RAW))
    corpus = read_corpus([path])

    [out] = write_corpus(corpus.files, upper(corpus), tmp_path / "out")

    assert [d.id for d in corpus.documents] == [r["id"] for r in RECORDS]
    assert out.name == path.name
    written = [json.loads(line) for line in DECOMPRESSORS[suffix](out.read_bytes()).splitlines()]
    assert written == [{**r, "text": r["text"].upper()} for r in RECORDS]


def test_truncated_zstd_is_unreadable_after_the_lines_read(tmp_path):
    big = b"".join(json.dumps({"id": i, "text": f"doc {i} " + "x" * 200}).encode() + b"\n" for i in range(2000))
    data = zstandard.compress(big)
    path = tmp_path / "cut.jsonl.zst"
    path.write_bytes(data[: len(data) // 2])

    corpus = read_corpus([path])

    assert len(corpus.documents) < 2000
    assert [e.reason for e in corpus.skipped] == ["unreadable"]


def test_stdin_is_read_once_and_written_back(tmp_path):
    [f] = discover(["-"])
    f = load_stdin(f, io.BytesIO(gzip.compress(RAW, mtime=0)))
    corpus = Corpus(files=[f])
    for item in read_file(f, ReadConfig()):
        corpus.documents.append(item)

    [out] = write_corpus(corpus.files, upper(corpus), tmp_path / "out")

    assert [(d.id, d.source, d.line) for d in corpus.documents] == [(r["id"], "<stdin>", i) for i, r in enumerate(RECORDS, 1)]
    assert out == tmp_path / "out" / "stdin.jsonl"
    assert [json.loads(line)["text"] for line in out.read_text("utf-8").splitlines()] == [r["text"].upper() for r in RECORDS]


def test_read_corpus_reads_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(RAW + b"{broken\n")))

    corpus = read_corpus(["-"])

    assert [d.id for d in corpus.documents] == [r["id"] for r in RECORDS]
    assert [e.message.split(" (")[0] for e in corpus.skipped] == ["<stdin>:6: invalid JSON"]


def test_html_records_keep_their_html_and_get_the_cleaned_text(tmp_path):
    path = tmp_path / "pages.jsonl"
    page = "<html><body><nav>Menu</nav><p>Story.</p></body></html>"
    path.write_text(json.dumps({"id": "p", "html": page}) + "\n" + json.dumps({"id": "q", "text": "", "html": page}) + "\n")
    corpus = read_corpus([path])

    [out] = write_corpus(corpus.files, upper(corpus), tmp_path / "out")

    assert [d.text for d in corpus.documents] == ["Menu\n\nStory."] * 2
    assert [json.loads(line) for line in out.read_text("utf-8").splitlines()] == [
        {"id": "p", "html": page, "text": "MENU\n\nSTORY."},
        {"id": "q", "text": "MENU\n\nSTORY.", "html": page},
    ]


def test_output_field_keeps_the_original_text(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_bytes(RAW)
    config = ReadConfig(output_field="cleaned")
    corpus = read_corpus([path], config)

    [out] = write_corpus(corpus.files, upper(corpus), tmp_path / "out", config)

    assert [json.loads(line) for line in out.read_text("utf-8").splitlines()] == [
        {**r, "cleaned": r["text"].upper()} for r in RECORDS
    ]


def test_real_cc_net_file_round_trips(tmp_path, formats_dir):
    path = formats_dir / "ccnet_sample.jsonl.gz"
    records = [json.loads(line) for line in gzip.open(path, "rt", encoding="utf-8")]
    corpus = read_corpus([path])

    [out] = write_corpus(corpus.files, {(d.source, d.line): d.text for d in corpus.documents}, tmp_path / "out")

    assert corpus.skipped == []
    assert [d.id for d in corpus.documents] == [r["id"] for r in records]
    assert [d.url for d in corpus.documents] == [None] * len(records)  # cc_net keeps the URL in "id"
    assert [json.loads(line) for line in gzip.decompress(out.read_bytes()).splitlines()] == records
