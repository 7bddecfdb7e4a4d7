"""Tests for dedupe.io.parquet: rows in, the same rows out with the cleaned
text column, written deterministically."""

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq

from dedupe.config import ReadConfig
from dedupe.io.readers import read_corpus
from dedupe.io.writers import write_corpus

PAGE = "<html><body><nav>Home | News</nav><p>Flood barriers approved.</p></body></html>"


def write_parquet(path, columns, row_group_size=None, schema=None):
    table = pa.table(columns, schema=schema)
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


def cleaned_from(corpus, transform=str.upper):
    return {(d.source, d.line): transform(d.text) for d in corpus.documents}


def test_rows_are_records_named_by_row_number(tmp_path):
    path = write_parquet(
        tmp_path / "p.parquet",
        {"id": ["a", None, "c"], "url": ["https://x.example/a", None, ""], "text": ["alpha", "beta", "gamma"], "n": [1, 2, 3]},
    )

    corpus = read_corpus([path])

    assert [(d.id, d.line, d.url, d.text) for d in corpus.documents] == [
        ("a", 1, "https://x.example/a", "alpha"),
        ("p.parquet:2", 2, None, "beta"),
        ("c", 3, None, "gamma"),
    ]


def test_row_numbers_run_across_row_groups_and_batches(tmp_path):
    n = 2500
    path = write_parquet(tmp_path / "p.parquet", {"id": list(range(n)), "text": [f"doc {i}" for i in range(n)]}, row_group_size=700)

    corpus = read_corpus([path])

    assert [d.line for d in corpus.documents] == list(range(1, n + 1))
    assert [d.id for d in corpus.documents] == [str(i) for i in range(n)]


def test_bad_rows_are_skipped_with_their_row(tmp_path):
    path = write_parquet(
        tmp_path / "p.parquet",
        {"id": ["a", "b", "c", "d"], "text": [b"good", b"caf\xe9", b"", None]},
        schema=pa.schema([("id", pa.string()), ("text", pa.binary())]),
    )

    corpus = read_corpus([path])

    assert [d.id for d in corpus.documents] == ["a"]
    assert [(e.reason, e.line) for e in corpus.skipped] == [("invalid_utf8", 2), ("empty", 3), ("invalid_record", 4)]
    assert corpus.skipped[0].message.startswith(f"{path}:2: not valid UTF-8")


def test_file_without_a_text_column_and_a_broken_file(tmp_path):
    no_text = write_parquet(tmp_path / "a.parquet", {"id": ["a", "b"], "body": ["x", "y"]})
    broken = tmp_path / "b.parquet"
    broken.write_bytes(b"PAR1 not really parquet")

    corpus = read_corpus([no_text, broken])

    # Each row is a document, and each is accounted for.
    assert [(e.reason, e.path, e.line) for e in corpus.skipped] == [
        ("invalid_record", str(no_text), 1),
        ("invalid_record", str(no_text), 2),
        ("unreadable", str(broken), None),
    ]
    assert "no 'text' or 'html' column; the columns are 'id', 'body'" in corpus.skipped[0].message


def test_html_column_becomes_text(tmp_path):
    path = write_parquet(tmp_path / "p.parquet", {"id": ["p", "q"], "text": [None, "kept as text"], "html": [PAGE, PAGE]})

    docs = read_corpus([path]).documents

    assert [d.text for d in docs] == ["Home | News\n\nFlood barriers approved.", "kept as text"]
    assert [d.tag_paths for d in docs] == [("html>body>nav", "html>body>p"), None]


def test_round_trip_replaces_the_text_column_and_keeps_the_rest(tmp_path):
    (tmp_path / "in").mkdir()
    path = write_parquet(
        tmp_path / "in" / "p.parquet",
        {"id": ["a", "b", "c"], "text": ["alpha", "", "gamma"], "score": [0.5, 0.25, 1.0], "tags": [["x"], [], ["y", "z"]]},
        row_group_size=2,
    )
    corpus = read_corpus([path])

    [out] = write_corpus(corpus.files, cleaned_from(corpus), tmp_path / "out")

    table = pq.read_table(out)
    assert table.schema == pq.read_schema(path)
    assert table.to_pylist() == [
        {"id": "a", "text": "ALPHA", "score": 0.5, "tags": ["x"]},
        {"id": "c", "text": "GAMMA", "score": 1.0, "tags": ["y", "z"]},  # row 2 was skipped (empty)
    ]
    assert pq.ParquetFile(out).num_row_groups == 2  # the input's row groups
    assert [d.id for d in read_corpus([out]).documents] == ["a", "c"]


