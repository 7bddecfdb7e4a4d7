"""Per-block evidence for the learned block model.

Every block (line) gets a row of numbers: what the line itself says (length,
stop words, punctuation, sentence shape, link- or menu-like shape), where it
sits in its page (header and footer runs, distance to the page's longest
paragraph), what the corpus says about it (how many pages and pages of its
site carry it, whether the repetition rule calls it a template, whether it
repeats in its page) and the same about its neighbours, because boilerplate
comes in runs. Missing values (no neighbour, no tag path) are NaN, which the
gradient-boosted trees handle natively.
"""

from __future__ import annotations

import re
from typing import Optional, Sequence

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

__all__ = ["Evidence", "base_features", "context_features", "segment_features", "stacked_features", "words_of",
           "BASE_NAMES"]

_WORD = re.compile(r"\w+")
_PUNCT = re.compile(r"[^\w\s]")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*(?:\s|$)")
_SEPARATORS = re.compile(r"[|»›·•©®™→]|&gt;|\s-\s")
_URL = re.compile(r"https?://|www\.|\.(?:com|org|net)\b|@\w+\.", re.I)
_STOP = frozenset(ENGLISH_STOP_WORDS)
# A time of day, a month name with a day, or a year: the stamp of a byline, a
# post or a reader's comment ("Todd — June 27th, 2012, 12:39 pm").
_DATED = re.compile(
    r"\b\d{1,2}:\d{2}\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)? (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"|\b(?:19|20)\d{2}\b",
    re.I,
)
# A dated line longer than this is prose that mentions a date, not a stamp.
_DATED_MAX_WORDS = 25

# Tag path cues, for blocks that came from HTML.
_TAGS = ("a", "li", "nav", "header", "footer", "aside", "p", "h", "td", "form", "button", "article", "main")

LEXICAL = [
    "log_words", "log_chars", "stop_frac", "punct_frac", "digit_frac", "upper_frac", "title_frac",
    "ends_sentence", "log_sentences", "separator", "url", "avg_word_len", "short_no_sentence", "dated",
]
CORPUS = ["log_docfreq", "log_site_docfreq", "rule_template", "repeat", "log_variants"]
POSITION = ["rel_pos", "log_from_start", "log_from_end", "log_doc_lines", "log_doc_words", "word_share",
            "rel_to_longest", "after_longest"]
BASE_NAMES = LEXICAL + CORPUS + POSITION
# Features of neighbours, at these offsets.
_NEIGHBOUR = ["log_words", "stop_frac", "rule_template", "log_docfreq", "ends_sentence", "punct_frac"]
_OFFSETS = (-3, -2, -1, 1, 2, 3)
_WINDOWS = (2, 5)


class Evidence:
    """What the corpus stage found about each block, as arrays of shape (n_blocks,).

    ``docfreq``: documents carrying the block's cluster; ``site_docfreq``:
    those of them on the block's own site (documents without a URL count as
    one site); ``variants``: distinct normalised texts in the cluster
    (near-duplicate templates have several); ``rule_template``: the
    repetition rule's verdict; ``repeat``: repeats a block of its page.
    """

    def __init__(self, doc, cluster, key, host, rule_template, repeat):
        self.doc = doc
        self.rule_template = rule_template
        self.repeat = repeat
        n_clusters = int(cluster.max()) + 1 if len(cluster) else 0
        pairs = np.unique(np.stack([cluster, doc]), axis=1)
        self.docfreq = np.bincount(pairs[0], minlength=n_clusters)[cluster]
        site = host[doc]
        triples, inverse = np.unique(np.stack([cluster, site]), axis=1, return_inverse=True)
        per_site = np.unique(np.stack([cluster, site, doc]), axis=1)
        _, which = np.unique(per_site[:2], axis=1, return_inverse=True)
        self.site_docfreq = np.bincount(which.ravel(), minlength=triples.shape[1])[inverse.ravel()]
        variants = np.unique(np.stack([cluster, key]), axis=1)
        self.variants = np.bincount(variants[0], minlength=n_clusters)[cluster]


