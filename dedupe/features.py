"""Per-block evidence for the learned block model.

Every block (line) gets a row of numbers: what the line itself says (length,
stop words, punctuation, sentence shape, link- or menu-like shape), where it
sits in its page (header and footer runs, distance to the page's longest
paragraph), what the corpus says about it (how many pages and pages of its
site carry it, whether the repetition rule calls it a template, whether it
repeats in its page) and the same about its neighbours, because boilerplate
comes in runs; for blocks read from HTML, what their tag path says
(:func:`tag_features`). Missing values (no neighbour, no tag path) are NaN, which the
gradient-boosted trees handle natively.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import numpy as np

from .arrays import pair_ids, unique_inverse
from .lexscan import ascii_flags, char_counts
from .neighbours import before_in_page, neighbour_columns, window_extreme
from .tag_evidence import TAG_NAMES


__all__ = ["Evidence", "lexical_features", "base_features", "context_features", "segment_features", "stacked_features", "words_of",
           "BASE_NAMES", "TAG_NAMES", "STOP_WORDS_FILE"]

_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*(?:\s|$)")
_SEPARATORS = re.compile(r"[|»›·•©®™→]|&gt;|\s-\s")
_URL = re.compile(r"https?://|www\.|\.(?:com|org|net)\b|@\w+\.", re.I)
# scikit-learn's ENGLISH_STOP_WORDS, written out (one word a line) so that
# applying the model needs no scikit-learn (tests/test_features.py checks
# the copy).
STOP_WORDS_FILE = Path(__file__).resolve().parent / "models" / "stop-words.txt"
_STOP = frozenset(STOP_WORDS_FILE.read_text(encoding="ascii").split())
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
# Comment sections: each reader's comment is prose behind a short header
# line that dates it or names its writer ("on 2012-10-16 at 8:03 am Ivan",
# "John says:", "3 days ago"), or followed by a "Reply" link; the section
# opens with a heading ("7 Responses", "Comments (12)", "Reader comments").
_HEADER_MAX_WORDS = 14
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_STAMP = re.compile(
    rf"\b{_MONTH}\s+\d{{1,2}}\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}"
    r"|\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b|\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b|\b\d{1,2}:\d{2}\b"
    r"|\b\d+\s+(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago\b",
    re.I,
)
_SAYS = frozenset(("says", "said", "wrote", "writes", "replied"))
_ACTIONS = frozenset(("reply", "report", "report abuse", "flag", "permalink", "quote", "like", "recommend"))
_COMMENT_HEADING = re.compile(
    r"\W*(?:(?:\d+|no|one|two|three)\s+(?:comments?|responses?|replies|thoughts|reactions|opinions)\b"
    r"|(?:comments?|responses?|replies|discussion)\s*[(\[:]?\s*\d+\W*$"
    r"|(?:reader\s+)?(?:comments?|responses?|discussion)\W*$)",
    re.I,
)

LEXICAL = [
    "log_words", "log_chars", "stop_frac", "punct_frac", "digit_frac", "upper_frac", "title_frac",
    "ends_sentence", "log_sentences", "separator", "url", "avg_word_len", "short_no_sentence", "dated",
    "comment_header", "comment_heading",
]
CORPUS = ["log_docfreq", "log_site_docfreq", "rule_template", "repeat", "log_variants"]
POSITION = ["rel_pos", "log_from_start", "log_from_end", "log_doc_lines", "log_doc_words", "word_share",
            "rel_to_longest", "after_longest"]
BASE_NAMES = LEXICAL + CORPUS + POSITION
# Features of neighbours, at these offsets.
_NEIGHBOUR = ["log_words", "stop_frac", "rule_template", "log_docfreq", "ends_sentence", "punct_frac"]
_OFFSETS = (-3, -2, -1, 1, 2, 3)
_WINDOWS = (2, 5)
# Neighbours each way whose comment headers count (:func:`_comment_section`).
_SECTION_WINDOW = 5


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
        # Per block, the distinct values of ``b`` among the blocks that share its ``a``.
        self.docfreq = _distinct_per(cluster, doc)
        self.site_docfreq = _distinct_per(pair_ids(cluster, host[doc]), doc)
        self.variants = _distinct_per(cluster, key)

    def rows(self, lo: int, hi: int) -> "Evidence":
        """The evidence of blocks ``lo`` to ``hi`` (views)."""
        part = object.__new__(Evidence)
        for name in ("doc", "rule_template", "repeat", "docfreq", "site_docfreq", "variants"):
            setattr(part, name, getattr(self, name)[lo:hi])
        return part


def _distinct_per(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How many distinct ``b`` the rows of each row's ``a`` hold (int32:
    one of these a block, for every block of a corpus)."""
    values, group = unique_inverse(a)
    pairs = pair_ids(a, b)
    of_pair = np.zeros(int(pairs.max()) + 1 if len(pairs) else 0, dtype=group.dtype)
    of_pair[pairs] = group
    del pairs
    return np.bincount(of_pair, minlength=len(values)).astype(np.int32)[group]


