import numpy as np
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