def test_output_field_is_added_beside_the_text(tmp_path):
    path = write_parquet(tmp_path / "p.parquet", {"id": ["a"], "text": ["alpha"]})
    pages = write_parquet(tmp_path / "h.parquet", {"id": ["p"], "html": [PAGE]})
    config = ReadConfig(output_field="clean_text")
    corpus = read_corpus([path, pages], config)

    out, out_pages = write_corpus(corpus.files, cleaned_from(corpus), tmp_path / "out", config)
    _, default_pages = write_corpus(corpus.files, cleaned_from(corpus), tmp_path / "out2")

    assert pq.read_table(out).to_pylist() == [{"id": "a", "text": "alpha", "clean_text": "ALPHA"}]
    assert pq.read_table(out_pages).column_names == ["id", "html", "clean_text"]
    assert pq.read_table(default_pages).to_pylist() == [{"id": "p", "html": PAGE, "text": "HOME | NEWS\n\nFLOOD BARRIERS APPROVED."}]


def test_output_is_deterministic(tmp_path):
    path = write_parquet(tmp_path / "p.parquet", {"id": [str(i) for i in range(300)], "text": [f"text {i}" for i in range(300)]})
    corpus = read_corpus([path])

    first = write_corpus(corpus.files, cleaned_from(corpus), tmp_path / "one")[0].read_bytes()
    second = write_corpus(corpus.files, cleaned_from(corpus), tmp_path / "two")[0].read_bytes()

    assert first == second


def test_real_cc_net_records_round_trip_through_parquet(tmp_path, formats_dir):
    records = [json.loads(line) for line in gzip.open(formats_dir / "ccnet_sample.jsonl.gz", "rt", encoding="utf-8")]
    path = write_parquet(
        tmp_path / "ccnet.parquet",
        {"id": [r["id"] for r in records], "text": [r["text"] for r in records], "source": [r["source"] for r in records]},
    )
    corpus = read_corpus([path])

    [out] = write_corpus(corpus.files, cleaned_from(corpus, lambda t: t), tmp_path / "out")

    again = read_corpus([out])
    assert len(corpus.documents) == len(again.documents) == len(records)
    assert [d.id for d in again.documents] == [r["id"] for r in records]
    assert pq.read_table(out).equals(pq.read_table(path))


# --- records as people store them: struct columns, columns kept or dropped ---------------

NESTED = {
    "text": ["alpha page", "beta page", "gamma page"],
    "html": ["<p>alpha</p>", "<p>beta</p>", "<p>gamma</p>"],
    "metadata": [
        {"url": "https://a.example/1", "id": "m1", "raw": "r1"},
        {"url": None, "id": "m2", "raw": "r2"},
        {"url": "https://b.example/3", "id": "m3", "raw": "r3"},
    ],
}


def test_dotted_fields_read_only_their_struct_child(tmp_path):
    path = write_parquet(tmp_path / "n.parquet", NESTED)
    corpus = read_corpus([path], ReadConfig(url_field="metadata.url", id_field="metadata.id"))
    assert [(d.id, d.url) for d in corpus.documents] == [
        ("m1", "https://a.example/1"), ("m2", None), ("m3", "https://b.example/3"),
    ]


def test_a_dotted_text_field_that_leads_nowhere_skips_every_row(tmp_path):
    path = write_parquet(tmp_path / "n.parquet", {"metadata": NESTED["metadata"]})
    corpus = read_corpus([path], ReadConfig(text_field="metadata.body", html_field="metadata.page"))
    assert not corpus.documents and [e.reason for e in corpus.skipped] == ["invalid_record"] * 3


def _written(tmp_path, **options):
    path = write_parquet(tmp_path / "n.parquet", NESTED, row_group_size=2)
    config = ReadConfig(**options)
    corpus = read_corpus([path], config)
    [out] = write_corpus(corpus.files, cleaned_from(corpus), tmp_path / "out", config)
    return pq.read_table(out)


def test_drop_fields_leave_out_a_column_and_a_struct_child(tmp_path):
    table = _written(tmp_path, drop_fields="html,metadata.raw")
    assert table.column_names == ["text", "metadata"]
    assert table.column("metadata").to_pylist() == [{k: v for k, v in m.items() if k != "raw"} for m in NESTED["metadata"]]
    assert table.column("text").to_pylist() == ["ALPHA PAGE", "BETA PAGE", "GAMMA PAGE"]


def test_keep_fields_keep_a_struct_child_and_always_the_text_and_id(tmp_path):
    table = _written(tmp_path, keep_fields="metadata.url", id_field="metadata.id")
    assert table.column_names == ["text", "metadata"]
    assert table.column("metadata").to_pylist() == [{"url": m["url"], "id": m["id"]} for m in NESTED["metadata"]]


def test_a_dotted_output_field_is_written_into_its_struct(tmp_path):
    table = _written(tmp_path, output_field="metadata.cleaned")
    assert table.column("text").to_pylist() == NESTED["text"]
    assert [m["cleaned"] for m in table.column("metadata").to_pylist()] == ["ALPHA PAGE", "BETA PAGE", "GAMMA PAGE"]
    assert [m["raw"] for m in table.column("metadata").to_pylist()] == ["r1", "r2", "r3"]
