"""Boilerplate-removal quality on the shared benchmark data.

Usage::

    python benchmarks/quality.py [--sets cleanportaleval,dragnet] [--limit N]
                                 [--methods raw,ccnet,dedupe]
                                 [--options key=value ...] [--no-comments]
                                 [--no-cache] [--check]

Implements the metric of ``shared/benchdata/README.md`` ("The metric"):

1. every page becomes visible-text lines (:func:`dedupe.io.html.html_to_lines`);
2. a whole file is ONE corpus, one JSONL record per page
   (``id``, ``url`` where known, ``text`` = lines joined by blank lines), so a
   method sees the repetition across a site's pages;
3. each page's kept text is scored against its gold text on bag-of-words
   tokens (``\\w+``, lower-cased, with multiplicity): precision, recall, F1,
   averaged over pages with non-empty gold, and again over "multi-site" pages
   (pages whose site has 3+ pages in the file).

Methods: ``raw`` (everything kept), ``ccnet`` (drop every line seen twice or
more), ``rule`` (dedupe's repetition rule alone), ``dedupe``
(``dedupe.clean`` on the corpus file with default options, the library path
the CLI uses, with the block model of ``--model``), and, dedupe reading each
page's HTML itself (visible text, each line with its tag path): ``html``
(the defaults: the block model and trafilatura's verdict), ``html_rule``
(the rule alone), ``html_page`` / ``html_strict`` (the rule with
trafilatura's verdict) and ``html_model`` (the block model without it). The benchmark data is found through ``DEDUPE_BENCHDATA``
(default ``../shared/benchdata`` beside the repository); without it the
script prints why and exits 0.

Reproducing the README's figures. Its raw and cc_net figures are matched
(within 0.01 on cleanportaleval and dragnet) only when the text of HTML
comments is part of the input, each comment a line of its own: without them
raw F1 is 0.09 too high on cleanportaleval (0.582 against 0.493), with them
0.492; the README's raw-to-cc_net gains match too. Its converter evidently
kept comments, so ``--comments`` (the default) does the same to keep every
figure here comparable with the README's; ``--no-comments`` scores on the
strictly visible text. See :func:`method_ccnet` for the cc_net details.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Run from a checkout without installing: the package is the repo's dedupe/.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _load_converter():
    """``dedupe.io.html``, or the same file loaded alone if the package does
    not import (so raw and ccnet rows survive a broken work tree)."""
    try:
        from dedupe.io import html as module
    except Exception as exc:  # noqa: BLE001 - any failure: fall back
        import importlib.util

        path = REPO / "dedupe" / "io" / "html.py"
        spec = importlib.util.spec_from_file_location("_dedupe_io_html", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"note: dedupe does not import ({type(exc).__name__}: {exc});"
              f" converting with {path.relative_to(REPO)} alone", file=sys.stderr)
    return module


_html = _load_converter()
html_to_lines = _html.html_to_lines

ALL_SETS = ["cleanportaleval", "dragnet", "l3s_gn1", "cleaneval", "wceb2025_foley_dev"]

# Reference F1 (all pages, multi-site pages), copied from the table
# "Reference figures on that metric" in shared/benchdata/README.md
# (published figures measured on the same metric; jusText 3.0.2 and
# trafilatura 2.3.1 work on the HTML itself).
REFERENCE = {
    "cleanportaleval": {"raw": (0.493, 0.498), "ccnet": (0.837, 0.835),
                        "justext": (0.804, 0.802), "trafilatura": (0.911, 0.910)},
    "dragnet": {"raw": (0.476, 0.482), "ccnet": (0.731, 0.795),
                "justext": (0.734, 0.758), "trafilatura": (0.902, 0.908)},
    "l3s_gn1": {"raw": (0.596, 0.644), "ccnet": (0.739, 0.834),
                "justext": (0.800, 0.787), "trafilatura": (0.899, 0.900)},
    "cleaneval": {"raw": (0.853, 0.859), "ccnet": (0.869, 0.919),
                  "justext": (0.867, 0.953), "trafilatura": (0.847, 0.902)},
    "wceb2025_foley_dev": {"raw": (0.688, 0.555), "ccnet": (0.761, 0.677),
                           "justext": (0.689, 0.490), "trafilatura": (0.832, 0.702)},
}

# The targets for the dedupe row on multi-site pages:
# set -> (F1 must exceed, recall must reach).
TARGETS = {"cleanportaleval": (0.835, 0.900), "dragnet": (0.795, 0.950)}
# And the next: F1 at least trafilatura's multi-site figure, recall >= 0.90.
TARGETS_TRAFILATURA = {name: (ref["trafilatura"][1], 0.900) for name, ref in REFERENCE.items()}

_TOKEN = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
# cc_net's normalize_for_dedup (facebookresearch/cc_net, text_normalizer.py)
# deletes these Unicode punctuation marks (its UNICODE_PUNCT table) and the
# control characters; ASCII punctuation stays.
_CCNET_DROP = re.compile(
    "[" + re.escape("，。、„”“«»１」「《》´∶：？！（）；–—．～’…━〈〉【】％►") + "\x00-\x1f\x7f-\x9f]"
)
# The looser reading ("punctuation removed"): anything neither word nor space.
_PUNCT = re.compile(r"[^\w\s]|_")
MULTI_SITE_MIN = 3


def benchdata_dir() -> Path:
    """The benchmark folder: ``$DEDUPE_BENCHDATA`` or ``<repo>/../shared/benchdata``."""
    env = os.environ.get("DEDUPE_BENCHDATA")
    return Path(env).expanduser() if env else REPO.parent / "shared" / "benchdata"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Loading and conversion (step 1)
# --------------------------------------------------------------------------

def _cache_key(path: Path, limit: int | None, comments: bool) -> str:
    """Changes whenever the data, the converter or the parser changes."""
    import selectolax

    h = hashlib.sha1()
    st = path.stat()
    h.update(f"{path.name}|{st.st_size}|{st.st_mtime_ns}|{limit}|{comments}|".encode())
    h.update(f"selectolax {selectolax.__version__}|".encode())
    h.update(Path(_html.__file__).read_bytes())
    return h.hexdigest()[:16]


def load_set(path: Path, limit: int | None, use_cache: bool, comments: bool) -> list[dict]:
    """Pages of one file with their converted lines.

    Returns dicts with ``id`` (unique within the set), ``url`` (or None),
    ``site`` (or None), ``gold`` and ``lines``. The HTML itself is not kept:
    wceb2025 alone is 400 MB of it.
    """
    name = path.name.split(".")[0]
    stem = name + ("" if limit is None else f"-first{limit}") + ("" if comments else "-nocomments")
    cache_dir = REPO / ".cache" / "benchmarks"
    cache = cache_dir / f"{stem}.{_cache_key(path, limit, comments)}.jsonl.gz"
    if use_cache and cache.exists():
        log(f"[{name}] converted text from cache {cache.relative_to(REPO)}")
        with gzip.open(cache, "rt", encoding="utf-8") as fh:
            return [json.loads(line) for line in fh]

    pages: list[dict] = []
    seen: Counter = Counter()
    t0 = time.monotonic()
    last = t0
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for n, raw in enumerate(fh):
            if limit is not None and n >= limit:
                break
            rec = json.loads(raw)
            # CleanEval repeats one id; the corpus needs unique ids to read
            # the cleaned records back.
            pid = str(rec.get("id", n))
            seen[pid] += 1
            if seen[pid] > 1:
                pid = f"{pid}#{seen[pid]}"
            pages.append({
                "id": pid,
                "url": rec.get("url") or None,
                "site": rec.get("site") or None,
                "gold": rec.get("gold_text") or "",
                "lines": html_to_lines(rec.get("html") or "", comments=comments),
            })
            now = time.monotonic()
            if now - last > 2:
                last = now
                log(f"[{name}] converted {n + 1} pages ({now - t0:.0f}s)")
    log(f"[{name}] converted {len(pages)} pages in {time.monotonic() - t0:.1f}s")
    if use_cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        with gzip.open(tmp, "wt", encoding="utf-8") as fh:
            for p in pages:
                fh.write(json.dumps(p, ensure_ascii=False) + "\n")
        tmp.replace(cache)
        # One entry per set and limit: drop those of older converters.
        for old in cache_dir.glob(f"{stem}.*.jsonl.gz"):
            if old != cache:
                old.unlink()
    return pages


def write_corpus(pages: list[dict], path: Path) -> None:
    """Step 2: the whole set as one JSONL corpus, ``url`` only where known."""
    with open(path, "w", encoding="utf-8") as fh:
        for p in pages:
            rec = {"id": p["id"]}
            if p["url"]:
                rec["url"] = p["url"]
            rec["text"] = "\n\n".join(p["lines"])
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def write_html_corpus(pages: list[dict], source: Path, path: Path) -> None:
    """The set as one JSONL corpus of HTML pages (an ``html`` field, no text),
    the same pages in the same order with the same ids as :func:`load_set`'s."""
    with gzip.open(source, "rt", encoding="utf-8") as src, open(path, "w", encoding="utf-8") as fh:
        for page, raw in zip(pages, src):
            rec = {"id": page["id"]}
            if page["url"]:
                rec["url"] = page["url"]
            rec["html"] = json.loads(raw).get("html") or ""
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------
# Methods: each returns {page id: kept text}
# --------------------------------------------------------------------------

