"""The block model's trees walked a row at a time.

scikit-learn's ``HistGradientBoostingClassifier.predict_proba`` walks the
rows through one tree at a time: every row of the feature matrix (about a
kilobyte of floats) is read from memory once per tree, a hundred times a
pass. :func:`content_probability` walks each row through every tree while
it is in the cache, and adds the trees' values in scikit-learn's order
(its baseline, then tree by tree), so the probabilities are its own to the
bit (``tests/test_blockmodel.py`` checks it). A model it cannot read
(categorical features, more than two classes, another layout of the fitted
trees) is left to scikit-learn.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from numba import njit

__all__ = ["Forest", "content_probability"]


class Forest:
    """The fitted trees of one binary ``HistGradientBoostingClassifier`` as
    flat arrays (every tree's nodes one after another)."""

    def __init__(self, model):
        predictors = [p for iteration in model._predictors for p in iteration]
        nodes = [p.nodes for p in predictors]
        offsets = np.cumsum([0] + [len(n) for n in nodes[:-1]]).astype(np.int64)
        flat = np.concatenate(nodes)
        shift = np.repeat(offsets, [len(n) for n in nodes])
        self.roots = offsets
        self.feature = flat["feature_idx"].astype(np.int64)
        self.threshold = flat["num_threshold"].astype(np.float64)
        self.left = flat["left"].astype(np.int64) + shift
        self.right = flat["right"].astype(np.int64) + shift
        self.missing_left = flat["missing_go_to_left"].astype(np.bool_)
        self.leaf = flat["is_leaf"].astype(np.bool_)
        self.value = flat["value"].astype(np.float64)
        self.baseline = float(np.asarray(model._baseline_prediction).ravel()[0])
        self.n_features = int(model.n_features_in_)

    @classmethod
    def of(cls, model) -> Optional["Forest"]:
        """The model's trees, or None when they are not a binary model's
        numeric splits this module knows how to walk."""
        try:
            if len(model.classes_) != 2 or model.n_trees_per_iteration_ != 1:
                return None
            if any(bool(p.nodes["is_categorical"].any()) for it in model._predictors for p in it):
                return None
            return cls(model)
        except (AttributeError, KeyError, ValueError, TypeError):
            return None

    def raw(self, X: np.ndarray) -> np.ndarray:
        """The sum of the trees' values (the model's raw prediction) of each row."""
        X = np.ascontiguousarray(X)
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected {self.n_features} features, got an array of shape {X.shape}")
        return _walk(X, self.roots, self.feature, self.threshold, self.left, self.right, self.missing_left,
                     self.leaf, self.value, self.baseline)


@njit(cache=True)
def _walk(X, roots, feature, threshold, left, right, missing_left, leaf, value, baseline):  # pragma: no cover - numba
    out = np.empty(X.shape[0], dtype=np.float64)
    for i in range(X.shape[0]):
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
        out[i] = total
    return out


_FORESTS: dict[int, tuple[object, Optional[Forest]]] = {}


def content_probability(model, X: np.ndarray) -> np.ndarray:
    """``model.predict_proba(X)[:, 1]``, the same floats, walked row by row
    where the model allows it."""
    held = _FORESTS.get(id(model))
    if held is None or held[0] is not model:
        held = _FORESTS[id(model)] = (model, Forest.of(model))
    forest = held[1]
    if forest is None:
        return model.predict_proba(X)[:, 1]
    from scipy.special import expit

    # The binary log loss's probability of the second class (scikit-learn's
    # HalfBinomialLoss.predict_proba).
    return expit(forest.raw(X))
