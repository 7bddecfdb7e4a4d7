import numpy as np
import pytest

from dedupe import verify
from dedupe.shingle import ShingleBatch
from dedupe.verify import overlap, shingle_matrix


@pytest.mark.parametrize("batch_size", [5, 1 << 17])
def test_overlap_equals_python_sets(monkeypatch, batch_size):
    monkeypatch.setattr(verify, "_BATCH", batch_size)  # several batches, or one
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


def test_containment_of_truncated_copy():
    full = np.arange(100, dtype=np.uint32)
    batch = ShingleBatch(np.concatenate([full, full[:30]]), np.array([0, 100, 130]))
    inter, jac, con = overlap(shingle_matrix(batch), np.array([[0, 1]]))
    assert inter[0] == 30 and jac[0] == 0.3 and con[0] == 1.0