class Unavailable(Exception):
    """A method that cannot run in this work tree (not an error in it)."""


def method_raw(pages: list[dict], corpus: Path, options: dict) -> dict[str, str]:
    return {p["id"]: "\n\n".join(p["lines"]) for p in pages}


def ccnet_normalize(line: str) -> str:
    """cc_net's line key for dedup (``normalize_for_dedup``): stripped, lower
    case, digits to 0, Unicode punctuation and control characters deleted."""
    return _CCNET_DROP.sub("", _DIGIT.sub("0", line.strip().lower()))


def punct_normalize(line: str) -> str:
    """Lower case, digits to 0, all punctuation removed, spaces collapsed."""
    line = _PUNCT.sub("", _DIGIT.sub("0", line.lower()))
    return " ".join(line.split())


_NORMS = {"ccnet": ccnet_normalize, "punct": punct_normalize, "strip": str.strip}


def method_ccnet(pages: list[dict], corpus: Path, options: dict) -> dict[str, str]:
    """Drop every line whose normalised text occurs twice or more in the file.

    The README says "drop every line seen in 2+ pages" without the details;
    cc_net's own two-pass dedup (the paper's, ``dedup.deduplicate_two_pass``)
    reproduces its figures best:

    - key: cc_net's ``normalize_for_dedup``; ``--options ccnet_norm=punct``
      (all punctuation removed) lands within 0.008 of it, ``ccnet_norm=strip``
      (exact text) up to 0.025 off the README (dragnet: dates and counts
      differ from page to page);
    - counting: occurrences in the whole file, so a line repeated within one
      page goes too, every occurrence, as in cc_net; counting distinct pages
      instead (``--options ccnet_count=pages``) lands up to 0.024 off (WCXB,
      whose pages repeat short lines within themselves).
    """
    name = options.get("ccnet_norm", "ccnet")
    if name not in _NORMS:
        raise ValueError(f"ccnet_norm must be one of {', '.join(_NORMS)}; got {name!r}")
    norm = _NORMS[name]
    per_page = options.get("ccnet_count", "lines") == "pages"
    seen: Counter = Counter()
    keys = []
    for p in pages:
        k = [norm(line) for line in p["lines"]]
        keys.append(k)
        seen.update(set(k) if per_page else k)
    return {
        p["id"]: "\n\n".join(line for line, key in zip(p["lines"], k) if seen[key] < 2)
        for p, k in zip(pages, keys)
    }


