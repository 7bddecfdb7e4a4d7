"""The block model's neighbour columns: each row's shifted values and window means, page by page."""

import math

import numpy as np
import pytest

from dedupe.neighbours import neighbour_columns, window_extreme


def _one_by_one(values, doc, offsets, windows):
    n, m = values.shape
    rows = []
    for i in range(n):
        row = []
        for j in range(m):
            for k in offsets:
                s = i + k
                row.append(values[s, j] if 0 <= s < n and doc[s] == doc[i] else math.nan)
            for w in windows:
                near = [values[s, j] for s in range(i - w, i + w + 1)
                        if 0 <= s < n and doc[s] == doc[i] and not math.isnan(values[s, j])]
                row.append(math.fsum(near) / len(near) if near else 0.0)
        rows.append(row)
    return np.array(rows).reshape(n, -1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shifts_stay_in_their_page_and_means_skip_unknown_values(dtype):
    rng = np.random.default_rng(4)
    doc = np.repeat(np.arange(40), rng.integers(1, 9, size=40))  # pages of one line up to eight
    values = rng.normal(size=(len(doc), 3))
    values[rng.random(values.shape) < 0.2] = np.nan
    offsets, windows = (-3, -1, 1, 2), (1, 4)
    out = np.empty((len(doc), 3 * 6), dtype=dtype)
    neighbour_columns(values, doc, offsets, windows, out)
    want = _one_by_one(values, doc, offsets, windows)
    # Shifts are copies; means agree to rounding (the kernel sums in order, fsum does not).
    shifts = np.r_[0:4, 6:10, 12:16]
    assert np.array_equal(out[:, shifts], want[:, shifts].astype(dtype), equal_nan=True)
    assert np.allclose(out, want.astype(dtype), equal_nan=True, rtol=1e-6)
    # The first line of a page never sees the page before it.
    first = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
    assert np.isnan(out[first, 1]).all()  # offset -1


def test_a_wrong_output_shape_is_refused():
    with pytest.raises(ValueError, match="shape"):
        neighbour_columns(np.zeros(5), np.zeros(5, dtype=int), (1,), (2,), np.empty((5, 3)))


def _extreme_by_numpy(values, doc, w, pick):
    """numpy's maximum / minimum of each row with its page's rows within ``w`` places, from ``-w`` up."""
    out = values.copy()
    n = len(doc)
    for k in range(-w, w + 1):
        k = max(-n, min(n, k))
        to, src = (slice(0, n - k), slice(k, n)) if k >= 0 else (slice(-k, n), slice(0, n + k))
        s = values[src]
        ok = (doc[to] == doc[src]) & ~np.isnan(s)
        out[to] = np.where(ok, pick(out[to], s), out[to])
    return out


@pytest.mark.parametrize("w", [0, 1, 2, 5, 40])
def test_window_extremes_are_numpys_inside_the_page(w):
    rng = np.random.default_rng(w)
    doc = np.repeat(np.arange(60), rng.integers(1, 12, size=60))
    values = rng.random(len(doc))
    values[rng.random(len(doc)) < 0.15] = np.nan
    values[rng.random(len(doc)) < 0.1] = 0.5  # ties
    for largest, pick in ((True, np.maximum), (False, np.minimum)):
        got = window_extreme(values, doc, w, largest)
        want = _extreme_by_numpy(values, doc, w, pick)
        assert np.array_equal(got, want, equal_nan=True)
    # A block never sees the page before it.
    # The last line of every even page is 1: the first line of the odd page after it sees 0.
    first = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])[1::2]
    spike = np.zeros(len(doc))
    spike[first - 1] = 1.0
    assert (window_extreme(spike, doc, w, True)[first] == 0).all()
