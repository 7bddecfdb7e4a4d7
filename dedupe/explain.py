"""What a threshold and a number of permutations mean, before a long run.

MinHash-LSH cuts each signature of ``num_perm`` values into ``b`` bands of
``r`` rows (datasketch picks them for the threshold; see
:func:`dedupe.lsh.bands_rows`); two texts become a candidate pair when one
band matches in full, which for Jaccard similarity ``s`` happens with
probability ``1 - (1 - s**r)**b``: the S-curve. Only candidates are verified,
so the curve is the recall of the search. Given a corpus, :func:`explain`
also warns about documents the shingling suits badly.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence, Union

from .blocks import WORD
from .config import Config
from .io.readers import read_corpus
from .lsh import bands_rows
from .document import Document
from .stages.boilerplate import host_of  # the hosts the boilerplate stage compares

__all__ = ["LshPlan", "Explanation", "explain", "SIMILARITIES"]

PathLike = Union[str, os.PathLike]

#: Similarities the S-curve is shown at: from 0.1, so that the curve of an
#: index tuned low (the documents', 0.3) rises within it rather than
#: reading 1.000 throughout.
SIMILARITIES = tuple(round(0.1 + 0.05 * i, 2) for i in range(19))

# Scripts written without spaces between words: a whitespace "word" there is
# a phrase or a sentence.
_NO_SPACE_SCRIPT = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)
_LETTER = re.compile(r"[^\W\d_]")
# A document is "without spaces" when this share of its letters is in such a script.
_NO_SPACE_SHARE = 0.3
# Fewer words than this many document shingles' worth is "very short".
_SHORT_SHINGLES = 4
_EXAMPLES = 3
# Warn when at least this share of the documents has no URL with a host...
_NO_URL_SHARE = 0.1
# ... or when at least this share of those with one are their host's only page.
_LONE_PAGE_SHARE = 0.2


@dataclass(frozen=True)
class LshPlan:
    """One LSH index: what it is tuned to and how it cuts signatures.

    Attributes
    ----------
    name : str
        What it compares ("blocks" or "documents").
    option : str
        The option that sets its threshold.
    threshold : float
    num_perm : int
    bands, rows : int
        The split datasketch chose; ``bands * rows <= num_perm``.
    """

    name: str
    option: str
    threshold: float
    num_perm: int
    bands: int
    rows: int

    def probability(self, similarity: float) -> float:
        """Probability that a pair of this Jaccard similarity is a candidate."""
        return 1.0 - (1.0 - similarity**self.rows) ** self.bands


@dataclass
class Explanation:
    """The LSH plans, their S-curves, and warnings.

    Attributes
    ----------
    plans : list of LshPlan
    documents : int
        Documents looked at for warnings (0 without a corpus).
    warnings : list of str
    """

    plans: list[LshPlan]
    documents: int = 0
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The explanation as JSON-ready data (``dedupe explain --json``)."""
        return {
            "lsh": [
                {
                    "name": p.name,
                    "option": p.option,
                    "threshold": p.threshold,
                    "num_perm": p.num_perm,
                    "bands": p.bands,
                    "rows": p.rows,
                    "s_curve": [[s, round(p.probability(s), 4)] for s in SIMILARITIES],
                }
                for p in self.plans
            ],
            "documents": self.documents,
            "warnings": list(self.warnings),
        }


def _examples(docs: Sequence[Document]) -> str:
    shown = ", ".join(d.id for d in docs[:_EXAMPLES])
    return f" (e.g. {shown}{', ...' if len(docs) > _EXAMPLES else ''})"


