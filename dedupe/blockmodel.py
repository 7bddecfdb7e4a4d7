"""The learned block model: how much each piece of evidence says "content".

Two gradient-boosted tree ensembles (scikit-learn): the first reads each
block's features and its neighbours' (:mod:`dedupe.features`), the second
adds the first one's content probability of the neighbouring blocks, a
second pass over the sequence of lines. They are trained by
``benchmarks/train_block_model.py`` and shipped in ``dedupe/models/`` twice:
in skops format (the scikit-learn estimators, for training and tests:
loading never unpickles, and only the types listed in ``_TRUSTED`` may
appear in the file), and as ``trees.npz``, both passes' trees as the flat
arrays of :class:`dedupe.forest.Forest` (read without pickles too). A run
applies the model from ``trees.npz`` and never imports scikit-learn or
skops (seconds of fixed cost a run); a model folder without it (one saved
by an older dedupe) is read from its skops files.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Optional

import numpy as np

from . import features, forest

__all__ = [
    "FORMAT_VERSION", "MODEL_DIR", "TREES", "ModelError", "BlockModel", "load", "load_estimators", "save", "block_features",
    "stacked", "fingerprint",
]

#: Bumped whenever the features or the file layout change: an older or newer
#: model file is refused rather than fed the wrong columns.
FORMAT_VERSION = 3
MODEL_DIR = Path(__file__).resolve().parent / "models" / "block-model"
#: The model folder's compiled trees: each pass's :meth:`dedupe.forest.Forest.arrays`,
#: their names prefixed with the pass ("first/roots", ..., "second/value").
TREES = "trees.npz"
_PASSES = ("first", "second")
# The only types a model file may hold besides skops' built-in safe ones.
_TRUSTED = [
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
]


class ModelError(RuntimeError):
    """The shipped model is missing, corrupt, or of another format version."""


def block_features(table) -> tuple[np.ndarray, np.ndarray]:
    """Base and context features of every block of a :class:`~dedupe.pipeline.BlockTable`.

    The context columns end with the tag-path evidence
    (:func:`dedupe.features.tag_features`), NaN for blocks of documents that
    did not come from HTML.

    Returns
    -------
    base : ndarray of float32, shape (n_blocks, n_base)
    context : ndarray of float32, shape (n_blocks, n_context)
    """
    from .boilerplate import BOILERPLATE

    evidence = features.Evidence(
        table.doc, table.cluster, table.key, table.host, table.decision.action == BOILERPLATE, table.repeat
    )
    base = features.base_features(table.lexical_features(), evidence)
    paths = features.block_tag_paths(table.tag_paths(), table.blocks)
    tags = features.tag_features(paths, table.doc, table.host, base)
    return base, np.concatenate([features.context_features(base, table.doc), tags], axis=1)


def stacked(proba: np.ndarray, doc: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Second-pass features from first-pass probabilities (``base``: the
    blocks' base features, for their word counts)."""
    return features.stacked_features(proba, doc, features.words_of(base))


class BlockModel:
    """The two fitted passes and their metadata.

    Each pass is a :class:`dedupe.forest.Forest` (read from ``trees.npz``)
    or a fitted scikit-learn classifier (read from its skops file).
    """

    def __init__(self, first, second, meta: dict):
        self.first = first
        self.second = second
        self.meta = meta

    def content_probability(self, table) -> np.ndarray:
        """Probability that each block is content.

        Returns
        -------
        ndarray of float64, shape (n_blocks,)
        """
        if len(table.doc) == 0:
            return np.zeros(0)
        base, context = block_features(table)
        n_first = base.shape[1] + context.shape[1]
        if n_first != self.meta["n_features"]:
            raise ModelError(f"model expects {self.meta['n_features']} features, got {n_first}")
        # One matrix for both passes: the first reads its leading columns,
        # the second pass's own are filled in after it.
        width = _n_features(self.second)
        X = np.empty((len(base), max(width, n_first)), dtype=np.result_type(base, context))
        X[:, : base.shape[1]], X[:, base.shape[1] : n_first] = base, context
        del context
        threads = table.workers.jobs if getattr(table, "workers", None) is not None else 1
        p1 = forest.content_probability(self.first, X[:, :n_first], threads)
        second = stacked(p1, table.doc, base)
        if n_first + second.shape[1] != width:
            raise ModelError(f"the second pass expects {width} features, got {n_first + second.shape[1]}")
        X[:, n_first:] = second
        return forest.content_probability(self.second, X, threads)


def _n_features(model) -> int:
    """Columns a pass reads (a :class:`~dedupe.forest.Forest` or a fitted estimator)."""
    return int(model.n_features if isinstance(model, forest.Forest) else model.n_features_in_)


