"""Oracle: signatures equal datasketch's for the same seed and permutations."""

import numpy as np
import pytest
from datasketch import MinHash

from dedupe.minhash import EMPTY, SCHEME, permutations, signatures
from dedupe.shingle import ShingleBatch, char_shingles, word_shingles


def datasketch_signature(values, num_perm, seed):
    m = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME, hashfunc=int)
    if len(values):
        m.update_batch(list(values))
    return m.hashvalues


@pytest.mark.parametrize("num_perm,seed", [(16, 1), (128, 1), (256, 42)])
def test_random_sets_match_datasketch(num_perm, seed):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(0, 300, size=40)
    sizes[3] = 0  # an empty set
    hashes = rng.integers(0, 2**32, size=int(sizes.sum()), dtype=np.uint64).astype(np.uint32)
    batch = ShingleBatch(hashes, np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64))
    sig = signatures(batch, num_perm, seed)
    assert sig.shape == (40, num_perm) and sig.dtype == np.uint32
    for i, s in enumerate(batch.sets()):
        np.testing.assert_array_equal(sig[i], datasketch_signature(s.tolist(), num_perm, seed))
    assert (sig[3] == EMPTY).all()


def test_text_shingles_match_datasketch_update_loop():
    texts = ["comments", "popular posts from this blog", "this article was first published by arabnews"]
    for batch in (char_shingles(texts, 5), word_shingles(texts, 3)):
        sig = signatures(batch, 64, 7)
        for i, s in enumerate(batch.sets()):
            m = MinHash(num_perm=64, seed=7, scheme=SCHEME, hashfunc=int)
            for h in s.tolist():
                m.update(h)
            np.testing.assert_array_equal(sig[i], m.hashvalues)


def test_huge_text_among_small_and_empty_ones():
    rng = np.random.default_rng(0)
    sizes = np.array([5, 200_000, 0, 17])
    hashes = rng.integers(0, 2**32, size=int(sizes.sum()), dtype=np.uint64).astype(np.uint32)
    batch = ShingleBatch(hashes, np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64))
    sig = signatures(batch, 32, 3)
    for i, s in enumerate(batch.sets()):
        np.testing.assert_array_equal(sig[i], datasketch_signature(s.tolist(), 32, 3))


def test_every_set_size_up_to_a_few_groups():
    # Shingles go through the kernel four at a time: sizes around multiples of 4.
    rng = np.random.default_rng(2)
    sizes = np.arange(0, 14)
    hashes = rng.integers(0, 2**32, size=int(sizes.sum()), dtype=np.uint64).astype(np.uint32)
    batch = ShingleBatch(hashes, np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64))
    sig = signatures(batch, 128, 9)
    for i, s in enumerate(batch.sets()):
        np.testing.assert_array_equal(sig[i], datasketch_signature(s.tolist(), 128, 9))


def test_permutations_are_datasketch_affine32():
    a, b = permutations(128, 5)
    ref = MinHash(num_perm=128, seed=5, scheme="affine32").permutations
    np.testing.assert_array_equal(a, ref[0])
    np.testing.assert_array_equal(b, ref[1])
    assert (a & 1).all()  # odd multipliers: a bijection on 32-bit values


def test_estimate_tracks_true_jaccard():
    rng = np.random.default_rng(1)
    universe = rng.integers(0, 2**32, size=4000, dtype=np.uint64).astype(np.uint32)
    errors = []
    for overlap in (0.1, 0.3, 0.5, 0.7, 0.9):
        k = int(1000 * overlap)
        a, b = universe[:1000], universe[1000 - k : 2000 - k]
        true = len(np.intersect1d(a, b)) / len(np.union1d(a, b))
        batch = ShingleBatch(np.concatenate([a, b]), np.array([0, 1000, 2000]))
        sig = signatures(batch, 256, 1)
        errors.append(abs((sig[0] == sig[1]).mean() - true))
    assert max(errors) < 0.1
