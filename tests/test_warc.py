"""Tests for dedupe.io.warc: WARC responses and WET conversions in, JSONL out;
on small WARCs made here and on the real crawl files of the benchmark data."""

import gzip
import io
import json

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from dedupe.io.readers import read_corpus
from dedupe.config import ReadConfig
from dedupe.io.writers import write_corpus

PAGE = "<html><body><nav>Home | News</nav><p>Flood barriers approved.</p><script>x()</script></body></html>"


def rid(n):
    return f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>"


def make_warc(path, records, compress=True):
    """``records``: (type, uri, content type or None, body bytes); ids are rid(1), rid(2), ..."""
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=compress)
        for n, (rec_type, uri, ctype, body) in enumerate(records, start=1):
            headers = {"WARC-Record-ID": rid(n), "WARC-Date": "2024-05-01T00:00:00Z"}
            if rec_type == "response":
                http = StatusAndHeaders("200 OK", [("Content-Type", ctype)] if ctype else [], protocol="HTTP/1.1")
                rec = writer.create_warc_record(uri, rec_type, payload=io.BytesIO(body), http_headers=http, warc_headers_dict=headers)
            else:
                rec = writer.create_warc_record(
                    uri, rec_type, payload=io.BytesIO(body), warc_content_type=ctype, warc_headers_dict=headers
                )
            writer.write_record(rec)
    return path


CRAWL = [
    ("warcinfo", "", "application/warc-fields", b"software: test\r\n"),
    ("request", "https://a.example/1", "application/http; msgtype=request", b"GET /1 HTTP/1.1\r\n\r\n"),
    ("response", "https://a.example/1", "text/html; charset=utf-8", PAGE.encode("utf-8")),
    ("response", "https://a.example/logo.png", "image/png", b"\x89PNG\r\n\x1a\n"),
    ("response", "https://a.example/2", "text/html; charset=windows-1252", "<p>caf\u00e9 \u2014 cr\u00e8me</p>".encode("cp1252")),
    ("response", "https://a.example/robots.txt", "text/plain", b"User-agent: *\nDisallow:\n"),
    ("response", "https://a.example/3", "text/html", b""),
    ("response", "https://a.example/4", "text/html", b"<p>caf\xe9</p>"),
    ("metadata", "https://a.example/1", "application/warc-fields", b"via: x\r\n"),
]


def test_responses_become_documents_and_the_rest_is_accounted_for(tmp_path):
    path = make_warc(tmp_path / "crawl.warc.gz", CRAWL)

    corpus = read_corpus([path])

    assert [(d.id, d.line, d.url) for d in corpus.documents] == [
        (rid(3), 3, "https://a.example/1"),
        (rid(5), 5, "https://a.example/2"),
        (rid(6), 6, "https://a.example/robots.txt"),
    ]
    html_doc, latin, robots = corpus.documents
    assert html_doc.text == "Home | News\n\nFlood barriers approved."
    assert html_doc.tag_paths == ("html>body>nav", "html>body>p")
    assert latin.text == "caf\u00e9 \u2014 cr\u00e8me"
    assert robots.text == "User-agent: *\nDisallow:\n" and robots.tag_paths is None
    # warcinfo, request and metadata records are not documents; these responses are skipped, with their record.
    assert [(e.reason, e.line) for e in corpus.skipped] == [("unsupported_record", 4), ("empty", 7), ("invalid_utf8", 8)]
    assert corpus.skipped[0].message == f"{path}:4: not an HTML or text page (response of type image/png)"


def test_wet_conversion_records_are_text_documents(tmp_path):
    path = make_warc(
        tmp_path / "crawl.warc.wet.gz",
        [
            ("warcinfo", "", "application/warc-fields", b"software: test\r\n"),
            ("conversion", "https://a.example/1", "text/plain", "Title\nFirst line \u00e9\n".encode("utf-8")),
            ("conversion", "https://a.example/2", "text/plain", b"  \n"),
        ],
    )

    corpus = read_corpus([path])

    assert [(d.id, d.line, d.url, d.text) for d in corpus.documents] == [(rid(2), 2, "https://a.example/1", "Title\nFirst line \u00e9\n")]
    assert [(e.reason, e.line) for e in corpus.skipped] == [("empty", 3)]


def test_uncompressed_warc_is_read(tmp_path):
    path = make_warc(tmp_path / "crawl.warc", CRAWL[:3], compress=False)

    assert [d.id for d in read_corpus([path]).documents] == [rid(3)]