def _document_warnings(documents: Sequence[Document], config: Config) -> list[str]:
    warnings = []
    n = len(documents)
    doc_ngram = config.shingle.doc_ngram
    short_words = _SHORT_SHINGLES * doc_ngram
    short = [d for d in documents if len(WORD.findall(d.text)) < short_words]
    if short:
        warnings.append(
            f"{len(short)} of {n} documents are very short, under {short_words} words{_examples(short)}: they have "
            f"few word {doc_ngram}-grams, so one changed word moves their similarity a lot and copies of them are "
            f"easily missed (or, below {doc_ngram} words, matched on the whole text only)."
        )
    unspaced = []
    for d in documents:
        letters = len(_LETTER.findall(d.text))
        if letters and len(_NO_SPACE_SCRIPT.findall(d.text)) >= _NO_SPACE_SHARE * letters:
            unspaced.append(d)
    if unspaced:
        warnings.append(
            f"{len(unspaced)} of {n} documents are mostly text written without spaces (Chinese, Japanese, Thai, "
            f"...){_examples(unspaced)}: a whole phrase counts as one word there, so their lines are compared by "
            f"character {config.shingle.char_ngram}-grams (as lines under --short-block-words "
            f"{config.shingle.short_block_words} words are), while syndication's word {doc_ngram}-grams see few "
            "shingles: copies with small edits may be missed."
        )
    return warnings + _site_warnings(documents)


def _site_warnings(documents: Sequence[Document]) -> list[str]:
    """Warnings for a corpus whose pages cannot tell their site: without a
    URL (or one without a host), or alone on their host."""
    warnings = []
    n = len(documents)
    hosts = [host_of(d.url) for d in documents]
    without = [d for d, h in zip(documents, hosts) if h is None]
    if n and len(without) >= _NO_URL_SHARE * n:
        warnings.append(
            f"{len(without)} of {n} documents have no URL with a host{_examples(without)}: a page without one may "
            "be from any site, so the site evidence (--cross-site-min-sites, --same-site-copy-containment) does not "
            "apply to it. Name the URL field with --url-field if the records have one."
        )
    pages = Counter(h for h in hosts if h is not None)
    lone = [d for d, h in zip(documents, hosts) if h is not None and pages[h] == 1]
    with_url = n - len(without)
    if with_url and len(lone) >= _LONE_PAGE_SHARE * with_url:
        warnings.append(
            f"{len(lone)} of {with_url} documents with a URL are their site's only page{_examples(lone)}: "
            "boilerplate is found by its repetition across pages, so a lone page's template lines are found only "
            "where other pages carry them too (on --cross-site-min-sites sites, if on other sites). Crawl more pages "
            "per site, or expect more of their boilerplate kept."
        )
    return warnings


def explain(
    inputs: Sequence[PathLike] = (),
    *,
    config: Optional[Config] = None,
    documents: Optional[Sequence[Document]] = None,
    **options: Any,
) -> Explanation:
    """Explain the LSH set-up of a config, and warn about a corpus.

    Parameters
    ----------
    inputs : sequence of path-like, optional
        A corpus to look at (read as :func:`dedupe.scan` reads it).
    config : Config, optional
        Defaults, changed by ``options``.
    documents : sequence of Document, optional
        Documents already in memory, looked at with those of ``inputs``.
    **options
        Any :class:`Config` option by its flat name (``num_perm=256``).

    Returns
    -------
    Explanation

    Examples
    --------
    >>> e = explain(block_threshold=0.8, num_perm=128)
    >>> [(p.name, p.bands, p.rows) for p in e.plans]
    [('blocks', 9, 13), ('documents', 37, 3)]
    >>> round(e.plans[0].probability(0.9), 2)
    0.93
    """
    config = config or Config()
    if options:
        config = config.replace(**options)
    docs = list(documents or [])
    if inputs:
        docs.extend(read_corpus(inputs, config.read).documents)
    num_perm = config.minhash.num_perm
    plans = []
    for name, option, threshold in (
        ("blocks", "block_threshold", config.boilerplate.block_threshold),
        ("documents", "lsh_threshold", config.syndication.lsh_threshold),
    ):
        bands, rows = bands_rows(threshold, num_perm)
        plans.append(LshPlan(name, option, threshold, num_perm, bands, rows))
    return Explanation(plans=plans, documents=len(docs), warnings=_document_warnings(docs, config))
