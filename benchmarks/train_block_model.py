"""Train the block model shipped in dedupe/models/, and measure it honestly.

Usage::

    python benchmarks/train_block_model.py [--sets ...] [--folds 5] [--no-save] [--sample 0.25]
                                           [--weight page] [--save-folds DIR]
                                           [--no-html] [--no-tags]

1. Every public set in the benchdata boilerplate folder is converted to
   visible-text lines (as benchmarks/quality.py does) and run through the
   corpus stage of the real pipeline (block clusters, the repetition rule),
   one file = one corpus, exactly as at inference. Each set is also read
   from its HTML the way dedupe's readers do (visible text, each line with
   its tag path) and run as a second corpus: the model learns what tag
   paths say where it has them, and to do without them where it has not
   (plain-text rows carry NaN there).
2. Labels: a line is content when at least half its words lie in runs of
   3+ words that also occur, in the same order, in the gold text (greedy
   anchored matching). Checking words one by one would call a menu line
   "Home News Sport" content whenever the article uses those words.
3. Two gradient-boosted models: the first on each line's own features and
   its neighbours', the second adds the first's content probability of the
   neighbouring lines and where the line sits relative to the page's
   main-content region (a second pass over the sequence of lines). Lines are
   weighted by their words within their page (``--weight page``), so the
   loss counts what the metric counts: tokens, every page alike.
4. Every figure printed comes from cross-validation by site: pages of one
   site (dataset + site, or the page itself when the site is unknown) are
   never in both the training and the evaluation folds. It is nested: each
   fold's second pass learns from first-pass probabilities that are
   out-of-fold within that fold's training pages too. ``--save-folds`` keeps
   each fold's model and the sites it held out, so benchmarks/quality.py can
   score every page through the whole pipeline with a model that never saw
   its site. The shipped model is then fitted on all pages.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402

from dedupe import blockmodel  # noqa: E402
from dedupe.config import Config  # noqa: E402
from dedupe.features import BASE_NAMES, TAG_NAMES  # noqa: E402
from dedupe.io.html import html_to_blocks  # noqa: E402
from dedupe.document import Document  # noqa: E402
from dedupe.pipeline import block_table  # noqa: E402
from dedupe.syndication import match_runs  # noqa: E402
from quality import ALL_SETS, REFERENCE, benchdata_dir, load_set, log, score  # noqa: E402

_WORD = re.compile(r"\w+")
_ANCHOR = 3


def line_labels(lines: list[str], gold: str) -> np.ndarray:
    """1 for lines whose words mostly lie in runs shared, in order, with the gold text."""
    words, owner = [], []
    for i, line in enumerate(lines):
        toks = _WORD.findall(line.lower())
        words += toks
        owner += [i] * len(toks)
    covered = np.zeros(len(words), dtype=bool)
    for i, _, n in match_runs(words, _WORD.findall(gold.lower()), _ANCHOR):
        covered[i : i + n] = True
    owner = np.array(owner, dtype=np.int64)
    per_line = np.bincount(owner, weights=covered, minlength=len(lines))
    total = np.bincount(owner, minlength=len(lines))
    return (per_line >= 0.5 * np.maximum(total, 1)) & (total > 0)


def html_pages(name: str, pages: list[dict], source: Path) -> list[dict]:
    """The same pages read from their HTML as dedupe's readers do (visible
    text only, each line with its tag path): ``lines`` and ``paths`` replace
    the converted text's lines. Pages that show no text are left out."""
    out = []
    with gzip.open(source, "rt", encoding="utf-8") as fh:
        for page, raw in zip(pages, fh):
            blocks = html_to_blocks(json.loads(raw).get("html") or "")
            if blocks:
                out.append({**page, "lines": [t for t, _ in blocks], "paths": tuple(p for _, p in blocks)})
    return out


def set_matrix(name: str, pages: list[dict], config: Config):
    """Features, labels and groups of one set, through the real corpus stage.
    Pages with ``paths`` (:func:`html_pages`) are documents read from HTML."""
    docs = [
        Document(id=p["id"], text="\n\n".join(p["lines"]), source=name, line=i + 1, url=p["url"],
                 tag_paths=p.get("paths"))
        for i, p in enumerate(pages)
    ]
    table = block_table(docs, config)
    base, context = blockmodel.block_features(table)
    labels = np.concatenate([line_labels(p["lines"], p["gold"]) for p in pages]).astype(np.int8)
    assert len(labels) == len(base), "one block per converted line"
    groups = np.array([f"{name}:{pages[d]['site'] or pages[d]['id']}" for d in table.doc.tolist()])
    return np.concatenate([base, context], axis=1), labels, groups, table.doc


