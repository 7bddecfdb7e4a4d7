"""--page-extractor: a per-page extractor's verdict beside the cross-page evidence (dedupe.io.main_text);
trafilatura, the default, is a dependency."""

import importlib.util

import pytest

import dedupe
from dedupe.config import ReadConfig
from dedupe.io.html import LINK_TEXT, OUTSIDE_MAIN_TEXT, element_path, is_link_text, is_outside_main_text, mark
from dedupe.io.main_text import outside_main_text

BODY = [
    "After a week of heavy rain, the rivers of the northern valleys rose above their banks on Tuesday, and the"
    " towns along them spent the night moving furniture upstairs and sandbagging their doors.",
    "The regional water board said the levels would peak on Thursday and fall slowly over the weekend, but"
    " warned that the ground was saturated and could not take any more rain.",
    "Farmers in the lower valley said they had lost most of the winter crop, and the board promised"
    " compensation to those whose fields had flooded for more than three days.",
]
COMMENT = "Bob wrote: this happens every year and nobody ever does a thing about it, typical."
FOOTER = "Subscribe to our newsletter for more stories like this one every morning."
HEADLINE = "Rivers rise in the north after a week of rain"


def page(body=BODY, headline=HEADLINE):
    paragraphs = "".join(f"<p>{p}</p>" for p in body)
    return (
        f"<html><head><title>{headline}</title></head><body>"
        '<nav><a href="/">Home</a> <a href="/news">News</a></nav>'
        f"<article><h1>{headline}</h1>{paragraphs}</article>"
        f'<div class="comments"><h3>Comments</h3><p>{COMMENT}</p></div>'
        f"<footer><p>{FOOTER}</p></footer></body></html>"
    )


def test_lines_left_out_of_the_main_text_are_marked():
    lines = [HEADLINE, *BODY, COMMENT, FOOTER]
    out = outside_main_text("trafilatura", page(), lines, "https://example.org/news/rivers-rise")
    assert out[1:4] == [False, False, False]  # the article
    assert out[4] and out[5]  # the comment, the footer
    assert outside_main_text("none", page(), lines) == [False] * len(lines)


def test_inside_the_main_text_only_the_strict_reading_judges():
    """A box inside the article that trafilatura leaves out (a share line)
    is the rule's to judge under ``trafilatura``; ``trafilatura-strict``
    removes it. Comments and what follows the article go under both."""
    share = '<div class="share"><a href="/s">Share on Facebook</a> <a href="/t">Tweet this</a></div>'
    html = page().replace(f"<p>{BODY[1]}</p>", share + f"<p>{BODY[1]}</p>")
    lines = [HEADLINE, BODY[0], "Share on Facebook Tweet this", BODY[1], BODY[2], COMMENT, FOOTER]
    balanced = outside_main_text("trafilatura", html, lines)
    strict = outside_main_text("trafilatura-strict", html, lines)
    assert balanced == [False, False, False, False, False, True, True]
    assert strict == [False, False, True, False, False, True, True]


def test_a_page_it_finds_no_text_in_gives_no_evidence():
    assert outside_main_text("trafilatura", "<html><body><p>Hi</p></body></html>", ["Hi"]) == [False]


def test_marks_follow_the_elements():
    both = mark(mark("html>body>div>a", LINK_TEXT), OUTSIDE_MAIN_TEXT)
    assert element_path(both) == "html>body>div>a"
    assert is_link_text(both) and is_outside_main_text(both)
    assert not is_outside_main_text(mark("html>body>p", LINK_TEXT))


def test_by_default_a_lone_page_loses_its_comments_and_footer_and_keeps_its_article(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "rivers.html").write_text(page(), encoding="utf-8")
    plain = dedupe.clean([tmp_path / "in"], tmp_path / "plain", page_extractor="none", report=tmp_path / "plain.json")
    judged = dedupe.clean([tmp_path / "in"], tmp_path / "judged", report=tmp_path / "judged.json")
    kept = (tmp_path / "judged" / "rivers.txt").read_text(encoding="utf-8")
    assert all(p in kept for p in BODY) and HEADLINE in kept
    assert COMMENT not in kept and FOOTER not in kept
    assert COMMENT in (tmp_path / "plain" / "rivers.txt").read_text(encoding="utf-8")
    assert judged.report.data["summary"]["blocks_removed"]["outside_main_text"] >= 2
    assert plain.report.data["summary"]["blocks_removed"]["outside_main_text"] == 0


def test_pages_of_a_site_keep_their_own_headlines(tmp_path):
    """Each page's headline is its own (its <h1>) even where the extractor leaves it out."""
    (tmp_path / "in").mkdir()
    for k, word in enumerate(["north", "south", "east"]):
        body = [f"{p} This was the {word} edition, story {k}." for p in BODY]
        (tmp_path / "in" / f"{word}.html").write_text(page(body, f"Rivers rise in the {word} again"), encoding="utf-8")
    dedupe.clean([tmp_path / "in"], tmp_path / "out", page_extractor="trafilatura")
    for word in ["north", "south", "east"]:
        kept = (tmp_path / "out" / f"{word}.txt").read_text(encoding="utf-8")
        assert f"Rivers rise in the {word} again" in kept and COMMENT not in kept


def test_an_unknown_extractor_or_a_missing_trafilatura_is_a_clear_error(monkeypatch):
    with pytest.raises(ValueError, match="page_extractor"):
        ReadConfig(page_extractor="justext")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "trafilatura" else real(name, *a))
    with pytest.raises(ValueError, match=r"pip install 'trafilatura.*--page-extractor none"):
        ReadConfig()
    assert ReadConfig(page_extractor="none").page_extractor == "none"  # a broken install can still run


def test_text_input_is_not_judged_by_the_page_extractor(tmp_path):
    """The extractor reads HTML: a text page keeps its comment under the default."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "rivers.txt").write_text("\n\n".join([HEADLINE, *BODY, COMMENT, FOOTER]) + "\n", encoding="utf-8")
    result = dedupe.clean([tmp_path / "in"], tmp_path / "out", report=tmp_path / "report.json")
    assert COMMENT in (tmp_path / "out" / "rivers.txt").read_text(encoding="utf-8")
    assert result.report.data["summary"]["blocks_removed"]["outside_main_text"] == 0


def test_spark_judges_pages_as_the_local_run_does(spark, tmp_path):
    """The marks are made where pages are read (Spark's executors): the same
    cleaned files and report as the local backend."""
    (tmp_path / "in").mkdir()
    for k, word in enumerate(["north", "south", "east", "west"]):
        body = [f"{p} This was the {word} edition, story {k}." for p in BODY]
        (tmp_path / "in" / f"{word}.html").write_text(page(body, f"Rivers rise in the {word} again"), encoding="utf-8")
    out = {}
    for backend in ("local", "spark"):
        folder = tmp_path / backend
        result = dedupe.clean(
            [tmp_path / "in"], folder / "out", report=folder / "report.json", backend=backend,
            page_extractor="trafilatura",
        )
        assert result.report.data["summary"]["blocks_removed"]["outside_main_text"] >= 4
        out[backend] = {p.name: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    assert out["local"] == out["spark"]
