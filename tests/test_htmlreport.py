"""Tests for dedupe.htmlreport: the page's content, that it is self-contained
and escapes crawled text, and (in headless Chromium) what a person sees."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from selectolax.lexbor import LexborHTMLParser

import dedupe
from dedupe.cli import main
from dedupe.htmlreport import render_html

TEASER = "Written by Mahmoud Hakamian"
TEASED = ["001_ea77cd63d6422dfc.txt", "004_0179fb1a56cbaa01.txt"]
EVIL_TEXT = (
    "<script>window.__pwned = 1; document.title = 'pwned'</script>\n\n"
    '<img src="x" onerror="window.__pwned = 2">\n\n'
    "A page whose crawled text holds markup must show it as text."
)


@pytest.fixture(scope="module")
def seeds_report(seeds_dir, tmp_path_factory) -> Path:
    """The seeds run, as the README's command does it (with the JSON report beside)."""
    out = tmp_path_factory.mktemp("seeds")
    result = CliRunner().invoke(
        main, ["clean", str(seeds_dir), "-o", str(out / "out"), "--html", str(out / "report.html"), "--report", str(out / "report.json"), "-q"]
    )
    assert result.exit_code == 0, result.output
    return out / "report.html"


@pytest.fixture(scope="module")
def shared_report(data_dir, tmp_path_factory) -> Path:
    """Two sites sharing a republished story, plus a page whose text is markup."""
    out = tmp_path_factory.mktemp("shared")
    corpus = out / "corpus.jsonl"
    evil = json.dumps({"id": "evil", "url": "https://evil.example/x", "text": EVIL_TEXT})
    corpus.write_text((data_dir / "two_sites.jsonl").read_text("utf-8") + evil + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["clean", str(corpus), "-o", str(out / "out"), "--html", str(out / "report.html"), "-q"])
    assert result.exit_code == 0, result.output
    return out / "report.html"


def parse(path: Path):
    return LexborHTMLParser(path.read_text("utf-8"))


def section(tree, doc_id: str):
    [node] = [s for s in tree.css("section.page") if s.attributes.get("data-doc") == doc_id]
    return node


# --- the page, as HTML ----------------------------------------------------------------


def test_teaser_is_struck_through_in_001_and_004(seeds_report):
    tree = parse(seeds_report)

    for doc_id in TEASED:
        struck = [d.text().strip() for d in section(tree, doc_id).css("del.removed")]
        assert any(t.startswith(TEASER) for t in struck), doc_id
    assert not section(tree, "000_a22970f56303af84.txt").css("del")


def test_summary_shows_counts_reasons_templates_and_the_chart(seeds_report):
    data = json.loads((seeds_report.parent / "report.json").read_text("utf-8"))
    tree = parse(seeds_report)
    text = tree.body.text()

    assert f"{data['summary']['documents_read']}documents read" in text.replace("\n", "")
    reasons = {r.css("td")[0].text(): r.css("td")[2].text() for r in tree.css("table")[0].css("tbody tr")}
    assert set(reasons) == {r.replace("_", " ") for r in data["summary"]["blocks_removed"]}
    removed = sum(int(v.replace(",", "")) for v in reasons.values())
    assert removed == data["summary"]["chars_in"] - data["summary"]["chars_out"]
    templates = tree.css("table")[1].css("tbody tr")
    assert len(templates) == len(data["boilerplate"])
    assert [r.css("td")[2].text() for r in templates] == [str(len(t["documents"])) for t in data["boilerplate"]]
    assert tree.css("svg.chart rect.bar")


def test_shared_passages_are_highlighted_and_linked_both_ways(shared_report):
    tree = parse(shared_report)
    ids = {n.attributes["id"]: n for n in tree.css("[id]")}

    for here, there in [("gazette/flood-barriers", "courier/flood-barriers"), ("courier/flood-barriers", "gazette/flood-barriers")]:
        links = section(tree, here).css("a.shared")
        assert links and all(a.css_first("mark") for a in links)
        target = ids[links[0].attributes["href"][1:]]
        while target.tag != "section":
            target = target.parent
        assert target.attributes["data-doc"] == there
    assert not section(tree, "gazette/story-0").css("a.shared")


def test_crawled_markup_is_escaped_and_nothing_loads(shared_report):
    raw = shared_report.read_text("utf-8")
    tree = parse(shared_report)

    assert "&lt;script&gt;window.__pwned" in raw
    assert not tree.css("script") and not tree.css("img") and not tree.css("link") and not tree.css("iframe")
    assert "<script" not in raw.lower()
    assert not tree.css("[src]") and not tree.css("[onerror]")
    csp = tree.css_first('meta[http-equiv="Content-Security-Policy"]').attributes["content"]
    assert "default-src 'none'" in csp


def test_report_has_no_clock_and_survives_a_lone_surrogate(tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_bytes(b'{"id": "odd", "text": "half an emoji \\ud83d here"}\n{"id": "b", "text": "another page"}\n')
    result = dedupe.scan([corpus])

    assert render_html(result) == render_html(result)
    dedupe.htmlreport.write_html(result, tmp_path / "r.html")
    assert "half an emoji &#55357; here" in (tmp_path / "r.html").read_text("utf-8")


# --- the page, in a browser -----------------------------------------------------------

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, driven by Playwright (which downloads no
    browser of its own here: it is given the executable)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed and could not be (make test runs: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
    with sync_api.sync_playwright() as p:
        # Playwright gives each launch a fresh temporary --user-data-dir.
        b = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def test_browser_shows_the_teaser_struck_through_in_001_and_004(page, seeds_report):
    page.goto(seeds_report.as_uri())

    for doc_id in TEASED:
        teaser = page.locator(f'section[data-doc="{doc_id}"] del.removed', has_text=TEASER)
        assert teaser.count() == 1
        teaser.scroll_into_view_if_needed()
        assert teaser.is_visible()
        assert "line-through" in teaser.evaluate("e => getComputedStyle(e).textDecorationLine")
    kept = page.locator('section[data-doc="000_a22970f56303af84.txt"] .text p').first
    assert kept.evaluate("e => getComputedStyle(e).textDecorationLine") == "none"


def test_browser_follows_the_highlighted_link_between_pages_that_share_text(page, shared_report):
    page.goto(shared_report.as_uri())

    link = page.locator('section[data-doc="gazette/flood-barriers"] a.shared').first
    background = link.locator("mark").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    href = link.get_attribute("href")
    link.click()

    assert page.evaluate("location.hash") == href
    target = page.locator(href)
    assert target.evaluate("e => e.closest('section').dataset.doc") == "courier/flood-barriers"
    assert target.evaluate("e => { const r = e.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; }")


def test_browser_shows_script_in_page_text_as_text(page, shared_report):
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    page.goto(shared_report.as_uri())

    evil = page.locator('section[data-doc="evil"] .text')
    assert "<script>window.__pwned = 1; document.title = 'pwned'</script>" in evil.inner_text()
    assert '<img src="x" onerror="window.__pwned = 2">' in evil.inner_text()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.title().startswith("dedupe report")
    assert page.locator("script, img").count() == 0
    assert errors == []
