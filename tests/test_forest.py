"""The block model's trees walked row by row: scikit-learn's probabilities, to the bit."""

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from dedupe import blockmodel, forest


def _data(rng, n, d, missing=0.2):
    X = rng.normal(size=(n, d))
    y = (X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(scale=0.5, size=n) > 0).astype(int)
    # Missing values in training send some splits' NaNs left and others right.
    X[rng.random(size=X.shape) < missing] = np.nan
    return X, y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_fitted_model_gives_scikit_learns_probabilities(dtype):
    rng = np.random.default_rng(3)
    X, y = _data(rng, 4000, 6)
    model = HistGradientBoostingClassifier(max_iter=60, max_leaf_nodes=15, random_state=0).fit(X, y)
    test = _data(rng, 3000, 6, missing=0.3)[0].astype(dtype)
    test[:5] = np.nan  # a row with nothing known
    got = forest.content_probability(model, test)
    assert forest.Forest.of(model) is not None
    assert np.array_equal(got, model.predict_proba(test)[:, 1])


def test_the_shipped_model_gives_scikit_learns_probabilities():
    model = blockmodel.load()
    rng = np.random.default_rng(5)
    for part in (model.first, model.second):
        X = rng.normal(scale=2.0, size=(2000, part.n_features_in_)).astype(np.float32)
        X[rng.random(size=X.shape) < 0.3] = np.nan
        assert np.array_equal(forest.content_probability(part, X), part.predict_proba(X)[:, 1])


def test_models_it_cannot_walk_are_left_to_scikit_learn():
    rng = np.random.default_rng(1)
    X, y = _data(rng, 1500, 4, missing=0.0)
    three = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, y + (X[:, 3] > 1))
    X_cat = X.copy()
    X_cat[:, 3] = rng.integers(0, 5, size=len(X))
    categorical = HistGradientBoostingClassifier(max_iter=10, categorical_features=[3], random_state=0).fit(X_cat, y)
    assert forest.Forest.of(three) is None and forest.Forest.of(categorical) is None
    assert np.array_equal(forest.content_probability(categorical, X_cat), categorical.predict_proba(X_cat)[:, 1])


def test_a_matrix_of_the_wrong_width_is_refused():
    rng = np.random.default_rng(2)
    X, y = _data(rng, 500, 3)
    model = HistGradientBoostingClassifier(max_iter=5, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="expected 3 features"):
        forest.Forest.of(model).raw(np.zeros((4, 5)))
