"""The copy evidence decide weighs (dedupe.copy_evidence.CopyEvidence), against a plain-set reference."""

import numpy as np
import pytest

from dedupe import copy_evidence, shingle, sign, verify
from dedupe.blocktexts import fetch_list
from dedupe.copy_evidence import CopyEvidence
from dedupe.executor import spill, spilling_to
from dedupe.executor.parallel import Workers


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
    monkeypatch.setattr(copy_evidence, "SHARE_ROWS", 3)  # several slices of documents
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
    pairs = np.array([(a, b) for a in range(9) for b in range(9)])  # a document with itself too
    evidence = CopyEvidence(fetch_list(texts), doc_of, labels, weight, 9, 2, Workers(1), spilling_to(tmp_path))
    try:
        got = evidence(pairs[:, 0], pairs[:, 1])
        assert any(tmp_path.rglob("*.npy")) == (spill_rows == 0)
    finally:
        evidence.close()
    want = reference(texts, doc_of, labels, weight, 2, pairs[:, 0], pairs[:, 1])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert (want > 0).sum() > 10 and (want == 0).sum() > 5


@pytest.mark.parametrize("threads", [1, 3], ids=["one-slice-at-a-time", "three-at-a-time"])
@pytest.mark.parametrize("spill_rows", [0, 1 << 30], ids=["on-disk", "in-memory"])
def test_pairs_weighed_from_the_products_equal_those_read_pass_by_pass(monkeypatch, tmp_path, spill_rows, threads):
    """PairShards sums the copy evidence from each slice's product entries
    (CopyEvidence.products; ``threads`` slices' products made at once): the
    same floats, to the bit, as the running sums of the passes, pairs
    within one document (asked twice) too."""
    from dedupe.copy_pairs import PairShards
    from dedupe.progress import as_progress

    monkeypatch.setattr(verify, "MAX_DF", 3)
    monkeypatch.setattr(copy_evidence, "SHARE_ROWS", 4)  # several slices of documents
    monkeypatch.setattr(CopyEvidence, "rows", 4)
    monkeypatch.setattr(spill, "SPILL_ROWS", spill_rows)
    rng = np.random.default_rng(5)
    words = [f"w{chr(ord('a') + i)}" for i in range(14)]
    texts = [" ".join(rng.choice(words, size=int(rng.integers(2, 16)))) for _ in range(60)]
    doc_of = np.sort(rng.integers(0, 15, len(texts)))
    labels = np.arange(len(texts))
    weight = rng.random(len(texts)) * rng.integers(0, 2, len(texts)) * 50  # odd floats; some blocks weigh nothing

    class PassesOnly:  # the evidence as an executor without products gives it
        def __init__(self, evidence):
            self.rows, self.n_passes, self.passes = evidence.rows, evidence.n_passes, evidence.passes

    entries = np.arange(len(texts))
    x, y = (a.ravel() for a in np.meshgrid(entries, entries, indexing="ij"))
    keep = (x < y) & (rng.random(len(x)) < 0.3)
    got = []
    host = rng.integers(0, 3, 15)
    evidence = CopyEvidence(fetch_list(texts), doc_of, labels, weight, 15, 2, Workers(1), spilling_to(tmp_path))
    evidence.threads = threads
    try:
        for loose in (evidence, PassesOnly(evidence)):
            with PairShards(doc_of, 15, np.int64, spilling_to(tmp_path)) as pairs:
                pairs.add(x[keep], y[keep], np.zeros(int(keep.sum()), bool))
                pairs.build(host, loose, as_progress(None))
                got.append([(d["lo"], d["hi"], d["loose_lo"], d["loose_hi"]) for _, d in pairs])
    finally:
        evidence.close()
    products, passes = (np.concatenate([np.stack(s) for s in shards], axis=1) for shards in got)
    assert products.tobytes() == passes.tobytes()
    lo, hi, loose_lo = products[0], products[1], products[2]
    assert (lo == hi).any() and (lo < hi).any()  # pairs within one document, asked both ways
    assert (loose_lo > 0).sum() > 10 and (loose_lo == 0).sum() > 5


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("spill_rows", [0, 1 << 30], ids=["on-disk", "in-memory"])
def test_products_are_the_whole_products_to_the_bit(monkeypatch, tmp_path, spill_rows, threads):
    """A shard's product, asked about pairs (sorted codes, repeats too),
    finds those the whole product of its rows holds, with its floats: it
    pairs documents through the n-grams that several documents hold, and
    gives each document's own pair (d, d) its row's sum. With several
    threads (a shard's rows cut into parts, each counted and filled in a
    thread of its own) the floats are the same."""
    from scipy import sparse

    monkeypatch.setattr(verify, "MAX_DF", 4)
    monkeypatch.setattr(CopyEvidence, "rows", 5)
    monkeypatch.setattr(spill, "SPILL_ROWS", spill_rows)
    rng = np.random.default_rng(11)
    doc_of = np.sort(rng.integers(0, 12, 90))
    # Each group of three documents has words of its own (rare n-grams,
    # held by several of a document's blocks), and all share some.
    common = [f"c{chr(ord('a') + i)}" for i in range(6)]
    texts = [
        " ".join(rng.choice(common + [f"g{chr(ord('k') + d // 3)}{chr(ord('a') + i)}" for i in range(12)], size=int(rng.integers(2, 16))))
        for d in doc_of.tolist()
    ]
    labels = np.arange(len(texts))
    # Odd floats of many magnitudes (sums that depend on their order); some blocks weigh nothing.
    weight = rng.random(len(texts)) * 10.0 ** rng.integers(-3, 7, len(texts)) * rng.integers(0, 2, len(texts))
    n_docs = 12
    evidence = CopyEvidence(fetch_list(texts), doc_of, labels, weight, n_docs, 2, Workers(1), spilling_to(tmp_path))
    evidence.threads = threads
    try:
        document, shards = evidence.grams.document, list(evidence.grams.shards())
        products = list(evidence.products())
        assert len(products) == len(shards) > 1
        own = 0
        for rows, product in zip(shards, products):
            owner, gram, rare = rows["owner"], rows["gram"], rows["rare"]
            shape = (n_docs, int(gram.max()) + 1)
            counted = rare & (evidence.per_gram[owner] > 0)
            lone = sparse.csr_matrix((evidence.per_gram[owner[counted]], (document[owner[counted]], gram[counted])), shape=shape)
            first = rare & rows["new_doc"]
            in_docs = sparse.csr_matrix((np.ones(int(first.sum())), (gram[first], document[owner[first]])), shape=shape[::-1])
            for start in range(0, n_docs, evidence.rows):
                found = (lone[start : start + evidence.rows] @ in_docs).tocoo()
                entries = {(int(d) + start) * n_docs + int(e): v for d, e, v in zip(found.row, found.col, found.data)}
                # Every pair of the slice asked (some twice, some not at all), sorted.
                d = np.repeat(np.arange(start, min(start + evidence.rows, n_docs)), n_docs)
                code = d * n_docs + np.tile(np.arange(n_docs), len(d) // n_docs)
                code = np.sort(np.r_[code[rng.random(len(code)) < 0.8], code[::3]])
                rows, value = product(start, code)
                want = [q for q, c in enumerate(code.tolist()) if c in entries]
                assert rows.tolist() == want and len(want) < len(code)
                assert value.tobytes() == np.array([entries[c] for c in code[want].tolist()]).tobytes()
                own += int((code[rows] // n_docs == code[rows] % n_docs).sum())
        assert own > 0
    finally:
        evidence.close()
