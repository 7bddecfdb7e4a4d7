"""Tests for dedupe.io.delimited: CSV and TSV corpora, read by row and
written back with the cleaned text column."""

import csv
import gzip
import io
import json

from dedupe.config import ReadConfig
from dedupe.io.readers import read_corpus
from dedupe.io.writers import write_corpus

PAGE = "<html><body><nav>Home | News</nav><p>Flood barriers approved.</p></body></html>"


def write_csv(path, rows, dialect=csv.excel, raw=None):
    buf = io.StringIO(newline="")
    csv.writer(buf, dialect).writerows(rows)
    path.write_bytes(raw if raw is not None else buf.getvalue().encode("utf-8"))
    return path


def cleaned_from(corpus, transform=str.upper):
    return {(d.source, d.line): transform(d.text) for d in corpus.documents}


def read_rows(path, dialect=csv.excel):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f, dialect))


def test_rows_are_records_named_by_row_number(tmp_path):
    path = write_csv(
        tmp_path / "t.csv",
        [
            ["id", "url", "text", "lang"],
            ["a", "https://x.example/a", "first line\nsecond, quoted line", "en"],
            ["", "", "no id", "en"],
            ["c", "", "third", "fr"],
        ],
    )

    corpus = read_corpus([path])

    assert [(d.id, d.line, d.url) for d in corpus.documents] == [
        ("a", 1, "https://x.example/a"),
        ("t.csv:2", 2, None),
        ("c", 3, None),
    ]
    assert corpus.documents[0].text == "first line\nsecond, quoted line"
    assert corpus.skipped == []


def test_tsv_and_custom_columns(tmp_path):
    path = write_csv(tmp_path / "t.tsv", [["doc", "body"], ["x", "tab\tinside"], ["y", "plain"]], csv.excel_tab)

    corpus = read_corpus([path], ReadConfig(id_field="doc", text_field="body"))

    assert [(d.id, d.text) for d in corpus.documents] == [("x", "tab\tinside"), ("y", "plain")]


def test_bad_rows_are_skipped_by_row_and_the_rest_read(tmp_path):
    raw = b"id,text\r\na,good one\r\nb,caf\xe9\r\nc,too,many\r\n\r\nd,\r\ne,good two\r\n"
    path = write_csv(tmp_path / "t.csv", [], raw=raw)

    corpus = read_corpus([path])

    assert [(d.id, d.line) for d in corpus.documents] == [("a", 1), ("e", 6)]
    assert [(e.reason, e.line) for e in corpus.skipped] == [("invalid_utf8", 2), ("invalid_record", 3), ("empty", 5)]
    assert corpus.skipped[0].message == f"{path}:2: not valid UTF-8 (column 'text': byte 0xe9 at offset 3)"
    assert corpus.skipped[1].message == f"{path}:3: record has no usable text field (3 fields, the header has 2)"


def test_file_without_a_text_column_is_skipped_whole(tmp_path):
    path = write_csv(tmp_path / "t.csv", [["id", "body"], ["a", "x"]])

    corpus = read_corpus([path])

    assert corpus.documents == []
    assert [(e.reason, e.line) for e in corpus.skipped] == [("invalid_record", None)]
    assert "no 'text' or 'html' column; the header has 'id', 'body'" in corpus.skipped[0].message


def test_empty_file_and_broken_quoting(tmp_path):
    empty = write_csv(tmp_path / "a.csv", [], raw=b"")
    broken = write_csv(tmp_path / "b.csv", [], raw=b'id,text\na,fine\nb,"never closed\n')

    corpus = read_corpus([empty, broken], ReadConfig())
    strict_corpus = read_corpus([broken])

    assert [(e.reason, e.path, e.line) for e in corpus.skipped][0] == ("empty", str(empty), None)
    assert [d.id for d in strict_corpus.documents] == ["a"]
    assert [(e.reason, e.line) for e in strict_corpus.skipped] == [("unreadable", 2)]


def test_html_column_becomes_text(tmp_path):
    path = write_csv(tmp_path / "t.csv", [["id", "html"], ["p", PAGE]])

    [d] = read_corpus([path]).documents

    assert d.text == "Home | News\n\nFlood barriers approved."
    assert d.tag_paths == ("html>body>nav", "html>body>p")


def test_fields_longer_than_the_csv_default_limit(tmp_path):
    body = "word " * 60_000  # 300 KB, past csv's 128 KiB default
    path = write_csv(tmp_path / "t.csv", [["id", "text"], ["big", body]])

    [d] = read_corpus([path]).documents

    assert d.text == body


