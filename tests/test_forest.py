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
    model = blockmodel.load()  # the trees of trees.npz
    estimators = blockmodel.load_estimators()
    assert isinstance(model.first, forest.Forest) and isinstance(model.second, forest.Forest)
    rng = np.random.default_rng(5)
    for part, estimator in zip((model.first, model.second), estimators):
        assert part.n_features == estimator.n_features_in_
        X = rng.normal(scale=2.0, size=(2000, part.n_features)).astype(np.float32)
        X[rng.random(size=X.shape) < 0.3] = np.nan
        X[:3] = np.nan
        assert np.array_equal(forest.content_probability(part, X), estimator.predict_proba(X)[:, 1])


def test_the_shipped_trees_are_the_estimators_trees():
    with np.load(blockmodel.MODEL_DIR / blockmodel.TREES, allow_pickle=False) as npz:
        shipped = {key: npz[key] for key in npz.files}
    want = {}
    for part, estimator in zip(("first", "second"), blockmodel.load_estimators()):
        want |= {f"{part}/{name}": a for name, a in forest.Forest.from_model(estimator).arrays().items()}
    assert shipped.keys() == want.keys()
    for key, a in want.items():
        assert shipped[key].dtype == a.dtype and shipped[key].shape == a.shape
        assert np.array_equal(shipped[key], a), key


def test_a_forests_arrays_make_the_same_forest():
    rng = np.random.default_rng(4)
    X, y = _data(rng, 2000, 5)
    model = HistGradientBoostingClassifier(max_iter=30, max_leaf_nodes=9, random_state=0).fit(X, y)
    made = forest.Forest.from_model(model)
    arrays = made.arrays()
    again = forest.Forest.from_arrays({name: a.copy() for name, a in arrays.items()})
    assert again.arrays().keys() == arrays.keys()
    assert all(np.array_equal(again.arrays()[name], a) for name, a in arrays.items())
    test = _data(rng, 1000, 5, missing=0.3)[0]
    assert np.array_equal(again.raw(test), made.raw(test))
    assert np.array_equal(forest.content_probability(again, test), model.predict_proba(test)[:, 1])
    # Built from the arrays by name, too.
    assert np.array_equal(forest.Forest(**arrays).raw(test), made.raw(test))


def _damaged(arrays, case):
    inner = int(np.flatnonzero(~arrays["leaf"])[1])  # a split that is not a root

    def at_inner(name, v):
        return {**arrays, name: np.where(np.arange(len(arrays[name])) == inner, v, arrays[name])}

    return {
        "missing": lambda: {k: a for k, a in arrays.items() if k != "value"},
        "extra": lambda: {**arrays, "spare": np.zeros(1)},
        "dtype": lambda: {**arrays, "threshold": arrays["threshold"].astype(np.float32)},
        "shape": lambda: {**arrays, "left": arrays["left"][:-1]},
        "scalar": lambda: {**arrays, "baseline": np.zeros(2)},
        "loop": lambda: at_inner("left", 0),
        "outside": lambda: at_inner("right", 10**6),
        "feature": lambda: at_inner("feature", 3),
        "root": lambda: {**arrays, "roots": arrays["roots"] + len(arrays["leaf"])},
    }[case]()


@pytest.mark.parametrize("case", ["missing", "extra", "dtype", "shape", "scalar", "loop", "outside", "feature", "root"])
def test_damaged_arrays_are_refused(case):
    rng = np.random.default_rng(6)
    X, y = _data(rng, 500, 3)
    arrays = forest.Forest.from_model(HistGradientBoostingClassifier(max_iter=5, random_state=0).fit(X, y)).arrays()
    forest.Forest.from_arrays(arrays)
    with pytest.raises(ValueError):
        forest.Forest.from_arrays(_damaged(arrays, case))


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


def test_rows_shared_among_threads_give_the_same_floats():
    model = blockmodel.load()
    rng = np.random.default_rng(8)
    wide = rng.normal(scale=2.0, size=(30_000, model.first.n_features + 7)).astype(np.float32)
    wide[rng.random(size=wide.shape) < 0.3] = np.nan
    X = wide[:, : model.first.n_features]  # a view: the first columns of a wider matrix, as the model stage passes
    one = forest.content_probability(model.first, np.ascontiguousarray(X))
    assert np.array_equal(forest.content_probability(model.first, X, threads=2), one)
    assert np.array_equal(forest.content_probability(model.first, X, threads=1), one)
