import numpy as np

from dedupe.blocks import kept_spans, light_key, normalise, rebuild, segment


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


def test_normalise_like_cc_net():
    assert normalise("Posted 3 May, 2021!") == normalise("posted 7 may 1999")
    assert normalise("  Comments ") == "comments"
    assert normalise("NCR-Iran") == "ncr iran"
    assert normalise("ＦＵＬＬ width") == "full width"


def test_light_key_keeps_numbers():
    assert light_key("Row 1  total") != light_key("Row 2 total")
    assert light_key("Same  Title") == light_key("same title")