def _code_key() -> str:
    """Changes whenever the code that makes features or labels changes."""
    h = hashlib.sha256()
    files = ["dedupe/features.py", "dedupe/blockmodel.py", "dedupe/pipeline.py", "dedupe/boilerplate.py",
             "dedupe/copy_pairs.py", "dedupe/blocks.py", "dedupe/weighting.py", "dedupe/copy_evidence.py", "dedupe/io/html.py",
             "dedupe/topic.py", "dedupe/tag_evidence.py", "dedupe/neighbours.py", "dedupe/lexscan.py",
             "benchmarks/train_block_model.py"]
    files += sorted(str(p.relative_to(REPO)) for p in (REPO / "dedupe" / "stages").glob("*.py"))
    for f in files:
        h.update((REPO / f).read_bytes())
    return h.hexdigest()[:12]


def cached_set_matrix(name: str, pages: list[dict], config: Config, kind: str = "text"):
    cache = REPO / ".cache" / "train" / f"{name}-{kind}.{_code_key()}.npz"
    if cache.exists():
        z = np.load(cache)
        return z["X"], z["y"], z["groups"], z["doc"]
    X, y, groups, doc = set_matrix(name, pages, config)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, X=X, y=y, groups=groups, doc=doc)
    return X, y, groups, doc


def _fit(X, y, weight) -> HistGradientBoostingClassifier:
    """A model fitted on the rows of positive weight (``--sample`` leaves the others out)."""
    m = weight > 0
    return _model(0).fit(X[m], y[m], sample_weight=weight[m])


def _model(seed: int) -> HistGradientBoostingClassifier:
    # 100 rounds at rate 0.2 rather than 200 at 0.1: the plain-text and HTML
    # rows together are two million lines on a shared two-core machine.
    return HistGradientBoostingClassifier(
        max_iter=100, learning_rate=0.2, max_leaf_nodes=31, min_samples_leaf=40, l2_regularization=1.0,
        random_state=seed,
    )


def out_of_fold(X, y, groups, folds, fit, weight):
    """Content probability of every row from a model that never saw its site."""
    proba = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=folds).split(X, y, groups):
        proba[test] = fit(X[train], y[train], weight[train]).predict_proba(X[test])[:, 1]
    return proba


def sample_weights(X, doc, how: str) -> np.ndarray:
    """Weights that make the training loss look like the metric: token F1
    averaged over pages. ``words``: a line counts by its words (a one-word
    menu item costs little); ``page``: and every page counts the same."""
    if how == "none":
        return np.ones(len(X))
    words = np.expm1(X[:, BASE_NAMES.index("log_words")].astype(np.float64)) + 1.0
    if how == "words":
        return words / words.mean()
    _, inv = np.unique(doc, return_inverse=True)
    per_page = np.bincount(inv, weights=words)[inv]
    w = words / per_page
    return w / w.mean()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default=",".join(ALL_SETS))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--weight", choices=("none", "words", "page"), default="page",
                    help="sample weights: none, by words, or by words within each page (default)")
    ap.add_argument("--no-save", action="store_true", help="measure only; do not write a model")
    ap.add_argument("--no-cv", action="store_true", help="fit and save only; skip the cross-validated table")
    ap.add_argument("--exclude", default="", help="leave this set out of training (for honest benchmarks)")
    ap.add_argument("--save-folds", type=Path, default=None,
                    help="also write each outer fold's model under this folder (fold-K/, with the sites it"
                         " held out), for benchmarks/quality.py --model cv")
    ap.add_argument("--html", action=argparse.BooleanOptionalAction, default=True,
                    help="also train on each set's pages read from their HTML, with tag paths (default on)")
    ap.add_argument("--tags", action=argparse.BooleanOptionalAction, default=True,
                    help="let the model read the tag-path features (--no-tags: a model without them, to"
                         " measure what they add)")
    ap.add_argument("--sample", type=float, default=0.25,
                    help="share of the lines the models are fitted on (default 0.25; 1: all)")
    ap.add_argument("--save-proba", type=Path, default=None,
                    help="write the cross-validated content probability of every line (npz), to study how"
                         " it should combine with the rule")
    ap.add_argument("--save", type=Path, default=blockmodel.MODEL_DIR, help="where to write the model (default: the shipped one)")
    args = ap.parse_args(argv)
    root = benchdata_dir()
    if not (root / "boilerplate").is_dir():
        print(f"skipped: benchdata not found at {root} (set DEDUPE_BENCHDATA)")
        return 0
    config = Config()
    names = [n for n in args.sets.split(",") if n != args.exclude]
    parts = {}
    for name in names:
        t0 = time.monotonic()
        # The benchmark's conversion (comment text kept, as the reference figures were made).
        source = root / "boilerplate" / f"{name}.jsonl.gz"
        pages = load_set(source, None, True, True)
        parts[name] = (pages, *cached_set_matrix(name, pages, config))
        if args.html:
            # The same pages as dedupe reads them from HTML, with tag paths:
            # the same sites, so the same folds.
            html = html_pages(name, pages, source)
            parts[f"{name} (html)"] = (html, *cached_set_matrix(name, html, config, "html"))
        log(f"[{name}] {len(parts[name][2])} lines, {parts[name][2].mean():.2f} content, {time.monotonic() - t0:.0f}s")

    X = np.concatenate([p[1] for p in parts.values()])
    y = np.concatenate([p[2] for p in parts.values()])
    groups = np.concatenate([p[3] for p in parts.values()])
    offsets = np.cumsum([0] + [len(p[2]) for p in parts.values()])
    doc = np.concatenate([p[4] + 10_000_000 * k for k, p in enumerate(parts.values())])
    if not args.tags:
        X[:, -len(TAG_NAMES):] = np.nan

    weight = sample_weights(X, doc, args.weight)
    if args.sample < 1:
        # Fit on a random share of the lines, each weighing for the ones left
        # out; features (neighbours, the second pass) still see whole pages.
        weight = np.where(np.random.default_rng(0).random(len(y)) < args.sample, weight / args.sample, 0.0)
    t0 = time.monotonic()
    if not args.no_cv or args.save_folds:
        # Nested: each outer fold's two passes are fitted on the other folds
        # only, their second pass on first-pass probabilities that are
        # out-of-fold inside that training set too.
        p2 = np.zeros(len(y))
        for k, (train, test) in enumerate(GroupKFold(n_splits=args.folds).split(X, y, groups)):
            first, second = fit_two_pass(X[train], y[train], groups[train], doc[train], weight[train], args.folds)
            p2[test] = predict(first, second, X[test], doc[test])
            if args.save_folds:
                held = sorted(set(groups[test].tolist()))
                blockmodel.save(first, second, {"trained_on": names, "fold": k, "held_out_sites": held,
                                                "html": args.html, "tags": args.tags},
                                args.save_folds / f"fold-{k}")
            log(f"fold {k + 1}/{args.folds}: {time.monotonic() - t0:.0f}s")
        if not args.no_cv:
            report_cv(parts, p2, y, offsets)
        if args.save_proba:
            np.savez(args.save_proba, proba=p2, y=y, offsets=offsets, names=np.array(list(parts)))
    if args.no_save:
        return 0
    first, second = fit_two_pass(X, y, groups, doc, weight, args.folds)
    blockmodel.save(first, second, {"trained_on": names, "lines": int(len(y)), "folds": args.folds,
                                    "weight": args.weight, "sample": args.sample, "html": args.html,
                                    "tags": args.tags}, args.save)
    log(f"saved to {args.save} ({time.monotonic() - t0:.0f}s)")
    return 0


