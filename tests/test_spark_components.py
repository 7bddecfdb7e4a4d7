"""Connected components on Spark equal the local backend's, labels and all."""

import numpy as np
import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed: pip install -e '.[spark]' (make test installs it)")

from dedupe.backends.spark.components import components, components_array  # noqa: E402
from dedupe.cluster import components as local_components  # noqa: E402
from dedupe.document import UsageError  # noqa: E402


def relabel(pairs: np.ndarray, n: int, seed: int) -> np.ndarray:
    """The same graph with its ids shuffled, so that no order of the input helps."""
    return np.random.default_rng(seed).permutation(n)[pairs]


def assert_same(spark, n: int, pairs: np.ndarray, **kwargs) -> np.ndarray:
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    got = components_array(spark, n, pairs, **kwargs)
    assert got.dtype == np.int64 and got.shape == (n,)
    np.testing.assert_array_equal(got, local_components(n, pairs))
    return got


def long_path(n: int) -> np.ndarray:
    """A path through 0 .. n-1 in shuffled order, with 0 in its middle: the
    smallest id must travel n/2 hops each way."""
    order = np.random.default_rng(7).permutation(np.arange(1, n))
    order = np.insert(order, n // 2, 0)
    return np.stack([order[:-1], order[1:]], axis=1)


def test_a_long_path(spark):
    n = 2000
    labels = assert_same(spark, n, long_path(n))
    assert (labels == 0).all()


def test_a_chain_of_stars(spark):
    # 40 stars of 24 leaves, their centres in a chain: a long path of
    # high-degree nodes, the case large-star is for.
    stars, leaves = 40, 24
    centres = np.arange(stars) * (leaves + 1)
    star = [(c, c + 1 + i) for c in centres for i in range(leaves)]
    chain = list(zip(centres[:-1], centres[1:]))
    n = stars * (leaves + 1)
    assert_same(spark, n, relabel(np.array(star + chain), n, seed=1))


def test_a_star_of_paths(spark):
    # A hub with 20 paths of 40 nodes hanging off it: one high-degree node
    # whose neighbours are each the end of a long path.
    arms, length = 20, 40
    pairs = []
    for a in range(arms):
        arm = 1 + a * length + np.arange(length)
        pairs += [(0, arm[0])] + list(zip(arm[:-1], arm[1:]))
    n = 1 + arms * length
    assert_same(spark, n, relabel(np.array(pairs), n, seed=2))


def random_sparse_graphs() -> tuple[int, np.ndarray]:
    """Random graphs from scattered pairs (mostly isolated nodes) to one giant
    component, side by side in one graph: its components are theirs."""
    rng = np.random.default_rng(0)
    offset, parts = 0, []
    for n, edges in [(400, 150), (400, 400), (400, 800), (60, 200)]:
        parts.append(offset + rng.integers(0, n, size=(edges, 2)))
        offset += n
    return offset, relabel(np.concatenate(parts), offset, seed=3)


@pytest.mark.parametrize("partitions", [1, 7])
def test_random_sparse_graphs_in_any_number_of_partitions(spark, partitions):
    n, pairs = random_sparse_graphs()
    assert_same(spark, n, pairs, partitions=partitions)


def test_duplicate_and_self_edges(spark):
    pairs = [(3, 1), (1, 3), (3, 1), (5, 5), (5, 5), (6, 6), (6, 2), (2, 6), (4, 4)]
    labels = assert_same(spark, 8, pairs)
    assert labels.tolist() == [0, 1, 2, 1, 4, 5, 2, 7]


def test_an_empty_graph(spark):
    assert_same(spark, 5, np.empty((0, 2), dtype=np.int64))
    assert_same(spark, 0, np.empty((0, 2), dtype=np.int64))


def test_given_nodes_are_labelled_even_without_edges(spark):
    edges = spark.createDataFrame([(4, 2), (2, 5), (0, 1), (7, 7)], "src int, dst int")
    nodes = spark.createDataFrame([(i,) for i in (0, 3, 9)], "node long")
    found = components(edges, nodes)
    assert [(f.name, f.dataType.simpleString()) for f in found.schema.fields] == [("node", "bigint"), ("label", "bigint")]
    # Nodes of the edges and nodes given, each once; 3 and 9 are their own.
    assert sorted(tuple(r) for r in found.collect()) == [(0, 0), (1, 0), (2, 2), (3, 3), (4, 2), (5, 2), (7, 7), (9, 9)]


def test_columns_are_checked_up_front(spark):
    edges = spark.createDataFrame([("a", 1)], "src string, dst long")
    with pytest.raises(UsageError, match=r"edges must have integer columns 'src' and 'dst'; got src: string instead"):
        components(edges)
    with pytest.raises(UsageError, match=r"got node: missing instead"):
        components(spark.createDataFrame([(1, 2)], "src long, dst long"), spark.range(3))


def test_a_checkpoint_folder_is_asked_for(spark, monkeypatch):
    monkeypatch.setattr(spark.sparkContext, "getCheckpointDir", lambda: None)
    with pytest.raises(UsageError, match=r"spark.sparkContext.setCheckpointDir"):
        components(spark.createDataFrame([(1, 2)], "src long, dst long"))


@pytest.mark.parametrize(
    "n, pairs, message",
    [
        (3, np.array([0, 1, 2]), r"shape \(p, 2\); got int64 of shape \(3,\)"),
        (3, np.array([[0.0, 1.0]]), r"integer array"),
        (3, np.array([[0, 3]]), r"ids in \[0, 3\); got ids from 0 to 3"),
    ],
)
def test_arrays_are_checked_up_front(spark, n, pairs, message):
    with pytest.raises(UsageError, match=message):
        components_array(spark, n, pairs)
