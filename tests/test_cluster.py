import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dedupe.cluster import components, stars


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


def test_block_clusters_skip_verifying_what_is_already_connected(monkeypatch):
    """Verifying candidates a few at a time, skipping pairs already connected,
    gives the clusters that verifying every candidate gives."""
    from dedupe import lsh, pipeline, sign, verify
    from dedupe.config import Config

    rng = np.random.default_rng(8)
    letters = list("abcdefghijklmnopqrstuvwxyz")
    names = ["".join(rng.choice(letters, 4)) for _ in range(60)]
    # Two templates that differ in one name (cliques of near-duplicates), and unrelated lines.
    texts = [f"This article was first published by the {name} daily" for name in names]
    texts += [f"Read more stories from {name} on our website today" for name in names[:30]]
    texts += [" ".join(rng.choice(letters, 30)) for _ in range(30)]
    c = Config()
    short, keys = sign.key_band_keys(
        texts, c.shingle.short_block_words, c.shingle.char_ngram, c.shingle.word_ngram, c.minhash.num_perm,
        c.minhash.seed, c.boilerplate.block_threshold,
    )
    candidates = sum(len(lsh.pairs_from_band_keys(keys[m])) for m in (short, ~short))
    verified = []
    real = verify.overlap
    monkeypatch.setattr(verify, "overlap", lambda m, p: (verified.append(len(p)), real(m, p))[1])
    monkeypatch.setattr(pipeline, "_VERIFY_BATCH", 1 << 20)
    whole = pipeline.block_clusters(texts, Config())
    monkeypatch.setattr(pipeline, "_VERIFY_BATCH", 7)
    verified.clear()
    batched = pipeline.block_clusters(texts, Config())
    assert batched[0].tolist() == whole[0].tolist() and batched[1].tolist() == whole[1].tolist()
    assert sum(verified) < candidates / 3  # most candidates were already connected
    assert len(set(whole[0][:60].tolist())) == 1 and len(set(whole[0][60:90].tolist())) < 10  # the templates
    assert len(set(whole[0][90:].tolist())) == 30  # the unrelated lines alone


def test_block_clusters_are_the_same_with_band_keys_on_disk_and_texts_in_slices(monkeypatch, tmp_path):
    """The clusters stage's spilled band keys and sliced reads change nothing."""
    from dedupe import pipeline, sign, spill
    from dedupe.config import Config

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
    spilled = []
    real = spill.Shards._spill
    monkeypatch.setattr(spill.Shards, "_spill", lambda self: (spilled.append(1), real(self))[1])
    split = pipeline.block_clusters(texts, Config())
    assert spilled and not any(tmp_path.iterdir())  # spilled, and removed again
    assert split[0].tolist() == whole[0].tolist() and split[1].tolist() == whole[1].tolist()
    assert len(set(whole[0].tolist())) < len(set(whole[1].tolist()))  # near-duplicates were joined


def test_key_ids_go_by_first_occurrence():
    """Digests to ids: the same ids as numbering distinct strings as they come."""
    from dedupe import pipeline

    rng = np.random.default_rng(9)
    for n in (0, 1, 50, 500):
        strings = [f"s{int(x)}" for x in rng.integers(0, max(n // 3, 1), n)]
        ids: dict[str, int] = {}
        want = [ids.setdefault(s, len(ids)) for s in strings]
        assert pipeline._ids_by_first_occurrence(pipeline._digests(strings)).tolist() == want


@pytest.mark.parametrize("spill_rows", [0, 1 << 30], ids=["on-disk", "in-memory"])
def test_key_ids_from_chunks_equal_ids_of_all_at_once(monkeypatch, tmp_path, spill_rows):
    """Digests given a chunk at a time (as the blocks stage hands them on),
    in shards on disk or in memory, get the ids of numbering them all at once."""
    from dedupe import pipeline, spill

    monkeypatch.setattr(spill, "SPILL_ROWS", spill_rows)
    spilled = []
    real_spill = spill.Shards._spill
    monkeypatch.setattr(spill.Shards, "_spill", lambda self: (real_spill(self), spilled.append(self._dir))[0])
    rng = np.random.default_rng(3)
    strings = [f"line {int(x)}" for x in rng.integers(0, 700, 3000)]
    ids: dict[str, int] = {}
    want = [ids.setdefault(s, len(ids)) for s in strings]
    digest = pipeline._digests(strings)
    cuts = np.sort(rng.choice(np.arange(1, len(strings)), 9, replace=False))
    chunks = np.split(digest, cuts) + [digest[:0]]
    got = pipeline._first_occurrence_ids(iter(chunks), tmp_path)
    assert got.dtype == np.int32 and got.tolist() == want
    assert bool(spilled) == (spill_rows == 0) and all(d is not None and d.parent == tmp_path for d in spilled)
    assert not any(tmp_path.iterdir())  # the shards' folder is gone
