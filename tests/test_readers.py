"""Tests for dedupe.io.readers: finding the corpus files, reading them, and
accounting for every bad input with its reason, file and line."""

import gzip
import json
import os
from pathlib import Path

import pytest

from dedupe.config import ReadConfig
from dedupe.io.readers import discover, read_corpus
from dedupe.document import InputError


def write_lines(path: Path, lines) -> Path:
    """Write a JSONL file: dicts are dumped, bytes are written as they are."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = b"".join((json.dumps(x).encode("utf-8") if isinstance(x, dict) else x) + b"\n" for x in lines)
    path.write_bytes(raw)
    return path


def ids(corpus):
    return [d.id for d in corpus.documents]


def skipped(corpus):
    return [(e.reason, e.path, e.line) for e in corpus.skipped]


# --- folders -----------------------------------------------------------------


def test_folder_is_read_recursively_with_relative_posix_ids(tmp_path):
    root = tmp_path / "corpus"
    for rel in ["b.txt", "a/x.txt", "a/deeper/y.txt", "c/z.txt"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(f"text of {rel}\n", encoding="utf-8")

    corpus = read_corpus([root])

    # Each folder's files in name order, then its subfolders in name order.
    assert ids(corpus) == ["b.txt", "a/x.txt", "a/deeper/y.txt", "c/z.txt"]
    assert [d.text for d in corpus.documents] == [f"text of {i}\n" for i in ids(corpus)]
    assert [d.source for d in corpus.documents] == [os.path.join(str(root), i) for i in ids(corpus)]
    assert all(d.line is None and d.url is None for d in corpus.documents)
    assert corpus.skipped == []


def test_files_of_a_folder_are_read_in_sorted_order(tmp_path):
    names = ["m.txt", "b.txt", "z.txt", "a.txt", "q.txt", "c.txt", "k.txt"]
    for n in names:
        (tmp_path / n).write_text(n, encoding="utf-8")

    corpus = read_corpus([tmp_path])

    assert ids(corpus) == sorted(names)
    assert [f.name for f in discover([tmp_path])] == sorted(names)


def test_hidden_files_and_folders_are_passed_over(tmp_path):
    (tmp_path / "page.txt").write_text("kept", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("hidden file", encoding="utf-8")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01\xff")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "notes.txt").write_text("hidden folder", encoding="utf-8")
    (tmp_path / "sub" / ".cache").mkdir(parents=True)
    (tmp_path / "sub" / ".cache" / "x.jsonl").write_bytes(b"not json\n")
    (tmp_path / "sub" / "deep.txt").write_text("kept too", encoding="utf-8")

    corpus = read_corpus([tmp_path])

    assert ids(corpus) == ["page.txt", "sub/deep.txt"]
    assert corpus.skipped == []  # passed over, not skipped


def test_missing_input_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="no-such-folder: no such file or folder"):
        read_corpus([tmp_path / "no-such-folder"])


def test_txt_given_directly_is_named_by_its_base_name(tmp_path):
    path = tmp_path / "sub" / "page.txt"
    path.parent.mkdir()
    path.write_text("Hello world.\n", encoding="utf-8")

    corpus = read_corpus([str(path)])

    assert len(corpus.documents) == 1
    doc = corpus.documents[0]
    assert (doc.id, doc.text, doc.source, doc.line) == ("page.txt", "Hello world.\n", str(path), None)
    assert [f.name for f in corpus.files] == ["page.txt"]


def test_txt_is_read_byte_exact(tmp_path):
    raw = "Menu\r\n\r\n  Caf\u00e9 \u2014 na\u00efve\t text  \r\nlast line, no newline".encode("utf-8")
    path = tmp_path / "crlf.txt"
    path.write_bytes(raw)

    doc = read_corpus([path]).documents[0]

    assert doc.text.encode("utf-8") == raw
    assert doc.text.count("\r\n") == 3


# --- JSONL -------------------------------------------------------------------


def test_jsonl_ids_urls_and_lines(tmp_path):
    path = write_lines(
        tmp_path / "part.jsonl",
        [
            {"id": "first", "text": "one", "url": "https://example.com/1"},
            {"text": "two"},
            {"id": 7, "text": "three", "url": ""},
            {"id": 0, "text": "four", "url": 42},
            {"id": "", "text": "five"},
            {"id": 3.5, "text": "six"},
            {"id": None, "text": "seven"},
        ],
    )

    corpus = read_corpus([path])

    assert ids(corpus) == ["first", "part.jsonl:2", "7", "0", "part.jsonl:5", "3.5", "part.jsonl:7"]
    assert [d.text for d in corpus.documents] == ["one", "two", "three", "four", "five", "six", "seven"]
    assert [d.line for d in corpus.documents] == [1, 2, 3, 4, 5, 6, 7]
    assert [d.url for d in corpus.documents] == ["https://example.com/1", None, None, None, None, None, None]
    assert {d.source for d in corpus.documents} == {str(path)}
    assert corpus.skipped == []


def test_jsonl_in_a_folder_names_ids_by_relative_path(tmp_path):
    write_lines(tmp_path / "shard" / "p.jsonl", [{"text": "a"}, {"id": "x", "text": "b"}])

    corpus = read_corpus([tmp_path])

    assert ids(corpus) == ["shard/p.jsonl:1", "x"]
    assert corpus.documents[0].source == os.path.join(str(tmp_path), "shard/p.jsonl")


def test_jsonl_gz_is_read(tmp_path):
    records = [{"id": f"d{i}", "text": f"body {i}\r\nsecond line", "url": f"http://s.org/{i}"} for i in range(3)]
    path = tmp_path / "part.jsonl.gz"
    with gzip.open(path, "wb") as gz:
        for r in records:
            gz.write(json.dumps(r).encode("utf-8") + b"\n")

    corpus = read_corpus([path])

    assert ids(corpus) == ["d0", "d1", "d2"]
    assert [d.text for d in corpus.documents] == [r["text"] for r in records]
    assert [d.url for d in corpus.documents] == [r["url"] for r in records]
    assert [d.line for d in corpus.documents] == [1, 2, 3]
    assert corpus.skipped == []


def test_custom_field_names(tmp_path):
    path = write_lines(
        tmp_path / "c.jsonl",
        [
            {"doc_id": "A", "body": "alpha", "link": "https://a.example/", "id": "ignored", "text": "ignored"},
            {"body": "beta", "url": "https://ignored.example/"},
            {"doc_id": "C", "text": "no body field"},
        ],
    )
    config = ReadConfig(id_field="doc_id", text_field="body", url_field="link")

    corpus = read_corpus([path], config)

    assert ids(corpus) == ["A", "c.jsonl:2"]
    assert [d.text for d in corpus.documents] == ["alpha", "beta"]
    assert [d.url for d in corpus.documents] == ["https://a.example/", None]
    assert skipped(corpus) == [("invalid_record", str(path), 3)]
    assert "no 'body' or 'html' field" in corpus.skipped[0].message


def test_blank_lines_in_jsonl_are_not_errors(tmp_path):
    path = write_lines(
        tmp_path / "b.jsonl",
        [b"", {"text": "a"}, b"   ", b"\t\r", {"text": "b"}, b""],
    )

    corpus = read_corpus([path])

    assert ids(corpus) == ["b.jsonl:2", "b.jsonl:5"]
    assert corpus.skipped == []


def test_jsonl_with_crlf_line_endings(tmp_path):
    path = tmp_path / "w.jsonl"
    path.write_bytes(b'{"text": "a\\r\\nb"}\r\n{"text": "c"}\r\n')

    corpus = read_corpus([path])

    assert [d.text for d in corpus.documents] == ["a\r\nb", "c"]
    assert corpus.skipped == []


# --- bad inputs --------------------------------------------------------------

BAD_LINES = {
    "invalid_utf8": (b'{"text": "caf\xe9 au lait"}', "invalid_utf8", "byte 0xe9"),
    "malformed_json": (b'{"text": "unterminated', "invalid_json", "invalid JSON"),
    "trailing_garbage": (b'{"text": "x"} extra', "invalid_json", "invalid JSON"),
    "array": (b'["text", "an array"]', "invalid_record", "a JSON list, not an object"),
    "scalar": (b'"just a string"', "invalid_record", "a JSON str, not an object"),
    "missing_text": (b'{"id": "z", "body": "x"}', "invalid_record", "no 'text' or 'html' field"),
    "null_text": (b'{"text": null}', "invalid_record", "no 'text' or 'html' field"),
    "number_text": (b'{"text": 42}', "invalid_record", "'text' is not a string"),
    "list_text": (b'{"text": ["a", "b"]}', "invalid_record", "'text' is not a string"),
    "empty_text": (b'{"text": ""}', "empty", "empty document"),
    "whitespace_text": (b'{"text": " \\n\\t "}', "empty", "empty document"),
}


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_bad_jsonl_line_is_skipped_and_its_neighbours_read(tmp_path, case):
    raw, reason, words = BAD_LINES[case]
    path = write_lines(tmp_path / "p.jsonl", [{"id": "before", "text": "good one"}, raw, {"id": "after", "text": "good two"}])

    corpus = read_corpus([path])

    assert ids(corpus) == ["before", "after"]
    assert skipped(corpus) == [(reason, str(path), 2)]
    err = corpus.skipped[0]
    assert err.message.startswith(f"{path}:2: ")
    assert words in err.message
    assert err.as_dict() == {"source": str(path), "line": 2, "reason": reason, "message": err.message}


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_strict_raises_at_the_first_bad_line(tmp_path, case):
    raw, reason, _ = BAD_LINES[case]
    path = write_lines(tmp_path / "p.jsonl", [{"text": "good"}, raw, b"{also bad"])

    with pytest.raises(InputError) as info:
        read_corpus([path], ReadConfig(strict=True))

    assert (info.value.reason, info.value.path, info.value.line) == (reason, str(path), 2)


def test_malformed_json_message_names_line_and_column(tmp_path):
    path = write_lines(tmp_path / "p.jsonl", [{"text": "a"}, {"text": "b"}, b'{"text": "c",}'])

    err = read_corpus([path]).skipped[0]

    assert err.line == 3
    assert str(err) == f"{path}:3: invalid JSON (Expecting property name enclosed in double quotes at column 14)"


def test_bad_txt_files_are_skipped_and_the_others_read(tmp_path):
    (tmp_path / "a.txt").write_text("good first", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"Latin-1 caf\xe9\n")
    (tmp_path / "c.txt").write_bytes(b"")
    (tmp_path / "d.txt").write_bytes(b" \r\n\t\n")
    (tmp_path / "e.md").write_text("# not a corpus file", encoding="utf-8")
    (tmp_path / "f.txt").write_text("good last", encoding="utf-8")

    corpus = read_corpus([tmp_path])

    assert ids(corpus) == ["a.txt", "f.txt"]
    src = lambda name: os.path.join(str(tmp_path), name)  # noqa: E731
    assert skipped(corpus) == [
        ("invalid_utf8", src("b.txt"), None),
        ("empty", src("c.txt"), None),
        ("empty", src("d.txt"), None),
        ("unsupported_file", src("e.md"), None),
    ]
    assert corpus.skipped[0].message == f"{src('b.txt')}: not valid UTF-8 (byte 0xe9 at offset 11)"
    assert corpus.skipped[3].message == (
        f"{src('e.md')}: not a supported corpus file (expected one of .csv, .htm, .html, .jsonl, .ndjson, .parquet, "
        ".tsv, .txt, .warc, .warc.wet, .wet, optionally compressed (.gz, .zst, .bz2), or a --format)"
    )


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("b.txt", b"caf\xe9", "invalid_utf8"),
        ("b.txt", b"  \n", "empty"),
        ("b.md", b"text", "unsupported_file"),
    ],
)
def test_strict_raises_at_the_first_bad_file(tmp_path, name, content, reason):
    (tmp_path / "a.txt").write_text("good", encoding="utf-8")
    (tmp_path / name).write_bytes(content)
    (tmp_path / "c.txt").write_bytes(b"")

    with pytest.raises(InputError) as info:
        read_corpus([tmp_path], ReadConfig(strict=True))

    assert (info.value.reason, info.value.path, info.value.line) == (reason, os.path.join(str(tmp_path), name), None)


def test_strict_reads_a_good_corpus(tmp_path):
    (tmp_path / "a.txt").write_text("good", encoding="utf-8")
    write_lines(tmp_path / "b.jsonl", [{"text": "x"}, b"", {"text": "y"}])

    corpus = read_corpus([tmp_path], ReadConfig(strict=True))

    assert ids(corpus) == ["a.txt", "b.jsonl:1", "b.jsonl:3"]


def test_unreadable_files_are_skipped(tmp_path):
    (tmp_path / "a.txt").write_text("good", encoding="utf-8")
    locked_txt = tmp_path / "b.txt"
    locked_txt.write_text("locked", encoding="utf-8")
    locked_jsonl = write_lines(tmp_path / "c.jsonl", [{"text": "locked"}])
    (tmp_path / "d.txt").write_text("good too", encoding="utf-8")
    locked_txt.chmod(0)
    locked_jsonl.chmod(0)
    try:
        if os.access(locked_txt, os.R_OK):
            pytest.skip("running with privileges that read a mode-000 file (root)")
        corpus = read_corpus([tmp_path])
    finally:
        locked_txt.chmod(0o644)
        locked_jsonl.chmod(0o644)

    assert ids(corpus) == ["a.txt", "d.txt"]
    assert skipped(corpus) == [("unreadable", str(locked_txt), None), ("unreadable", str(locked_jsonl), None)]
    assert "Permission denied" in corpus.skipped[0].message


def test_dangling_symlink_is_unreadable(tmp_path):
    # Unlike a mode-000 file, this cannot be read even by root.
    (tmp_path / "a.txt").write_text("good", encoding="utf-8")
    (tmp_path / "b.txt").symlink_to(tmp_path / "gone.txt")
    (tmp_path / "c.jsonl").symlink_to(tmp_path / "gone.jsonl")

    corpus = read_corpus([tmp_path])

    assert ids(corpus) == ["a.txt"]
    assert skipped(corpus) == [
        ("unreadable", os.path.join(str(tmp_path), "b.txt"), None),
        ("unreadable", os.path.join(str(tmp_path), "c.jsonl"), None),
    ]
    assert "No such file or directory" in corpus.skipped[0].message


def test_truncated_gz_keeps_the_documents_before_the_break(tmp_path):
    records = [{"id": f"d{i}", "text": f"document {i}: " + " ".join(f"w{i}x{j}" for j in range(30))} for i in range(60)]
    data = gzip.compress(b"".join(json.dumps(r).encode("utf-8") + b"\n" for r in records), mtime=0)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])

    corpus = read_corpus([path])

    n = len(corpus.documents)
    assert 0 < n < len(records)
    assert ids(corpus) == [f"d{i}" for i in range(n)]
    assert [d.text for d in corpus.documents] == [r["text"] for r in records[:n]]
    assert skipped(corpus) == [("unreadable", str(path), n + 1)]
    assert "Compressed file ended" in corpus.skipped[0].message

    with pytest.raises(InputError) as info:
        read_corpus([path], ReadConfig(strict=True))
    assert (info.value.reason, info.value.line) == ("unreadable", n + 1)


def test_not_gzip_at_all_is_unreadable(tmp_path):
    path = tmp_path / "fake.jsonl.gz"
    path.write_bytes(b'{"text": "plain, not gzip"}\n')

    corpus = read_corpus([path])

    assert corpus.documents == []
    assert skipped(corpus) == [("unreadable", str(path), None)]


def test_every_input_is_accounted_for(tmp_path):
    (tmp_path / "a.txt").write_text("good", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"")
    (tmp_path / "notes.md").write_text("x,y", encoding="utf-8")
    write_lines(tmp_path / "c.jsonl", [{"text": "1"}, b"", b"[1]", {"text": "2"}, b"{", {"text": ""}])

    corpus = read_corpus([tmp_path])

    # Three files that are not JSONL, and the five lines of c.jsonl that are not blank.
    assert len(corpus.documents) + len(corpus.skipped) == 3 + 5
    assert ids(corpus) == ["a.txt", "c.jsonl:1", "c.jsonl:4"]
    assert [(e.reason, e.line) for e in corpus.skipped] == [
        ("empty", None),
        ("invalid_record", 3),
        ("invalid_json", 5),
        ("empty", 6),
        ("unsupported_file", None),
    ]


# --- --limit and fields no record has ---------------------------------------------


def _three_files(tmp_path):
    folder = tmp_path / "corpus"
    write_lines(folder / "a.jsonl", [{"id": "a1", "text": "one"}, b"{bad", {"id": "a2", "text": "two"}])
    write_lines(folder / "b.jsonl", [{"id": "b1", "text": "three"}, {"id": "b2", "text": "four"}])
    write_lines(folder / "c.jsonl", [{"id": "c1", "text": "five"}])
    return folder


def test_limit_reads_the_first_documents_and_says_where_it_stopped(tmp_path):
    folder = _three_files(tmp_path)
    corpus = read_corpus([folder], ReadConfig(limit=3))
    assert ids(corpus) == ["a1", "a2", "b1"]
    assert skipped(corpus) == [("invalid_json", str(folder / "a.jsonl"), 2)]  # a bad line before the limit is listed
    assert corpus.limited.as_dict() == {
        "limit": 3, "stopped_after": f"{folder / 'b.jsonl'}:1", "files_not_read": [str(folder / "c.jsonl")],
    }


def test_limit_past_the_corpus_reads_it_all(tmp_path):
    corpus = read_corpus([_three_files(tmp_path)], ReadConfig(limit=100))
    assert ids(corpus) == ["a1", "a2", "b1", "b2", "c1"]
    assert corpus.limited.as_dict() == {"limit": 100, "stopped_after": None, "files_not_read": []}
    assert read_corpus([tmp_path / "corpus"]).limited is None


def test_a_named_field_no_record_has_is_warned_of(tmp_path):
    from dedupe.document import MissingFieldWarning

    path = write_lines(tmp_path / "c.jsonl", [{"id": "a", "text": "one", "meta": {"url": "https://s.example/"}}])
    with pytest.warns(MissingFieldWarning, match=r"no record has the field 'metadata.url' \(--url-field\)"):
        corpus = read_corpus([path], ReadConfig(url_field="metadata.url"))
    assert corpus.absent_fields == {"url_field": "metadata.url"}
    assert read_corpus([path], ReadConfig(url_field="meta.url")).absent_fields == {}
    assert read_corpus([path]).absent_fields == {}  # the default names are not warned of: many corpora have no URL


def test_a_field_one_record_has_is_not_warned_of(tmp_path, recwarn):
    path = write_lines(tmp_path / "c.jsonl", [{"text": "one"}, {"text": "two", "link": "https://s.example/"}])
    assert read_corpus([path], ReadConfig(url_field="link")).absent_fields == {}
    assert not recwarn.list
