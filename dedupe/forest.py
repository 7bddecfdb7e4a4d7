"""The block model's trees walked a row at a time.

scikit-learn's ``HistGradientBoostingClassifier.predict_proba`` walks the
rows through one tree at a time: every row of the feature matrix (about a
kilobyte of floats) is read from memory once per tree, a hundred times a
pass. :func:`content_probability` walks each row through every tree while
it is in the cache, and adds the trees' values in scikit-learn's order
(its baseline, then tree by tree), so the probabilities are its own to the
bit (``tests/test_forest.py`` checks it). A model it cannot read
(categorical features, more than two classes, another layout of the fitted
trees) is left to scikit-learn.

A :class:`Forest` is nothing but flat arrays: :meth:`Forest.arrays` gives
them and :meth:`Forest.from_arrays` takes them back (checked, so that a
damaged file cannot send the walk outside them or round in circles), which
is how the shipped model is applied without importing scikit-learn.
"""

from __future__ import annotations

from typing import Mapping, Optional

import numba
import numpy as np
from numba import njit, prange

__all__ = ["Forest", "content_probability"]

#: Each array of a :class:`Forest`: its dtype and whether it has one entry
#: per node (else per tree for ``roots``, or a single number).
_LAYOUT = {
    "roots": (np.int64, "tree"),
    "feature": (np.int64, "node"),
    "threshold": (np.float64, "node"),
    "left": (np.int64, "node"),
    "right": (np.int64, "node"),
    "missing_left": (np.bool_, "node"),
    "leaf": (np.bool_, "node"),
    "value": (np.float64, "node"),
    "baseline": (np.float64, "scalar"),
    "n_features": (np.int64, "scalar"),
}


