import numpy as np
from datasketch import MinHashLSH

from dedupe.lsh import WEIGHTS, bands_rows, candidate_pairs
from dedupe.minhash import lean_minhash, signatures
from dedupe.shingle import char_shingles


def test_candidates_equal_datasketch_queries():
    texts = [f"line number {i % 7} of the footer {i % 3}" for i in range(30)] + ["something else entirely"]
    sigs = signatures(char_shingles(texts, 5), 64, 1)
    got = candidate_pairs(sigs, 0.5, 1)
    lsh = MinHashLSH(threshold=0.5, num_perm=64, weights=WEIGHTS)
    for i in range(len(texts)):
        lsh.insert(i, lean_minhash(sigs[i], 1))
    want = sorted({(i, j) for i in range(len(texts)) for j in lsh.query(lean_minhash(sigs[i], 1)) if j > i})
    assert got.tolist() == [list(p) for p in want]
    assert len(want) > 0


def test_identical_signatures_always_candidates():
    sigs = signatures(char_shingles(["same text", "same text", "other"], 5), 128, 1)
    pairs = candidate_pairs(sigs, 0.9, 1)
    assert [0, 1] in pairs.tolist()


def test_fewer_than_two_rows():
    assert candidate_pairs(np.zeros((1, 8), np.uint32), 0.5, 1).shape == (0, 2)


def test_bands_rows_fit_num_perm():
    b, r = bands_rows(0.8, 128)
    assert b * r <= 128 and r > 1
