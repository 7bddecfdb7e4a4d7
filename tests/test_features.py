"""Sequence features of the block model's second pass."""

import re
import subprocess
import sys

import numpy as np

from dedupe import blockmodel, features
from dedupe.features import BASE_NAMES, TAG_NAMES, content_region, segment_features, stacked_features
from dedupe.document import Document


def _region(proba, doc):
    proba, doc = np.asarray(proba, float), np.asarray(doc)
    starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
    return content_region(proba, doc, starts, np.diff(np.r_[starts, len(doc)]))


def test_lines_are_placed_before_inside_or_after_the_content_region():
    # Page 0: menu, menu, content, an ad inside the article, content, footer.
    r = _region([0.1, 0.2, 0.9, 0.1, 0.8, 0.1], [0, 0, 0, 0, 0, 0])
    assert r[0] < r[1] < 0  # before the region, the farther the more negative
    assert r[2] == 0.0 and r[3] == 0.5 and r[4] == 1.0  # inside, 0..1 across it
    assert r[5] > 1.0  # after it


def test_a_page_with_no_confident_line_has_no_region():
    r = _region([0.1, 0.2, 0.3, 0.9], [0, 0, 0, 1])
    assert np.isnan(r[:3]).all() and r[3] == 0.0


def test_window_extremes_stay_inside_the_page():
    proba = np.array([0.9, 0.1, 0.1, 0.1, 0.2, 0.95])
    doc = np.array([0, 0, 0, 1, 1, 1])
    cols = stacked_features(proba, doc, np.ones(6))
    names = 8 + 4  # neighbour shifts, window means; then max over 2, max over 5, min over 2, min over 5
    max2 = cols[:, names]
    assert max2.tolist()[:3] == np.float32([0.9, 0.9, 0.9]).tolist()
    assert max2[3] == np.float32(0.95)  # page 1 sees its own 0.95, not page 0's 0.9
    min5 = cols[:, names + 3]
    assert min5[0] == np.float32(0.1) and min5[5] == np.float32(0.1)


def _base(words, template=None, short=None):
    """Base-feature rows with only the columns segment features read."""
    base = np.zeros((len(words), len(BASE_NAMES)), np.float32)
    base[:, BASE_NAMES.index("log_words")] = np.log1p(words)
    base[:, BASE_NAMES.index("rule_template")] = template if template is not None else 0
    base[:, BASE_NAMES.index("short_no_sentence")] = short if short is not None else 0
    return base


def test_runs_are_counted_in_words_and_stop_at_the_page():
    # Page 0: a menu of three template links, a 40-word paragraph, a 30-word one; page 1: one line.
    words = np.array([1, 2, 1, 40, 30, 5], float)
    template = np.array([1, 1, 1, 0, 0, 1])
    cols = segment_features(_base(words, template), np.array([0, 0, 0, 0, 0, 1]))
    lines, run_words, share = np.expm1(cols[:, 0]), np.expm1(cols[:, 1]), cols[:, 2]
    assert np.allclose(lines, [3, 3, 3, 2, 2, 1]) and np.allclose(run_words, [4, 4, 4, 70, 70, 5], rtol=1e-5)
    assert np.allclose(share[:5], [4 / 74] * 3 + [70 / 74] * 2) and share[5] == 1.0
    prose_words = np.expm1(cols[:, 7])  # the run of 10+ word lines
    assert np.allclose(prose_words, [4, 4, 4, 70, 70, 5], rtol=1e-5)
    # Share of the page's words before each line, then of the words the rule keeps.
    assert np.allclose(cols[:, 9], [0, 1 / 74, 3 / 74, 4 / 74, 44 / 74, 0])
    assert np.allclose(cols[:, 10], [0, 0, 0, 0, 40 / 70, 0])
    kept_after = np.expm1(cols[:, 12])
    assert np.allclose(kept_after, [70, 70, 70, 30, 0, 0], rtol=1e-5)