def lexical(text: str) -> list[float]:
    """The text features of one block (:data:`LEXICAL`), from its text alone."""
    return _lexical_distinct([text])[0].tolist()


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den``, 0 where ``den`` is 0."""
    return np.divide(num, den, out=np.zeros(len(num)), where=den > 0)


def _lexical_distinct(texts: Sequence[str]) -> np.ndarray:
    # Characters, and what the code points cannot say (stop words,
    # sentences, separators, addresses and dates) by regular expression;
    # for ASCII texts, all but the dates over arrays of their bytes
    # (:mod:`dedupe.lexscan`: the same counts).
    ascii = np.fromiter(map(str.isascii, texts), dtype=bool, count=len(texts))
    on, off = np.flatnonzero(ascii), np.flatnonzero(~ascii)
    counts = np.zeros((len(texts), 7), dtype=np.int64)
    flags = np.zeros((len(texts), 6), dtype=np.int64)
    scanned = ascii_flags([texts[i] for i in on.tolist()], _STOP)
    counts[on], flags[on, :5] = scanned[:, :7], scanned[:, 7:]
    counts[off] = char_counts([texts[i] for i in off.tolist()])
    letters, digits, upper, punct, n_words, word_chars, title = counts.T
    n_chars = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    maybe = on[(digits[on] > 0) & (n_words[on] <= _DATED_MAX_WORDS)]
    flags[maybe, 5] = [_DATED.search(texts[i]) is not None for i in maybe.tolist()]
    rows = []
    for i in off.tolist():
        text, words_in, digits_in = texts[i], int(n_words[i]), int(digits[i])
        words = [w.lower() for w in _WORD.findall(text)]
        rows.append((
            sum(map(_STOP.__contains__, words)),
            len(_SENTENCE_END.findall(text)),
            _SENTENCE_END.search(text[-3:]) is not None,
            _SEPARATORS.search(text) is not None,
            # Every address pattern holds a dot or a slash, every date a digit.
            ("." in text or "/" in text) and _URL.search(text) is not None,
            digits_in > 0 and words_in <= _DATED_MAX_WORDS and _DATED.search(text) is not None,
        ))
    flags[~ascii] = np.array(rows, dtype=np.int64).reshape(len(rows), 6)
    stop, sentences, ends, separator, url, dated = flags.T
    header, heading = _comment_lines(texts, n_words, digits)
    return np.stack([
        np.log1p(n_words),
        np.log1p(n_chars),
        _ratio(stop, n_words),
        _ratio(punct, n_chars),
        _ratio(digits, n_chars),
        _ratio(upper, letters),
        _ratio(title, n_words),
        ends,
        np.log1p(sentences),
        separator,
        url,
        _ratio(word_chars, n_words),
        (n_words <= 4) & (ends == 0),
        dated,
        header,
        heading,
    ], axis=1).astype(np.float64).reshape(len(texts), len(LEXICAL))


def _comment_lines(texts: Sequence[str], n_words: np.ndarray, digits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Of each text: whether it looks like a comment's header (a short line
    with a date or time stamp, ending in "says:" or the like, or a lone
    "Reply"), and whether it is a comment section's heading."""
    header = np.zeros(len(texts), dtype=bool)
    heading = np.zeros(len(texts), dtype=bool)
    for i in np.flatnonzero((n_words > 0) & (n_words <= _HEADER_MAX_WORDS)).tolist():
        text = texts[i]
        low = text.lower().rstrip(" :\t")
        header[i] = (
            (digits[i] > 0 and _STAMP.search(text) is not None)
            or low.rsplit(None, 1)[-1] in _SAYS
            or low.strip(" .!?()[]|»›-") in _ACTIONS
        )
        heading[i] = _COMMENT_HEADING.match(text) is not None
    return header, heading


def lexical_features(texts: Sequence[str], workers=None) -> np.ndarray:
    """:func:`lexical` of each block's text, stripped (the text features:
    a map over blocks, which a Spark run computes in its executors, and
    ``workers`` (:class:`dedupe.executor.parallel.Workers`), when given,
    in its processes). A text that several blocks hold (a template) is
    measured once.

    Returns
    -------
    ndarray of float64, shape (len(texts), len(LEXICAL))
    """
    first: dict[str, int] = {}
    which = np.fromiter((first.setdefault(t.strip(), len(first)) for t in texts), dtype=np.int64, count=len(texts))
    distinct = list(first)
    del first
    if workers is None or not distinct:
        return _lexical_distinct(distinct)[which]
    # Each text's row is its own: chunks of the distinct texts, measured
    # where the workers are, give the same rows.
    lengths = np.fromiter(map(len, distinct), dtype=np.int64, count=len(distinct))
    parts = workers.map(_lexical_distinct, lengths, lambda a, b: (distinct[a:b],))
    return np.concatenate(parts)[which]


def base_features(lex: np.ndarray, evidence: Evidence) -> np.ndarray:
    """Features of each block on its own and in its page, from its text's
    :func:`lexical_features` ``lex`` and the corpus ``evidence``.

    Returns
    -------
    ndarray of float32, shape (n_blocks, len(BASE_NAMES))
    """
    n = len(lex)
    doc = evidence.doc
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


