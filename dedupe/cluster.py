"""Group verified pairs: connected components, or stars that never chain.

Connected components suit near-identical blocks ("by arabnews" and "by
NCR-Iran" are one template). For documents they chain: A ~ B and B ~ C
would put A and C together even when they share nothing. Star clustering
(after Aslam, Pelekhov and Rus, "The star clustering algorithm", 2004)
makes every member verified-similar to its cluster's centre instead.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

__all__ = ["components", "stars"]


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


def stars(n: int, pairs: np.ndarray) -> np.ndarray:
    """Star clusters: centres by degree (ties by index), each taking its free neighbours.

    Returns
    -------
    ndarray of int64, shape (n,)
        The centre of each item's cluster; an item without pairs is its own.
    """
    label = np.arange(n, dtype=np.int64)
    if len(pairs) == 0:
        return label
    adj = _adjacency(n, pairs)
    degree = np.diff(adj.indptr)
    assigned = np.zeros(n, dtype=bool)
    for c in np.lexsort((np.arange(n), -degree)):
        if assigned[c] or degree[c] == 0:
            continue
        assigned[c] = True
        nbrs = adj.indices[adj.indptr[c] : adj.indptr[c + 1]]
        free = nbrs[~assigned[nbrs]]
        label[free] = c
        assigned[free] = True
    return label