def _lexical(text: str) -> list[float]:
    words = _WORD.findall(text)
    n_words = len(words)
    n_chars = len(text)
    letters = sum(c.isalpha() for c in text)
    stop = sum(w.lower() in _STOP for w in words)
    title = sum(w[0].isupper() for w in words)
    sentences = len(_SENTENCE_END.findall(text))
    ends = 1.0 if _SENTENCE_END.search(text[-3:] if len(text) >= 3 else text) else 0.0
    return [
        np.log1p(n_words),
        np.log1p(n_chars),
        stop / n_words if n_words else 0.0,
        len(_PUNCT.findall(text)) / n_chars if n_chars else 0.0,
        sum(c.isdigit() for c in text) / n_chars if n_chars else 0.0,
        sum(c.isupper() for c in text) / letters if letters else 0.0,
        title / n_words if n_words else 0.0,
        ends,
        np.log1p(sentences),
        1.0 if _SEPARATORS.search(text) else 0.0,
        1.0 if _URL.search(text) else 0.0,
        (sum(len(w) for w in words) / n_words) if n_words else 0.0,
        1.0 if n_words <= 4 and not ends else 0.0,
        1.0 if n_words <= _DATED_MAX_WORDS and _DATED.search(text) else 0.0,
    ]


def base_features(texts: Sequence[str], evidence: Evidence) -> np.ndarray:
    """Features of each block on its own and in its page.

    Returns
    -------
    ndarray of float32, shape (n_blocks, len(BASE_NAMES))
    """
    n = len(texts)
    doc = evidence.doc
    lex = np.array([_lexical(t.strip()) for t in texts], dtype=np.float64).reshape(n, len(LEXICAL))
    corpus = np.stack(
        [
            np.log1p(evidence.docfreq),
            np.log1p(evidence.site_docfreq),
            evidence.rule_template.astype(np.float64),
            evidence.repeat.astype(np.float64),
            np.log1p(evidence.variants),
        ],
        axis=1,
    )
    # Position in the page.
    starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]]) if n else np.zeros(0, np.int64)
    lengths = np.diff(np.r_[starts, n])
    first = np.repeat(starts, lengths)
    count = np.repeat(lengths, lengths).astype(np.float64)
    idx = np.arange(n) - first
    words = np.expm1(lex[:, 0])
    doc_words = np.bincount(np.repeat(np.arange(len(starts)), lengths), weights=words)
    doc_words_b = np.repeat(doc_words, lengths)
    # The page's longest block: main content sits around it.
    longest = np.zeros(len(starts), dtype=np.int64)
    if n:
        order = np.lexsort((-words, np.repeat(np.arange(len(starts)), lengths)))
        firsts = np.r_[0, np.cumsum(lengths)[:-1]]
        longest = order[firsts] - starts
    longest_b = np.repeat(longest, lengths)
    position = np.stack(
        [
            idx / np.maximum(count - 1, 1),
            np.log1p(idx),
            np.log1p(count - 1 - idx),
            np.log1p(count),
            np.log1p(doc_words_b),
            words / np.maximum(doc_words_b, 1),
            (idx - longest_b) / np.maximum(count, 1),
            (idx > longest_b).astype(np.float64),
        ],
        axis=1,
    )
    return np.concatenate([lex, corpus, position], axis=1).astype(np.float32)


def _shift(values: np.ndarray, doc: np.ndarray, k: int) -> np.ndarray:
    """``values`` of the block ``k`` places away in the same document, NaN past its edges."""
    n = len(values)
    out = np.full(values.shape, np.nan, dtype=np.float64)
    src = np.arange(n) + k
    ok = (src >= 0) & (src < n)
    ok[ok] &= doc[src[ok]] == doc[np.arange(n)[ok]]
    out[ok] = values[src[ok]]
    return out


def _window_mean(values: np.ndarray, doc: np.ndarray, w: int) -> np.ndarray:
    """Mean of ``values`` over the blocks within ``w`` places, same document."""
    total = np.zeros(len(values))
    count = np.zeros(len(values))
    for k in range(-w, w + 1):
        s = _shift(values, doc, k)
        ok = ~np.isnan(s)
        total[ok] += s[ok]
        count[ok] += 1
    return total / np.maximum(count, 1)