def test_confident_runs_and_content_mass_in_the_second_pass():
    proba = np.array([0.1, 0.9, 0.8, 0.2, 0.7, 0.6, 0.1])
    doc = np.array([0, 0, 0, 0, 0, 1, 1])
    words = np.array([2, 50, 30, 3, 40, 20, 5], float)
    cols = stacked_features(proba, doc, words)
    run_words, mass_before, mass_after = np.expm1(cols[:, -4]), cols[:, -2], cols[:, -1]
    assert np.allclose(run_words, [2, 80, 80, 3, 40, 20, 5], rtol=1e-5)
    mass = proba[:5] * words[:5]
    assert np.allclose(mass_before[:5], np.r_[0, np.cumsum(mass)[:-1]] / mass.sum(), atol=1e-6)
    assert mass_after[4] == 0 and mass_before[5] == 0  # the last line of page 0; the first of page 1


def test_dated_lines_mark_comment_headers_and_count_along_the_page():
    from dedupe.features import lexical

    dated = BASE_NAMES.index("dated")
    assert lexical("Todd — June 27th, 2012, 12:39 pm")[dated] == 1.0
    assert lexical("Posted by: Tom | October 13, 2012 at 12:29 PM")[dated] == 1.0
    assert lexical("Home")[dated] == 0.0
    assert lexical("In 2012 the council " + "voted " * 30)[dated] == 0.0  # prose that mentions a year
    # Page 0: article, header, comment, header, comment; page 1 has no dated line.
    base = _base(np.array([60, 6, 40, 6, 30, 20], float))
    base[:, dated] = [0, 1, 0, 1, 0, 0]
    cols = segment_features(base, np.array([0, 0, 0, 0, 0, 1]))
    since, before, after = cols[:, 13], np.expm1(cols[:, 14]), np.expm1(cols[:, 15])
    assert np.isnan(since[0]) and np.isnan(since[5])  # no dated line yet on its page
    assert np.allclose(np.expm1(since[1:5]), [0, 1, 0, 1])
    assert np.allclose(before, [0, 0, 1, 1, 2, 0]) and np.allclose(after, [2, 1, 1, 0, 0, 0])



def test_comment_headers_and_headings_mark_a_comment_section():
    from dedupe.features import lexical

    header, heading = BASE_NAMES.index("comment_header"), BASE_NAMES.index("comment_heading")
    for line in ("on 2012-10-16 at 8:03 am Ivan", "John says:", "Reply", "3 days ago", "Posted March 3, 2011 by Ann"):
        assert lexical(line)[header] == 1.0, line
    for line in ("Home", "Leave a Reply", "He says the bridge opened on time and under its budget of the year " * 2):
        assert lexical(line)[header] == 0.0, line
    for line in ("7 Responses", "Comments (12)", "Reader comments", "3 thoughts on “Rain”"):
        assert lexical(line)[heading] == 1.0, line
    for line in ("Posted in News | 16 Comments", "Comments are closed", "Discussion of the budget goes on"):
        assert lexical(line)[heading] == 0.0, line
    # Page 0: an article, the heading, then two comments each behind a header;
    # page 1: one line.
    base = _base(np.array([60, 2, 6, 40, 6, 30, 20], float))
    base[:, header] = [0, 0, 1, 0, 1, 0, 0]
    base[:, heading] = [0, 1, 0, 0, 0, 0, 0]
    cols = segment_features(base, np.array([0, 0, 0, 0, 0, 0, 1]))
    near, before, after, section = cols[:, 16], np.expm1(cols[:, 17]), np.expm1(cols[:, 18]), cols[:, 19]
    # Neighbours within five places on the page, the block itself aside.
    assert np.allclose(near, [2 / 5, 2 / 5, 1 / 5, 2 / 5, 1 / 5, 2 / 5, 0])
    assert np.allclose(before, [0, 0, 0, 1, 1, 2, 0]) and np.allclose(after, [2, 2, 1, 1, 0, 0, 0])
    assert section.tolist() == [0, 0, 1, 1, 1, 1, 0]

def _html_table(pages):
    from dedupe.config import Config
    from dedupe.io.records import html_document
    from dedupe.pipeline import block_table

    docs = [html_document(h, id=str(i), source="t", line=i + 1, url=f"http://site.example/{i}") for i, h in enumerate(pages)]
    return block_table(docs, Config())


