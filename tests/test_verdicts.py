"""The final verdicts: lines of link text on a page without siblings (HTML input); the model's restore threshold."""

import json

import numpy as np
import pytest

import dedupe
from dedupe.boilerplate import BOILERPLATE, KEEP, LINK_TEXT
from dedupe.config import BoilerplateConfig, Config
from dedupe.io.records import html_document
from dedupe.pipeline import analyse, block_table
from dedupe.verdicts import content_thresholds, lone_pages, restore_thresholds, thin_pages

BODIES = [
    "The fishing boats came in late on Tuesday, and the crews said the weather had turned twice "
    "before noon, which nobody on the quay could remember happening in years.",
    "A new ferry timetable starts next month, with two extra crossings on Sundays and an early "
    "boat for the market traders who asked the council for one all winter.",
    "The lighthouse keeper's cottage opens as a small museum in spring, showing the lamps, logbooks "
    "and charts that three generations of one family kept on the headland.",
    "Volunteers counted more seals on the sandbanks this year than in any survey since the count "
    "began, and the wardens asked walkers to keep their dogs on a lead.",
]
BODY = BODIES[0]
HEADLINES = ["A long day at the harbour", "New ferry times", "The keeper's cottage", "Seals on the sandbanks"]
RELATED = [
    ("Ten harbours to visit this summer", "Why the ferry is late again"),
    ("How to read a tide table", "Our favourite quayside cafes"),
    ("The old rope works reopens", "A weekend on the islands"),
    ("Storm damage on the pier", "Where the puffins nest"),
]
FORECAST = "Read the <a href=/f>full forecast</a> on the weather service's page before you sail."


def page(host: str, n: int) -> str:
    """A news page: a menu of links, a linked headline, prose (one line with
    a link inside it), and a list of related links."""
    return (
        "<html><body><nav><ul><li><a href=/>Home</a></li><li><a href=/about>About us</a></li></ul></nav>"
        f"<h1><a href=/post{n}>{HEADLINES[n]}</a></h1>"
        f"<p>{BODIES[n]}</p><p>{FORECAST}</p>"
        f"<div class=related><a href=/a{n}>{RELATED[n][0]}</a><br>"
        f"<a href=/b{n}>{RELATED[n][1]}</a></div></body></html>"
    )


# The link-line tests judge over the rule's verdicts alone: with the block
# model (the default) most related links on a site's pages already go as
# learned_boilerplate, before the link-line check sees them.
RULE = BoilerplateConfig(block_model="none")


def documents(hosts: list[str]) -> list:
    return [
        html_document(page(h, i), id=f"p{i}", source="crawl", line=i + 1, url=f"https://{h}/post{i}") for i, h in enumerate(hosts)
    ]


def kept(analysis, i: int) -> list[str]:
    return [line for line in analysis.cleaned[i].split("\n") if line]


def removed_as_links(analysis, i: int) -> int:
    return int((analysis.action[i] == LINK_TEXT).sum())


def test_a_lone_page_loses_its_link_lines_and_keeps_its_headline():
    analysis = analyse(documents(["harbour.example"]))
    assert kept(analysis, 0) == [
        "A long day at the harbour",  # a link, but the page's first <h1>
        BODY,
        "Read the full forecast on the weather service's page before you sail.",  # a link inside prose
    ]
    assert removed_as_links(analysis, 0) == 4  # two menu entries, two related links


def test_pages_with_siblings_are_left_to_the_rule_unless_all():
    three = documents(["a.example"] * 3 + ["b.example"])
    analysis = analyse(three, Config(boilerplate=RULE))
    # a.example has three pages: its menu is a template, its related links
    # (each on one page) are the rule's to judge, and it keeps them.
    assert [removed_as_links(analysis, i) for i in range(3)] == [0, 0, 0]
    assert all(RELATED[i][0] in kept(analysis, i) for i in range(3))
    # b.example's lone page: its related links go as link text (its menu, the
    # same as a.example's, as a template).
    assert kept(analysis, 3) == [HEADLINES[3], BODIES[3]]
    assert removed_as_links(analysis, 3) == 2
    every = analyse(three, Config(boilerplate=BoilerplateConfig(block_model="none", link_lines="all")))
    assert all(RELATED[i][0] not in kept(every, i) for i in range(4))
    never = analyse(three, Config(boilerplate=BoilerplateConfig(block_model="none", link_lines="none")))
    assert all((never.action[i] != LINK_TEXT).all() for i in range(4))
    assert RELATED[3][1] in kept(never, 3)


