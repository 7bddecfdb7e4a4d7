import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedupe import arrays
from dedupe.arrays import argsort, group_by, pair_ids, run_starts, segment_arange, unique_inverse

keys = st.lists(st.integers(-5, 40), max_size=200).map(lambda v: np.array(v, dtype=np.int64))


@settings(max_examples=200, deadline=None)
@given(keys)
def test_unique_inverse_is_numpys(values):
    unique, inverse = unique_inverse(values)
    ref_unique, ref_inverse = np.unique(values, return_inverse=True)
    assert unique.tolist() == ref_unique.tolist()
    assert inverse.tolist() == ref_inverse.ravel().tolist()
    assert inverse.dtype == np.int32  # few distinct keys: int32 fits


def _wide_keys(draw_dtype):
    """Keys of one integer type, from its whole range, with repeats."""
    info = np.iinfo(draw_dtype)
    value = st.integers(int(info.min), int(info.max))
    return st.lists(value, max_size=60).flatmap(
        lambda v: st.lists(st.sampled_from(v) if v else value, max_size=60).map(lambda w: np.array(v + w, dtype=draw_dtype))
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from([np.int64, np.uint64, np.int32, np.uint16, np.int8]).flatmap(_wide_keys))
def test_argsort_is_numpys_stable_argsort_on_any_integer_keys(monkeypatch, values):
    # Every length takes the packed path here (past int64's range too,
    # where keys give up low bits and ties are put in order by whole keys).
    monkeypatch.setattr(arrays, "PACKED_FROM", 0)
    got = argsort(values)
    assert got.dtype == np.intp
    assert got.tolist() == np.argsort(values, kind="stable").tolist()


@pytest.mark.parametrize("span", [200, 60_000, 2**40, 2**63], ids=["uint8", "uint16", "packed", "bits-dropped"])
def test_argsort_of_long_keys_is_numpys_stable_argsort(span):
    rng = np.random.default_rng(span % 1000)
    values = rng.integers(0, span, 50_000, dtype=np.int64) - span // 2
    values[::3] = values[1::3]  # equal keys, kept in row order
    values[::7] ^= 1  # keys that differ in their lowest bit only
    assert len(values) >= arrays.PACKED_FROM
    assert argsort(values).tolist() == np.argsort(values, kind="stable").tolist()


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


@pytest.mark.parametrize("scale", [1, 2**40])
def test_pair_ids_number_the_distinct_pairs_in_their_order(scale):
    # Small values make one int64 key a row; values past 2**31 each (scale)
    # overflow that key and take the two-column path: the same ids.
    rng = np.random.default_rng(7)
    a = rng.integers(-5, 6, 2000) * scale
    b = rng.integers(0, 9, 2000) * scale
    ids = pair_ids(a, b)
    pairs = sorted(set(zip(a.tolist(), b.tolist())))
    assert ids.dtype == np.int64
    assert ids.tolist() == [pairs.index(p) for p in zip(a.tolist(), b.tolist())]
    assert pair_ids(a[:0], b[:0]).tolist() == []
