"""A page says what is its own: its headline (kept though sibling pages list it in sidebars), rows of a table that differ in their numbers, and cells that repeat in a table."""

from dedupe import Document
import numpy as np
import pytest

from dedupe.own_content import matches_slug, own_headlines, slug_matches, slug_words
from dedupe.pipeline import analyse

TITLES = [
    "Tami Taylor Confirms That Women of Friday Night Lights Would Hate Mitt Romney",
    "Seven Gardening Mistakes That Quietly Ruin Your Tomato Harvest Every Summer",
    "Why The Night Bus Through Lisbon Is The Best Tour Nobody Sells",
    "A Field Guide To Reading Old Maps Without Losing Your Way",
]


def slug(title: str) -> str:
    return "-".join(w.lower() for w in title.split())


def blog(made_up, with_urls: bool = True, tag_paths: bool = False) -> list[Document]:
    """Four posts of one blog: each page is its headline, its body, and a
    "Recent posts" sidebar listing the other posts' headlines."""
    pages = []
    for i, title in enumerate(TITLES):
        sidebar = ["Recent posts", *[t for t in TITLES if t != title]]
        lines = [title, *made_up.prose(f"post{i}"), *sidebar]
        paths = ["html>body>article>h1", *["html>body>article>p"] * 3, *["html>body>aside>ul>li>a"] * 4]
        pages.append(
            Document(
                id=f"post{i}", text="\n\n".join(lines) + "\n", source="blog",
                url=f"https://blog.example/2012/08/{slug(title)}" if with_urls else None,
                tag_paths=tuple(paths) if tag_paths else None,
            )
        )
    return pages


def kept_lines(analysis, i: int) -> list[str]:
    return [line for line in analysis.cleaned[i].split("\n") if line]


def test_the_slug_spells_a_headline():
    words = slug_words("https://blog.example/2012/08/tami-taylor-confirms-women-friday-night-lights.html?x=1")
    assert words == {"tami", "taylor", "confirms", "women", "friday", "night", "lights"}
    assert matches_slug(TITLES[0], words)
    assert not matches_slug("Tami Taylor", words)  # too little of the slug
    assert not matches_slug(TITLES[1], words)
    assert slug_words("https://blog.example/news/2012/") == frozenset()  # no segment of 3 words
    assert slug_words(None) == frozenset()


def test_the_slug_test_of_many_blocks_is_each_blocks_own():
    """Blocks of several pages at once, each tested against its own page's
    slug (runs of one URL, a page without a slug among them), in chunks
    shared by worker processes or not: the single test's answers."""
    from dedupe.executor.parallel import Workers

    urls = [f"https://blog.example/2012/08/{slug(t)}" for t in TITLES] + ["https://blog.example/about/", None]
    texts, page = [], []
    for k, url in enumerate(urls):
        for t in TITLES + ["Recent posts"]:
            texts.append(t)
            page.append(url)
    want = [matches_slug(t, slug_words(u)) for t, u in zip(texts, page)]
    assert sum(want) == len(TITLES)  # each titled page's own headline, nothing else
    assert slug_matches(texts, page).tolist() == want
    with Workers(jobs=2, min_chunk=16) as workers:
        workers.warm_up(wait=True)
        parts = workers.map(slug_matches, np.ones(len(texts)) * 8, lambda a, b: (texts[a:b], page[a:b]))
    assert len(parts) > 1 and np.concatenate(parts).tolist() == want


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_block_tables_slug_test_cuts_its_blocks_texts_a_batch_at_a_time(made_up, monkeypatch, jobs):
    """The block table's slug test over more blocks than a batch: in
    batches of three (in the worker processes or not), each block's own
    answer, the sidebars' copies of other posts' titles no match."""
    from dedupe.config import Config
    from dedupe.executor.parallel import Workers
    from dedupe.pipeline import block_table
    from dedupe.stages import boilerplate

    documents = blog(made_up)
    table = block_table(documents, Config())
    every = np.arange(len(table.doc))
    want = [matches_slug(table.text_of(i), slug_words(documents[table.doc[i]].url)) for i in every.tolist()]
    assert sum(want) == len(TITLES) and len(every) > 3 * 3
    monkeypatch.setattr(boilerplate, "SLUG_BATCH", 3)
    if jobs == 1:
        assert table.slug_matches(every).tolist() == want
    else:
        with Workers(jobs=jobs, min_chunk=1) as workers:
            table.workers = workers
            assert table.slug_matches(every).tolist() == want
    assert table.slug_matches(every[:0]).tolist() == []


def test_a_headline_listed_in_sibling_sidebars_is_kept_on_its_own_page(made_up):
    analysis = analyse(blog(made_up))
    for i, title in enumerate(TITLES):
        kept = kept_lines(analysis, i)
        assert kept[0] == title  # its own headline stays
        assert not set(TITLES) - {title} & set(kept)  # the sidebar's titles go
        assert "Recent posts" not in kept


