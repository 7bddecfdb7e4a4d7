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


# --- records as people store them: dotted fields, fields kept or dropped -----------------


def _nest(record):
    """A record as cc_net and Dolma keep it: the URL under metadata."""
    record = dict(record)
    return {**{k: v for k, v in record.items() if k != "url"}, "metadata": {"url": record.get("url"), "source": "cc"}}


def _without_field_names(report):
    """The report, less what names the field or the folder it was read from."""
    report = dict(report)
    for key in ("inputs", "config", "dedupe_version"):
        report.pop(key)
    report["documents"] = [{k: v for k, v in d.items() if k != "source"} for d in report["documents"]]
    return report


def test_a_nested_url_field_gives_the_templates_a_top_level_one_does(tmp_path):
    import dedupe
    from conftest import generated_corpus

    flat = generated_corpus(tmp_path / "flat", 120, 60, seed=3)
    nested = tmp_path / "nested"
    nested.mkdir()
    for shard in sorted(flat.glob("*.jsonl")):
        lines = [json.loads(line) for line in shard.read_text("utf-8").splitlines()]
        assert all(r.get("url") for r in lines)  # the URLs the nested corpus must not lose
        (nested / shard.name).write_text("".join(json.dumps(_nest(r)) + "\n" for r in lines), "utf-8")

    a = dedupe.clean([flat], tmp_path / "out-flat", checkpoint=False)
    b = dedupe.clean([nested], tmp_path / "out-nested", checkpoint=False, url_field="metadata.url")
    lost = dedupe.clean([nested], tmp_path / "out-lost", checkpoint=False)  # the URL not found: no site evidence

    assert a.report.data["boilerplate"] and a.report.data["boilerplate"] == b.report.data["boilerplate"]
    assert _without_field_names(a.report.data) == _without_field_names(b.report.data)
    assert all(d["url"] is None for d in lost.report.data["documents"])
    assert [d.url for d in b.corpus.documents] == [d.url for d in a.corpus.documents]
    for shard in sorted(nested.glob("*.jsonl")):  # written back nested, as read
        out = [json.loads(line) for line in (tmp_path / "out-nested" / shard.name).read_text("utf-8").splitlines()]
        assert all(set(r) == {"id", "text", "metadata"} and r["metadata"]["source"] == "cc" for r in out)


def test_a_nested_text_field_is_read_and_cleaned_in_place(tmp_path):
    path = tmp_path / "c.jsonl"
    records = [{"doc": {"id": f"n{i}", "body": f"text {i}"}, "keep": i} for i in range(3)]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    config = ReadConfig(id_field="doc.id", text_field="doc.body")
    corpus = read_corpus([path], config)

    [out] = write_corpus(corpus.files, upper(corpus), tmp_path / "out", config)

    assert [d.id for d in corpus.documents] == ["n0", "n1", "n2"]
    written = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert written == [{"doc": {"id": f"n{i}", "body": f"TEXT {i}"}, "keep": i} for i in range(3)]


PAGES = [{"id": f"p{i}", "url": f"https://s.example/{i}", "html": "<p>" + "x" * 100 + "</p>", "text": f"page {i}",
          "meta": {"lang": "en", "raw": "r" * 50}} for i in range(3)]


def _clean_with(tmp_path, **options):
    path = tmp_path / "pages.jsonl"
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in PAGES))
    config = ReadConfig(**options)
    corpus = read_corpus([path], config)
    [out] = write_corpus(corpus.files, {(d.source, d.line): d.text for d in corpus.documents}, tmp_path / "out", config)
    return out, [json.loads(line) for line in out.read_text("utf-8").splitlines()]


def test_drop_fields_leaves_out_the_html_and_a_nested_field(tmp_path):
    _, written = _clean_with(tmp_path, drop_fields="html,meta.raw,text,id")
    assert written == [{"id": r["id"], "url": r["url"], "text": r["text"], "meta": {"lang": "en"}} for r in PAGES]


def test_keep_fields_keeps_only_those_and_the_text_and_id(tmp_path):
    _, written = _clean_with(tmp_path, keep_fields="url,meta.lang")
    assert written == [{"id": r["id"], "url": r["url"], "text": r["text"], "meta": {"lang": "en"}} for r in PAGES]


def test_keep_fields_keeps_the_output_field_too(tmp_path):
    _, written = _clean_with(tmp_path, keep_fields="url", output_field="cleaned")
    assert written == [{"id": r["id"], "url": r["url"], "text": r["text"], "cleaned": r["text"]} for r in PAGES]


def test_keep_fields_that_keep_everything_write_the_records_byte_for_byte(tmp_path):
    out, _ = _clean_with(tmp_path, keep_fields="id,url,html,text,meta")
    assert out.read_bytes() == (tmp_path / "pages.jsonl").read_bytes()
