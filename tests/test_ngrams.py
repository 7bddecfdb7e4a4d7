import numpy as np
import pytest

from dedupe.executor import spill, spilling_to
from dedupe.ngrams import SHARDS, GramIndex, group_pairs, shard_rows


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


def test_shard_rows_are_the_distinct_rows_by_shard_then_key_then_owner():
    rng = np.random.default_rng(7)
    counts = rng.integers(0, 30, 50)
    hashes = rng.integers(0, 1 << 32, int(counts.sum()), dtype=np.uint64).astype(np.uint32)
    hashes[::3] = hashes[1::3][: len(hashes[::3])]  # repeats within and across owners
    owner = np.repeat(np.arange(len(counts)), counts)
    key, got_owner, bounds = shard_rows(hashes, counts)
    want = sorted({(int(h) % SHARDS, int(h), int(o)) for h, o in zip(hashes.tolist(), owner.tolist())})
    assert key.dtype == np.uint32
    assert list(zip((key % SHARDS).tolist(), key.tolist(), got_owner.tolist())) == want
    assert bounds.tolist() == [sum(1 for w in want if w[0] < s) for s in range(SHARDS + 1)]
    key, got_owner, bounds = shard_rows(np.zeros(0, np.uint32), np.zeros(3, np.int64))
    assert len(key) == len(got_owner) == 0 and bounds.tolist() == [0] * (SHARDS + 1)
    with pytest.raises(ValueError):
        shard_rows(np.zeros(2, np.uint64), np.array([2]))


@pytest.mark.parametrize("spill_rows", [0, 1 << 30], ids=["on-disk", "in-memory"])
@pytest.mark.parametrize("threads", [1, 3], ids=["one-thread", "three-threads"])
@pytest.mark.parametrize("order", [1, -1], ids=["slices-in-order", "slices-backwards"])
def test_an_index_added_sorted_builds_the_same_shards_as_one_added_raw(monkeypatch, tmp_path, spill_rows, threads, order):
    # Built by threads, a shard each, each counting into its own sizes: the
    # same shards and counts as the raw rows built one shard at a time.
    # Slices added backwards are no sorted runs: the build sorts the rows it
    # read back from disk and merged in place.
    monkeypatch.setattr(spill, "SPILL_ROWS", spill_rows)
    rng = np.random.default_rng(11)
    document = np.sort(rng.integers(0, 40, 120))
    counts = rng.integers(0, 60, len(document))
    # Few distinct hashes, all shards: n-grams shared by many owners, some past max_df.
    hashes = (rng.integers(0, 400, int(counts.sum())) * 7919 % (1 << 32)).astype(np.uint32)
    owner = np.repeat(np.arange(len(document), dtype=np.int64), counts)
    raw = GramIndex(document, 5, spilling_to(tmp_path / "raw"), fingerprints=True)
    runs = GramIndex(document, 5, spilling_to(tmp_path / "runs"), fingerprints=True)
    raw.add(hashes, owner)
    ends = np.cumsum(counts)
    for a, b in ((0, 17), (17, 18), (18, 70), (70, 120))[::order]:  # slices of owners, as the workers make them
        key, local, bounds = shard_rows(hashes[(ends[a - 1] if a else 0) : ends[b - 1]], counts[a:b])
        runs.add_sorted(key, local.astype(np.int64) + a, bounds)
    with raw, runs:
        raw.build()
        runs.build(threads)
        for name in ("sizes", "rare_sizes", "fingerprints"):
            assert getattr(raw, name).tolist() == getattr(runs, name).tolist()
        pairs = np.array([(a, b) for a in range(0, 120, 7) for b in range(a + 1, 120, 5)])
        assert runs.intersections(pairs).tolist() == raw.intersections(pairs).tolist()
        assert runs.sharing_pairs(2).tolist() == raw.sharing_pairs(2).tolist()
        shards = list(zip(raw.shards(), runs.shards()))
        assert len(shards) == SHARDS
        for want, got in shards:
            assert want.keys() == got.keys()
            # Owners given as int64 are kept as int32 (they fit): the widest
            # column of the rows, which go to disk on a large corpus.
            assert got["owner"].dtype == want["owner"].dtype == np.int32
            for name in want:
                assert want[name].dtype == got[name].dtype
                assert want[name].tolist() == got[name].tolist()


def test_sharded_shingles_on_the_workers_index_as_shingles_added_raw():
    from dedupe.executor.parallel import Workers
    from dedupe.sign import sharded_shingles, shingles

    rng = np.random.default_rng(3)
    words = ["alpha", "Beta", "gamma,", "délta", "eps", "zeta!", "eta", "theta"]
    texts = [" ".join(rng.choice(words, int(rng.integers(0, 40))).tolist()) for _ in range(300)]
    document = np.arange(len(texts)) // 3
    with Workers(jobs=2, min_chunk=64) as workers:
        workers.warm_up(wait=True)
        parts, counts, sigs = sharded_shingles(workers, texts, "word", 3, (16, 1), normalise=True)
        assert workers.chunks_sent > 0 and len(parts) > 2
        batch, want_sigs = shingles(Workers(1), texts, "word", 3, (16, 1), normalise=True)
    assert counts.tolist() == np.diff(batch.offsets).tolist()
    assert np.array_equal(sigs, want_sigs)
    raw, runs = GramIndex(document, 4, fingerprints=True), GramIndex(document, 4, fingerprints=True)
    raw.add(batch.hashes, np.repeat(np.arange(len(texts), dtype=np.int64), counts))
    for key, owner, bounds in parts:
        runs.add_sorted(key, owner, bounds)
    with raw, runs:
        raw.build()
        runs.build()
        assert runs.sizes.tolist() == raw.sizes.tolist() and runs.fingerprints.tolist() == raw.fingerprints.tolist()
        for want, got in zip(raw.shards(), runs.shards()):
            assert all(want[name].tolist() == got[name].tolist() for name in want)


def test_pair_codes_are_group_pairs_of_the_owners_as_codes():
    from dedupe.ngrams import pair_codes

    rng = np.random.default_rng(9)
    sizes = rng.integers(0, 7, 30)
    owner = rng.integers(0, 1000, int(sizes.sum()) + 5)  # rows past the groups are no group's
    i, j = group_pairs(sizes)
    assert pair_codes(owner, sizes, 1000).tolist() == (owner[i] * 1000 + owner[j]).tolist()
    assert pair_codes(owner.astype(np.int32), sizes, 1 << 40).tolist() == (owner[i] * (1 << 40) + owner[j]).tolist()
    assert pair_codes(owner, np.zeros(0, np.int64), 7).tolist() == []
    with pytest.raises(ValueError):
        pair_codes(owner[:3], np.array([4]), 10)
