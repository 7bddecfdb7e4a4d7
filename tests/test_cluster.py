import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dedupe.cluster import components, stars
from dedupe.executor import spilling_to
from dedupe.stages.blocks import digests, first_occurrence_ids, ids_by_first_occurrence


def test_components_labelled_by_smallest_member():
    labels = components(6, np.array([[4, 2], [2, 5], [0, 1]]))
    assert labels.tolist() == [0, 0, 2, 3, 2, 2]


def test_components_agree_with_scipy_on_random_graphs():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = 50
        pairs = rng.integers(0, n, size=(40, 2))
        labels = components(n, pairs)
        m = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        _, ref = connected_components(m, directed=False)
        # Same partition: a bijection between label sets.
        assert len(set(zip(labels.tolist(), ref.tolist()))) == len(set(ref.tolist())) == len(set(labels.tolist()))
        assert all(labels[i] <= i for i in range(n))


def test_stars_never_chain_a_path():
    # 0-1-2-3-4: components would put 0 and 4 together; stars must not.
    path = np.array([[0, 1], [1, 2], [2, 3], [3, 4]])
    labels = stars(5, path)
    for i in range(5):
        c = labels[i]
        assert c == i or [min(c, i), max(c, i)] in path.tolist()  # every member is a neighbour of its centre
    assert labels[0] != labels[4]


def test_stars_take_a_clique_whole():
    clique = np.array([[i, j] for i in range(4) for j in range(i + 1, 4)])
    assert len(set(stars(4, clique).tolist())) == 1


def _verified_candidates(matrix, keys, threshold):
    """The oracle: every pair sharing a band key, verified, joined."""
    from dedupe import lsh, verify

    pairs = lsh.pairs_from_band_keys(keys)
    _, jac, _ = verify.overlap(matrix, pairs)
    return components(matrix.shape[0], pairs[jac >= threshold])


