"""Tests for dedupe.io.plain: text and HTML files, one document each."""

import gzip

import pytest

from dedupe.io.files import discover
from dedupe.io.readers import read_corpus
from dedupe.io.writers import check_output, write_corpus
from dedupe.document import UsageError

PAGE = (
    '<!doctype html><html><head><meta charset="utf-8"><title>Gazette</title>'
    "<style>p{color:red}</style></head><body><header><div>Riverside Gazette</div>"
    "<ul><li>Home</li><li>Local</li></ul></header><article><h1>Flood barriers</h1>"
    "<p>The council voted <em>seven</em> to two.</p></article></body></html>"
)


def test_html_file_is_its_visible_text_lines(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "a.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "site" / "b.htm").write_bytes('<meta charset="iso-8859-1"><p>caf\u00e9</p>'.encode("latin-1"))

    corpus = read_corpus([tmp_path / "site"])

    a, b = corpus.documents
    assert (a.id, a.line, a.url) == ("a.html", None, None)
    assert a.text == "Riverside Gazette\n\nHome\n\nLocal\n\nFlood barriers\n\nThe council voted seven to two."
    assert a.tag_paths == (
        "html>body>header>div",
        "html>body>header>ul>li",
        "html>body>header>ul>li",
        "html>body>article>h1",
        "html>body>article>p",
    )
    assert b.text == "caf\u00e9"


def test_html_file_is_written_as_text(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "in" / "b.html.gz").write_bytes(gzip.compress(PAGE.encode("utf-8"), mtime=0))
    corpus = read_corpus([tmp_path / "in"])

    written = write_corpus(corpus.files, {(d.source, d.line): d.text.upper() for d in corpus.documents}, tmp_path / "out")

    assert [p.name for p in written] == ["a.txt", "b.txt.gz"]
    assert written[0].read_text("utf-8").startswith("RIVERSIDE GAZETTE\n\nHOME")
    assert gzip.decompress(written[1].read_bytes()) == written[0].read_bytes()


def test_page_without_text_and_a_broken_gz_are_skipped(tmp_path):
    (tmp_path / "empty.html").write_text("<html><head><title>t</title></head><body></body></html>")
    (tmp_path / "cut.txt.gz").write_bytes(gzip.compress(b"some text " * 1000, mtime=0)[:50])

    corpus = read_corpus([tmp_path])

    assert corpus.documents == []
    assert [(e.reason, e.path.rsplit("/", 1)[1]) for e in corpus.skipped] == [("unreadable", "cut.txt.gz"), ("empty", "empty.html")]


def test_a_page_and_a_text_file_that_would_share_an_output_name_are_refused(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "in" / "a.txt").write_text("text", encoding="utf-8")

    with pytest.raises(UsageError, match="would both be written to .*a.txt"):
        check_output(discover([tmp_path / "in"]), [tmp_path / "in"], tmp_path / "out")