class Forest:
    """The fitted trees of one binary ``HistGradientBoostingClassifier`` as
    flat arrays (every tree's nodes one after another).

    Parameters
    ----------
    roots : ndarray of int64, shape (n_trees,)
        The index of each tree's first node.
    feature, threshold, left, right, missing_left, leaf, value : ndarray, shape (n_nodes,)
        Per node: the feature it splits on and its threshold (a row goes
        left when its value is at most the threshold), the indices of its
        children, whether a missing value goes left, whether it is a leaf,
        and a leaf's value.
    baseline : float
        The raw prediction before the first tree.
    n_features : int
        The width of the rows it reads.
    """

    def __init__(self, roots, feature, threshold, left, right, missing_left, leaf, value, baseline, n_features):
        self.roots = np.asarray(roots, dtype=np.int64)
        self.feature = np.asarray(feature, dtype=np.int64)
        self.threshold = np.asarray(threshold, dtype=np.float64)
        self.left = np.asarray(left, dtype=np.int64)
        self.right = np.asarray(right, dtype=np.int64)
        self.missing_left = np.asarray(missing_left, dtype=np.bool_)
        self.leaf = np.asarray(leaf, dtype=np.bool_)
        self.value = np.asarray(value, dtype=np.float64)
        self.baseline = float(baseline)
        self.n_features = int(n_features)

    @classmethod
    def from_model(cls, model) -> "Forest":
        """The trees of a fitted binary ``HistGradientBoostingClassifier``.

        Raises
        ------
        ValueError
            If the model has more than two classes or categorical splits.
        """
        if len(model.classes_) != 2 or model.n_trees_per_iteration_ != 1:
            raise ValueError("only a binary classifier's trees can be walked")
        predictors = [p for iteration in model._predictors for p in iteration]
        nodes = [p.nodes for p in predictors]
        if any(bool(n["is_categorical"].any()) for n in nodes):
            raise ValueError("categorical splits cannot be walked")
        offsets = np.cumsum([0] + [len(n) for n in nodes[:-1]]).astype(np.int64)
        flat = np.concatenate(nodes)
        shift = np.repeat(offsets, [len(n) for n in nodes])
        return cls(
            roots=offsets,
            feature=flat["feature_idx"].astype(np.int64),
            threshold=flat["num_threshold"].astype(np.float64),
            left=flat["left"].astype(np.int64) + shift,
            right=flat["right"].astype(np.int64) + shift,
            missing_left=flat["missing_go_to_left"].astype(np.bool_),
            leaf=flat["is_leaf"].astype(np.bool_),
            value=flat["value"].astype(np.float64),
            baseline=float(np.asarray(model._baseline_prediction).ravel()[0]),
            n_features=int(model.n_features_in_),
        )

    @classmethod
    def of(cls, model) -> Optional["Forest"]:
        """The model's trees, or None when they are not a binary model's
        numeric splits this module knows how to walk."""
        try:
            return cls.from_model(model)
        except (AttributeError, KeyError, ValueError, TypeError):
            return None

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array of the forest by name (``baseline`` and
        ``n_features`` as 0-d arrays), what :meth:`from_arrays` takes."""
        out = {name: getattr(self, name) for name, (_, size) in _LAYOUT.items() if size != "scalar"}
        out["baseline"] = np.array(self.baseline, dtype=np.float64)
        out["n_features"] = np.array(self.n_features, dtype=np.int64)
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> "Forest":
        """The forest :meth:`arrays` gave, checked before it is walked.

        Raises
        ------
        ValueError
            If an array is missing or unexpected, of another dtype or shape,
            or the nodes do not form trees (a child that is not after its
            parent, an index or feature out of range).
        """
        missing = [name for name in _LAYOUT if name not in arrays]
        extra = sorted(set(arrays) - set(_LAYOUT))
        if missing or extra:
            raise ValueError(f"missing arrays {missing}, unexpected {extra}")
        got = {name: np.asarray(arrays[name]) for name in _LAYOUT}
        n_nodes = len(got["leaf"]) if got["leaf"].ndim == 1 else -1
        for name, (dtype, size) in _LAYOUT.items():
            a = got[name]
            shape = () if size == "scalar" else (n_nodes,) if size == "node" else a.shape[:1]
            if a.dtype != dtype or a.shape != shape or (size == "tree" and a.ndim != 1):
                raise ValueError(f"{name}: {a.dtype} of shape {a.shape}, expected {np.dtype(dtype)} of shape {shape}")
        n_features = int(got["n_features"])
        inner = np.flatnonzero(~got["leaf"])
        feature, left, right, roots = got["feature"][inner], got["left"][inner], got["right"][inner], got["roots"]
        if n_features < 1 or len(roots) == 0 or n_nodes == 0:
            raise ValueError(f"{len(roots)} trees of {n_nodes} nodes reading {n_features} features")
        if roots.min() < 0 or roots.max() >= n_nodes:
            raise ValueError(f"a tree's root lies outside the {n_nodes} nodes")
        if len(inner) and (feature.min() < 0 or feature.max() >= n_features):
            raise ValueError(f"a split reads a feature outside the {n_features}")
        # A child after its parent: every walk ends, at a leaf inside the arrays.
        if len(inner) and ((left <= inner) | (right <= inner) | (left >= n_nodes) | (right >= n_nodes)).any():
            raise ValueError("a split's child does not lie after it among the nodes")
        return cls(**{name: got[name] for name in _LAYOUT})

    def raw(self, X: np.ndarray, threads: int = 1) -> np.ndarray:
        """The sum of the trees' values (the model's raw prediction) of each row.

        ``X`` may be a view (the first columns of a wider matrix); rows
        are shared among up to ``threads`` threads (each row's sum is its
        own: the same floats for any number).
        """
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected {self.n_features} features, got an array of shape {X.shape}")
        args = (X, self.roots, self.feature, self.threshold, self.left, self.right, self.missing_left,
                self.leaf, self.value, self.baseline)
        threads = min(int(threads), numba.config.NUMBA_NUM_THREADS)
        if threads < 2 or len(X) < _ROWS_SHARED:
            return _walk(*args)
        previous = numba.get_num_threads()
        numba.set_num_threads(threads)
        try:
            return _walk_shared(*args)
        finally:
            numba.set_num_threads(previous)

    def probability(self, X: np.ndarray, threads: int = 1) -> np.ndarray:
        """The probability of the second class of each row (the model's
        ``predict_proba(X)[:, 1]``; ``threads`` as for :meth:`raw`)."""
        from scipy.special import expit

        # The binary log loss's probability of the second class (scikit-learn's
        # HalfBinomialLoss.predict_proba).
        return expit(self.raw(X, threads))


# Rows from which a walk is shared among threads (fewer: not worth starting them).
_ROWS_SHARED = 20_000


@njit(cache=True)
def _walk(X, roots, feature, threshold, left, right, missing_left, leaf, value, baseline):  # pragma: no cover - numba
    out = np.empty(X.shape[0], dtype=np.float64)
    for i in range(X.shape[0]):
        out[i] = _row(X, i, roots, feature, threshold, left, right, missing_left, leaf, value, baseline)
    return out


@njit(cache=True, parallel=True)
def _walk_shared(X, roots, feature, threshold, left, right, missing_left, leaf, value, baseline):  # pragma: no cover
    out = np.empty(X.shape[0], dtype=np.float64)
    for i in prange(X.shape[0]):
        out[i] = _row(X, i, roots, feature, threshold, left, right, missing_left, leaf, value, baseline)
    return out


@njit(cache=True, inline="always")
def _row(X, i, roots, feature, threshold, left, right, missing_left, leaf, value, baseline):  # pragma: no cover
    """Row ``i``'s sum: the baseline, then each tree's leaf value in order."""
    total = 0.0 + baseline
    for t in range(len(roots)):
        node = roots[t]
        while not leaf[node]:
            v = np.float64(X[i, feature[node]])
            if np.isnan(v):
                node = left[node] if missing_left[node] else right[node]
            elif v <= threshold[node]:
                node = left[node]
            else:
                node = right[node]
        total += value[node]
    return total


_FORESTS: dict[int, tuple[object, Optional[Forest]]] = {}


def content_probability(model, X: np.ndarray, threads: int = 1) -> np.ndarray:
    """``model.predict_proba(X)[:, 1]``, the same floats, walked row by row
    where the model allows it (``model``: a fitted classifier, or a
    :class:`Forest`, which needs no scikit-learn), by up to ``threads``
    threads."""
    if isinstance(model, Forest):
        return model.probability(X, threads)
    held = _FORESTS.get(id(model))
    if held is None or held[0] is not model:
        held = _FORESTS[id(model)] = (model, Forest.of(model))
    forest = held[1]
    if forest is None:
        return model.predict_proba(X)[:, 1]
    return forest.probability(X, threads)
