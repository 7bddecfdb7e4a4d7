"""Verify candidate pairs with the true Jaccard and containment of their shingle sets.

The sets are rows of a sparse binary matrix (scipy CSR): the intersection
sizes of all candidate pairs come from one compiled pass over the pairs,
merging the two rows' sorted columns, with no Python loop per pair.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy import sparse

from .shingle import ShingleBatch

__all__ = ["shingle_matrix", "overlap", "similarity", "row_products", "MAX_DF"]

#: An n-gram in more documents than this is too common to be evidence that
#: two of them share a passage (a phrase, or a template left in); keeping
#: such n-grams out also keeps pairwise products linear in the corpus.
MAX_DF = 100


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

    One compiled pass merges the two rows' sorted columns for each pair
    (the matrices are put in canonical form first: sorted columns, no
    duplicates), so nothing is gathered or copied, however many pairs.

    Returns
    -------
    ndarray of float64, shape (len(rows_a),)
    """
    for m in (a, b):
        m.sum_duplicates()  # canonical: sorted, distinct columns (a no-op when it is already)
    out = np.empty(len(rows_a), dtype=np.float64)
    ra = np.ascontiguousarray(rows_a, dtype=np.int64)
    rb = np.ascontiguousarray(rows_b, dtype=np.int64)
    if len(ra) and (min(ra.min(), rb.min()) < 0 or ra.max() >= a.shape[0] or rb.max() >= b.shape[0]):
        raise IndexError("row index out of range")
    _dot_rows(a.indptr, a.indices, a.data, b.indptr, b.indices, b.data, ra, rb, out)
    return out


@njit(cache=True)
def _dot_rows(a_ptr, a_col, a_val, b_ptr, b_col, b_val, ra, rb, out):  # pragma: no cover - compiled
    for t in range(len(ra)):
        p, p_end = a_ptr[ra[t]], a_ptr[ra[t] + 1]
        q, q_end = b_ptr[rb[t]], b_ptr[rb[t] + 1]
        total = 0.0
        while p < p_end and q < q_end:
            ca, cb = a_col[p], b_col[q]
            if ca == cb:
                total += np.float64(a_val[p]) * np.float64(b_val[q])
                p += 1
                q += 1
            elif ca < cb:
                p += 1
            else:
                q += 1
        out[t] = total
