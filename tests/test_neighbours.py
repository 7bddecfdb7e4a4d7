"""The block model's neighbour columns: each row's shifted values and window means, page by page."""

import math

import numpy as np
import pytest

from dedupe.neighbours import neighbour_columns


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