def save(first, second, meta: dict, directory: Path = MODEL_DIR) -> None:
    """Write a model: two skops files, their trees (``trees.npz``) and
    meta.json, atomically enough for a build step.

    Passes whose trees :class:`~dedupe.forest.Forest` cannot walk get no
    ``trees.npz`` (and lose any earlier one): the model is then read from
    its skops files.
    """
    import skops.io as sio

    directory.mkdir(parents=True, exist_ok=True)
    for name, model in (("first.skops", first), ("second.skops", second)):
        sio.dump(model, directory / name)
    _write_trees(first, second, directory)
    meta = {**meta, "format_version": FORMAT_VERSION, "n_features": int(first.n_features_in_)}
    (directory / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _write_trees(first, second, directory: Path) -> None:
    """``trees.npz`` of two fitted classifiers (none when one cannot be walked)."""
    forests = [forest.Forest.of(first), forest.Forest.of(second)]
    if None in forests:
        (directory / TREES).unlink(missing_ok=True)
        return
    arrays = {f"{part}/{name}": a for part, f in zip(_PASSES, forests) for name, a in f.arrays().items()}
    with open(directory / TREES, "wb") as out:
        np.savez_compressed(out, **arrays)


def _meta(directory: Path) -> dict:
    """The model's meta.json, refused when it is of another format version."""
    try:
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{directory}: cannot read the block model's meta.json ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        version = meta.get("format_version") if isinstance(meta, dict) else None
        raise ModelError(
            f"{directory}: block model format {version!r}, this dedupe reads {FORMAT_VERSION}; "
            "retrain it with benchmarks/train_block_model.py"
        )
    return meta


@lru_cache(maxsize=4)
def load(directory: Path = MODEL_DIR) -> BlockModel:
    """Load a model without running code from its files: the trees of
    ``trees.npz`` where the folder has one (no scikit-learn), else the
    skops files (:func:`load_estimators`).

    Raises
    ------
    ModelError
        If a file is missing or unreadable, holds an untrusted type or
        trees that do not fit together or the features meta.json names, or
        was written for another format version.
    """
    meta = _meta(directory)
    if (directory / TREES).exists():
        return BlockModel(*_forests(directory / TREES, meta), meta)
    return BlockModel(*load_estimators(directory), meta)


def _forests(path: Path, meta: dict) -> list:
    """Both passes' :class:`~dedupe.forest.Forest` from ``trees.npz``."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except Exception as exc:  # a damaged zip or array raises several types
        raise ModelError(f"{path}: cannot read the block model's trees ({exc})") from None
    unknown = sorted(k for k in arrays if k.partition("/")[0] not in _PASSES or "/" not in k)
    if unknown:
        raise ModelError(f"{path}: unexpected arrays {unknown}")
    out = []
    for part in _PASSES:
        try:
            out.append(forest.Forest.from_arrays(
                {k.partition("/")[2]: a for k, a in arrays.items() if k.partition("/")[0] == part}
            ))
        except ValueError as exc:
            raise ModelError(f"{path}: the {part} pass's trees are damaged ({exc})") from None
    first, second = out
    if first.n_features != meta.get("n_features") or second.n_features <= first.n_features:
        raise ModelError(
            f"{path}: the passes read {first.n_features} and {second.n_features} features, "
            f"meta.json says {meta.get('n_features')!r} for the first (and more for the second)"
        )
    return out


def load_estimators(directory: Path = MODEL_DIR) -> tuple:
    """The two passes' fitted scikit-learn classifiers, from the model's
    skops files (loading never unpickles; only skops' safe types and those
    of ``_TRUSTED`` may appear).

    Returns
    -------
    first, second : HistGradientBoostingClassifier

    Raises
    ------
    ModelError
        If meta.json or a skops file is missing or unreadable, a file holds
        an untrusted type, or the model was written for another format
        version.
    """
    import skops.io as sio

    _meta(directory)
    models = []
    for name in ("first.skops", "second.skops"):
        try:
            models.append(sio.load(directory / name, trusted=_TRUSTED))
        except Exception as exc:  # skops raises several types for bad or untrusted content
            raise ModelError(f"{directory / name}: cannot load the block model ({exc})") from None
    return models[0], models[1]


def fingerprint(block_model: str) -> Optional[str]:
    """Hash of the block model's files (None for ``none``; ``missing`` when
    they cannot be read): part of the model stage's checkpoint key."""
    if block_model == "none":
        return None
    from .io.files import hash_files

    folder = MODEL_DIR if block_model == "builtin" else Path(block_model)
    try:
        return hash_files(folder, [p for p in folder.rglob("*") if p.is_file()])
    except OSError:
        return "missing"  # the model stage raises its own error, and there is nothing to save
