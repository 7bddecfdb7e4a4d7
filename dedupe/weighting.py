"""How much each block weighs when two documents are compared as copies."""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

__all__ = ["block_weights", "MIN_PROSE_CHARS", "MAX_PROSE_PUNCT"]

_PUNCT = re.compile(r"[^\w\s]")

# Documents are compared as copies on their prose: a site menu or a sidebar
# is many short lines, a republished article is paragraphs, and a page whose
# menu outweighs its body must not look like a copy of every other page of
# its site. Prose is a line of `short_block_words`+ words that is not dense
# with punctuation (markup and code left in a page are). A page with almost
# no prose (a list, a poem) is compared on all its lines instead, so two
# copies of it are still copies.
MIN_PROSE_CHARS = 200
MAX_PROSE_PUNCT = 0.1


def block_weights(texts: Sequence[str], doc_of: np.ndarray, n_docs: int, short_words: int) -> np.ndarray:
    """Characters per block for comparing documents: prose blocks only, where a document has prose."""
    chars = np.fromiter((len(t.strip()) for t in texts), dtype=np.float64, count=len(texts))
    words = np.fromiter((len(t.split()) for t in texts), dtype=np.float64, count=len(texts))
    punct = np.fromiter((len(_PUNCT.findall(t)) for t in texts), dtype=np.float64, count=len(texts))
    prose = (words >= short_words) & (punct <= MAX_PROSE_PUNCT * np.maximum(chars, 1))
    prose_chars = np.bincount(doc_of, weights=chars * prose, minlength=n_docs)
    has_prose = prose_chars[doc_of] >= MIN_PROSE_CHARS
    return np.where(prose | ~has_prose, chars, 0.0)
