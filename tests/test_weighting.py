import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe.weighting import MAX_PROSE_PUNCT, MIN_PROSE_CHARS, block_weights

_PUNCT = re.compile(r"[^\w\s]")


def _reference(texts, doc_of, n_docs, short_words):
    """block_weights as first written, with str methods and the regex: the compiled counts' oracle."""
    chars = np.array([len(t.strip()) for t in texts], dtype=np.float64)
    words = np.array([len(t.split()) for t in texts], dtype=np.float64)
    punct = np.array([len(_PUNCT.findall(t)) for t in texts], dtype=np.float64)
    prose = (words >= short_words) & (punct <= MAX_PROSE_PUNCT * np.maximum(chars, 1))
    prose_chars = np.bincount(doc_of, weights=chars * prose, minlength=n_docs)
    return np.where(prose | ~(prose_chars[doc_of] >= MIN_PROSE_CHARS), chars, 0.0)


_LINE = st.text(st.sampled_from(list("ab_9 .,!\t\x0b\x1c\x1f\u00a0\u00e9\u2019\u3000")), max_size=80)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_LINE, st.integers(0, 2)), max_size=40), st.integers(1, 12))
def test_block_weights_are_the_reference(lines, short_words):
    texts = [t for t, _ in lines]
    doc_of = np.sort(np.array([d for _, d in lines], dtype=np.int64))
    assert block_weights(texts, doc_of, 3, short_words).tolist() == _reference(texts, doc_of, 3, short_words).tolist()
