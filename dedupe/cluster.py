"""Group verified pairs: connected components, or stars that never chain.

Connected components suit near-identical blocks ("by arabnews" and "by
NCR-Iran" are one template). For documents they chain: A ~ B and B ~ C
would put A and C together even when they share nothing. Star clustering
(after Aslam, Pelekhov and Rus, "The star clustering algorithm", 2004)
makes every member verified-similar to its cluster's centre instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

__all__ = ["components", "stars", "id_ranks"]


def _adjacency(n: int, pairs: np.ndarray) -> sparse.csr_matrix:
    data = np.ones(len(pairs), dtype=np.int8)
    m = sparse.coo_matrix((data, (pairs[:, 0], pairs[:, 1])), shape=(n, n)).tocsr()
    return (m + m.T).tocsr()


def components(n: int, pairs: np.ndarray) -> np.ndarray:
    """Connected components, each labelled by its smallest member.

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    if len(pairs) == 0:
        return np.arange(n, dtype=np.int64)
    _, labels = connected_components(_adjacency(n, pairs), directed=False)
    smallest = np.full(labels.max() + 1, n, dtype=np.int64)
    np.minimum.at(smallest, labels, np.arange(n, dtype=np.int64))
    return smallest[labels]


def id_ranks(ids: Sequence[str]) -> np.ndarray:
    """Each item's place in the order of ``ids`` (string order; items with
    the same id by index): the tie-break that makes a choice among equals
    the same for any order of the input, where ids are explicit.

    Returns
    -------
    ndarray of int64, shape (len(ids),)
        A permutation of ``0 .. len(ids) - 1``.
    """
    n = len(ids)
    rank = np.empty(n, dtype=np.int64)
    keys = list(ids)
    rank[sorted(range(n), key=keys.__getitem__)] = np.arange(n, dtype=np.int64)
    return rank


def stars(
    n: int, pairs: np.ndarray, weight: Optional[np.ndarray] = None, rank: Optional[np.ndarray] = None
) -> np.ndarray:
    """Star clusters: centres by degree (ties by ``rank``), each taking its free neighbours.

    Parameters
    ----------
    n : int
    pairs : ndarray of int, shape (p, 2)
    weight : ndarray of int, shape (n,), optional
        How many items each item stands for: an item of weight ``w`` stands
        for ``w`` copies of itself (paired with each other and with all its
        neighbours' copies), weight 0 for none (a copy stood for elsewhere).
        The centres are those of the graph with every copy in it, found
        without making its pairs: a copy's degree is ``w - 1`` plus the
        weights of its neighbours, and copies, alike in every pair, share
        one cluster, centred on the first of them when they are its centre.
    rank : ndarray of int, shape (n,), optional
        The order ties in degree are broken in, lowest first (a permutation,
        such as :func:`id_ranks`); by index by default.

    Returns
    -------
    ndarray of int64, shape (n,)
        The centre of each item's cluster; an item without pairs (and
        without copies) is its own.
    """
    label = np.arange(n, dtype=np.int64)
    if len(pairs) == 0 and weight is None:
        return label
    adj = _adjacency(n, pairs)
    if weight is None:
        degree = np.diff(adj.indptr)
    else:
        weight = np.asarray(weight, dtype=np.int64)
        # Each neighbour counted once, whatever the pair's multiplicity.
        linked = sparse.csr_matrix((np.ones(len(adj.indices), np.int64), adj.indices, adj.indptr), shape=adj.shape)
        degree = np.maximum(weight - 1, 0) + linked @ weight
        degree[weight == 0] = 0
    assigned = np.zeros(n, dtype=bool)
    for c in np.lexsort((np.arange(n) if rank is None else rank, -degree)):
        if assigned[c] or degree[c] == 0:
            continue
        assigned[c] = True
        nbrs = adj.indices[adj.indptr[c] : adj.indptr[c + 1]]
        free = nbrs[~assigned[nbrs]]
        label[free] = c
        assigned[free] = True
    return label