@pytest.mark.parametrize("numbering", ["block index", "negative", "large"])
def test_own_headlines_do_not_depend_on_how_clusters_are_numbered(numbering):
    # Four pages, each headed by its own title and listing the other three in a sidebar.
    texts, doc, cluster = [], [], []
    for page in range(len(TITLES)):
        for t in [TITLES[page]] + [x for x in TITLES if x != TITLES[page]]:
            doc.append(page)
            texts.append(t)
            cluster.append(TITLES.index(t))
    cluster = np.array(cluster, dtype=np.int64)
    first = {c: texts.index(TITLES[c]) for c in range(len(TITLES))}
    labels = {
        "block index": np.array([first[c] for c in cluster]),
        "negative": -1 - cluster,
        "large": cluster * 10**12 + 7,
    }[numbering]
    urls = [f"https://blog.example/2012/{slug(t)}" for t in TITLES]
    own = own_headlines(
        texts.__getitem__, np.array(doc), labels, urls, lambda d: None, np.ones(len(texts), dtype=bool)
    )
    # Each title is its page's own there, and nowhere else (a quarter of its carriers claim it).
    assert own.tolist() == [i % len(TITLES) == 0 for i in range(len(texts))]


def test_without_evidence_the_rule_decides(made_up):
    """No URL and no tag paths: nothing says which line is the page's, and
    the headlines stay what the rule makes of them (templates)."""
    analysis = analyse(blog(made_up, with_urls=False))
    assert all(TITLES[i] not in kept_lines(analysis, i) for i in range(len(TITLES)))


def test_the_first_h1_is_a_headline_too(made_up):
    analysis = analyse(blog(made_up, with_urls=False, tag_paths=True))
    assert [kept_lines(analysis, i)[0] for i in range(len(TITLES))] == TITLES


def test_a_site_name_every_page_calls_its_h1_is_no_headline(made_up):
    pages = []
    for i, doc in enumerate(blog(made_up, with_urls=False)):
        lines = ["The Field Notes Blog", *doc.text.split("\n\n")]
        paths = ("html>body>header>h1", "html>body>article>h2", *["html>body>article>p"] * 3, *["html>body>aside>ul>li>a"] * 4)
        pages.append(Document(id=doc.id, text="\n\n".join(lines), source="blog", tag_paths=paths))
    analysis = analyse(pages)
    assert all("The Field Notes Blog" not in kept_lines(analysis, i) for i in range(len(pages)))



# --- rows that differ in their numbers, and table cells --------------------------


def family_pages(made_up, tag_paths: bool) -> list[Document]:
    """Three pages of a genealogy site: each a table of births (a name line,
    then a year line per person), with a copyright line whose year differs
    by page, and prose of its own."""
    pages = []
    for p in range(3):
        rows = []
        for k in range(6):
            rows += [f"Person {chr(65 + p)}{chr(65 + k)} Example", str(1890 + 7 * k + p)]
        lines = [*made_up.prose(f"family{p}"), *rows, f"Copyright {2019 + p} The Family Archive"]
        paths = ["html>body>p"] * 3 + ["html>body>table>tr>td"] * len(rows) + ["html>body>footer"]
        pages.append(
            Document(
                id=f"family{p}", text="\n\n".join(lines) + "\n", source="genealogy",
                url=f"https://family.example/page{p}", tag_paths=tuple(paths) if tag_paths else None,
            )
        )
    return pages


def test_a_table_of_years_keeps_its_rows(made_up):
    """From HTML (tag paths say the years are table cells)."""
    analysis = analyse(family_pages(made_up, tag_paths=True))
    for i in range(3):
        kept = kept_lines(analysis, i)
        years = [line for line in kept if line.isdigit()]
        assert len(years) == 6  # every year of the table
        assert not any(line.startswith("Copyright") for line in kept)  # the template's year is its own, once a page


def test_a_table_keeps_its_repeated_cells(made_up):
    """A staff table whose cell repeats in its page ("Harvard University"
    twice) keeps both; a repeated link outside a table is still an in-page repeat."""
    pages = []
    for p in range(3):
        place = made_up.prose(f"place{p}", 1, 3)[0]
        table = [made_up.prose(f"name{p}a", 1, 2)[0], place, made_up.prose(f"name{p}b", 1, 2)[0], place]
        lines = [*made_up.prose(f"staff{p}"), *table, "Share this page", "Share this page"]
        paths = ["html>body>p"] * 3 + ["html>body>table>tr>td"] * len(table) + ["html>body>div>a"] * 2
        pages.append(Document(id=f"staff{p}", text="\n\n".join(lines) + "\n", source="staff", tag_paths=tuple(paths)))
    analysis = analyse(pages)
    for i in range(3):
        kept = kept_lines(analysis, i)
        assert kept.count(made_up.prose(f"place{i}", 1, 3)[0]) == 2
        assert "Share this page" not in kept  # a template, and its in-page repeat with it


def test_the_models_worker_pass_says_which_blocks_spell_their_pages_slug(made_up):
    """Scored in the worker processes, every block's text passes through
    them: they tell the own-headline check which blocks say their page's
    slug, the same answer as the table's own test, block for block; the
    content probabilities are those of a pass in one process."""
    from dedupe import blockmodel
    from dedupe.config import Config
    from dedupe.executor.parallel import Workers
    from dedupe.pipeline import block_table

    documents = blog(made_up) * 3  # more pages than one range of a worker
    table = block_table(documents, Config())
    every = np.arange(len(table.doc))
    want = table.slug_matches(every)
    assert want.sum() == 3 * len(TITLES)
    model = blockmodel.load()
    alone, none_told = model.score(table)
    assert none_told is None
    with Workers(jobs=2, min_chunk=1) as workers:
        workers.warm_up(wait=True)
        table.workers = workers
        content, says_slug = model.score(table)
        assert workers.chunks_sent > 0
    assert says_slug.tolist() == want.tolist()
    assert np.array_equal(content, alone)
