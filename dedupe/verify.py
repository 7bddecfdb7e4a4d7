"""Verify candidate pairs with the true Jaccard and containment of their shingle sets.

The sets are rows of a sparse binary matrix (scipy CSR): the intersection
sizes of all candidate pairs come from one compiled pass over the pairs,
merging the two rows' sorted columns, with no Python loop per pair.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
from numba import njit
from scipy import sparse

from .ints import index_type
from .arrays import argsort, segment_arange
from .shingle import ShingleBatch

__all__ = ["shingle_matrix", "overlap", "similarity", "row_products", "similar_components", "MAX_DF"]

#: An n-gram in more documents than this is too common to be evidence that
#: two of them share a passage (a phrase, or a template left in); keeping
#: such n-grams out also keeps pairwise products linear in the corpus.
MAX_DF = 100


def shingle_matrix(batch: ShingleBatch) -> sparse.csr_matrix:
    """Binary (n_texts x n_distinct_shingles) CSR matrix of the batch's sets.

    Columns are the distinct hashes in sorted order. The batch's offsets are
    the rows' bounds as they are, and column numbers int32 where they fit:
    at a million pages the texts shingled again for the block clusters hold
    tens of millions of shingles, and per-shingle int64 rows and a COO copy
    were what the clusters stage peaked on.
    """
    n, hashes = len(batch), batch.hashes
    order = argsort(hashes)
    ranked = hashes[order]
    new = np.ones(len(hashes), dtype=bool)
    new[1:] = ranked[1:] != ranked[:-1]
    del ranked
    ncols = int(new.sum())
    index = index_type(ncols, len(hashes))
    cols = np.empty(len(hashes), dtype=index)
    cols[order] = np.cumsum(new, dtype=index) - 1
    del order, new
    indptr = batch.offsets.astype(index)
    m = sparse.csr_matrix((np.ones(len(cols), dtype=np.float32), cols, indptr), shape=(n, ncols))
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


# Rows probed per compiled call of :func:`similar_components`.
JOIN_ROWS = 1 << 16


def similar_components(
    matrix: sparse.csr_matrix, keys: np.ndarray, threshold: float, advance: Optional[Callable[[float], None]] = None
) -> np.ndarray:
    """Connected components of the rows joined by every pair that shares a
    band key (a column of ``keys``: an LSH candidate) and whose sets have a
    Jaccard of ``threshold`` or more, each labelled by its smallest row.

    The pairs are not taken from the LSH buckets: a family of lines every
    site prints with its own name in it (a cookie banner, a copyright line)
    fills a bucket with members just below the threshold, so its candidate
    pairs grow with the square of the sites, and almost none verifies. They
    come from an exact set-similarity join instead, PPJoin (Xiao, Wang, Lin
    and Yu, "Efficient similarity joins for near duplicate detection",
    WWW 2008): n-grams ranked from rarest to most common, rows taken by
    size, each row's prefix probed against the index of the smaller rows'
    (shorter) prefixes, and a pair dropped as soon as the positions of
    their shared n-grams bound its overlap below what the threshold needs.
    Lines that differ in a site's name share none of their rare n-grams,
    so their pairs are never looked at. The filters only drop pairs that
    cannot reach the threshold, so the components are those of all
    verified LSH candidates. A surviving pair whose rows are already
    connected is not verified (union-find).

    ``matrix`` is binary, as from :func:`shingle_matrix` (left as it is);
    ``keys`` is (n_rows, bands); ``advance(f)`` hears of the fraction ``f``
    of the rows done as the work goes on.
    """
    return components_and_verified(matrix, keys, threshold, advance)[0]


def components_and_verified(matrix, keys, threshold, advance=None) -> tuple[np.ndarray, int]:
    """:func:`similar_components`, and how many pairs were verified."""
    n = matrix.shape[0]
    parent = np.arange(n, dtype=np.int64)
    if n < 2:
        return parent, 0
    sizes = np.diff(matrix.indptr).astype(np.int64)
    # Rank the columns from rarest to most common (ties by column), and
    # sort each row by rank; empty rows (Jaccard 1.0 between them) get a
    # column of their own, past every other. Column-long and entry-long
    # arrays are int32 where they fit: at a million pages there are hundreds
    # of millions of entries and nearly as many distinct n-grams.
    n_cols = matrix.shape[1] + 1
    col_type = index_type(n_cols)
    df = np.bincount(matrix.indices, minlength=matrix.shape[1])
    by_df = argsort(df)  # ties stay in column order
    del df
    rank = np.empty(matrix.shape[1], dtype=col_type)
    rank[by_df] = np.arange(matrix.shape[1], dtype=col_type)
    del by_df
    empty = sizes == 0
    cols = np.where(empty, 1, sizes)
    indptr = np.concatenate([[0], np.cumsum(cols)])
    indices = np.full(indptr[-1], matrix.shape[1], dtype=col_type)
    indices[np.repeat(~empty, cols)] = rank[matrix.indices]
    del rank
    ranked = sparse.csr_matrix((np.ones(len(indices), np.int8), indices, indptr), shape=(n, n_cols))
    del indices
    ranked.has_sorted_indices = False
    ranked.sort_indices()
    # Prefixes: a row probes with the first |x| - ceil(t |x|) + 1 n-grams,
    # and is indexed (for larger rows) by the first |y| - ceil(2t/(1+t) |y|) + 1.
    # Rounded long rather than short where t |x| is a whole number that
    # floating point puts just above it.
    def prefix(share):
        need = np.maximum(np.ceil(share * sizes - 1e-9).astype(np.int64), 0)
        return np.where(empty, 1, np.minimum(sizes - need + 1, sizes))

    probe, index = prefix(threshold), prefix(2 * threshold / (1 + threshold))
    # Room in each n-gram's inverted list for every row indexed by it.
    in_index = ranked.indices[np.repeat(ranked.indptr[:-1], index) + segment_arange(index)]
    entry_type = index_type(len(in_index), n)
    starts = np.concatenate([[0], np.cumsum(np.bincount(in_index, minlength=n_cols))]).astype(entry_type)
    del in_index
    fill = np.zeros(n_cols, dtype=entry_type)
    listed = np.empty((int(starts[-1]), 2), dtype=entry_type)  # (row, position)
    order = np.lexsort((np.arange(n), sizes))
    count = np.zeros(n, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    keys = np.ascontiguousarray(keys)
    verified = 0
    for lo in range(0, n, JOIN_ROWS):
        verified += _join(
            ranked.indptr, ranked.indices, sizes, probe, index, order[lo : lo + JOIN_ROWS], starts, fill, listed,
            count, touched, keys, float(threshold), parent,
        )
        if advance is not None:
            advance(min(lo + JOIN_ROWS, n) / n)
    roots = _roots(parent)
    smallest = np.full(n, n, dtype=np.int64)
    np.minimum.at(smallest, roots, np.arange(n, dtype=np.int64))
    return smallest[roots], verified


@njit(cache=True)
def _find(parent, i):  # pragma: no cover - compiled
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:  # path compression
        parent[i], i = root, parent[i]
    return root


@njit(cache=True)
def _roots(parent):  # pragma: no cover - compiled
    out = np.empty(len(parent), dtype=np.int64)
    for i in range(len(parent)):
        out[i] = _find(parent, i)
    return out


@njit(cache=True)
def _join(
    indptr, indices, sizes, probe, index, rows, starts, fill, listed, count, touched, keys, threshold, parent
):  # pragma: no cover - compiled
    """PPJoin over ``rows`` (in size order), against the rows indexed so far;
    returns the number of pairs verified. ``count[y]`` is the overlap of the
    probing row with ``y`` seen so far, -1 once ``y`` is ruled out."""
    share = threshold / (1.0 + threshold)
    verified = 0
    for x in rows:
        sx = sizes[x]
        base = indptr[x]
        n_touched = 0
        for i in range(probe[x]):
            tok = indices[base + i]
            for e in range(starts[tok], starts[tok] + fill[tok]):
                y = listed[e, 0]
                c = count[y]
                if c < 0:
                    continue
                if c == 0:
                    touched[n_touched] = y
                    n_touched += 1
                sy = sizes[y]
                need = np.ceil(share * (sx + sy) - 1e-9)
                if c + 1 + min(sx - i - 1, sy - listed[e, 1] - 1) < need:
                    count[y] = -1  # the overlap cannot reach the threshold
                else:
                    count[y] = c + 1
        for k in range(n_touched):
            y = touched[k]
            if count[y] > 0:
                ry, rx = _find(parent, y), _find(parent, x)
                if rx != ry and _share_band(keys, x, y):
                    verified += 1
                    if _jaccard(indptr, indices, sizes, x, y) >= threshold:
                        parent[max(rx, ry)] = min(rx, ry)
            count[y] = 0
        for i in range(index[x]):
            tok = indices[base + i]
            listed[starts[tok] + fill[tok], 0] = x
            listed[starts[tok] + fill[tok], 1] = i
            fill[tok] += 1
    return verified


@njit(cache=True)
def _share_band(keys, x, y):  # pragma: no cover - compiled
    for k in range(keys.shape[1]):
        if keys[x, k] == keys[y, k]:
            return True
    return False


@njit(cache=True)
def _jaccard(indptr, indices, sizes, x, y):  # pragma: no cover - compiled
    """The Jaccard of rows x and y, computed as :func:`similarity` does."""
    p, p_end, q, q_end = indptr[x], indptr[x + 1], indptr[y], indptr[y + 1]
    inter = 0
    while p < p_end and q < q_end:
        if indices[p] == indices[q]:
            inter += 1
            p += 1
            q += 1
        elif indices[p] < indices[q]:
            p += 1
        else:
            q += 1
    union = sizes[x] + sizes[y] - inter
    return inter / max(union, 1) if union > 0 else 1.0
