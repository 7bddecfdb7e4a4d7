import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe.arrays import group_by, run_starts, segment_arange, unique_inverse

keys = st.lists(st.integers(-5, 40), max_size=200).map(lambda v: np.array(v, dtype=np.int64))


@settings(max_examples=200, deadline=None)
@given(keys)
def test_unique_inverse_is_numpys(values):
    unique, inverse = unique_inverse(values)
    ref_unique, ref_inverse = np.unique(values, return_inverse=True)
    assert unique.tolist() == ref_unique.tolist()
    assert inverse.tolist() == ref_inverse.ravel().tolist()
    assert inverse.dtype == np.int32  # few distinct keys: int32 fits


def test_unique_inverse_takes_the_inverse_type_asked_for():
    assert unique_inverse(np.array([3, 1, 3]), np.int64)[1].dtype == np.int64


@settings(max_examples=200, deadline=None)
@given(keys)
def test_run_starts_mark_each_run_of_a_sorted_array(values):
    values = np.sort(values)
    starts = run_starts(values)
    assert starts.sum() == len(np.unique(values))
    assert all(starts[i] == (i == 0 or values[i] != values[i - 1]) for i in range(len(values)))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 6), max_size=100))
def test_group_by_gives_each_keys_rows_in_order(values):
    values = np.array(values, dtype=np.int64)
    got = [(k, rows.tolist()) for k, rows in group_by(values, 7)]
    expected = [(k, np.flatnonzero(values == k).tolist()) for k in range(7) if (values == k).any()]
    assert got == expected


@given(st.lists(st.integers(0, 5), max_size=20))
def test_segment_arange_counts_within_each_segment(counts):
    expected = [i for c in counts for i in range(c)]
    assert segment_arange(np.array(counts, dtype=np.int64)).tolist() == expected