def test_truncated_warc_keeps_the_records_before_the_break(tmp_path):
    records = [("response", f"https://a.example/{i}", "text/html", f"<p>page {i} {'word ' * 300}</p>".encode()) for i in range(40)]
    whole = make_warc(tmp_path / "whole.warc", records, compress=False).read_bytes()
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(gzip.compress(whole, mtime=0)[: len(gzip.compress(whole, mtime=0)) // 2])

    corpus = read_corpus([path])

    n = len(corpus.documents)
    assert 0 < n < 40
    assert [d.id for d in corpus.documents] == [rid(i) for i in range(1, n + 1)]
    assert [(e.reason, e.line) for e in corpus.skipped] == [("unreadable", n + 1)]


def test_warc_is_written_as_jsonl(tmp_path):
    (tmp_path / "in").mkdir()
    path = make_warc(tmp_path / "in" / "crawl.warc.gz", CRAWL)
    corpus = read_corpus([path])
    cleaned = {(d.source, d.line): d.text.upper() for d in corpus.documents}

    [out] = write_corpus(corpus.files, cleaned, tmp_path / "out")

    assert out == tmp_path / "out" / "crawl.warc.jsonl.gz"
    records = [json.loads(line) for line in gzip.decompress(out.read_bytes()).splitlines()]
    assert records == [
        {"id": rid(3), "url": "https://a.example/1", "date": "2024-05-01T00:00:00Z", "text": "HOME | NEWS\n\nFLOOD BARRIERS APPROVED."},
        {"id": rid(5), "url": "https://a.example/2", "date": "2024-05-01T00:00:00Z", "text": "CAF\u00c9 \u2014 CR\u00c8ME"},
        {"id": rid(6), "url": "https://a.example/robots.txt", "date": "2024-05-01T00:00:00Z", "text": "USER-AGENT: *\nDISALLOW:\n"},
    ]
    assert [d.id for d in read_corpus([out]).documents] == [rid(3), rid(5), rid(6)]


def test_warc_written_with_nested_field_names_and_the_fields_kept(tmp_path):
    (tmp_path / "in").mkdir()
    path = make_warc(tmp_path / "in" / "crawl.warc.gz", CRAWL)
    config = ReadConfig(url_field="metadata.url", drop_fields="date")
    corpus = read_corpus([path], config)

    [out] = write_corpus(corpus.files, {(d.source, d.line): d.text for d in corpus.documents}, tmp_path / "out", config)

    records = [json.loads(line) for line in gzip.decompress(out.read_bytes()).splitlines()]
    assert [list(r) for r in records] == [["id", "metadata", "text"]] * 3
    assert [r["metadata"] for r in records] == [{"url": u} for u in ("https://a.example/1", "https://a.example/2", "https://a.example/robots.txt")]
    assert [d.url for d in read_corpus([out], config).documents] == [r["metadata"]["url"] for r in records]


# --- the real crawl files -------------------------------------------------------------


def warc_ids(path, types):
    with open(path, "rb") as f:
        return [(r.rec_headers.get_header("WARC-Record-ID"), r.rec_headers.get_header("WARC-Target-URI"))
                for r in ArchiveIterator(f) if r.rec_type in types]


@pytest.mark.parametrize("name, kind", [("sample-0000.warc.gz", "response"), ("whirlwind.warc.gz", "response"), ("whirlwind.warc.wet.gz", "conversion")])
def test_real_crawl_files_round_trip_ids_and_urls(tmp_path, formats_dir, name, kind):
    path = formats_dir / name
    expected = warc_ids(path, {kind})
    corpus = read_corpus([path])

    [out] = write_corpus(corpus.files, {(d.source, d.line): d.text for d in corpus.documents}, tmp_path / "out")

    assert corpus.skipped == []
    assert [(d.id, d.url) for d in corpus.documents] == expected
    again = read_corpus([out])
    assert [(d.id, d.url) for d in again.documents] == expected
    assert [d.text for d in again.documents] == [d.text for d in corpus.documents]


def test_real_warc_pages_become_visible_text_lines(formats_dir):
    docs = read_corpus([formats_dir / "sample-0000.warc.gz"]).documents

    assert len(docs) == 22
    for d in docs:
        assert "<script" not in d.text and "</div>" not in d.text
        assert len(d.tag_paths) == len([l for l in d.text.split("\n\n")])
        assert all(p.startswith("html") for p in d.tag_paths)
    kyle = next(d for d in docs if d.url == "https://kyleclo.com/")
    assert "Kyle Lo" in kyle.text


def test_whirlwind_warc_and_its_wet_carry_the_same_page(formats_dir):
    [page] = read_corpus([formats_dir / "whirlwind.warc.gz"]).documents
    [wet] = read_corpus([formats_dir / "whirlwind.warc.wet.gz"]).documents

    assert page.url == wet.url == "https://an.wikipedia.org/wiki/Escopete"
    page_lines = set(page.text.split("\n\n"))
    wet_lines = [l for l in wet.text.splitlines() if len(l.split()) >= 8]
    assert wet_lines and sum(l in page_lines for l in wet_lines) >= 0.8 * len(wet_lines)


def test_uncompressed_warc_cut_inside_a_record(tmp_path):
    records = [("response", f"https://a.example/{i}", "text/html", f"<p>page {i} {'word ' * 300}</p>".encode()) for i in range(3)]
    whole = make_warc(tmp_path / "whole.warc", records, compress=False).read_bytes()
    path = tmp_path / "cut.warc"
    path.write_bytes(whole[: len(whole) - 500])

    corpus = read_corpus([path])

    assert [d.id for d in corpus.documents] == [rid(1), rid(2)]
    assert [(e.reason, e.line) for e in corpus.skipped] == [("unreadable", 3)]
    assert "bytes short" in corpus.skipped[0].message