def test_on_a_site_link_lines_go_where_the_site_puts_templates():
    # Three pages of one site: a "related" box whose heading every page
    # carries (a template) and whose links change from page to page; and a
    # list of links that is the page's content (a reading list), whose
    # path holds content elsewhere on the site.
    heading = "More from the harbour desk, picked for you by the editors of this site every morning"
    docs = []
    for i in range(3):
        html = (
            f"<html><body><h1>{HEADLINES[i]}</h1><p>{BODIES[i]}</p>"
            f"<ol><li>{BODIES[3 - i][:60]}</li><li><a href=/r{i}>{RELATED[i][1]} (reading list)</a></li></ol>"
            f"<aside><p>{heading}</p><p><a href=/a{i}>{RELATED[i][0]}</a></p></aside></body></html>"
        )
        docs.append(html_document(html, id=f"p{i}", source="crawl", line=i + 1, url=f"https://a.example/{i}"))
    analysis = analyse(docs, Config(boilerplate=RULE))
    for i in range(3):
        assert RELATED[i][0] not in kept(analysis, i)  # its path's text on the site: mostly the template heading
        assert f"{RELATED[i][1]} (reading list)" in kept(analysis, i)  # its path: content
        assert removed_as_links(analysis, i) == 1
    none = analyse(docs, Config(boilerplate=BoilerplateConfig(block_model="none", link_lines="none")))
    assert all(RELATED[i][0] in kept(none, i) for i in range(3))


def test_text_input_has_no_link_evidence():
    docs = [dedupe.Document(id="t", text="Home\n\nAbout us\n\n" + BODY + "\n", source="mem", url="https://t.example/")]
    analysis = analyse(docs)
    assert (analysis.action[0] == KEEP).all()


def test_lone_pages_count_pages_without_a_url_as_one_site():
    host = np.array([0, 0, 0, 1, -1, -1, 2, -1])
    assert lone_pages(host, 3).tolist() == [False, False, False, True, False, False, True, False]
    assert lone_pages(host, 2).tolist() == [False, False, False, True, False, False, True, False]
    assert lone_pages(host, 4).tolist() == [True, True, True, True, True, True, True, True]
    assert lone_pages(np.zeros(0, np.int64), 3).tolist() == []


def test_the_report_counts_link_text(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "page.html").write_text(page("harbour.example", 0), encoding="utf-8")
    dedupe.clean([tmp_path / "in"], tmp_path / "out", report=tmp_path / "r.json")
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["summary"]["blocks_removed"]["link_text"] == 4
    assert report["config"]["link_lines"] == "auto"


def test_link_lines_must_be_a_known_word():
    with pytest.raises(ValueError, match="link_lines"):
        BoilerplateConfig(link_lines="some")


@pytest.mark.parametrize("name, thresholds, judged, other", [
    # Restore: lower where trafilatura's verdict removes what the model puts back wrongly.
    ("restore_threshold", restore_thresholds, 0.4, 0.9),
    # Content: higher on text pages, where the model is the only judge of a page on its own.
    ("content_threshold", content_thresholds, 0.15, 0.25),
])
def test_the_default_thresholds_are_by_kind_of_page(name, thresholds, judged, other):
    """Pages read from HTML with a page extractor get one default, the
    others (text) the other; a number given applies to every page."""
    docs = [*documents(["a.example"] * 2), dedupe.Document(id="t", text=BODY + "\n", source="mem")]
    table = block_table(docs, Config())
    assert thresholds(table, BoilerplateConfig(), "trafilatura").tolist() == [judged, judged, other]
    assert thresholds(table, BoilerplateConfig(), "none").tolist() == [other] * 3
    assert thresholds(table, BoilerplateConfig(**{name: 0.7}), "trafilatura").tolist() == [0.7] * 3
    with pytest.raises(ValueError, match=name):
        BoilerplateConfig(**{name: 1.5})


def test_a_page_the_model_would_leave_almost_empty_keeps_the_rules_verdicts():
    # Three pages of two blocks the rule keeps (and a template it removes):
    # the model takes one block of page 0, whose other keeps 300 characters;
    # both of page 1, and all but 200 characters of page 2 (one block it
    # takes, the template it restores). Pages 1 and 2 fall back to the rule.
    doc = np.repeat([0, 1, 2], 3)
    action = np.tile([KEEP, KEEP, BOILERPLATE], 3)
    learned = np.array([1, 0, 0, 1, 1, 0, 1, 0, 0], dtype=bool)
    restored = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1], dtype=bool)
    chars = np.array([100, 300, 50, 400, 400, 50, 600, 150, 50], dtype=np.float64)
    assert thin_pages(action, learned, restored, doc, chars, 3).tolist() == [False, True, True]
    assert thin_pages(action, learned & False, restored, doc, chars, 3).tolist() == [False, False, False]
    # A page the rule itself leaves short is short whatever the model says.
    assert thin_pages(action, learned & False, restored, doc, chars / 10, 3).tolist() == [True, True, True]