def _page_bounds(doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First row and number of rows of each document (rows are grouped by document)."""
    starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]]) if len(doc) else np.zeros(0, np.int64)
    return starts, np.diff(np.r_[starts, len(doc)])


def _page_total(values: np.ndarray, doc: np.ndarray) -> np.ndarray:
    """Sum of ``values`` over each block's document, per block."""
    starts, lengths = _page_bounds(doc)
    return np.repeat(np.add.reduceat(values, starts), lengths) if len(doc) else np.zeros(0)


def _before(values: np.ndarray, doc: np.ndarray) -> np.ndarray:
    """Sum of ``values`` over the blocks before each block in its document."""
    if not len(doc):
        return np.zeros(0)
    total = np.cumsum(values)
    starts, lengths = _page_bounds(doc)
    offset = np.repeat(np.r_[0.0, total[starts[1:] - 1]], lengths)
    return total - values - offset


def _runs(flag: np.ndarray, doc: np.ndarray, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lines and words of the run of consecutive blocks with the same ``flag``
    (inside one document) that each block belongs to."""
    if not len(doc):
        return np.zeros(0), np.zeros(0)
    run = np.cumsum(np.r_[True, (flag[1:] != flag[:-1]) | (doc[1:] != doc[:-1])]) - 1
    return np.bincount(run)[run].astype(np.float64), np.bincount(run, weights=words)[run]


def words_of(base: np.ndarray) -> np.ndarray:
    """Words per block, from the ``log_words`` column of :func:`base_features`."""
    return np.expm1(base[:, BASE_NAMES.index("log_words")].astype(np.float64))


def segment_features(base: np.ndarray, doc: np.ndarray) -> np.ndarray:
    """Where each block sits among its page's runs of lines, counted in words.

    A menu is a run of many short lines, an article a run of prose, a comment
    section prose after the article behind a run of template lines: for the
    runs of template lines, of short label-like lines and of prose (10+
    words) around each block, the run's length in lines and in words and its
    share of the page's words; then the share of the page's words, and of its
    words the rule keeps, that come before the block, and the words the rule
    keeps before and after it; and for dated lines (bylines, comment
    headers), the lines since the last one and how many come before and
    after. Line counts alone (:func:`base_features`) cannot tell a
    hundred-link menu from a paragraph.

    Returns
    -------
    ndarray of float32, shape (n_blocks, 16)
    """
    words = words_of(base)
    template = base[:, BASE_NAMES.index("rule_template")] > 0
    page_words = np.maximum(_page_total(words, doc), 1)
    cols = []
    for flag in (template, base[:, BASE_NAMES.index("short_no_sentence")] > 0, words >= 10):
        lines, run_words = _runs(flag, doc, words)
        cols += [np.log1p(lines), np.log1p(run_words), run_words / page_words]
    cols.append(_before(words, doc) / page_words)
    kept = words * ~template
    kept_before = _before(kept, doc)
    kept_total = _page_total(kept, doc)
    cols += [kept_before / np.maximum(kept_total, 1), np.log1p(kept_before), np.log1p(kept_total - kept_before - kept)]
    # Dated lines (bylines, comment headers): lines since the last one, and
    # how many come before and after. Readers' comments are prose after the
    # article, each behind a dated header.
    dated = base[:, BASE_NAMES.index("dated")].astype(np.float64)
    starts, lengths = _page_bounds(doc)
    idx = np.arange(len(doc))
    first = np.repeat(starts, lengths)
    last = np.maximum.accumulate(np.where(dated > 0, idx, -1)) if len(doc) else idx
    since = np.where(last >= first, idx - last, np.nan)
    dated_before = _before(dated, doc)
    cols += [np.log1p(since), np.log1p(dated_before), np.log1p(_page_total(dated, doc) - dated_before - dated)]
    return np.stack(cols, axis=1).astype(np.float32)


def context_features(base: np.ndarray, doc: np.ndarray) -> np.ndarray:
    """Neighbours' features, window means and runs: boilerplate comes in runs.

    Returns
    -------
    ndarray of float32, shape (n_blocks, n_context)
    """
    cols = []
    for name in _NEIGHBOUR:
        v = base[:, BASE_NAMES.index(name)].astype(np.float64)
        cols += [_shift(v, doc, k) for k in _OFFSETS]
        cols += [_window_mean(v, doc, w) for w in _WINDOWS]
    neighbours = np.stack(cols, axis=1).astype(np.float32)
    return np.concatenate([neighbours, segment_features(base, doc)], axis=1)


def _window_extreme(values: np.ndarray, doc: np.ndarray, w: int, pick) -> np.ndarray:
    """Max or min (``pick``) of ``values`` over the blocks within ``w`` places, same document."""
    out = values.astype(np.float64).copy()
    for k in range(-w, w + 1):
        s = _shift(values, doc, k)
        ok = ~np.isnan(s)
        out[ok] = pick(out[ok], s[ok])
    return out


def _content_region(proba: np.ndarray, doc: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Where each block sits relative to its page's main-content region (the
    span from the first to the last block the first pass calls content):
    inside (0..1 across it), or blocks before (negative) / after (positive)
    it, scaled by page length. Main content is one run with a few boilerplate
    lines inside; menus and footers lie outside."""
    n = len(doc)
    idx = np.arange(n) - np.repeat(starts, lengths)
    sure = proba >= 0.5
    big = np.iinfo(np.int64).max
    first = np.minimum.reduceat(np.where(sure, idx, big), starts) if n else np.zeros(0, np.int64)
    last = np.maximum.reduceat(np.where(sure, idx, -1), starts) if n else np.zeros(0, np.int64)
    found = last >= 0
    f, l_, c = np.repeat(first, lengths), np.repeat(last, lengths), np.repeat(lengths, lengths).astype(np.float64)
    has = np.repeat(found, lengths)
    inside = (idx - f) / np.maximum(l_ - f, 1)
    outside = np.where(idx < f, (idx - f) / c, (idx - l_) / c)
    where = np.where((idx >= f) & (idx <= l_), inside, 1.0 + np.abs(outside))
    signed = np.where(idx < f, -where, where)
    return np.where(has, signed, np.nan)


def stacked_features(proba: np.ndarray, doc: np.ndarray, words: np.ndarray) -> np.ndarray:
    """The first model's content probability of the neighbours: a second pass
    over the sequence of lines, so one confident line pulls its run along.

    Besides the neighbours' probabilities: the run of confident lines (0.5+)
    each block lies in, in lines and words and as a share of the page's
    words, and the share of the page's expected content words (probability
    times words) before and after the block.

    Returns
    -------
    ndarray of float32, shape (n_blocks, 24)
    """
    cols = [_shift(proba, doc, k) for k in (-4, -3, -2, -1, 1, 2, 3, 4)]
    cols += [_window_mean(proba, doc, w) for w in (1, 3, 6, 12)]
    cols += [_window_extreme(proba, doc, w, np.maximum) for w in (2, 5)]
    cols += [_window_extreme(proba, doc, w, np.minimum) for w in (2, 5)]
    starts, lengths = _page_bounds(doc)
    doc_mean = np.add.reduceat(proba, starts) / lengths if len(doc) else np.zeros(0)
    doc_max = np.maximum.reduceat(proba, starts) if len(doc) else np.zeros(0)
    cols.append(np.repeat(doc_mean, lengths))
    cols.append(np.repeat(doc_max, lengths))
    cols.append(_content_region(proba, doc, starts, lengths))
    cols.append(proba)
    lines, run_words = _runs(proba >= 0.5, doc, words)
    mass = proba * words
    mass_total = np.maximum(_page_total(mass, doc), 1e-9)
    mass_before = _before(mass, doc)
    cols += [np.log1p(lines), np.log1p(run_words), run_words / np.maximum(_page_total(words, doc), 1),
             mass_before / mass_total, (mass_total - mass_before - mass) / mass_total]
    return np.stack(cols, axis=1).astype(np.float32)


def tag_features(tag_paths: Optional[Sequence[Optional[str]]], n: int) -> np.ndarray:
    """Cues from each block's HTML tag path; NaN where there is none."""
    out = np.full((n, len(_TAGS)), np.nan, dtype=np.float32)
    if tag_paths is None:
        return out
    for i, path in enumerate(tag_paths):
        if path is None:
            continue
        parts = path.split(">")
        out[i] = [float(any(p == t or (t == "h" and len(p) == 2 and p[0] == "h" and p[1].isdigit()) for p in parts))
                  for t in _TAGS]
    return out
