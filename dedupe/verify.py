"""Verify candidate pairs with the true Jaccard and containment of their shingle sets.

The sets are rows of a sparse binary matrix (scipy CSR): the intersection
sizes of all candidate pairs come from one element-wise product, with no
Python loop per pair.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from .shingle import ShingleBatch

__all__ = ["shingle_matrix", "overlap", "similarity", "row_products", "MAX_DF"]

#: An n-gram in more documents than this is too common to be evidence that
#: two of them share a passage (a phrase, or a template left in); keeping
#: such n-grams out also keeps pairwise products linear in the corpus.
MAX_DF = 100
# Pairs verified at once.
_BATCH = 1 << 17


def shingle_matrix(batch: ShingleBatch) -> sparse.csr_matrix:
    """Binary (n_texts x n_distinct_shingles) CSR matrix of the batch's sets."""
    n = len(batch)
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(batch.offsets))
    _, cols = np.unique(batch.hashes, return_inverse=True)
    ncols = int(cols.max()) + 1 if len(cols) else 0
    m = sparse.csr_matrix(
        (np.ones(len(cols), dtype=np.float32), (rows, cols.ravel())), shape=(n, ncols)
    )
    m.sum_duplicates()
    m.data[:] = 1.0  # a set, not a bag
    return m


def overlap(matrix: sparse.csr_matrix, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True set overlap of each pair.

    Parameters
    ----------
    matrix : csr_matrix, shape (n, m)
        Binary shingle sets, from :func:`shingle_matrix`.
    pairs : ndarray of int64, shape (p, 2)

    Returns
    -------
    intersection : ndarray of int64, shape (p,)
    jaccard : ndarray of float64, shape (p,)
        ``|A & B| / |A | B|``; 1.0 for two empty sets.
    containment : ndarray of float64, shape (p,)
        ``|A & B| / min(|A|, |B|)``: 1.0 when one set holds the other.
    """
    if len(pairs) == 0:
        empty = np.zeros(0)
        return np.zeros(0, dtype=np.int64), empty, empty
    sizes = np.diff(matrix.indptr).astype(np.int64)
    inter = np.rint(row_products(matrix, matrix, pairs[:, 0], pairs[:, 1])).astype(np.int64)
    return (inter, *similarity(inter, sizes[pairs[:, 0]], sizes[pairs[:, 1]]))


def similarity(inter: np.ndarray, sa: np.ndarray, sb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Jaccard and containment of pairs of sets from their intersection and
    sizes (as :func:`overlap` returns them)."""
    union = sa + sb - inter
    smaller = np.minimum(sa, sb)
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
        con = np.where(smaller > 0, inter / np.maximum(smaller, 1), 1.0)
    return jac, con


def row_products(a: sparse.csr_matrix, b: sparse.csr_matrix, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
    """``a[rows_a[t]] . b[rows_b[t]]`` for each t: the dot products of paired rows.

    In batches, so what is gathered at once (a copy of both rows of each
    pair) stays small however many pairs there are.

    Returns
    -------
    ndarray of float64, shape (len(rows_a),)
    """
    out = np.empty(len(rows_a), dtype=np.float64)
    for s in range(0, len(rows_a), _BATCH):
        i, j = rows_a[s : s + _BATCH], rows_b[s : s + _BATCH]
        out[s : s + len(i)] = np.asarray(a[i].multiply(b[j]).sum(axis=1), dtype=np.float64).ravel()
    return out
