"""What a block's neighbours in its page say: the block model's shifted
columns and window means, computed in one pass over the rows.

:func:`dedupe.features.context_features` and
:func:`dedupe.features.stacked_features` read, for several per-block
values, the value ``k`` blocks away in the same page (NaN past the page's
edges) and the mean over the blocks within ``w`` places (NaN values left
out). As whole-array numpy steps that is one temporary array per offset
and window position; here each row is read once, and the sums are taken
in the same order (offsets from ``-w`` up), so the floats are the same.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["neighbour_columns", "before_in_page", "window_extreme"]


def neighbour_columns(values: np.ndarray, doc: np.ndarray, offsets, windows, out: np.ndarray) -> None:
    """Write, for each column ``j`` of ``values``, its shifted copies and window means into ``out``.

    Parameters
    ----------
    values : ndarray, shape (n_blocks, m)
        Per-block values (read as float64; NaN: unknown).
    doc : ndarray of int, shape (n_blocks,)
        Each block's document; a document's blocks are consecutive.
    offsets : sequence of int
        The shifts: the value ``k`` blocks away, NaN outside the page.
    windows : sequence of int
        The window half-widths: the mean over the blocks within ``w``
        places in the page, NaN values left out (0 when none is known).
    out : ndarray of float32 or float64, shape (n_blocks, m * (len(offsets) + len(windows)))
        Column ``j * (len(offsets) + len(windows)) + i``: the ``i``-th
        shift, then the windows, of column ``j``.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    per = len(offsets) + len(windows)
    if out.shape != (len(values), values.shape[1] * per):
        raise ValueError(f"out has shape {out.shape}, expected {(len(values), values.shape[1] * per)}")
    _columns(values, np.asarray(doc, dtype=np.int64), np.asarray(offsets, dtype=np.int64),
             np.asarray(windows, dtype=np.int64), out)


@njit(cache=True)
def _columns(values, doc, offsets, windows, out):  # pragma: no cover - numba
    n, m = values.shape
    per = len(offsets) + len(windows)
    for j in range(m):
        for i in range(n):
            col = j * per
            for k in offsets:
                s = i + k
                out[i, col] = values[s, j] if 0 <= s < n and doc[s] == doc[i] else np.nan
                col += 1
            for w in windows:
                total = 0.0
                count = 0.0
                for k in range(-w, w + 1):
                    s = i + k
                    if 0 <= s < n and doc[s] == doc[i]:
                        v = values[s, j]
                        if not np.isnan(v):
                            total += v
                            count += 1.0
                out[i, col] = total / max(count, 1.0)
                col += 1


def before_in_page(values: np.ndarray, doc: np.ndarray) -> np.ndarray:
    """Sum of ``values`` over the blocks before each block in its page,
    added up from the page's first block (so a page's sums do not depend
    on the pages before it in the array).

    Returns
    -------
    ndarray of float64, shape (n_blocks,)
    """
    return _before(np.asarray(values, dtype=np.float64), np.asarray(doc, dtype=np.int64))


@njit(cache=True)
def _before(values, doc):  # pragma: no cover - numba
    out = np.empty(len(values))
    total = 0.0
    for i in range(len(values)):
        if i == 0 or doc[i] != doc[i - 1]:
            total = 0.0
        out[i] = total
        total += values[i]
    return out


def window_extreme(values: np.ndarray, doc: np.ndarray, w: int, largest: bool) -> np.ndarray:
    """The largest (``largest``) or smallest of ``values`` over the blocks
    within ``w`` places in the same page, unknown (NaN) values left out; a
    block whose own value is NaN keeps NaN (numpy's ``maximum`` and
    ``minimum`` taken from ``-w`` up, as one pass).

    Returns
    -------
    ndarray of float64, shape (n_blocks,)
    """
    return _extreme(np.asarray(values, dtype=np.float64), np.asarray(doc, dtype=np.int64), int(w), bool(largest))


@njit(cache=True)
def _extreme(values, doc, w, largest):  # pragma: no cover - numba
    n = len(values)
    out = np.empty(n)
    for i in range(n):
        best = values[i]
        if not np.isnan(best):
            for s in range(max(i - w, 0), min(i + w + 1, n)):
                v = values[s]
                if doc[s] == doc[i] and not np.isnan(v) and (v > best if largest else v < best):
                    best = v
        out[i] = best
    return out
