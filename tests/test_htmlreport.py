"""Tests for dedupe.htmlreport: the page's content, that it is self-contained
and escapes crawled text, and (in headless Chromium) what a person sees."""

import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from selectolax.lexbor import LexborHTMLParser

import dedupe
from dedupe.cli import main
from conftest import generated_corpus
from dedupe.htmlreport import SINGLE_FILE_MAX, render_html, write_html
from dedupe import htmlsite
from dedupe.htmlsite import MARKER, files_folder, render_folder

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


# --- the report folder of a large corpus ---------------------------------------------

#: The stated bound on the report folder of 1,000 generated pages (index and folder together).
FOLDER_BOUND = 3_000_000


@pytest.fixture(scope="module")
def big_report(tmp_path_factory) -> Path:
    """The 1,000-page generated corpus (25 sites, syndicated copies), cleaned once for the module."""
    root = tmp_path_factory.mktemp("big")
    corpus = generated_corpus(root / "corpus", 1000, 500, seed=7)
    result = CliRunner().invoke(
        main,
        ["clean", str(corpus), "-o", str(root / "out"), "--html", str(root / "report.html"), "--report", str(root / "report.json"), "-q"],
    )
    assert result.exit_code == 0, result.output
    return root / "report.html"


def folder_files(index: Path) -> list[Path]:
    return sorted((index.parent / files_folder(index.name)).iterdir())


def test_a_large_corpus_gets_an_index_and_a_folder_under_the_bound(big_report):
    data = json.loads((big_report.parent / "report.json").read_text("utf-8"))
    names = [p.name for p in folder_files(big_report)]
    sites = len({d["url"].split("/")[2].removeprefix("www.") for d in data["documents"]})

    assert data["summary"]["documents_read"] == 1000 > SINGLE_FILE_MAX
    assert names == sorted([MARKER, "templates.html", *(f"site-{k}.html" for k in range(sites))])
    size = big_report.stat().st_size + sum(p.stat().st_size for p in folder_files(big_report))
    assert size < FOLDER_BOUND, size
    # Every template in the index, linked to its entry; every site, linked to its file.
    tree = parse(big_report)
    hrefs = {a.attributes["href"] for a in tree.css("a")}
    assert {f"report_files/templates.html#t-{t['template']}" for t in data["boilerplate"]} <= hrefs
    assert {f"report_files/site-{k}.html" for k in range(sites)} <= hrefs


def test_every_link_in_the_folder_leads_to_its_target(big_report):
    data = json.loads((big_report.parent / "report.json").read_text("utf-8"))
    carrying: dict = {}
    for d in data["documents"]:
        for line in d["removed_lines"]:
            if line["template"] is not None:
                carrying.setdefault(line["template"], set()).add(d["id"])
    trees = {p.name: parse(p) for p in folder_files(big_report) if p.suffix == ".html"}
    trees[big_report.name] = parse(big_report)
    anchors = {(name, n.attributes["id"]): n for name, tree in trees.items() for n in tree.css("[id]")}
    checked = 0
    for name, tree in trees.items():
        for a in tree.css("a[href]"):
            target, _, anchor = a.attributes["href"].rpartition("/")[2].partition("#")
            target = target or name
            assert target in trees, (name, a.attributes["href"])
            if anchor:
                assert (target, anchor) in anchors, (name, a.attributes["href"])
                checked += 1
    assert checked > 1000
    # A template's pages carry it; a page shown names each template it carries, and its partners.
    templates = trees["templates.html"]
    for section_ in templates.css("section.template")[:50]:
        k = int(section_.attributes["id"][2:])
        linked = [a.text() for a in section_.css(".pages a")]
        assert linked and set(linked) <= carrying[k], k
    pages = [s for name, tree in trees.items() if name.startswith("site-") for s in tree.css("section.page")]
    assert len(pages) <= 10 * len([n for n in trees if n.startswith("site-")])
    by_id = {d["id"]: d for d in data["documents"]}
    for s in pages:
        doc = by_id[s.attributes["data-doc"]]
        carried = {r["template"] for r in doc["removed_lines"] if r["template"] is not None}
        assert {a.text() for a in s.css(".templates a")} == {f"#{k}" for k in carried}
    partners = {m: set(c["documents"]) - {m} for c in data["syndication"] for m in c["documents"]}
    shared = [s for s in pages if s.css(".shares a")]
    assert len(shared) >= 20
    for s in shared:
        assert {a.text() for a in s.css(".shares a")} <= partners[s.attributes["data-doc"]]