def method_dedupe(pages: list[dict], corpus: Path, options: dict) -> dict[str, str]:
    """``dedupe.clean([corpus], out_dir, **options)``, read back by id."""
    try:
        import dedupe
    except Exception as exc:  # noqa: BLE001 - a package mid-edit may fail any way
        raise Unavailable(f"import dedupe failed: {type(exc).__name__}: {exc}") from exc
    clean = getattr(dedupe, "clean", None)
    if clean is None:
        raise Unavailable("dedupe.clean does not exist yet")
    opts = {k: v for k, v in options.items() if not k.startswith("ccnet_")}
    with tempfile.TemporaryDirectory(prefix="dedupe-out-") as out_dir:
        clean([corpus], out_dir, **opts)
        out = Path(out_dir) / corpus.name
        kept: dict[str, str] = {}
        with open(out, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    rec = json.loads(line)
                    kept[str(rec["id"])] = rec.get("text") or ""
    # A page missing from the output was dropped whole: it kept nothing.
    return {p["id"]: kept.get(p["id"], "") for p in pages}


def method_rule(pages: list[dict], corpus: Path, options: dict) -> dict[str, str]:
    """dedupe's repetition rule alone (no learned block model)."""
    return method_dedupe(pages, corpus, {**options, "block_model": "none"})


def method_html(pages: list[dict], corpus: Path, options: dict) -> dict[str, str]:
    """dedupe's defaults on HTML input (the block model of ``--model`` and
    trafilatura's verdict): ``corpus`` is the HTML corpus
    (:func:`write_html_corpus`); dedupe turns each page into blocks itself."""
    return method_dedupe(pages, corpus, options)


def method_html_rule(pages: list[dict], corpus: Path, options: dict) -> dict[str, str]:
    """The repetition rule alone on HTML input (no block model, no page
    extractor): the default before the block model was."""
    return method_dedupe(pages, corpus, {**options, "block_model": "none", "page_extractor": "none"})


def method_html_page(pages: list[dict], corpus: Path, options: dict) -> dict[str, str]:
    """The rule with trafilatura's verdict on HTML input (no block model)."""
    return method_dedupe(pages, corpus, {"page_extractor": "trafilatura", **options, "block_model": "none"})


def method_html_strict(pages: list[dict], corpus: Path, options: dict) -> dict[str, str]:
    """As :func:`method_html_page` with ``--page-extractor trafilatura-strict``."""
    return method_html_page(pages, corpus, {**options, "page_extractor": "trafilatura-strict"})


def method_html_model(pages: list[dict], corpus: Path, options: dict) -> dict[str, str]:
    """The block model on HTML input without a page extractor (tag paths as
    evidence); ``options`` name the model (run_set picks it as for the
    dedupe row)."""
    return method_dedupe(pages, corpus, {**options, "page_extractor": "none"})


METHODS = {"raw": method_raw, "ccnet": method_ccnet, "rule": method_rule, "dedupe": method_dedupe,
           "html": method_html, "html_rule": method_html_rule, "html_page": method_html_page,
           "html_strict": method_html_strict, "html_model": method_html_model}
# Methods that read the HTML corpus, and those that use the block model.
HTML_METHODS = {"html", "html_rule", "html_page", "html_strict", "html_model"}
MODEL_METHODS = {"dedupe", "html", "html_model"}


def held_out_model(name: str) -> Path:
    """A block model trained on every public set but ``name`` (trained once, cached).

    The shipped model has seen every public set; scoring it on them would
    report figures on its own training pages. Leaving the whole set out is
    stricter than leaving its sites out.
    """
    target = REPO / ".cache" / "models" / f"without-{name}"
    if not (target / "meta.json").exists():
        import train_block_model

        log(f"[{name}] training a block model without {name} (once; cached in {target.relative_to(REPO)})")
        partial = target.with_name(f"{target.name}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        train_block_model.main(["--exclude", name, "--no-cv", "--folds", "3", "--save", str(partial)])
        partial.rename(target)
    return target


CV_DIR = REPO / ".cache" / "models" / "cv"


def cv_models(target: Path = CV_DIR) -> list[tuple[Path, set[str]]]:
    """The fold models of a cross-validation by site over all five sets, and
    the sites each one held out (trained once, cached). A page is scored with
    the model that never saw its site."""
    folds = sorted(target.glob("fold-*/meta.json"))
    if not folds and target == CV_DIR:
        import train_block_model

        log(f"training the cross-validation fold models (once; cached in {target.relative_to(REPO)})")
        # Trained beside the cache and moved in whole: a stopped training
        # leaves no cache that holds some folds only.
        partial = target.with_name(f"{target.name}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        train_block_model.main(["--no-cv", "--no-save", "--folds", "3", "--save-folds", str(partial)])
        partial.rename(target)
        folds = sorted(target.glob("fold-*/meta.json"))
    if not folds:
        raise RuntimeError(f"no fold models in {target} (write them with train_block_model.py --save-folds)")
    return [(m.parent, set(json.loads(m.read_text())["held_out_sites"])) for m in folds]


def site_group(name: str, page: dict) -> str:
    """A page's site as the training script groups it."""
    return f"{name}:{page['site'] or page['id']}"


def method_dedupe_cv(pages: list[dict], corpus: Path, options: dict, name: str,
                     folds: Path = CV_DIR, method=method_dedupe) -> dict[str, str]:
    """``method`` (dedupe with the block model), each page scored by the fold
    model that held its site out. The fold runs share one work folder: the
    stages before the model's (reading, trafilatura's verdicts included)
    run once, the later ones once per fold model (their keys name it)."""
    kept: dict[str, str] = {}
    work = tempfile.TemporaryDirectory(prefix="dedupe-cv-work-")
    for k, (model, held_out) in enumerate(cv_models(folds)):
        out = method(pages, corpus, {"work_dir": work.name, **options, "block_model": str(model)})
        # A page without lines gave the training no rows, so no fold holds
        # it out and no model saw it: any fold's output will do.
        kept.update({p["id"]: out[p["id"]] for p in pages
                     if site_group(name, p) in held_out or (k == 0 and not p["lines"])})
    work.cleanup()
    missing = [p["id"] for p in pages if p["id"] not in kept]
    if missing:
        raise RuntimeError(f"{len(missing)} pages of {name} are in no fold (stale .cache/models/cv?)")
    return kept


# --------------------------------------------------------------------------
# Scoring (step 3)
# --------------------------------------------------------------------------

def bag(text: str) -> Counter:
    return Counter(_TOKEN.findall(text.lower()))


def prf(kept: Counter, gold: Counter) -> tuple[float, float, float]:
    """Bag-of-words precision, recall, F1 of one page.

    A page that keeps nothing gets precision 0 (not 1): it delivered no
    content, and a method that empties pages must not look precise for it.
    The README reports only F1, which is 0 for such a page either way
    (recall is 0), so the choice moves no reproduced figure.
    """
    n_kept = sum(kept.values())
    n_gold = sum(gold.values())
    common = sum((kept & gold).values())
    p = common / n_kept if n_kept else 0.0
    r = common / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def score(pages: list[dict], kept: dict[str, str]) -> dict[str, tuple]:
    """Mean (P, R, F1, pages) over all scored pages and over multi-site pages."""
    sites = Counter(p["site"] for p in pages if p["site"])
    all_rows, multi_rows = [], []
    for p in pages:
        gold = p.get("_gold_bag")
        if gold is None:
            gold = p["_gold_bag"] = bag(p["gold"])
        if not gold:  # README: skip pages with empty gold
            continue
        row = prf(bag(kept.get(p["id"], "")), gold)
        all_rows.append(row)
        if p["site"] and sites[p["site"]] >= MULTI_SITE_MIN:
            multi_rows.append(row)

    def mean(rows):
        if not rows:
            return (float("nan"),) * 3 + (0,)
        return tuple(sum(c) / len(rows) for c in zip(*rows)) + (len(rows),)

    return {"all": mean(all_rows), "multi": mean(multi_rows)}


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def parse_value(v: str):
    """``--options`` values: bool, int, float where they look like one."""
    low = v.lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    if low in ("none", "null"):
        return None
    for cast in (int, float):
        try:
            return cast(v)
        except ValueError:
            pass
    return v


def parse_options(items: list[str]) -> dict:
    opts = {}
    for item in items:
        for part in item.split(","):
            if not part:
                continue
            if "=" not in part:
                raise SystemExit(f"--options: expected key=value, got {part!r}")
            k, v = part.split("=", 1)
            opts[k.strip().replace("-", "_")] = parse_value(v.strip())
    return opts


def print_table(name: str, n_pages: int, args, results: dict) -> None:
    """One set's table: measured rows, then the README's own reference rows."""
    ref = REFERENCE.get(name, {})
    w = 11
    limited = "" if args.limit is None else f", first {args.limit}"
    print(f"\n== {name}  ({n_pages} pages{limited})")
    print(f"{'method':<{w}} {'P':>6} {'R':>6} {'F1':>6} | {'P':>6} {'R':>6} {'F1':>6} |"
          f" README F1 all / multi")
    print(f"{'':<{w}} {'all pages':^20} | {'multi-site pages':^20} |")
    counts = None
    for method in args.methods:
        res = results[method]
        if isinstance(res, str):
            print(f"{method}: {res}")
            continue
        a, m = res["all"], res["multi"]
        counts = (a[3], m[3])
        refs = ref.get(method)
        reftxt = f"{refs[0]:.3f} / {refs[1]:.3f}" if refs else "-"
        print(f"{method:<{w}} {a[0]:6.3f} {a[1]:6.3f} {a[2]:6.3f} |"
              f" {m[0]:6.3f} {m[1]:6.3f} {m[2]:6.3f} | {reftxt}")
    for other in ("justext", "trafilatura"):
        if other in ref:
            print(f"{other:<{w}} {'(README only)':^20} | {'':^20} |"
                  f" {ref[other][0]:.3f} / {ref[other][1]:.3f}")
    if counts:
        print(f"scored pages: {counts[0]} all, {counts[1]} multi-site")


def run_set(name: str, path: Path, args, options: dict, collected: dict | None = None) -> bool:
    """Score every method on one set and print its table (its scores also
    go to ``collected[name]``). False if a target failed."""
    pages = load_set(path, args.limit, args.cache, args.comments)
    results: dict[str, dict | str] = {}
    if collected is not None:
        collected[name] = results
    model_options = options
    if "block_model" not in options and args.model == "held-out" and MODEL_METHODS & set(args.methods):
        model_options = {**options, "block_model": str(held_out_model(name))}
    elif "block_model" not in options and args.model == "shipped":
        model_options = {**options, "block_model": "builtin"}
    with tempfile.TemporaryDirectory(prefix="dedupe-bench-") as tmp:
        corpus = Path(tmp) / f"{name}.jsonl"
        write_corpus(pages, corpus)
        html_corpus = Path(tmp) / "html" / f"{name}.jsonl"
        if HTML_METHODS & set(args.methods):
            html_corpus.parent.mkdir()
            write_html_corpus(pages, path, html_corpus)
        for method in args.methods:
            t0 = time.monotonic()
            try:
                source = html_corpus if method in HTML_METHODS else corpus
                if method in MODEL_METHODS and args.model == "cv" and "block_model" not in options:
                    kept = method_dedupe_cv(pages, source, options, name, args.cv_dir, METHODS[method])
                else:
                    kept = METHODS[method](pages, source, model_options if method in MODEL_METHODS else options)
            except Unavailable as exc:
                results[method] = f"not available ({exc})"
                continue
            except Exception as exc:  # keep the other rows; show what broke
                if args.strict:
                    raise
                traceback.print_exc(file=sys.stderr)
                results[method] = f"failed ({type(exc).__name__}: {exc})"
                continue
            results[method] = score(pages, kept)
            log(f"[{name}] {method}: {time.monotonic() - t0:.1f}s")

    print_table(name, len(pages), args, results)
    ok = True
    if "dedupe" not in args.methods:
        return ok
    if args.model == "held-out" and "block_model" not in options:
        print("dedupe, html and html_model rows: block model trained without this set (no page scored was seen"
              " in training)")
    if args.model == "cv" and "block_model" not in options:
        print("dedupe, html and html_model rows: cross-validated by site over all five sets: each page scored by a"
              " block model that never saw its site")
    res = results["dedupe"]
    for label, targets, strict in (("beat the cc_net rule", TARGETS, True),
                                   ("reach trafilatura", TARGETS_TRAFILATURA, False)):
        if name not in targets:
            continue
        f_min, r_min = targets[name]
        rel = ">" if strict else ">="
        if not isinstance(res, dict):
            print(f"target ({label}, multi-site): F1 {rel} {f_min:.3f} and R >= {r_min:.3f}: n/a")
            continue
        _, r, f, _ = res["multi"]
        met = (f > f_min if strict else f >= f_min) and r >= r_min
        ok &= met
        print(f"target ({label}, multi-site): F1 {rel} {f_min:.3f} and R >= {r_min:.3f}:"
              f" F1 {f:.3f}, R {r:.3f} -> {'PASS' if met else 'FAIL'}")
    return ok


# Issue #24: the default's content recall on multi-site pages may fall at
# most this far below the rule's (text input) when the issue was filed.
RULE_RECALL_THEN = {"cleanportaleval": 0.917, "dragnet": 0.954, "l3s_gn1": 0.962, "cleaneval": 0.981,
                    "wceb2025_foley_dev": 0.855}
RECALL_SLACK = 0.02
# ... and all pages from HTML within this of trafilatura's F1.
ALL_PAGES_SLACK = 0.03


def print_default_against_trafilatura(collected: dict) -> None:
    """The default (no options: the ``dedupe`` row from text, the ``html``
    row from HTML; the block model cross-validated by site under ``--model
    cv``) beside trafilatura's README figures, with issue #24's
    targets: multi-site F1 at least trafilatura's from HTML on every set and
    from text on four of five, content recall at most 0.02 below the rule's
    when the issue was filed, all pages from HTML within 0.03 of trafilatura."""
    rows = []
    for name, results in collected.items():
        text, html, ref = results.get("dedupe"), results.get("html"), REFERENCE.get(name, {}).get("trafilatura")
        if isinstance(text, dict) and isinstance(html, dict) and ref:
            rows.append((name, text, html, ref))
    if not rows:
        return
    print("\n== the default against trafilatura (multi-site F1 (recall) / all pages F1)")
    print(f"{'set':<20} {'text input':>22} {'HTML input':>22} {'trafilatura':>14} | targets met")
    text_wins = 0
    for name, text, html, (traf_all, traf_multi) in rows:
        floor = RULE_RECALL_THEN.get(name, 0.0) - RECALL_SLACK
        _, tr, tf, _ = text["multi"]
        _, hr, hf, _ = html["multi"]
        checks = {
            "HTML multi": hf >= traf_multi and hr >= floor,
            "text multi": tf >= traf_multi and tr >= floor,
            "HTML all": html["all"][2] >= traf_all - ALL_PAGES_SLACK,
        }
        text_wins += checks["text multi"]
        met = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in checks.items())
        print(f"{name:<20} {tf:6.3f} ({tr:.3f}) / {text['all'][2]:.3f} {hf:6.3f} ({hr:.3f}) / {html['all'][2]:.3f}"
              f" {traf_multi:6.3f} / {traf_all:.3f} | {met}")
    print(f"text input at trafilatura's multi-site F1 on {text_wins} of {len(rows)} sets (the issue asks four of five)")
    for method, what in (("html_rule", "the rule alone (--block-model none --page-extractor none)"),
                         ("html_page", "the rule with trafilatura's verdict (--block-model none)"),
                         ("html_strict", "the rule with --page-extractor trafilatura-strict"),
                         ("html_model", "the block model alone (--page-extractor none)")):
        paged = [(name, results[method]) for name, results in collected.items() if isinstance(results.get(method), dict)]
        if paged:
            print(f"{what}, HTML input:")
        for name, res in paged:
            traf_all, traf_multi = REFERENCE.get(name, {}).get("trafilatura", (float("nan"),) * 2)
            _, r, f, _ = res["multi"]
            print(f"{name:<20} {'':>22} {f:6.3f} ({r:.3f}) / {res['all'][2]:.3f} {traf_multi:6.3f} / {traf_all:.3f}")


# --------------------------------------------------------------------------
# Syndication checks
# --------------------------------------------------------------------------

def reported_pairs(report: dict) -> set[frozenset]:
    """Document pairs the report says share text: in one cluster with a shared
    passage or near-duplicate containment, or listed as a partial overlap."""
    found = set()
    for cluster in report["syndication"]:
        for pair in cluster["pairs"]:
            if pair["passages"] or pair["containment"] >= report["config"]["syndication_threshold"]:
                found.add(frozenset(pair["documents"]))
    for pair in report["overlaps"]:
        found.add(frozenset(pair["documents"]))
    return found


def clough_stevenson(folder: Path, options: dict) -> None:
    """Answers against their Wikipedia source: cut and light must be found, non must not."""
    import dedupe

    docs = folder / "clough_stevenson_docs.jsonl"
    pairs = [json.loads(l) for l in (folder / "clough_stevenson_pairs.jsonl").read_text().splitlines() if l.strip()]
    report = dedupe.scan([docs], **options).report.data
    found = reported_pairs(report)
    print("\n== Clough & Stevenson 2011: answer/source pairs reported as shared text")
    print(f"{'label':8} {'pairs':>5} {'reported':>8} {'rate':>6}")
    for label in ("cut", "light", "heavy", "non"):
        rows = [p for p in pairs if p["label"] == label]
        hit = sum(frozenset((p["a"], p["b"])) in found for p in rows)
        print(f"{label:8} {len(rows):5d} {hit:8d} {hit / len(rows):6.2f}")
    print("(two cut answers copy a different article than their pair's; a non pair must never be reported)")


def msrp(folder: Path, options: dict) -> None:
    """Sentence pairs: are paraphrases matched as one block at the default threshold?"""
    from dedupe.config import Config
    from dedupe.pipeline import block_clusters

    rows = [json.loads(l) for l in (folder / "msrp_train.jsonl").read_text().splitlines() if l.strip()]
    config = Config().replace(**{k: v for k, v in options.items() if k in Config.option_names()})
    texts = [t for r in rows for t in (r["text1"], r["text2"])]
    labels, _ = block_clusters(texts, config)
    same = labels[0::2] == labels[1::2]
    gold = [r["label"] == 1 for r in rows]
    tp = sum(s and g for s, g in zip(same, gold))
    fp = sum(s and not g for s, g in zip(same, gold))
    fn = sum(g and not s for s, g in zip(same, gold))
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    print(f"\n== MSRP train ({len(rows)} sentence pairs): block-level matching at block_threshold="
          f"{config.boilerplate.block_threshold}")
    print(f"matched {int(same.sum())} pairs; precision {p:.3f}, recall {r:.3f} against the paraphrase label")
    print("(near-identical blocks only: a paraphrase is not a template, so low recall is by design)")


def republished_fixtures(options: dict) -> None:
    """The project's own republished-story fixtures: body kept on every site, one cluster."""
    import dedupe

    print("\n== republished-story fixtures (tests/data)")
    for path in sorted((REPO / "tests" / "data").glob("*sites*.jsonl")):
        records = [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
        stories = {r["id"] for r in records if r.get("story")}
        result = dedupe.scan([path], **options)
        clusters = [set(c["documents"]) for c in result.report.data["syndication"]]
        cleaned = dict(zip((d.id for d in result.analysis.documents), result.analysis.cleaned))
        body_kept = all(
            para in cleaned[r["id"]]
            for r in records if r["id"] in stories
            for para in r["text"].split("\n\n") if len(para.split()) >= 25 and "published" not in para
        )
        one_cluster = clusters.count(stories) == 1 and sum(bool(c & stories) for c in clusters) == 1
        print(f"{path.name}: {len(stories)} copies of one story; body kept on every site: {body_kept};"
              f" reported as one cluster: {one_cluster}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default=",".join(ALL_SETS),
                    help="comma-separated file stems in boilerplate/ (default: all five)")
    ap.add_argument("--methods", default="raw,ccnet,rule,dedupe,html_rule,html",
                    help="comma-separated subset of " + ",".join(METHODS) + " (dedupe: the defaults on"
                         " text lines; html: the defaults reading the pages' HTML itself; rule, html_rule:"
                         " the repetition rule alone; html_page, html_strict: the rule with trafilatura's"
                         " verdict; html_model: the block model without it)")
    ap.add_argument("--limit", type=int, default=None, help="first N pages of each set")
    ap.add_argument("--options", action="append", default=[], metavar="KEY=VALUE",
                    help="passed to dedupe.clean as keyword arguments (repeatable, or"
                         " comma-separated); ccnet_norm=strip and ccnet_count=pages"
                         " switch the ccnet rule instead")
    ap.add_argument("--comments", action=argparse.BooleanOptionalAction, default=True,
                    help="keep HTML comment text as lines, as the README's reference"
                         " figures do (default on; --no-comments for visible text only)")
    ap.add_argument("--cache", action=argparse.BooleanOptionalAction, default=True,
                    help="cache converted text under .cache/benchmarks/ (default on)")
    ap.add_argument("--model", choices=["cv", "held-out", "shipped"], default="cv",
                    help="block model for the dedupe row: cv (default): fold models of a"
                         " cross-validation by site over all sets, each page scored by the one"
                         " that never saw its site; held-out: one trained without the whole set"
                         " being scored (stricter); shipped: trained on all sets (not honest)")
    ap.add_argument("--cv-dir", type=Path, default=CV_DIR,
                    help="the fold models for --model cv (default .cache/models/cv, trained on first use;"
                         " another folder must hold train_block_model.py --save-folds output)")
    ap.add_argument("--syndication", action=argparse.BooleanOptionalAction, default=True,
                    help="run the syndication checks (Clough-Stevenson, MSRP, own fixtures)")
    ap.add_argument("--strict", action="store_true",
                    help="re-raise when a method crashes instead of reporting it")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 when a dedupe target fails")
    args = ap.parse_args(argv)
    args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for m in args.methods:
        if m not in METHODS:
            ap.error(f"unknown method {m!r}; choose from {', '.join(METHODS)}")
    options = parse_options(args.options)

    folder = benchdata_dir() / "boilerplate"
    if not folder.is_dir():
        print(f"skipped: benchdata not found at {folder} (set DEDUPE_BENCHDATA)")
        return 0
    ok = True
    collected: dict[str, dict] = {}
    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        path = folder / f"{name}.jsonl.gz"
        if not path.exists():
            print(f"\n== {name}: skipped, no {path}")
            continue
        ok &= run_set(name, path, args, options, collected)
    if not options:
        print_default_against_trafilatura(collected)
    if args.syndication:
        neardup = benchdata_dir() / "neardup"
        opts = {k: v for k, v in options.items() if not k.startswith("ccnet_")}
        if neardup.is_dir():
            clough_stevenson(neardup, opts)
            msrp(neardup, opts)
        republished_fixtures(opts)
    print("\nsource: shared/benchdata/README.md (CleanPortalEval, Dragnet, L3S-GN1,"
          " CleanEval, WCXB 2025, Clough & Stevenson 2011, MSRP); reference F1 figures from its table.")
    return 1 if (args.check and not ok) else 0


if __name__ == "__main__":
    sys.exit(main())
