"""The copy evidence decide weighs (pipeline._CopyEvidence), against a plain-set reference."""

import numpy as np
import pytest

from dedupe import pipeline, shingle, sign, spill, verify
from dedupe.parallel import Workers


def reference(texts, doc_of, labels, weight, n, d, e):
    """sum over d's unrepeated prose blocks b of weight(b) * |rare(b) & grams(e)| / |rare(b)|,
    rare: n-grams in at most MAX_DF documents."""
    grams = [set(s.tolist()) if w > 0 else set() for s, w in zip(shingle.word_shingles(texts, n).sets(), weight)]
    n_docs = int(doc_of.max()) + 1
    docs_of_gram: dict = {}
    for b, g in enumerate(grams):
        for x in g:
            docs_of_gram.setdefault(x, set()).add(int(doc_of[b]))
    rare = [{x for x in g if len(docs_of_gram[x]) <= verify.MAX_DF} for g in grams]
    in_doc = [set().union(*[rare[b] for b in np.flatnonzero(doc_of == k)]) for k in range(n_docs)]
    lone = [len({int(doc_of[c]) for c in np.flatnonzero(labels == labels[b])}) == 1 for b in range(len(texts))]
    out = []
    for a, z in zip(d.tolist(), e.tolist()):
        total = 0.0
        for b in np.flatnonzero(doc_of == a):
            if lone[b] and rare[b]:
                total += weight[b] * len(rare[b] & in_doc[z]) / len(rare[b])
        out.append(total)
    return np.array(out)


@pytest.mark.parametrize("spill_rows", [0, 1 << 30], ids=["on-disk", "in-memory"])
def test_copy_evidence_equals_the_plain_set_computation(monkeypatch, tmp_path, spill_rows):
    monkeypatch.setattr(verify, "MAX_DF", 2)  # some n-grams too common to count
    monkeypatch.setattr(pipeline, "_SHARE_ROWS", 3)  # several slices of documents
    monkeypatch.setattr(sign, "SLICE", 200)  # several slices of blocks
    monkeypatch.setattr(spill, "SPILL_ROWS", spill_rows)
    rng = np.random.default_rng(2)
    words = [f"w{chr(ord('a') + i)}" for i in range(12)]  # normalised already
    texts, doc_of = [], []
    for doc in range(9):
        for _ in range(int(rng.integers(1, 5))):
            texts.append(" ".join(rng.choice(words, size=int(rng.integers(2, 14)))))
            doc_of.append(doc)
    doc_of = np.array(doc_of)
    labels = np.arange(len(texts))
    labels[np.flatnonzero(doc_of != doc_of[0])[0]] = 0  # a block repeating block 0 in another document
    weight = rng.integers(0, 3, len(texts)).astype(float) * 40  # some blocks carry no weight
    pairs = np.array([(a, b) for a in range(9) for b in range(9) if a != b])
    evidence = pipeline._CopyEvidence(pipeline._fetch_list(texts), doc_of, labels, weight, 9, 2, Workers(1), tmp_path)
    try:
        got = evidence(pairs[:, 0], pairs[:, 1])
        assert any(tmp_path.rglob("*.npy")) == (spill_rows == 0)
    finally:
        evidence.close()
    want = reference(texts, doc_of, labels, weight, 2, pairs[:, 0], pairs[:, 1])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert (want > 0).sum() > 10 and (want == 0).sum() > 5


def test_parked_arrays_wait_on_disk_and_come_back_equal(tmp_path, monkeypatch):
    monkeypatch.setattr(spill, "SPILL_ROWS", 999)  # 1000 rows: large enough to park
    rng = np.random.default_rng(0)
    blocks = rng.integers(0, 1 << 20, size=(1000, 3)).astype(np.int32)
    key = rng.integers(0, 500, size=1000).astype(np.int32)
    weight = rng.random(1000)
    b = pipeline._Blocks(blocks.copy(), np.array([1000]), weight, np.zeros(1000, bool), key.copy())
    with pipeline._parked(b, tmp_path, "blocks", "key"):
        assert b.blocks is None and b.key is None  # not in memory while parked
        assert b.weight is weight  # only the names asked for
        assert len(list(tmp_path.glob(spill.PREFIX + "*/*.npy"))) == 2
    assert b.blocks.dtype == np.int32 and b.blocks.shape == (1000, 3)
    np.testing.assert_array_equal(b.blocks, blocks)
    np.testing.assert_array_equal(b.key, key)
    assert not list(tmp_path.glob(spill.PREFIX + "*"))  # the spill folder is gone

    with pytest.raises(RuntimeError):  # back in place after an error too
        with pipeline._parked(b, tmp_path, "key"):
            raise RuntimeError
    np.testing.assert_array_equal(b.key, key)

    with pipeline._parked(b, None, "blocks"):  # no folder: left in memory
        np.testing.assert_array_equal(b.blocks, blocks)
    monkeypatch.setattr(spill, "SPILL_ROWS", 1000)
    kept = b.blocks
    with pipeline._parked(b, tmp_path, "blocks"):  # small: not worth the disk
        assert b.blocks is kept and not list(tmp_path.glob(spill.PREFIX + "*"))
    with spill.budget(1000), pipeline._parked(b, tmp_path, "blocks"):  # but past a small budget it is
        assert b.blocks is None
    np.testing.assert_array_equal(b.blocks, blocks)
