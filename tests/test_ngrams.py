import numpy as np
import pytest

from dedupe.executor import spill, spilling_to
from dedupe.ngrams import GramIndex, group_pairs


def test_group_pairs():
    i, j = group_pairs(np.array([3, 1, 2]))
    assert list(zip(i.tolist(), j.tolist())) == [(0, 1), (0, 2), (1, 2), (4, 5)]
    assert group_pairs(np.zeros(0, np.int64))[0].shape == (0,)


def sets_and_index(rng, tmp_path, max_df, dtype=np.uint64):
    """Random n-gram sets of 14 owners in 9 documents, and their index."""
    document = np.sort(rng.integers(0, 9, 14))
    sets = [set(rng.integers(0, 40, int(rng.integers(0, 25))).tolist()) for _ in document]
    index = GramIndex(document, max_df, spilling_to(tmp_path))
    for part in np.array_split(np.arange(len(sets)), 3):  # added in slices, with repeats
        owners = [o for o in part.tolist() for _ in (0, 1)]
        hashes = [np.array(sorted(sets[o]), dtype=dtype) for o in owners]
        index.add(np.concatenate([np.zeros(0, dtype), *hashes]), np.repeat(owners, [len(h) for h in hashes]).astype(np.int64))
    index.build()
    return document, sets, index


@pytest.mark.parametrize("batch", [None, (1, 3)], ids=["one-batch", "a-gram-at-a-time-in-3-parts"])
@pytest.mark.parametrize("spill_rows", [0, 1 << 30], ids=["on-disk", "in-memory"])
@pytest.mark.parametrize("dtype", [np.uint32, np.uint64], ids=["32-bit-keys", "64-bit-keys"])
def test_sizes_intersections_and_sharing_pairs_equal_python_sets(monkeypatch, tmp_path, spill_rows, batch, dtype):
    from dedupe import ngrams

    monkeypatch.setattr(spill, "SPILL_ROWS", spill_rows)
    if batch:
        monkeypatch.setattr(ngrams, "PAIR_BATCH", batch[0])
        monkeypatch.setattr(ngrams, "PARTS", batch[1])
    rng = np.random.default_rng(4)
    document, sets, index = sets_and_index(rng, tmp_path, max_df=3, dtype=dtype)
    with index:
        assert (any(tmp_path.rglob("*.npy"))) == (spill_rows == 0)
        docs_of = {}
        for s, d in zip(sets, document.tolist()):
            for g in s:
                docs_of.setdefault(g, set()).add(d)
        rare = [{g for g in s if len(docs_of[g]) <= 3} for s in sets]
        assert index.sizes.tolist() == [len(s) for s in sets]
        assert index.rare_sizes.tolist() == [len(r) for r in rare]
        pairs = np.array([(a, b) for a in range(14) for b in range(a + 1, 14)])
        assert index.intersections(pairs).tolist() == [len(sets[a] & sets[b]) for a, b in pairs.tolist()]
        for m in (1, 2, 4):
            want = [[a, b] for a, b in pairs.tolist() if len(rare[a] & rare[b]) >= m]
            assert index.sharing_pairs(m).tolist() == want
        assert 0 < sum(len(r) for r in rare) < sum(len(s) for s in sets)  # some n-grams common, some rare
        assert len(index.sharing_pairs(1)) > 3
    assert not list(tmp_path.rglob("*.npy"))


def test_common_ngrams_pair_nobody():
    # Owners 0 and 1 share three rare n-grams; n-gram 9 is in MAX_DF + 1 documents.
    n = 5
    owners = [0, 0, 0, 1, 1, 1, 2] + list(range(n))
    hashes = [1, 2, 3, 1, 2, 3, 1] + [9] * n
    with GramIndex(np.arange(n), max_df=n - 1) as index:
        index.add(np.array(hashes, np.uint64), np.array(owners, np.int64))
        index.build()
        assert index.sharing_pairs(3).tolist() == [[0, 1]]
        assert index.sharing_pairs(1).tolist() == [[0, 1], [0, 2], [1, 2]]
        assert index.intersections(np.array([[3, 4]])).tolist() == [1]  # still counted in the sets
