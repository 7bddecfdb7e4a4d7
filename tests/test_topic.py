"""What a page's own words say of its blocks (dedupe.topic)."""

import numpy as np
import pytest

from dedupe.topic import PROSE_WORDS, TOPIC_NAMES, page_topic_features, topic_features

ARTICLE = [
    "Home News Sport Weather Contact",
    "Mayor Smith opened the new Avon bridge",
    "Mayor John Smith opened the new bridge over the Avon on Monday, to cheers from the crowds on both banks.",
    "The bridge cost 12 million pounds and took three years to build, Smith told the crowds at the opening.",
    "We use cookies to give you the best experience of our website. Accept all cookies or manage them.",
    "Most read: Storm warning for the weekend",
]


def col(name):
    return TOPIC_NAMES.index(name)


def test_lines_that_share_the_articles_words_score_above_chrome():
    got = topic_features(ARTICLE, np.zeros(len(ARTICLE), dtype=np.int64), ["https://news.example/local/mayor-smith-opened-avon-bridge"])
    share = got[:, col("topic_share")]
    # The headline's words are all in the paragraphs; menu, cookie notice and teaser share none.
    assert share[1] == 1.0 and share[0] == share[4] == share[5] == 0.0
    # Each paragraph shares with the other one (itself left out): more than chrome, less than all.
    assert 0 < share[2] < 1 and 0 < share[3] < 1
    assert got[1, col("topic_support")] > got[0, col("topic_support")] == 0
    # The headline spells the URL's slug; the menu does not.
    slug = got[:, col("slug_share")]
    assert slug[1] == 1.0 and slug[0] == 0.0 and 0 < slug[3] < 1
    # One page: one figure of its prose for all its blocks.
    assert len(set(got[:, col("page_prose")].tolist())) == 1 and got[0, col("page_prose")] > 0


def test_pages_are_measured_alone():
    """A page's figures do not depend on the other pages measured with it."""
    other = ["Bridges of the world", "The Avon bridge is one of many bridges that cross rivers across the world, big and small."]
    doc = np.array([0] * len(ARTICLE) + [5] * len(other))
    both = topic_features(ARTICLE + other, doc, ["https://x.example/mayor-smith-opens-bridge", None])
    alone = topic_features(ARTICLE, np.zeros(len(ARTICLE), dtype=np.int64), ["https://x.example/mayor-smith-opens-bridge"])
    assert np.array_equal(both[: len(ARTICLE)], alone, equal_nan=True)
    # No URL, or one without a slug: no slug figure.
    assert np.isnan(both[len(ARTICLE):, col("slug_share")]).all()
    # Stop words and numbers are no topic: "the 2012" shares nothing.
    lone = topic_features(["the 2012 and of", " ".join(["the"] * PROSE_WORDS) + " 2012"], np.zeros(2, dtype=np.int64), [None])
    assert np.isnan(lone[:, col("topic_share")]).all()


def test_pages_split_across_workers_give_the_same_rows():
    from dedupe.executor.parallel import Workers

    rng = np.random.default_rng(3)
    vocab = [f"w{k}" for k in range(300)] + ["the", "of", "and", "a"]
    texts, doc, urls = [], [], []
    for page in range(400):
        n = int(rng.integers(1, 12))
        texts += [" ".join(rng.choice(vocab, size=int(rng.integers(1, 30)))) for _ in range(n)]
        doc += [page * 3] * n
        urls.append(f"https://s{page % 7}.example/w{page % 300}-w{(page + 1) % 300}-w{(page + 2) % 300}" if page % 2 else None)
    doc = np.array(doc)
    want = topic_features(texts, doc, urls)
    assert np.isfinite(want[:, col("slug_share")]).sum() > 100 and (want[:, col("slug_share")] > 0).any()
    with Workers(jobs=2, min_chunk=64) as workers:
        workers.warm_up(wait=True)
        got = page_topic_features(texts, doc, urls, workers)
    assert np.array_equal(got, want, equal_nan=True)


def test_urls_must_match_the_pages():
    with pytest.raises(ValueError, match="2 URLs for 1 pages"):
        topic_features(["a line"], np.zeros(1, dtype=np.int64), [None, None])



def test_every_stop_word_and_number_is_ignored_and_no_other_word():
    # A block of one ignored word has no content words (no share: NaN); a
    # block of any other word has one. Every stop word is looked up, so a
    # lookup that misses words stored past their first slot fails here.
    from dedupe.features import STOP_WORDS_FILE

    stop = sorted(set(STOP_WORDS_FILE.read_text(encoding="ascii").split()))
    others = [f"{w}x{i}" for i in range(300) for w in ("zq", "bridge", "mayor")]
    texts = [ARTICLE[2], *stop, "0", "1999", "12,000", *others]
    out = topic_features(texts, np.zeros(len(texts), dtype=np.int64), [None])
    share = out[:, col("topic_share")]
    ignored = share[1 : 1 + len(stop) + 3]
    assert np.isnan(ignored).all()
    assert not np.isnan(share[1 + len(stop) + 3 :]).any()
