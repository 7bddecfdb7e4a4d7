"""A page's main text by a per-page extractor: which of its lines it leaves out.

The repetition rule sees what pages share; a line found on one page only
(a reader's comment, a one-off "related" box, a lone page's menu) it keeps.
Per-page extractors judge a page by its own markup instead. With
``--page-extractor trafilatura`` (the ``trafilatura`` extra) every HTML
page is also given to trafilatura (the page's URL as its base), which
returns its main text and its readers' comments; a line of the page in
the comments, or before the first or after the last line of the main
text, gets the :data:`~dedupe.io.html.OUTSIDE_MAIN_TEXT` mark on its tag
path (``trafilatura-strict``: every line whose words are not in the main
text); the model stage (:func:`dedupe.verdicts.apply_model`)
removes such lines as ``outside_main_text``, unless they are the page's own
headline (:mod:`dedupe.own_content`). A page trafilatura returns nothing for
gets no marks: no evidence, the rule's verdicts stand.

A line is in the main text when its words, lower-cased, occur in that
order in the extracted text's words: the extractor re-flows whitespace and
drops markup, so the comparison is on words alone. A line inside the
main text's span that trafilatura leaves out (a table, a list, a caption,
a product's fields) is the rule's to judge under ``trafilatura``: that is
where trafilatura loses content (see benchmarks/README.md).
"""

from __future__ import annotations

import logging
import re
from typing import Optional, Sequence

__all__ = ["outside_main_text"]

_WORD = re.compile(r"\w+")


def _words(text: str) -> str:
    return " " + " ".join(_WORD.findall(text.lower())) + " "


def outside_main_text(name: str, html: str, lines: Sequence[str], url: Optional[str] = None) -> list[bool]:
    """For each of a page's ``lines`` (its visible-text lines, in order),
    whether extractor ``name`` leaves it out of the page's main text: with
    ``trafilatura``, a line it finds in the page's comments, or before the
    first or after the last line of the main text; with
    ``trafilatura-strict``, every line not in the main text. All False when
    it finds no main text (or ``name`` is "none")."""
    if name == "none" or not lines:
        return [False] * len(lines)
    main, comments = (_words(t) for t in _trafilatura(html, url))
    if not main.strip():
        return [False] * len(lines)
    words = [_words(line) for line in lines]
    inside = [not w.strip() or w in main for w in words]
    if name == "trafilatura-strict":
        return [not x for x in inside]
    found = [k for k, (w, x) in enumerate(zip(words, inside)) if x and w.strip()]
    first, last = (found[0], found[-1]) if found else (0, len(lines) - 1)
    return [
        not x and (w in comments or not first <= k <= last)
        for k, (w, x) in enumerate(zip(words, inside))
    ]


def _trafilatura(html: str, url: Optional[str]) -> tuple[str, str]:
    """The page's main text and its comments, by trafilatura (empty: none found)."""
    from trafilatura import bare_extraction

    # It logs each page it finds too short or unparsable: the verdict is
    # the empty result, which is no evidence; the run's log stays the run's.
    logger = logging.getLogger("trafilatura")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.CRITICAL)
    try:
        found = bare_extraction(html, url=url, include_comments=True, with_metadata=False)
    except Exception:  # noqa: BLE001 - a page it cannot parse gives no evidence, never a failed run
        return "", ""
    if found is None:
        return "", ""
    if isinstance(found, dict):  # trafilatura 1.x (as_dict)
        return found.get("text") or "", found.get("comments") or ""
    return found.text or "", found.comments or ""