def test_round_trip_keeps_every_row_and_column(tmp_path):
    rows = [["id", "text", "meta"], ["a", "one\r\ntwo", '{"k": 1}'], ["b", "caf\u00e9, \"quoted\"", ""], ["c", "three", "x"]]
    (tmp_path / "in").mkdir()
    path = write_csv(tmp_path / "in" / "t.csv", rows)
    corpus = read_corpus([path])

    [out] = write_corpus(corpus.files, cleaned_from(corpus), tmp_path / "out")

    assert read_rows(out) == [rows[0]] + [[r[0], r[1].upper(), r[2]] for r in rows[1:]]
    again = read_corpus([out])
    assert [d.id for d in again.documents] == ["a", "b", "c"]


def test_skipped_rows_are_left_out_and_other_bytes_kept(tmp_path):
    raw = b"id,text,note\na,good,caf\xe9 latin-1 note\nb,,empty\nc,fine,ok\n"
    path = write_csv(tmp_path / "notes.csv", [], raw=raw)
    corpus = read_corpus([path])

    [out] = write_corpus(corpus.files, cleaned_from(corpus), tmp_path / "out")

    assert out.read_bytes() == b"id,text,note\na,GOOD,caf\xe9 latin-1 note\nc,FINE,ok\n"


def test_output_field_adds_a_column_and_html_rows_get_a_text_column(tmp_path):
    plain = write_csv(tmp_path / "plain.csv", [["id", "text"], ["a", "alpha"]])
    pages = write_csv(tmp_path / "pages.csv", [["id", "html"], ["p", PAGE]])
    config = ReadConfig(output_field="cleaned")
    corpus = read_corpus([plain, pages], config)

    out_plain, out_pages = write_corpus(corpus.files, cleaned_from(corpus), tmp_path / "out", config)
    default = write_corpus(corpus.files, cleaned_from(corpus), tmp_path / "out2")

    assert read_rows(out_plain) == [["id", "text", "cleaned"], ["a", "alpha", "ALPHA"]]
    assert read_rows(out_pages) == [["id", "html", "cleaned"], ["p", PAGE, "HOME | NEWS\n\nFLOOD BARRIERS APPROVED."]]
    assert read_rows(default[1]) == [["id", "html", "text"], ["p", PAGE, "HOME | NEWS\n\nFLOOD BARRIERS APPROVED."]]


def test_gzipped_csv_round_trip(tmp_path):
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(b"id,text\na,alpha\nb,beta\n", mtime=0))
    corpus = read_corpus([path])

    [out] = write_corpus(corpus.files, cleaned_from(corpus), tmp_path / "out")

    assert out.name == "t.csv.gz"
    assert gzip.decompress(out.read_bytes()) == b"id,text\na,ALPHA\nb,BETA\n"


def test_real_cc_net_records_round_trip_through_csv(tmp_path, formats_dir):
    records = [json.loads(line) for line in gzip.open(formats_dir / "ccnet_sample.jsonl.gz", "rt", encoding="utf-8")]
    path = write_csv(tmp_path / "ccnet.csv", [["id", "url", "text"]] + [[r["id"], r["id"], r["text"]] for r in records])
    corpus = read_corpus([path])

    [out] = write_corpus(corpus.files, cleaned_from(corpus, lambda t: t), tmp_path / "out")

    again = read_corpus([out])
    assert len(corpus.documents) == len(again.documents) == len(records)
    assert [d.id for d in again.documents] == [r["id"] for r in records]
    assert [d.text for d in again.documents] == [r["text"] for r in records]


def test_keep_and_drop_fields_choose_the_columns_written(tmp_path):
    rows = [["id", "url", "html", "text"], ["a", "https://s.example/a", "<p>x</p>", "alpha"], ["b", "", "<p>y</p>", "beta"]]
    path = write_csv(tmp_path / "c.csv", rows)
    cases = {
        # The text column is never dropped; the id and text columns are always kept.
        "drop": ({"drop_fields": "html,text"}, [["id", "url", "text"], ["a", "https://s.example/a", "ALPHA"], ["b", "", "BETA"]]),
        "keep": ({"keep_fields": "url"}, [["id", "url", "text"], ["a", "https://s.example/a", "ALPHA"], ["b", "", "BETA"]]),
        "output": (
            {"keep_fields": "html", "output_field": "cleaned"},
            [["id", "html", "text", "cleaned"], ["a", "<p>x</p>", "alpha", "ALPHA"], ["b", "<p>y</p>", "beta", "BETA"]],
        ),
    }
    for name, (options, expected) in cases.items():
        config = ReadConfig(**options)
        corpus = read_corpus([path], config)
        [out] = write_corpus(corpus.files, cleaned_from(corpus), tmp_path / name, config)
        assert read_rows(out) == expected, name