_PAGE = (
    "<html><body><nav><ul><li>Home</li><li>World news</li></ul></nav>"
    "<div id=main><article><h1>{title}</h1><p>{body}</p><p>{more}</p></article></div>"
    "<aside><ul><li>{related}</li></ul></aside><footer><p>Copyright the site, all rights reserved</p></footer>"
    "</body></html>"
)
_STORIES = [
    ("Rain falls on the plain", "The farmers of the valley waited all summer for the rain that never came until",
     "Then one Tuesday the clouds rolled in and the rivers rose within hours of it", "Markets close higher"),
    ("A bridge opens downtown", "After six years of building the new bridge carries its first cars across the bay",
     "Commuters say the trip now takes ten minutes instead of the forty it used to", "Schools reopen"),
    ("The orchestra tours abroad", "Forty musicians left this morning for a month of concerts in eleven cities",
     "Their conductor hopes the tour will bring the young players a wider audience", "Storm warning issued"),
]


def test_tag_paths_give_cues_and_what_the_site_says_about_each_path():
    table = _html_table([_PAGE.format(title=t, body=b, more=m, related=r) for t, b, m, r in _STORIES])
    base, context = blockmodel.block_features(table)
    tags = context[:, -len(TAG_NAMES):]
    col = {name: tags[:, i] for i, name in enumerate(TAG_NAMES)}
    texts = table.texts
    home, body, related, footer = (texts.index(t) for t in ("Home", _STORIES[0][1], "Markets close higher",
                                                            "Copyright the site, all rights reserved"))
    assert col["in_nav"][home] == 1 and col["in_li"][home] == 1 and col["in_nav"][body] == 0
    assert col["in_article"][body] == 1 and col["in_p"][body] == 1 and col["in_footer"][footer] == 1
    assert col["in_aside"][related] == 1
    # Every page has each path; the rule calls the nav and footer template.
    assert (col["path_site_pages"] == 1).all()
    assert col["path_template"][home] == 1 and col["path_template"][footer] == 1
    assert col["path_template"][body] == 0
    # The paragraphs share the longest block's parent; the menu does not.
    assert col["path_sibling_longest"][body] == 1 and col["path_sibling_longest"][home] == 0
    assert col["path_near_longest"][body] == 1 > col["path_near_longest"][home]
    # The article's paragraphs hold most of the page's words.
    assert col["path_page_share"][body] > 0.5 > col["path_page_share"][home]
    assert np.isclose(np.expm1(col["log_depth"][body]), 5)  # html>body>div>article>p


def test_blocks_without_tag_paths_have_no_tag_evidence():
    from dedupe.config import Config
    from dedupe.pipeline import block_table

    html = _html_table([_PAGE.format(title=t, body=b, more=m, related=r) for t, b, m, r in _STORIES]).documents
    plain = Document(id="plain", text="Home\n\nA line of plain text", source="p", url="http://site.example/p")
    table = block_table([*html, plain], Config())
    tags = blockmodel.block_features(table)[1][:, -len(TAG_NAMES):]
    from_plain = table.doc == len(html)
    assert np.isnan(tags[from_plain]).all() and not np.isnan(tags[~from_plain]).any()
    only_plain = block_table([plain], Config())
    assert np.isnan(blockmodel.block_features(only_plain)[1][:, -len(TAG_NAMES):]).all()


