"""A page's main text by a per-page extractor: which of its lines it leaves out.

The repetition rule sees what pages share; a line found on one page only
(a reader's comment, a one-off "related" box, a lone page's menu) it keeps.
Per-page extractors judge a page by its own markup instead. With
``--page-extractor trafilatura`` (the ``trafilatura`` extra) every HTML
page is also given to trafilatura (``extract``, comments left out, the
page's URL as its base), and each of the page's lines whose words are not
in the text trafilatura returns gets the :data:`~dedupe.io.html.OUTSIDE_MAIN_TEXT`
mark on its tag path; the model stage (:func:`dedupe.verdicts.apply_model`)
removes such lines as ``outside_main_text``, unless they are the page's own
headline (:mod:`dedupe.own_content`). A page trafilatura returns nothing for
gets no marks: no evidence, the rule's verdicts stand.

A line is in the main text when its words, lower-cased, occur in that
order in the extracted text's words: the extractor re-flows whitespace and
drops markup, so the comparison is on words alone.
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
    whether extractor ``name`` leaves it out of the page's main text; all
    False when it finds no main text (or ``name`` is "none")."""
    if name == "none" or not lines:
        return [False] * len(lines)
    main = _words(_trafilatura(html, url))
    if not main.strip():
        return [False] * len(lines)
    out = []
    for line in lines:
        words = _words(line)
        out.append(bool(words.strip()) and words not in main)
    return out


def _trafilatura(html: str, url: Optional[str]) -> str:
    import trafilatura

    # It logs each page it finds too short or unparsable: the verdict is
    # the empty result, which is no evidence; the run's log stays the run's.
    logger = logging.getLogger("trafilatura")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.CRITICAL)
    try:
        return trafilatura.extract(html, url=url, include_comments=False) or ""
    except Exception:  # noqa: BLE001 - a page it cannot parse gives no evidence, never a failed run
        return ""