def test_the_folder_escapes_crawled_markup_and_allows_only_its_own_script(shared_report, tmp_path):
    corpus = shared_report.parent / "corpus.jsonl"
    result = dedupe.scan([corpus])
    write_html(result, tmp_path / "r.html", single_file_max=0)

    index = (tmp_path / "r.html").read_text("utf-8")
    [script] = parse(tmp_path / "r.html").css("script")
    digest = base64.b64encode(hashlib.sha256(script.text().encode("utf-8")).digest()).decode()
    csp = parse(tmp_path / "r.html").css_first('meta[http-equiv="Content-Security-Policy"]').attributes["content"]
    policy = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert policy["script-src"] == f"'sha256-{digest}'" and policy["default-src"] == "'none'"
    assert index.lower().count("<script") == 1
    for page_ in (tmp_path / "r_files").glob("*.html"):
        raw = page_.read_text("utf-8")
        assert "<script" not in raw.lower()
        assert "default-src 'none'" in raw
    evil = next(p for p in (tmp_path / "r_files").glob("site-*.html") if "evil" in p.read_text("utf-8"))
    assert "&lt;script&gt;window.__pwned" in evil.read_text("utf-8")
    # Written again as one page (a small corpus): the folder goes with the old report.
    write_html(result, tmp_path / "r.html")
    assert not (tmp_path / "r_files").exists()


def test_the_folder_is_the_same_bytes_each_time_and_refuses_a_folder_it_did_not_write(shared_report, tmp_path):
    result = dedupe.scan([shared_report.parent / "corpus.jsonl"])
    assert render_folder(result) == render_folder(result)
    (tmp_path / "r_files").mkdir()
    (tmp_path / "r_files" / "mine.txt").write_text("keep me", encoding="utf-8")

    with pytest.raises(FileExistsError):
        write_html(result, tmp_path / "r.html", single_file_max=0)
    assert (tmp_path / "r_files" / "mine.txt").read_text(encoding="utf-8") == "keep me"
    assert not (tmp_path / "r.html").exists()


def test_every_list_of_the_folder_keeps_to_its_bound(shared_report, monkeypatch):
    result = dedupe.scan([shared_report.parent / "corpus.jsonl"])
    sites = {}
    for d in result.analysis.documents:
        sites.setdefault(d.url.split("/")[2], []).append(d.id)
    assert len(sites) >= 3 and max(len(v) for v in sites.values()) >= 3
    for name, bound in [("MAX_SITES", 2), ("PAGES_PER_SITE", 2), ("PAGES_PER_TEMPLATE", 1), ("LISTED_PER_SITE", 0)]:
        monkeypatch.setattr(htmlsite, name, bound)

    files = render_folder(result, "r.html")

    assert sorted(files) == ["r.html", "r_files/site-0.html", "r_files/site-1.html", "r_files/templates.html"]
    trees = {k: LexborHTMLParser(v) for k, v in files.items()}
    assert all(len(trees[f"r_files/site-{k}.html"].css("section.page")) <= 2 for k in (0, 1))
    assert not any(t.css("section.page") for k, t in trees.items() if "site-" not in k)
    assert all(len(t.css(".pages a")) <= 1 for t in trees["r_files/templates.html"].css("section.template"))
    assert len(trees["r.html"].css("tr[data-search] a[href*='site-']")) == 2
    assert f"and {len(sites) - 2} more sites" in trees["r.html"].body.text()


def test_browser_clicks_from_a_template_to_its_pages_and_on_to_a_partner(page, big_report):
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    page.goto(big_report.as_uri())

    # The index: a template's number leads to its entry.
    page.locator('a[href$="templates.html#t-2"]').first.click()
    assert page.url.endswith("report_files/templates.html#t-2")
    entry = page.locator("#t-2")
    assert entry.evaluate("e => { const r = e.getBoundingClientRect(); return scrollY > 0 && r.bottom > 0 && r.top < innerHeight; }")
    # A page that carries it, shown in its site's file, tagged with the template.
    page_link = entry.locator(".pages a").first
    doc_id = page_link.inner_text()
    page_link.click()
    shown = page.locator(f'section.page[data-doc="{doc_id}"]')
    assert "/report_files/site-" in page.url and shown.is_visible()
    assert shown.locator('.templates a[href="templates.html#t-2"]').count() == 1
    # On to a syndication partner's page, on another site's file.
    partner_page = page.locator("section.page:has(.shares a)").first
    partner = partner_page.locator(".shares a").first
    partner_id, href = partner.inner_text(), partner.get_attribute("href")
    partner.click()
    target = page.locator(f'section.page[data-doc="{partner_id}"]')
    assert page.url.endswith(href) and target.is_visible()
    assert target.evaluate("e => { const r = e.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; }")
    assert errors == []


def test_browser_filters_the_index_by_what_is_typed(page, big_report):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(big_report.as_uri())
    rows = page.locator("tr[data-search]")
    total = rows.count()

    page.fill("#filter", "newsletter")
    visible = page.locator("tr[data-search]:visible")
    assert 0 < visible.count() < total
    assert all("newsletter" in t.lower() for t in visible.all_inner_texts())
    page.fill("#filter", "")
    assert page.locator("tr[data-search]:visible").count() == total
    assert errors == []  # the policy let the filter run (a blocked script is a console error)