def test_features_made_a_range_of_pages_at_a_time_are_the_same():
    from dedupe.config import Config
    from dedupe.executor.spill import Shards
    from dedupe.pipeline import block_table

    html = _html_table([_PAGE.format(title=t, body=b, more=m, related=r) for t, b, m, r in _STORIES]).documents
    plain = [Document(id=f"plain{i}", text="Home\n\nA line of plain text\n\nAnd another, longer, one here.",
                      source="p", url=f"http://site.example/p{i}") for i in range(3)]
    table = block_table([*plain[:2], *html, plain[2]], Config())
    whole = list(blockmodel.feature_ranges(table))
    assert len(whole) == 1
    base, context = whole[0][2:]
    # Ranges of a few pages; the text features of ranges waiting their turn on disk.
    for exchange in (None, lambda n: Shards(n, spill_rows=0)):
        ranges = list(blockmodel.feature_ranges(table, exchange, max_blocks=7))
        assert len(ranges) > 3 and [r[0] for r in ranges[1:]] == [r[1] for r in ranges[:-1]]
        assert all(lo == 0 or table.doc[lo] != table.doc[lo - 1] for lo, *_ in ranges)  # whole pages
        assert np.array_equal(np.concatenate([r[2] for r in ranges]), base)
        assert np.array_equal(np.concatenate([r[3] for r in ranges]), context, equal_nan=True)
    assert not np.isnan(context[:, -1]).all()  # the HTML pages' tag evidence is there


def test_page_ranges_hold_whole_pages():
    bounds = np.array([0, 3, 3, 10, 12, 20, 21])  # a page of 7 blocks, an empty one, one of 8
    assert blockmodel.page_ranges(bounds, 5) == [(0, 3), (3, 10), (10, 12), (12, 20), (20, 21)]
    assert blockmodel.page_ranges(bounds, 12) == [(0, 12), (12, 21)]
    assert blockmodel.page_ranges(bounds, 100) == [(0, 21)]
    assert blockmodel.page_ranges(np.array([0]), 5) == []


def _counted_one_by_one(text):
    """The character and word counts of the text features, character by
    character with Python's own str methods (the definition the array
    counting must keep)."""
    import re

    words = re.findall(r"\w+", text)
    n, letters = len(text), sum(c.isalpha() for c in text)
    return {
        "log_words": np.log1p(len(words)),
        "punct_frac": len(re.findall(r"[^\w\s]", text)) / n if n else 0.0,
        "digit_frac": sum(c.isdigit() for c in text) / n if n else 0.0,
        "upper_frac": sum(c.isupper() for c in text) / letters if letters else 0.0,
        "title_frac": sum(w[0].isupper() for w in words) / len(words) if words else 0.0,
        "avg_word_len": sum(len(w) for w in words) / len(words) if words else 0.0,
    }


def test_text_features_count_characters_as_python_does():
    from dedupe.features import LEXICAL, lexical_features

    rng = np.random.default_rng(7)
    pool = ([chr(c) for c in range(0x20, 0x7F)] + list("ÉéßİıǅⅫ½²٣一K\u0301\u00a0\u2028_ſ") + ["\ud800", "\U0001d400"])
    texts = ["", "   ", "  Padded line.  ", "K keep it"]
    texts += ["".join(rng.choice(pool, size=int(rng.integers(0, 60)))) for _ in range(3000)]
    # Past one piece of the array counting, so texts straddle two pieces.
    texts += ["Word " * 400_000, "Ünïcode tail ²3"]
    got = lexical_features(texts)
    assert got.shape == (len(texts), len(LEXICAL))
    for i, text in enumerate(texts):
        want = _counted_one_by_one(text.strip())
        for name, value in want.items():
            assert got[i, LEXICAL.index(name)] == value, (name, text)
    # A text held by several blocks is measured once and given to each.
    again = lexical_features(texts[:50] + texts[:50])
    assert np.array_equal(again[:50], again[50:])
    # Measured in worker processes, in chunks: the same rows, in order.
    from dedupe.executor.parallel import Workers

    with Workers(jobs=2, min_chunk=64) as workers:
        workers.warm_up(wait=True)
        shared = lexical_features(texts[:-2] + texts[:40], workers)
    assert np.array_equal(shared, np.concatenate([got[:-2], got[:40]]))


# The text features' regular expressions, as dedupe.features states them:
# the reference the array scans must match text by text.
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*(?:\s|$)")
_SEPARATORS = re.compile(r"[|»›·•©®™→]|&gt;|\s-\s")
_URL = re.compile(r"https?://|www\.|\.(?:com|org|net)\b|@\w+\.", re.I)
_DATED = re.compile(
    r"\b\d{1,2}:\d{2}\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)? (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"|\b(?:19|20)\d{2}\b",
    re.I,
)


