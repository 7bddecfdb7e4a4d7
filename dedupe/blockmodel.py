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
from typing import Iterator, Optional

import numpy as np

from . import features, forest

__all__ = [
    "FORMAT_VERSION", "MODEL_DIR", "TREES", "ModelError", "BlockModel", "load", "load_estimators", "save", "block_features",
    "feature_ranges", "page_ranges", "RANGE_BLOCKS", "stacked", "fingerprint",
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


#: Blocks whose features are made and scored at once (whole pages; a page
#: longer than this is a range alone): the model's matrices, about a
#: kilobyte a block, are held for one range at a time however large the
#: corpus; a range's features and scores are the same whatever the ranges.
RANGE_BLOCKS = 1 << 18


def page_ranges(bounds: np.ndarray, max_blocks: int = RANGE_BLOCKS) -> list[tuple[int, int]]:
    """Ranges ``[lo, hi)`` of the blocks of whole pages (``bounds``: where
    each page's blocks start, then their number), in order, each of at most
    ``max_blocks`` blocks unless it is one page."""
    n, out, lo = int(bounds[-1]), [], 0
    while lo < n:
        hi = int(bounds[np.searchsorted(bounds, lo + max_blocks, side="right") - 1])
        if hi <= lo:  # a page of more than max_blocks blocks
            hi = int(bounds[np.searchsorted(bounds, lo, side="right")])
        out.append((lo, hi))
        lo = hi
    return out


def feature_ranges(table, exchange=None, max_blocks: int = RANGE_BLOCKS) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """Base and context features of a :class:`~dedupe.stages.boilerplate.BlockTable`'s
    blocks, a range of whole pages at a time (:func:`page_ranges`).

    The context columns end with what the page's words say of the block
    (:func:`dedupe.topic.topic_features`), then the tag-path evidence
    (:class:`dedupe.tag_evidence.TagEvidence`), NaN for blocks of documents
    that did not come from HTML. That evidence weighs every block's words
    by its site, so where there are tag paths every range's text features
    are made first and kept until their range's turn: in ``exchange(n)``
    (a run's keyed exchange, :meth:`dedupe.pipeline.Run.exchange`, which
    spills to disk past the run's memory budget) when given, else in memory.

    Yields
    ------
    lo, hi : int
        The range's blocks.
    base : ndarray of float32, shape (hi - lo, n_base)
    context : ndarray of float32, shape (hi - lo, n_context)
    """
    with _Ranges(table, exchange, max_blocks) as ranges:
        for k, (lo, hi) in enumerate(ranges.bounds):
            lex, tag = ranges.lexical_and_tags(k)
            if lex is None:
                lex = table.lexical_features(lo, hi)
            base, context = range_features(lex, ranges.evidence.rows(lo, hi), table.topic_features(lo, hi), tag)
            del lex
            yield lo, hi, base, context


def range_features(lex: np.ndarray, rows: "features.Evidence", topic: np.ndarray, tag: Optional[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Base and context features of a range of whole pages, from their
    blocks' text features ``lex``, their corpus evidence ``rows``
    (:meth:`dedupe.features.Evidence.rows`), topic features and tag-path
    features (None: NaN, no tag paths)."""
    from .tag_evidence import TAG_NAMES

    base = features.base_features(lex, rows)
    if tag is None:
        tag = np.full((len(base), len(TAG_NAMES)), np.nan, dtype=np.float32)
    context = [features.context_features(base, rows.doc), topic.astype(np.float32), tag]
    return base, np.concatenate(context, axis=1)


class _Ranges:
    """What every range's features are made from: the corpus evidence, the
    ranges, and (HTML input) the tag-path evidence, with every range's text
    features made first and kept for their turn (:func:`feature_ranges`)."""

    def __init__(self, table, exchange=None, max_blocks: int = RANGE_BLOCKS):
        from .boilerplate import BOILERPLATE
        from .tag_evidence import TagEvidence, path_ids

        self.evidence = features.Evidence(
            table.doc, table.cluster, table.key, table.host, table.decision.action == BOILERPLATE, table.repeat
        )
        self.bounds = page_ranges(table.blocks.bounds, max_blocks)
        ids = path_ids(table.tag_paths(), table.blocks)
        self._tags, self._held, self._kept = None, None, {}
        if ids is not None and (ids[0] >= 0).any():
            self._held = exchange(len(self.bounds)) if exchange is not None else None
            words = np.empty(len(table.doc))
            for k, (lo, hi) in enumerate(self.bounds):
                lex = table.lexical_features(lo, hi)
                words[lo:hi] = _words(lex)
                if self._held is not None:
                    self._held.put(k, lex=lex)
                else:
                    self._kept[k] = lex
            self._tags = TagEvidence(*ids, table.doc, table.host, words, self.evidence.rule_template)

    def lexical_and_tags(self, k: int) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        """Range ``k``'s text features and tag-path features, where they are
        made first (tag paths); else (None, None). Each range once."""
        if self._tags is None:
            return None, None
        lo, hi = self.bounds[k]
        lex = self._held.load(k)["lex"] if self._held is not None else self._kept.pop(k)
        return lex, self._tags.features(lo, hi, _words(lex))

    def close(self) -> None:
        if self._held is not None:
            self._held.close()

    def __enter__(self) -> "_Ranges":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _words(lex: np.ndarray) -> np.ndarray:
    """Words per block, from its text features, as :func:`dedupe.features.words_of` reads them from the base features."""
    return np.expm1(lex[:, 0].astype(np.float32).astype(np.float64))


def _score_ranges(model: "BlockModel", items: list) -> tuple[np.ndarray, np.ndarray]:
    """The content probability of each block of some ranges of whole pages,
    and whether it says its page's URL slug, in a worker process
    (:meth:`BlockModel.score`): each item the range's texts, pages' URLs,
    corpus evidence, and text and tag-path features where they were made
    first (else None)."""
    from .arrays import run_starts
    from .own_content import slug_matches
    from .topic import topic_features

    out, slugs = [], []
    for texts, urls, rows, lex, tag in items:
        # Each block's page's URL, for the own-headline check's slug test,
        # made here while the texts are: :meth:`BlockModel.score`.
        starts = np.flatnonzero(run_starts(rows.doc))
        page_of = np.repeat(np.array(urls, dtype=object), np.diff(np.append(starts, len(rows.doc))))
        slugs.append(slug_matches(texts, page_of.tolist()))
        lex = features.lexical_features(texts) if lex is None else lex
        base, context = range_features(lex, rows, topic_features(texts, rows.doc, urls), tag)
        del lex, texts
        out.append(model.range_probability(base, context, rows.doc))
    if not out:
        return np.zeros(0), np.zeros(0, dtype=bool)
    return np.concatenate(out), np.concatenate(slugs)


def block_features(table) -> tuple[np.ndarray, np.ndarray]:
    """Base and context features of every block (:func:`feature_ranges`, put together).

    Returns
    -------
    base : ndarray of float32, shape (n_blocks, n_base)
    context : ndarray of float32, shape (n_blocks, n_context)
    """
    parts = [(base, context) for _, _, base, context in feature_ranges(table)]
    if len(parts) == 1:
        return parts[0]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


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

    def content_probability(self, table, exchange=None) -> np.ndarray:
        """Probability that each block is content (:meth:`score`'s first part).

        Returns
        -------
        ndarray of float64, shape (n_blocks,)
        """
        return self.score(table, exchange)[0]

    def score(self, table, exchange=None) -> tuple[np.ndarray, Optional[np.ndarray]]:
        """Probability that each block is content, a range of whole pages at
        a time (:func:`feature_ranges`; ``exchange`` as there). With the
        table's worker processes (a local table, whose texts are read in
        this process: ``texts_here``), the ranges are scored in them and
        here, texts, features and both passes (a map over ranges of pages:
        the same floats, each range's are its own); and since every block's
        text passes through them then, they also tell whether each block
        says what its page's URL slug spells
        (:func:`dedupe.own_content.slug_matches`), which the own-headline
        check would otherwise cut the texts for again in this process.

        Returns
        -------
        content : ndarray of float64, shape (n_blocks,)
        says_slug : ndarray of bool, shape (n_blocks,), or None
            None where the ranges were scored here (no workers, or texts
            read elsewhere).
        """
        out = np.zeros(len(table.doc))
        if len(out) == 0:
            return out, None
        workers = getattr(table, "workers", None)
        if workers is not None and workers.jobs > 1 and getattr(table, "texts_here", False):
            return self._in_workers(table, exchange, workers)
        threads = workers.jobs if workers is not None else 1
        for lo, hi, base, context in feature_ranges(table, exchange, RANGE_BLOCKS):
            out[lo:hi] = self.range_probability(base, context, table.doc[lo:hi], threads)
        return out, None

    def _in_workers(self, table, exchange, workers) -> tuple[np.ndarray, np.ndarray]:
        from . import store as stores
        from .arrays import run_starts

        urls = stores.urls(table.documents)
        spans = table.blocks.flat
        # At least eight ranges a process, so that none waits long for the
        # others' last one (ranges of any size give the same scores).
        size = min(RANGE_BLOCKS, max(len(table.doc) // (8 * workers.jobs), 1))
        with _Ranges(table, exchange, size) as ranges:
            chars = np.array([int((spans[lo:hi, 1] - spans[lo:hi, 0]).sum()) + 1 for lo, hi in ranges.bounds])

            def args(a: int, b: int) -> tuple:
                items = []
                for k in range(a, b):
                    lo, hi = ranges.bounds[k]
                    doc = table.doc[lo:hi]
                    pages = [urls[d] for d in doc[run_starts(doc)].tolist()]
                    items.append((table.texts_in(lo, hi), pages, ranges.evidence.rows(lo, hi), *ranges.lexical_and_tags(k)))
                return self, items

            parts = workers.map(_score_ranges, chars, args)
            return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def range_probability(self, base: np.ndarray, context: np.ndarray, doc: np.ndarray, threads: int = 1) -> np.ndarray:
        """Both passes over a range of whole pages' features (``doc``: their
        blocks' pages), by up to ``threads`` threads.

        Returns
        -------
        ndarray of float64, shape (len(base),)
        """
        width = _n_features(self.second)
        n_first = base.shape[1] + context.shape[1]
        if n_first != self.meta["n_features"]:
            raise ModelError(f"model expects {self.meta['n_features']} features, got {n_first}")
        # One matrix for both passes: the first reads its leading columns,
        # the second pass's own are filled in after it.
        X = np.empty((len(base), max(width, n_first)), dtype=np.result_type(base, context))
        X[:, : base.shape[1]], X[:, base.shape[1] : n_first] = base, context
        del context
        p1 = forest.content_probability(self.first, X[:, :n_first], threads)
        second = stacked(p1, doc, base)
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
