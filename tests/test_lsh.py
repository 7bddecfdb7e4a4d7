import numpy as np
import pytest
from datasketch import MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe import lsh
from dedupe.lsh import WEIGHTS, bands_rows, candidate_pairs
from dedupe.minhash import EMPTY, lean_minhash, signatures
from dedupe.shingle import char_shingles

SEED = 1


def datasketch_pairs(sigs: np.ndarray, threshold: float) -> list[list[int]]:
    """The oracle: every row inserted in datasketch's index, then each queried."""
    index = MinHashLSH(threshold=threshold, num_perm=sigs.shape[1], weights=WEIGHTS)
    for i, row in enumerate(sigs):
        index.insert(i, lean_minhash(row, SEED))
    found = {(i, j) for i, row in enumerate(sigs) for j in index.query(lean_minhash(row, SEED)) if j > i}
    return [list(p) for p in sorted(found)]


def near_duplicates(rng: np.random.Generator, n: int, num_perm: int, b: int, r: int) -> np.ndarray:
    """Signature rows that collide on some bands and not on others.

    Rows are added one at a time from the rows made so far: random rows over
    a tiny alphabet (chance collisions when bands are short), mixes of two
    rows (a random share of columns from each), exact copies, constant rows
    (the empty set's), copies that differ in one value of every band (share
    no band), rows sharing a single band (the last used one included), and
    rows sharing only the columns past ``b * r`` (which no band uses).
    """
    rows = [rng.integers(0, 2**32, num_perm, dtype=np.uint32) for _ in range(3)]
    while len(rows) < n:
        kind = rng.integers(7)
        src = rows[rng.integers(len(rows))]
        if kind == 0:
            row = rng.integers(0, 3, num_perm, dtype=np.uint32)
        elif kind == 1:
            row = np.where(rng.random(num_perm) < rng.random(), rows[rng.integers(len(rows))], src)
        elif kind == 2:
            row = src.copy()
        elif kind == 3:
            row = np.full(num_perm, rng.choice([EMPTY, 0]), dtype=np.uint32)
        elif kind == 4:
            row = src.copy()
            col = np.arange(b) * r + rng.integers(r, size=b)
            row[col] += np.uint32(1)
        elif kind == 5:
            row = rng.integers(0, 2**32, num_perm, dtype=np.uint32)
            k = rng.choice([b - 1, rng.integers(b)])
            row[k * r : (k + 1) * r] = src[k * r : (k + 1) * r]
        else:
            row = rng.integers(0, 2**32, num_perm, dtype=np.uint32)
            row[b * r :] = src[b * r :]
        rows.append(row)
    return np.stack(rows)[rng.permutation(n)]


def check_against_datasketch(sigs: np.ndarray, threshold: float, from_keys: bool = True) -> list[list[int]]:
    """candidate_pairs (and, unless told, pairs_from_band_keys) give datasketch's pairs."""
    want = datasketch_pairs(sigs, threshold)
    got = candidate_pairs(sigs, threshold, SEED)
    assert got.dtype == np.int64 and got.shape == (len(want), 2)
    assert got.tolist() == want
    if from_keys:
        keys = lsh.band_keys(sigs, threshold)
        assert keys.shape == (len(sigs), bands_rows(threshold, sigs.shape[1])[0])
        assert lsh.pairs_from_band_keys(keys).tolist() == want
    return want


def test_candidates_equal_datasketch_queries():
    texts = [f"line number {i % 7} of the footer {i % 3}" for i in range(30)] + ["something else entirely"]
    sigs = signatures(char_shingles(texts, 5), 64, 1)
    got = candidate_pairs(sigs, 0.5, 1)
    index = MinHashLSH(threshold=0.5, num_perm=64, weights=WEIGHTS)
    for i in range(len(texts)):
        index.insert(i, lean_minhash(sigs[i], 1))
    want = sorted({(i, j) for i in range(len(texts)) for j in index.query(lean_minhash(sigs[i], 1)) if j > i})
    assert got.tolist() == [list(p) for p in want]
    assert len(want) > 0


