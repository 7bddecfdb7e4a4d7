"""HTML to visible-text lines (step 1 of the benchdata metric)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe.io.html import LINK_TEXT, element_path, is_link_text, html_to_blocks, html_to_lines, html_to_text


def test_block_elements_split_lines():
    html = (
        "<html><body><h1>Title</h1><p>First para.</p><ul><li>one</li><li>two</li></ul>"
        "<table><tr><td>cell a</td><td>cell b</td></tr></table>"
        "<section><article><header>Head</header>Body<footer>Foot</footer></article></section>"
        "</body></html>"
    )
    assert html_to_lines(html) == [
        "Title", "First para.", "one", "two", "cell a", "cell b", "Head", "Body", "Foot",
    ]


def test_text_around_child_blocks_becomes_its_own_lines():
    assert html_to_lines("<div>text<p>para</p>more</div>") == ["text", "para", "more"]


def test_br_splits_a_line():
    assert html_to_lines("<p>line one<br>line two<br/>line three</p>") == [
        "line one", "line two", "line three",
    ]


def test_inline_elements_do_not_split():
    html = '<p>A <a href="/x">link</a>, <b>bold</b>, <span>span</span> and <em>em</em>ph.</p>'
    assert html_to_lines(html) == ["A link, bold, span and emph."]


def test_inline_tags_inside_a_word_keep_the_word_whole():
    assert html_to_lines("<p>foo<b>bar</b>baz</p>") == ["foobarbaz"]


@pytest.mark.parametrize("tag", ["script", "style", "noscript", "template", "svg", "iframe"])
def test_invisible_elements_dropped(tag):
    html = f"<div>before<{tag}>HIDDEN STUFF</{tag}>after</div>"
    assert "HIDDEN" not in html_to_text(html)
    assert html_to_lines(html) == ["beforeafter"]


def test_head_dropped():
    html = "<html><head><title>T</title><style>p{}</style></head><body><p>x</p></body></html>"
    assert html_to_lines(html) == ["x"]


def test_select_options_dropped():
    html = "<p>Archives</p><select><option>March 2012</option><option>April 2012</option></select>"
    assert html_to_lines(html) == ["Archives"]


def test_whitespace_collapsed_and_empty_lines_dropped():
    html = "<div>\n\t  lots   of\n\n space\u00a0&nbsp;here  </div><p>   </p><div><p></p></div><p>&nbsp;</p>"
    assert html_to_lines(html) == ["lots of space here"]


def test_entities_decoded():
    assert html_to_lines("<p>caf&eacute; &amp; &lt;tag&gt; &#8217;q&#x2019;</p>") == ["café & <tag> ’q’"]


def test_comments_dropped_by_default_and_own_lines_on_request():
    html = "<div>a<!-- note  here -->b<p>c</p></div>"
    assert html_to_lines(html) == ["ab", "c"]
    assert html_to_lines(html, comments=True) == ["a", "note here", "b", "c"]


def test_text_joins_lines_with_blank_lines():
    assert html_to_text("<p>one</p><p>two</p>") == "one\n\ntwo"


def test_blocks_carry_the_tag_path():
    blocks = html_to_blocks("<body><div>t<p>p <b>b</b></p></div><!--c--></body>", comments=True)
    assert blocks == [
        ("t", "html>body>div"),
        ("p b", "html>body>div>p"),
        ("c", "html>body>#comment"),
    ]


@pytest.mark.parametrize(
    "html",
    [
        "",
        "plain text, no tags",
        "<",
        "<<<>>>",
        "<p>unclosed <div>nested <b>bold",
        "</p></div></html>",
        "<html><body><table><td>cell outside row<p>para in table",
        "<!-- never closed <p>x</p>",
        "<script>never closed <p>x</p>",
        "<p>NUL\x00byte</p>",
        "<div>" * 5000 + "deep" + "</div>" * 5000,
        "<?xml version='1.0' encoding='utf-8'?><html><body>x</body></html>",
        "\ufeff<p>bom</p>\udcff",
    ],
)
def test_malformed_html_does_not_crash(html):
    lines = html_to_lines(html)
    assert all(line and line == " ".join(line.split()) for line in lines)


def test_deep_nesting_keeps_text():
    assert html_to_lines("<div>" * 5000 + "deep" + "</div>" * 5000) == ["deep"]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_string_gives_clean_lines(html):
    lines = html_to_lines(html)
    assert all(line and line == " ".join(line.split()) for line in lines)
    assert html_to_text(html) == "\n\n".join(lines)


def test_lines_of_mostly_link_text_are_marked():
    html = (
        "<ul><li><a href=/>Home</a></li><li>Read <a href=/x>more</a> about the harbour and its boats</li></ul>"
        "<h1><a href=/post>A long day</a></h1><p>Text and <a href=/y>a link of more words</a></p>"
    )
    got = html_to_blocks(html)
    assert [(t, is_link_text(p)) for t, p in got] == [
        ("Home", True), ("Read more about the harbour and its boats", False), ("A long day", True),
        ("Text and a link of more words", True),
    ]
    assert [element_path(p) for _, p in got] == ["html>body>ul>li", "html>body>ul>li", "html>body>h1", "html>body>p"]
    assert got[0][1] == "html>body>ul>li>" + LINK_TEXT
    assert html_to_lines(html) == [t for t, _ in got]  # the lines themselves do not change
