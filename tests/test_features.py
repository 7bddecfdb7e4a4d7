"""Sequence features of the block model's second pass."""

import numpy as np

from dedupe.features import _content_region, stacked_features


def _region(proba, doc):
    proba, doc = np.asarray(proba, float), np.asarray(doc)
    starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
    return _content_region(proba, doc, starts, np.diff(np.r_[starts, len(doc)]))


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
    cols = stacked_features(proba, doc)
    names = 8 + 4  # neighbour shifts, window means; then max over 2, max over 5, min over 2, min over 5
    max2 = cols[:, names]
    assert max2.tolist()[:3] == np.float32([0.9, 0.9, 0.9]).tolist()
    assert max2[3] == np.float32(0.95)  # page 1 sees its own 0.95, not page 0's 0.9
    min5 = cols[:, names + 3]
    assert min5[0] == np.float32(0.1) and min5[5] == np.float32(0.1)