def _name_family(rng, n_names, name_length=6):
    letters = list("abcdefghijklmnopqrstuvwxyz")
    names = ["".join(rng.choice(letters, name_length)) for _ in range(n_names)]
    # Lines every site prints with its own name (no two alike enough), a
    # template that differs in one name (near-duplicates), unrelated lines.
    texts = [f"We use cookies on {name} to give you the best experience" for name in names]
    texts += [f"This article was first published by the {name} daily" for name in names[: n_names // 2]]
    texts += [" ".join(rng.choice(letters, 30)) for _ in range(30)]
    return texts


def _char_sets(texts):
    from dedupe import sign, verify
    from dedupe.config import Config
    from dedupe.executor.parallel import Workers

    c = Config()
    _, keys = sign.key_band_keys(
        texts, 10_000, c.shingle.char_ngram, c.shingle.word_ngram, c.minhash.num_perm, c.minhash.seed,
        c.boilerplate.block_threshold,
    )
    batch, _ = sign.shingles(Workers(1), texts, "char", c.shingle.char_ngram, normalise=True)
    return verify.shingle_matrix(batch), keys


def test_similar_components_are_those_of_every_verified_lsh_candidate(monkeypatch):
    """The prefix filter and the skipping of connected pairs change nothing:
    the components are those of all LSH candidates verified, in one call or
    in many small ones."""
    from dedupe import verify

    rng = np.random.default_rng(8)
    texts = _name_family(rng, 80)
    texts = [texts[i] for i in rng.permutation(len(texts))]
    matrix, keys = _char_sets(texts)
    want = _verified_candidates(matrix, keys, 0.7)
    assert 1 < len(set(want.tolist())) < len(texts)  # some joined, not all
    assert verify.similar_components(matrix, keys, 0.7).tolist() == want.tolist()
    seen = []
    monkeypatch.setattr(verify, "JOIN_ROWS", 7)
    assert verify.similar_components(matrix, keys, 0.7, seen.append).tolist() == want.tolist()
    assert len(seen) > 10 and seen == sorted(seen) and seen[-1] == 1.0


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7, 0.8, 0.95, 1.0])
def test_similar_components_miss_no_pair_at_the_threshold(threshold):
    """Random sets, every pair a candidate (one band, equal keys): the
    components equal those of every pair whose Jaccard reaches the
    threshold, including pairs exactly at it and empty sets."""
    from scipy import sparse

    from dedupe import verify

    rng = np.random.default_rng(int(threshold * 100))
    rows = []
    base = [set(rng.choice(60, size=rng.integers(1, 25), replace=False).tolist()) for _ in range(15)]
    for b in base:
        rows.append(b)
        for _ in range(4):  # variants: a few members swapped, dropped or added
            v = set(b)
            for x in rng.choice(sorted(v), size=rng.integers(0, max(len(v) // 3, 1) + 1)).tolist():
                v.discard(x)
            v |= set(rng.choice(60, size=rng.integers(0, 4)).tolist())
            rows.append(v)
    rows += [set(), set(), set(range(10)), set(range(7))]  # two empties (Jaccard 1.0); exactly 0.7
    n = len(rows)
    indptr = np.cumsum([0] + [len(r) for r in rows])
    indices = np.array([c for r in rows for c in sorted(r)], dtype=np.int64)
    matrix = sparse.csr_matrix((np.ones(len(indices), np.float32), indices, indptr), shape=(n, 60))
    keys = np.zeros((n, 1), dtype=np.uint64)
    i, j = np.triu_indices(n, 1)
    pairs = np.stack([i, j], axis=1)
    _, jac, _ = verify.overlap(matrix, pairs)
    want = components(n, pairs[jac >= threshold])
    assert verify.similar_components(matrix, keys, threshold).tolist() == want.tolist()
    assert want[n - 3] == want[n - 4]  # the empties
    assert (want[n - 1] == want[n - 2]) == (threshold <= 0.7)


def test_similar_components_need_a_shared_band():
    """Identical sets that share no band key are no candidates, so not joined."""
    from scipy import sparse

    from dedupe import verify

    matrix = sparse.csr_matrix(np.ones((3, 5), np.float32))
    keys = np.array([[1, 2], [1, 3], [4, 5]], dtype=np.uint64)
    assert verify.similar_components(matrix, keys, 0.7).tolist() == [0, 0, 2]


def test_join_leaves_out_lines_that_differ_in_a_name():
    """Lines that differ only in each site's name fill an LSH bucket with
    members just below the threshold (candidate pairs quadratic in the
    sites); the join verifies almost none of them, and no more as the
    family grows."""
    from dedupe import lsh, verify

    for n_names in (100, 400):
        # The cookie lines only, with names long enough to keep every pair below 0.7.
        texts = _name_family(np.random.default_rng(1), n_names, name_length=12)[:n_names]
        matrix, keys = _char_sets(texts)
        candidates = len(lsh.pairs_from_band_keys(keys))
        labels, verified = verify.components_and_verified(matrix, keys, 0.7)
        assert candidates > n_names * (n_names - 1) // 10  # the bucket: a quadratic share of all pairs
        assert labels.tolist() == _verified_candidates(matrix, keys, 0.7).tolist()
        assert verified <= n_names // 20


def test_block_clusters_are_the_same_with_band_keys_on_disk_and_texts_in_slices(monkeypatch, tmp_path):
    """The clusters stage's spilled band keys and sliced reads change nothing."""
    from dedupe import pipeline, sign
    from dedupe.config import Config
    from dedupe.executor import spill

    rng = np.random.default_rng(5)
    names = ["".join(rng.choice(list("abcdefgh"), 3)) for _ in range(40)]
    texts = [f"This story was first published by {n} news" for n in names]
    texts += ["Menu", "Home", "menu", "Contact us"] * 5
    texts += [" ".join(rng.choice(names, 25)) for _ in range(20)]  # long lines, some alike
    texts = [texts[i] for i in rng.permutation(len(texts))]
    whole = pipeline.block_clusters(texts, Config())
    monkeypatch.setattr(spill, "SPILL_ROWS", 0)  # every band key to disk
    monkeypatch.setattr(sign, "SLICE", 60)  # a few texts per read
    monkeypatch.setattr(spill.tempfile, "tempdir", str(tmp_path))
    before = len(spill.spilled())
    split = pipeline.block_clusters(texts, Config())
    assert spill.spilled()[before:] and not any(tmp_path.iterdir())  # spilled, and removed again
    assert split[0].tolist() == whole[0].tolist() and split[1].tolist() == whole[1].tolist()
    assert len(set(whole[0].tolist())) < len(set(whole[1].tolist()))  # near-duplicates were joined


def test_key_ids_go_by_first_occurrence():
    """Digests to ids: the same ids as numbering distinct strings as they come."""
    rng = np.random.default_rng(9)
    for n in (0, 1, 50, 500):
        strings = [f"s{int(x)}" for x in rng.integers(0, max(n // 3, 1), n)]
        ids: dict[str, int] = {}
        want = [ids.setdefault(s, len(ids)) for s in strings]
        assert ids_by_first_occurrence(digests(strings)).tolist() == want


@pytest.mark.parametrize("spill_rows", [0, 1 << 30], ids=["on-disk", "in-memory"])
def test_key_ids_from_chunks_equal_ids_of_all_at_once(monkeypatch, tmp_path, spill_rows):
    """Digests given a chunk at a time (as the blocks stage hands them on),
    in shards on disk or in memory, get the ids of numbering them all at once."""
    from dedupe.executor import spill

    monkeypatch.setattr(spill, "SPILL_ROWS", spill_rows)
    before = len(spill.spilled())
    rng = np.random.default_rng(3)
    strings = [f"line {int(x)}" for x in rng.integers(0, 700, 3000)]
    ids: dict[str, int] = {}
    want = [ids.setdefault(s, len(ids)) for s in strings]
    digest = digests(strings)
    cuts = np.sort(rng.choice(np.arange(1, len(strings)), 9, replace=False))
    chunks = np.split(digest, cuts) + [digest[:0]]
    got = first_occurrence_ids(iter(chunks), spilling_to(tmp_path))
    assert got.dtype == np.int32 and got.tolist() == want
    spilled = spill.spilled()[before:]
    assert bool(spilled) == (spill_rows == 0) and all(d.parent == tmp_path for d in spilled)
    assert not any(tmp_path.iterdir())  # the shards' folder is gone


@settings(max_examples=200, deadline=None)
@given(
    copies=st.lists(st.integers(0, 4), min_size=1, max_size=12),
    edges=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=30),
)
def test_weighted_stars_are_the_stars_of_the_graph_with_every_copy(copies, edges):
    # Items of weight w stand for w copies (weight 0: an item with no copy
    # standing for it, as an empty page). The full graph pairs every copy
    # with its own copies and with every copy of each neighbour.
    n = len(copies)
    edges = {(min(a, b), max(a, b)) for a, b in edges if a < n and b < n and a != b}
    pairs = np.array(sorted(edges), dtype=np.int64).reshape(-1, 2)
    # Copies of item g are numbered after one another; the first has the smallest number.
    first_of = np.cumsum([0, *copies])
    items_of = [list(range(first_of[g], first_of[g] + copies[g])) for g in range(n)]
    full = [(x, y) for g in range(n) for k, x in enumerate(items_of[g]) for y in items_of[g][k + 1 :]]
    full += [(x, y) for a, b in edges for x in items_of[a] for y in items_of[b]]
    total = int(first_of[-1])
    expected = stars(total, np.array(full, dtype=np.int64).reshape(-1, 2))
    got = stars(n, pairs, np.array(copies))
    for g in range(n):
        for x in items_of[g]:
            # The same centre, as the first copy of its item.
            centre = expected[x]
            owner = int(np.searchsorted(first_of, centre, side="right") - 1)
            assert centre == first_of[owner]
            assert got[g] == owner


def test_weighted_stars_keep_an_item_without_copies_or_pairs_alone():
    assert stars(3, np.zeros((0, 2), np.int64), np.array([1, 0, 2])).tolist() == [0, 1, 2]


def test_ties_in_degree_go_by_rank_not_index():
    """Star centres among equals follow ``rank`` (the ids' order), not the input's."""
    from dedupe.cluster import id_ranks

    pairs = np.array([[0, 1], [2, 3]])
    assert stars(4, pairs).tolist() == [0, 0, 2, 2]
    assert stars(4, pairs, rank=np.array([3, 2, 0, 1])).tolist() == [1, 1, 2, 2]
    weight = np.array([1, 1, 1, 1])
    assert stars(4, pairs, weight, np.array([3, 2, 1, 0])).tolist() == [1, 1, 3, 3]
    assert id_ranks(["b", "a", "b", "A"]).tolist() == [2, 1, 3, 0]  # string order; the same id by index
    assert id_ranks([]).tolist() == []