def _matched_one_by_one(text: str) -> dict:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = _WORD.findall(text.lower()) if text.isascii() else [w.lower() for w in _WORD.findall(text)]
    ends = _SENTENCE_END.search(text[-3:]) is not None
    digits = sum(c.isdigit() for c in text)
    return {
        "stop_frac": sum(w in ENGLISH_STOP_WORDS for w in words) / len(words) if words else 0.0,
        "log_sentences": float(np.log1p(len(_SENTENCE_END.findall(text)))),
        "ends_sentence": float(ends),
        "separator": float(_SEPARATORS.search(text) is not None),
        "url": float(_URL.search(text) is not None),
        "dated": float(digits > 0 and len(words) <= 25 and _DATED.search(text) is not None),
        "short_no_sentence": float(len(words) <= 4 and not ends),
    }


def test_text_patterns_are_matched_as_the_regular_expressions_match_them():
    from dedupe.features import LEXICAL, lexical_features

    rng = np.random.default_rng(11)
    ascii_pieces = [chr(c) for c in range(128)] + [
        "the", "THE", "Them", "themselves", "interest", "a", "I", "www.", "WWW.", "http://", "HTTPS://", "https:/",
        ".com", ".COM", ".org", ".net", ".comb", "@", "@x.", "@_.", ". ", ".", "!", "?", '"', "'", ")", "..", " ",
        "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x00", "-", " - ", "|", "&gt;", "&GT;", "&gt", "jan", "Dec.",
        "12", "1", ":", "30", "2012", "1999", "th", "keep", "_", "somethings", "Everything", "themselvesx", "afterwards",
    ]
    other = ["”", "’", "»", "›", "·", "©", "™", "→", "é", "ſ", "\u212a", "\u212aEEP", "İ", "\u00a0", "\u0085", "\u2028",
             "😀", "\ud800", "日本", "。"]
    texts = ["", " ", "x.", "x.\n", "end.\")", "end.')x", "a.\x00", "\x00.", "a - b", "a -b", "x.com", "x.comb",
             "a@b.c", "@.", "mail@x", "June 27th, 2012, 12:39 pm", "The and of THE", "\u212aEEP it.", "naïve café.",
             "end.” next", "x.’", "a.\u00a0", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 jan 5",
             "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 jan 5"]
    for _ in range(6000):
        pool = ascii_pieces if rng.random() < 0.7 else ascii_pieces + other
        texts.append("".join(rng.choice(pool, size=int(rng.integers(0, 25)))))
    got = lexical_features(texts)
    for i, text in enumerate(texts):
        for name, value in _matched_one_by_one(text.strip()).items():
            assert got[i, LEXICAL.index(name)] == value, (name, text)
    # Texts long enough together to straddle pieces of the scan: counted
    # as their repeated unit says.
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    unit, times = "The end. Go to www.x.com ", 360_000
    words = _WORD.findall(unit.lower())
    stop = sum(w in ENGLISH_STOP_WORDS for w in words)
    long = lexical_features(["x", unit * times, "be " + unit * times + "?"])
    col = {name: long[:, LEXICAL.index(name)] for name in LEXICAL}
    assert col["stop_frac"][1:].tolist() == [stop / len(words), (times * stop + 1) / (times * len(words) + 1)]
    assert col["log_sentences"][1:].tolist() == [np.log1p(times), np.log1p(times + 1)]
    assert col["ends_sentence"][1:].tolist() == [0.0, 1.0]
    assert col["url"][1:].tolist() == [1.0, 1.0] and col["separator"][1:].tolist() == [0.0, 0.0]


def test_the_stop_words_are_scikit_learns():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    text = features.STOP_WORDS_FILE.read_text(encoding="ascii")
    assert text == "".join(f"{w}\n" for w in sorted(ENGLISH_STOP_WORDS))


def test_the_features_import_no_scikit_learn():
    code = "import sys, dedupe.features; print(sorted(m for m in ('sklearn', 'skops') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
