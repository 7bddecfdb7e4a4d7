import numpy as np
import pytest

from dedupe import verify
from dedupe.shingle import ShingleBatch
from dedupe.verify import overlap, shingle_matrix


def test_overlap_equals_python_sets():
    rng = np.random.default_rng(0)
    sets = [rng.integers(0, 50, size=rng.integers(0, 40)).astype(np.uint32) for _ in range(12)]
    batch = ShingleBatch(np.concatenate(sets), np.concatenate([[0], np.cumsum([len(s) for s in sets])]))
    m = shingle_matrix(batch)
    pairs = np.array([(i, j) for i in range(12) for j in range(i + 1, 12)], dtype=np.int64)
    inter, jac, con = overlap(m, pairs)
    for (i, j), n, jj, cc in zip(pairs.tolist(), inter, jac, con):
        a, b = set(sets[i].tolist()), set(sets[j].tolist())
        assert n == len(a & b)
        assert jj == (len(a & b) / len(a | b) if a | b else 1.0)
        assert cc == (len(a & b) / min(len(a), len(b)) if min(len(a), len(b)) else 1.0)


def test_shingle_matrix_is_each_text_s_set_over_the_sorted_distinct_hashes():
    rng = np.random.default_rng(3)
    for _ in range(50):
        counts = rng.integers(0, 7, size=rng.integers(0, 9))
        hashes = rng.integers(0, 12, size=int(counts.sum())).astype(np.uint32) * 1_000_003
        batch = ShingleBatch(hashes, np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))
        m = shingle_matrix(batch)
        columns = np.unique(hashes)
        assert m.shape == (len(counts), len(columns)) and m.has_canonical_format
        assert set(m.data.tolist()) <= {1.0}
        for i, row in enumerate(batch.sets()):
            np.testing.assert_array_equal(columns[m.indices[m.indptr[i] : m.indptr[i + 1]]], row)


def test_containment_of_truncated_copy():
    full = np.arange(100, dtype=np.uint32)
    batch = ShingleBatch(np.concatenate([full, full[:30]]), np.array([0, 100, 130]))
    inter, jac, con = overlap(shingle_matrix(batch), np.array([[0, 1]]))
    assert inter[0] == 30 and jac[0] == 0.3 and con[0] == 1.0


def test_row_products_equal_scipy_s_on_weighted_unsorted_rows_with_duplicates():
    """Any CSR matrices, not only shingle sets: columns out of order and
    repeated within a row (summed, as scipy reads them), weights, two
    different matrices."""
    from scipy import sparse

    rng = np.random.default_rng(4)
    lengths = rng.integers(0, 12, 30)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    cols = rng.integers(0, 25, indptr[-1]).astype(np.int32)  # any order, repeats
    a = sparse.csr_matrix((rng.random(indptr[-1]), cols, indptr), shape=(30, 25))
    b = sparse.csr_matrix(
        (rng.integers(1, 4, 300).astype(np.float32), (rng.integers(0, 20, 300), rng.integers(0, 25, 300))), shape=(20, 25)
    )
    ra, rb = rng.integers(0, 30, 500), rng.integers(0, 20, 500)
    want = np.asarray(a.copy()[ra].multiply(b[rb]).sum(axis=1)).ravel()
    assert not a.has_canonical_format
    got = verify.row_products(a, b, ra, rb)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert want.any()
    with pytest.raises(IndexError):
        verify.row_products(a, b, np.array([0]), np.array([20]))
