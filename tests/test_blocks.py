import re
import sys
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe.blocks import kept_spans, kept_spans_all, light_key, normalise, normalise_many, rebuild, segment

_PUNCT = re.compile(r"[^\w\s]|_")
_DIGIT = re.compile(r"\d")
_SPACE = re.compile(r"\s+")


def _reference_normalise(text: str) -> str:
    """normalise as first written, with regexes: the oracle of the compiled one."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _DIGIT.sub("0", text)
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


# Where a faster normalise could part from the regexes: compatibility forms,
# case folds to several characters, digits of other scripts, other numbers,
# whitespace outside ASCII or between ASCII control characters, zero-width
# and combining characters (one that composes with ASCII), emoji, surrogates.
TRICKY = [
    "ﬁ", "ﬀ", "ẞ", "ß", "İ", "ǅ", "ŉ", "ΣΑΣ", "ﬆ", "１２", "٣٤", "۵", "߁", "໕", "𝟗", "²", "½", "Ⅻ", "⑴", "㍱",
    "ﷺ", "™", "…", "\xa0", "\u2028", "\u2029", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\u3000", "\u200b",
    "\u200d", "\ufeff", "e\u0301", "\u0301", "=\u0338", "\u0338", "👍🏽", "🇫🇷", "\ud800", "\udfff", "\x00",
    "_", "a_b", "\t\n\r\x0b\x0c", " ", "Posted 3 May, 2021!", "ＡＢ", "Ǆ-9",
]  # fmt: skip


def test_segment_offsets_and_lines():
    text = "Title\r\n\r\n  Body line \nlast"
    b = segment(text)
    assert [text[s:e].strip() for s, e, _ in b.tolist()] == ["Title", "Body line", "last"]
    assert b[:, 2].tolist() == [1, 3, 4]


def test_blank_and_whitespace_lines_are_not_blocks():
    assert len(segment("\n \n\t\n")) == 0
    assert len(segment("")) == 0


def test_rebuild_all_kept_is_identity_and_removal_takes_whole_lines():
    text = "A\n\nB\nC\n\n\nD\n"
    b = segment(text)
    assert rebuild(text, b, np.ones(len(b), bool)) == text
    assert rebuild(text, b, np.array([True, False, True, True])) == "A\n\nC\n\n\nD\n"
    assert rebuild(text, b, np.array([False, True, True, False])) == "B\nC\n\n\n"
    assert kept_spans(len(text), b, np.array([True, True, False, False])) == [(0, 5)]


_PAGE = st.lists(st.sampled_from(["a", "bb", " ", "\n", "\n\n", "c d", "\r\n", "\t"]), max_size=14).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_PAGE, st.randoms(use_true_random=False)), max_size=6))
def test_kept_spans_all_is_kept_spans_of_each(pages):
    texts = [t for t, _ in pages]
    blocks = [segment(t) for t in texts]
    keep = [np.array([r.random() < 0.5 for _ in b], dtype=bool) for b, (_, r) in zip(blocks, pages)]
    counts = np.array([len(b) for b in blocks], dtype=np.int64)
    starts = np.concatenate([b[:, 0] for b in blocks] + [np.zeros(0, np.int64)])
    spans, per_doc = kept_spans_all([len(t) for t in texts], counts, starts, np.concatenate(keep + [np.zeros(0, bool)]))
    bounds = np.concatenate([[0], np.cumsum(per_doc)]).astype(int)
    got = [[tuple(x) for x in spans[bounds[i] : bounds[i + 1]].tolist()] for i in range(len(texts))]
    assert got == [kept_spans(len(t), b, k) for t, b, k in zip(texts, blocks, keep)]


def test_kept_spans_all_refuses_blocks_out_of_text_order():
    with pytest.raises(ValueError, match="text order"):
        kept_spans_all([10, 10], [1, 2], np.array([0, 5, 0]), np.ones(3, dtype=bool))


def test_normalise_like_cc_net():
    assert normalise("Posted 3 May, 2021!") == normalise("posted 7 may 1999")
    assert normalise("  Comments ") == "comments"
    assert normalise("NCR-Iran") == "ncr iran"
    assert normalise("ＦＵＬＬ width") == "full width"


@pytest.mark.parametrize("text", TRICKY)
def test_normalise_tricky_characters_as_the_regexes(text):
    assert normalise(text) == _reference_normalise(text)
    assert normalise(f"Ab {text}{text} 9{text}.") == _reference_normalise(f"Ab {text}{text} 9{text}.")


_ANY_CHAR = st.characters(exclude_categories=())  # every category, surrogates included


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(_ANY_CHAR, st.characters(max_codepoint=0x7F), st.sampled_from(TRICKY))).map("".join))
def test_normalise_any_text_as_the_regexes(text):
    assert normalise(text) == _reference_normalise(text)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(max_codepoint=0x7F)))
def test_normalise_ascii_text_as_the_regexes(text):
    assert normalise(text) == _reference_normalise(text)


def test_normalise_every_code_point_as_the_regexes():
    chars = [chr(i) for i in range(sys.maxunicode + 1)]
    assert [hex(ord(c)) for c in chars if normalise(c) != _reference_normalise(c)] == []


_TEXT = st.lists(st.one_of(_ANY_CHAR, st.characters(max_codepoint=0x7F), st.sampled_from(TRICKY))).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_TEXT, st.text(st.characters(max_codepoint=0x7F))), max_size=12))
def test_normalise_many_is_normalise_of_each(texts):
    assert normalise_many(texts) == [_reference_normalise(t) for t in texts]


def test_normalise_many_every_code_point():
    chars = [chr(i) for i in range(sys.maxunicode + 1)]
    assert normalise_many(chars) == [normalise(c) for c in chars]


def test_light_key_keeps_numbers():
    assert light_key("Row 1  total") != light_key("Row 2 total")
    assert light_key("Same  Title") == light_key("same title")


def test_light_key_squeezes_exactly_what_the_whitespace_regex_matches():
    """light_key splits on str.isspace; the regex it replaced matched \\s+:
    the same characters, every one of them, and the same keys."""
    import re
    import sys

    space = re.compile(r"\s+")
    assert all(bool(space.fullmatch(c)) == c.isspace() for c in map(chr, range(sys.maxunicode + 1)))
    for text in ["  Read\u00a0 MORE\t\n", "\u2028Stra\u00dfe\u3000x ", "", " \x1c "]:
        assert light_key(text) == space.sub(" ", text.casefold()).strip()


_LINE = re.compile(r"[^\r\n]*\S[^\r\n]*")
# ASCII with every line break and space Python knows (\x0b, \x0c, \x1c-\x1f split str.splitlines, not blocks).
_ASCII_LINES = st.text(st.sampled_from(list("ab .\t\r\n\x0b\x0c\x1c\x1d\x1e\x1f")), max_size=60)


@settings(max_examples=500, deadline=None)
@given(st.one_of(_ASCII_LINES, _ASCII_LINES.map(lambda t: t + "\u00e9\u2028")))
def test_segment_is_the_line_regex(text):
    """The compiled scan of ASCII text finds the blocks the regex does."""
    spans = [(m.start(), m.end()) for m in _LINE.finditer(text)]
    lines = [text.count("\n", 0, a) + 1 for a, _ in spans]
    got = segment(text)
    assert got.dtype == np.int64 and got.shape == (len(spans), 3)
    assert got[:, :2].tolist() == [list(s) for s in spans] and got[:, 2].tolist() == lines