def _page_bounds(doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First row and number of rows of each document (rows are grouped by document)."""
    starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]]) if len(doc) else np.zeros(0, np.int64)
    return starts, np.diff(np.r_[starts, len(doc)])


def _page_total(values: np.ndarray, doc: np.ndarray) -> np.ndarray:
    """Sum of ``values`` over each block's document, per block."""
    starts, lengths = _page_bounds(doc)
    return np.repeat(np.add.reduceat(values, starts), lengths) if len(doc) else np.zeros(0)


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
    after; and where the block sits in a comment section
    (:func:`_comment_section`). Line counts alone (:func:`base_features`)
    cannot tell a hundred-link menu from a paragraph.

    Returns
    -------
    ndarray of float32, shape (n_blocks, 20)
    """
    words = words_of(base)
    template = base[:, BASE_NAMES.index("rule_template")] > 0
    page_words = np.maximum(_page_total(words, doc), 1)
    cols = []
    for flag in (template, base[:, BASE_NAMES.index("short_no_sentence")] > 0, words >= 10):
        lines, run_words = _runs(flag, doc, words)
        cols += [np.log1p(lines), np.log1p(run_words), run_words / page_words]
    cols.append(before_in_page(words, doc) / page_words)
    kept = words * ~template
    kept_before = before_in_page(kept, doc)
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
    dated_before = before_in_page(dated, doc)
    cols += [np.log1p(since), np.log1p(dated_before), np.log1p(_page_total(dated, doc) - dated_before - dated)]
    cols += _comment_section(base, doc)
    return _float32_columns(cols)


def _comment_section(base: np.ndarray, doc: np.ndarray) -> list[np.ndarray]:
    """Readers' comments are prose among comment headers after a heading:
    the share of comment headers among a block's neighbours (up to
    :data:`_SECTION_WINDOW` places each way, same page, the block aside),
    how many come before and after it in its page, and whether a comment
    section's heading comes before it."""
    header = base[:, BASE_NAMES.index("comment_header")].astype(np.float64)
    heading = base[:, BASE_NAMES.index("comment_heading")].astype(np.float64)
    starts, lengths = _page_bounds(doc)
    n = len(doc)
    idx = np.arange(n)
    first = np.repeat(starts, lengths)
    end = first + np.repeat(lengths, lengths)
    cum = np.r_[0.0, np.cumsum(header)]
    lo, hi = np.maximum(idx - _SECTION_WINDOW, first), np.minimum(idx + _SECTION_WINDOW + 1, end)
    near = (cum[hi] - cum[lo] - header) / np.maximum(hi - lo - 1, 1)
    before = cum[idx] - cum[first]
    after = cum[end] - cum[idx] - header
    return [near, np.log1p(before), np.log1p(after), (before_in_page(heading, doc) > 0).astype(np.float64)]


def context_features(base: np.ndarray, doc: np.ndarray) -> np.ndarray:
    """Neighbours' features, window means and runs: boilerplate comes in runs.

    Returns
    -------
    ndarray of float32, shape (n_blocks, n_context)
    """
    columns = [BASE_NAMES.index(name) for name in _NEIGHBOUR]
    neighbours = np.empty((len(doc), len(columns) * (len(_OFFSETS) + len(_WINDOWS))), dtype=np.float32)
    neighbour_columns(base[:, columns], doc, _OFFSETS, _WINDOWS, neighbours)
    return np.concatenate([neighbours, segment_features(base, doc)], axis=1)


def _float32_columns(cols: Sequence[np.ndarray]) -> np.ndarray:
    """``np.stack(cols, axis=1).astype(np.float32)`` of float64 columns, one column at a time."""
    out = np.empty((len(cols[0]), len(cols)), dtype=np.float32)
    for j, col in enumerate(cols):
        out[:, j] = np.asarray(col, dtype=np.float64)
    return out


def content_region(proba: np.ndarray, doc: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
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
    near = np.empty((len(doc), 12))
    neighbour_columns(proba, doc, (-4, -3, -2, -1, 1, 2, 3, 4), (1, 3, 6, 12), near)
    cols = list(near.T)
    cols += [window_extreme(proba, doc, w, largest=True) for w in (2, 5)]
    cols += [window_extreme(proba, doc, w, largest=False) for w in (2, 5)]
    starts, lengths = _page_bounds(doc)
    doc_mean = np.add.reduceat(proba, starts) / lengths if len(doc) else np.zeros(0)
    doc_max = np.maximum.reduceat(proba, starts) if len(doc) else np.zeros(0)
    cols.append(np.repeat(doc_mean, lengths))
    cols.append(np.repeat(doc_max, lengths))
    cols.append(content_region(proba, doc, starts, lengths))
    cols.append(proba)
    lines, run_words = _runs(proba >= 0.5, doc, words)
    mass = proba * words
    mass_total = np.maximum(_page_total(mass, doc), 1e-9)
    mass_before = before_in_page(mass, doc)
    cols += [np.log1p(lines), np.log1p(run_words), run_words / np.maximum(_page_total(words, doc), 1),
             mass_before / mass_total, (mass_total - mass_before - mass) / mass_total]
    return _float32_columns(cols)