def fit_two_pass(X, y, groups, doc, weight, folds):
    """The two passes: the second learns from first-pass probabilities of
    models that did not see the page's site, which is what it gets at
    inference."""
    p1 = out_of_fold(X, y, groups, folds, _fit, weight)
    first = _fit(X, y, weight)
    second = _fit(np.concatenate([X, blockmodel.stacked(p1, doc, X)], axis=1), y, weight)
    return first, second


def predict(first, second, X, doc) -> np.ndarray:
    p1 = first.predict_proba(X)[:, 1]
    return second.predict_proba(np.concatenate([X, blockmodel.stacked(p1, doc, X)], axis=1))[:, 1]


def report_cv(parts, p2, y, offsets) -> None:
    """Print the cross-validated figures at several thresholds."""

    print("\nCross-validated by site (a site is never in both training and evaluation folds).")
    print(f"{'set':20} {'thr':>5} | {'P':>6} {'R':>6} {'F1':>6} all | {'P':>6} {'R':>6} {'F1':>6} multi | oracle F1 | trafilatura")
    for t in (0.2, 0.3, 0.4, 0.5):
        for k, (name, (pages, *_)) in enumerate(parts.items()):
            proba = p2[offsets[k] : offsets[k + 1]]
            labels = y[offsets[k] : offsets[k + 1]]
            kept, oracle, pos = {}, {}, 0
            for p in pages:
                n = len(p["lines"])
                kept[p["id"]] = "\n".join(l for l, q in zip(p["lines"], proba[pos : pos + n]) if q >= t)
                oracle[p["id"]] = "\n".join(l for l, q in zip(p["lines"], labels[pos : pos + n]) if q)
                pos += n
            s, o = score(pages, kept), score(pages, oracle)
            a, m = s["all"], s["multi"]
            print(f"{name:20} {t:5.2f} | {a[0]:6.3f} {a[1]:6.3f} {a[2]:6.3f}     | {m[0]:6.3f} {m[1]:6.3f} {m[2]:6.3f}       "
                  f"| {o['multi'][2]:.3f}     | {REFERENCE[name.split(' ')[0]]['trafilatura'][1]:.3f}")


if __name__ == "__main__":
    sys.exit(main())