@pytest.mark.parametrize("num_perm", [64, 128, 256])
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7, 0.8, 0.9])
def test_same_pairs_as_datasketch_on_near_duplicates(threshold, num_perm):
    b, r = bands_rows(threshold, num_perm)
    rng = np.random.default_rng([int(threshold * 10), num_perm])
    sigs = near_duplicates(rng, 80, num_perm, b, r)
    want = check_against_datasketch(sigs, threshold)
    # Not trivial: some pairs found, not all, and some of them not exact copies.
    assert 0 < len(want) < 80 * 79 // 2
    used = sigs[:, : b * r]
    assert any((used[i] != used[j]).any() for i, j in want)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 60),
    threshold=st.sampled_from([0.3, 0.5, 0.7, 0.8, 0.9]),
    num_perm=st.sampled_from([64, 128, 256]),
)
def test_same_pairs_as_datasketch_property(seed, n, threshold, num_perm):
    b, r = bands_rows(threshold, num_perm)
    check_against_datasketch(near_duplicates(np.random.default_rng(seed), n, num_perm, b, r), threshold)


@pytest.mark.parametrize(
    "fake_hash",
    [
        lambda values: np.zeros(values.shape[:-1], np.uint64),
        lambda values: (values[..., 0] % 2).astype(np.uint64),
    ],
    ids=["all-collide", "half-collide"],
)
def test_hash_collisions_are_resolved_exactly(monkeypatch, fake_hash):
    monkeypatch.setattr(lsh, "hash_last_axis", fake_hash)
    b, r = bands_rows(0.5, 64)
    sigs = near_duplicates(np.random.default_rng(7), 80, 64, b, r)
    # Band keys alone cannot tell colliding bands apart: only the signatures can.
    assert len(check_against_datasketch(sigs, 0.5, from_keys=False)) > 0


def test_band_key_rows_with_one_hash_are_told_apart():
    """Rows of band keys whose combined hash collides are compared key by key."""
    keys = np.array([[1, 2], [3, 4], [1, 2], [3, 5]], dtype=np.uint64)
    # Make row 1's combined hash equal row 0's: h = k0 * MULT ^ k1.
    with np.errstate(over="ignore"):
        keys[1, 1] = (keys[1, 0] * lsh.MULT) ^ (keys[0, 0] * lsh.MULT) ^ keys[0, 1]
    assert lsh.hash_last_axis(keys[1]) == lsh.hash_last_axis(keys[0])
    assert lsh.pairs_from_band_keys(keys).tolist() == [[0, 2], [1, 3]]


def test_copies_pair_with_each_other_and_with_their_near_duplicates():
    b, r = bands_rows(0.7, 128)
    rng = np.random.default_rng(3)
    base = rng.integers(0, 2**32, 128, dtype=np.uint32)
    near = base.copy()
    near[r:] = rng.integers(0, 2**32, 128 - r, dtype=np.uint32)  # shares band 0 only
    other = rng.integers(0, 2**32, 128, dtype=np.uint32)
    sigs = np.stack([base, other, near, base, other, base, near])
    want = check_against_datasketch(sigs, 0.7)
    copies_of_base, copies_of_near = [0, 3, 5], [2, 6]
    expected = sorted(
        [[i, j] for i in copies_of_base + copies_of_near for j in copies_of_base + copies_of_near if i < j]
        + [[1, 4]]
    )
    assert want == expected


def test_all_rows_equal():
    sigs = np.full((20, 64), EMPTY, dtype=np.uint32)
    assert len(check_against_datasketch(sigs, 0.8)) == 20 * 19 // 2


def test_identical_signatures_always_candidates():
    sigs = signatures(char_shingles(["same text", "same text", "other"], 5), 128, 1)
    pairs = candidate_pairs(sigs, 0.9, 1)
    assert [0, 1] in pairs.tolist()


def test_fewer_than_two_rows():
    assert candidate_pairs(np.zeros((1, 8), np.uint32), 0.5, 1).shape == (0, 2)


def test_no_pairs():
    sigs = np.arange(10 * 64, dtype=np.uint32).reshape(10, 64)
    assert candidate_pairs(sigs, 0.5, 1).shape == (0, 2)


def test_bands_rows_fit_num_perm():
    b, r = bands_rows(0.8, 128)
    assert b * r <= 128 and r > 1


def test_bands_rows_are_datasketch_s():
    index = MinHashLSH(threshold=0.6, num_perm=96, weights=WEIGHTS)
    assert bands_rows(0.6, 96) == (index.b, index.r)
