"""Tests for dedupe.io.records: a record's text, or its HTML made into
visible-text lines with their tag paths; decoding pages by their charset."""

import pytest

from dedupe.blocks import segment
from dedupe.config import ReadConfig
from dedupe.io.records import decode_html, decode_text, html_document, record_document
from dedupe.document import InputError

PAGE = (
    "<html><head><title>T</title><script>var x = 1;</script></head><body>"
    "<nav><a href='/'>Home</a> | <a href='/news'>News</a></nav>"
    "<article><h1>Flood barriers approved</h1><p>The council voted seven to two.</p>"
    "<p>Work starts in <b>autumn</b>.</p></article><footer>Copyright 2024</footer></body></html>"
)
LINES = ["Home | News", "Flood barriers approved", "The council voted seven to two.", "Work starts in autumn.", "Copyright 2024"]


def doc(record, **config):
    return record_document(record, "f.jsonl", "in/f.jsonl", 4, ReadConfig(**config))


def test_html_becomes_visible_text_lines_with_one_tag_path_per_line():
    d = html_document(PAGE, id="p", source="s", line=None, url="https://x.example/")

    assert d.text == "\n\n".join(LINES)
    assert d.tag_paths == (
        "html>body>nav>@link",  # its text is link text
        "html>body>article>h1",
        "html>body>article>p",
        "html>body>article>p",
        "html>body>footer",
    )
    assert len(d.tag_paths) == len(segment(d.text))  # one per non-blank line, the pipeline's blocks


def test_html_odd_whitespace_never_makes_extra_lines():
    d = html_document("<p>a\u2028b\rc\x85d\u00a0e</p><p>\n\nf\n</p>", id="p", source="s", line=None)

    assert d.text.splitlines() == ["a b c d e", "", "f"]
    assert len(d.tag_paths) == len(segment(d.text)) == 2


def test_page_without_visible_text_is_empty():
    with pytest.raises(InputError) as info:
        html_document("<html><head><title>x</title></head><body><script>1</script></body></html>", id="p", source="s", line=3)

    assert (info.value.reason, info.value.line) == ("empty", 3)
    assert "no visible text" in info.value.message


def test_text_field_wins_over_html():
    d = doc({"id": "a", "text": "plain text", "html": PAGE})

    assert (d.id, d.text, d.tag_paths, d.line) == ("a", "plain text", None, 4)


@pytest.mark.parametrize("text", [None, "", "  \n "])
def test_html_field_is_used_when_the_text_is_absent_or_empty(text):
    record = {"id": "a", "html": PAGE, "url": "https://x.example/a"}
    if text is not None:
        record["text"] = text

    d = doc(record)

    assert d.text.split("\n\n") == LINES
    assert d.url == "https://x.example/a"
    assert len(d.tag_paths) == 5


def test_html_field_name_is_configurable():
    d = doc({"body": "", "raw_html": PAGE}, text_field="body", html_field="raw_html")

    assert d.text.split("\n\n") == LINES
    assert d.id == "f.jsonl:4"


@pytest.mark.parametrize(
    "record, reason, words",
    [
        ({"id": "a"}, "invalid_record", "no 'text' or 'html' field"),
        ({"text": None, "html": None}, "invalid_record", "no 'text' or 'html' field"),
        ({"text": "", "html": ""}, "empty", "empty document"),
        ({"html": "<p> </p>"}, "empty", "no visible text"),
        ({"html": 7}, "invalid_record", "'html' is not a string"),
        ({"text": b"caf\xe9"}, "invalid_utf8", "byte 0xe9 at offset 3"),
    ],
)
def test_records_without_usable_text(record, reason, words):
    with pytest.raises(InputError) as info:
        doc(record)

    assert (info.value.reason, info.value.path, info.value.line) == (reason, "in/f.jsonl", 4)
    assert words in info.value.message


def test_binary_html_is_decoded_by_its_meta_charset():
    raw = '<meta charset="windows-1252"><p>caf\u00e9 \u2014 na\u00efve</p>'.encode("cp1252")

    assert doc({"html": raw}).text == "caf\u00e9 \u2014 na\u00efve"


@pytest.mark.parametrize(
    "raw, declared, text",
    [
        ("<p>caf\u00e9</p>".encode("utf-8"), None, "<p>caf\u00e9</p>"),
        ("<p>caf\u00e9</p>".encode("latin-1"), "ISO-8859-1", "<p>caf\u00e9</p>"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=shift_jis"><p>\u6771\u4eac</p>'.encode("shift_jis"), None,
         '<meta http-equiv="Content-Type" content="text/html; charset=shift_jis"><p>\u6771\u4eac</p>'),
        ("\ufeff<p>bom</p>".encode("utf-8"), "latin-1", "<p>bom</p>"),
        ("<p>x</p>".encode("utf-8"), "no-such-charset", "<p>x</p>"),
    ],
)
def test_decode_html_charset_order(raw, declared, text):
    assert decode_html(raw, "s", 1, declared) == text


def test_bytes_invalid_in_their_charset_are_named():
    with pytest.raises(InputError) as utf8:
        decode_html(b"<p>caf\xe9</p>", "crawl.warc.gz", 9)
    with pytest.raises(InputError) as sjis:
        decode_text(b"\x81\xff", "crawl.warc.gz", 11, "shift_jis")

    assert utf8.value.message == "crawl.warc.gz:9: not valid UTF-8 (byte 0xe9 at offset 6)"
    assert (sjis.value.reason, sjis.value.line) == ("invalid_encoding", 11)
    assert "shift_jis: byte 0x81 at offset 0" in sjis.value.message
