"""A model made from a run: every distinct block seen (its digest, a
representative text, its MinHash band keys, the pages and sites it was
seen on, whether it is a template), every page (id, URL, its blocks), and
each page's cleaned-text band keys for the syndication index.

Learning is a run over the corpus (:func:`dedupe.api.learn`) and then
:func:`build`. Updating (``--update``) is a run over the new corpus with
the model applied (:mod:`.apply`), the earlier pages it needs back in it,
and :func:`build` folding that run into the model: the new pages are
added, the blocks of the run get the run's verdicts (the earlier pages
that carry them were in the run), every other block and page stays as it
was. That is learning on both corpora, save where a verdict on an earlier
page that no new page touches would have changed (docs/learn.md).
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from .. import lsh
from ..blocks import normalise_many
from ..boilerplate import BOILERPLATE
from ..config import Config
from ..executor import Workers
from ..results import Analysis
from ..sign import key_band_keys, shingles
from ..stages.blocks import digests
from ..stages.boilerplate import host_of
from .files import Model, config_parts

__all__ = ["build", "block_digests", "doc_band_keys", "block_band_keys"]

#: What a run's document is to the model (:func:`build`'s ``page_of``):
#: a new page, or the page of model templates made for the run.
NEW, TEMPLATES = -1, -2


def block_digests(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each block text's normalised-key digest, as (hi, lo) uint64."""
    d = digests(normalise_many(list(texts))) if len(texts) else np.zeros((0, 2), np.uint64)
    return np.ascontiguousarray(d[:, 0]), np.ascontiguousarray(d[:, 1])


def block_band_keys(texts: Sequence[str], config: Config, workers: Workers) -> tuple[np.ndarray, np.ndarray]:
    """Whether each block is short, and its LSH band keys: what the clusters stage makes of a distinct block."""
    sc, mc = config.shingle, config.minhash
    b = lsh.bands_rows(config.boilerplate.block_threshold, mc.num_perm)[0]
    args = (sc.short_block_words, sc.char_ngram, sc.word_ngram, mc.num_perm, mc.seed, config.boilerplate.block_threshold)
    if not texts:
        return np.zeros(0, dtype=bool), np.zeros((0, b), np.uint64)
    lengths = np.fromiter(map(len, texts), dtype=np.float64, count=len(texts))
    parts = list(workers.map(key_band_keys, lengths, lambda a, e: (texts[a:e], *args)))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def doc_band_keys(texts: Sequence[str], config: Config, workers: Workers) -> tuple[np.ndarray, np.ndarray]:
    """Each cleaned text's LSH band keys, as the syndication stage cuts them,
    and whether it has any n-gram (an empty text matches nothing)."""
    b = lsh.bands_rows(config.syndication.lsh_threshold, config.minhash.num_perm)[0]
    if not texts:
        return np.zeros((0, b), np.uint64), np.zeros(0, dtype=bool)
    sign = (config.minhash.num_perm, config.minhash.seed)
    batch, sigs = shingles(workers, list(texts), "word", config.shingle.doc_ngram, sign, normalise=True)
    return lsh.band_keys(sigs, config.syndication.lsh_threshold), np.diff(batch.offsets) > 0


def _run_blocks(documents, analysis: Analysis, which: np.ndarray):
    """The block texts of the run's documents ``which``, flat, and how many each has."""
    texts, counts = [], []
    for d in which.tolist():
        text, blk = documents[d].text, analysis.blocks[d]
        texts += [text[s:e] for s, e in blk[:, :2].tolist()]
        counts.append(len(blk))
    return texts, np.array(counts, dtype=np.int64)


def build(
    old: Optional[Model], documents: Sequence, analysis: Analysis, page_of: np.ndarray, config: Config, workers: Workers,
) -> Model:
    """The model of ``old`` (None: none) and a run over ``documents``
    (``analysis``, unrestricted): ``page_of`` says what each document is,
    an earlier page's row in ``old``, :data:`NEW` or :data:`TEMPLATES`."""
    page_of = np.asarray(page_of, dtype=np.int64)
    runs = np.flatnonzero(page_of != TEMPLATES)
    texts, counts = _run_blocks(documents, analysis, runs)
    hi, lo = block_digests(texts)
    bounds = analysis.action.bounds
    of_run = (page_of != TEMPLATES)[np.repeat(np.arange(len(page_of)), np.diff(bounds))]
    boiler = analysis.action.flat[of_run] == BOILERPLATE

    # Distinct digests of the old model and the run, old rows first (a key's text is its first occurrence's).
    n_old = 0 if old is None else len(old.hi)
    all_hi = np.concatenate([old.hi if old else np.zeros(0, np.uint64), hi])
    all_lo = np.concatenate([old.lo if old else np.zeros(0, np.uint64), lo])
    order = np.lexsort((np.arange(len(all_hi)), all_lo, all_hi))
    new = np.ones(len(order), dtype=bool)
    new[1:] = (all_hi[order][1:] != all_hi[order][:-1]) | (all_lo[order][1:] != all_lo[order][:-1])
    row_of = np.empty(len(order), dtype=np.int64)
    row_of[order] = np.cumsum(new) - 1
    first = order[new]  # each row's first occurrence (an old row when it was there)
    n_rows = len(first)

    text = [old.text[i] if i < n_old else texts[i - n_old] for i in first.tolist()]
    template = np.zeros(n_rows, dtype=bool)
    if old is not None:
        template[row_of[:n_old]] = old.template
    in_run = row_of[n_old:]
    seen = np.zeros(n_rows, dtype=bool)
    seen[in_run] = True
    template[seen] = False
    template[in_run[boiler]] = True

    # Short flag and band keys: the old rows' kept, the new rows' made.
    b = lsh.bands_rows(config.boilerplate.block_threshold, config.minhash.num_perm)[0]
    short = np.zeros(n_rows, dtype=bool)
    bands = np.zeros((n_rows, b), dtype=np.uint64)
    from_old = first < n_old
    if old is not None:
        short[from_old], bands[from_old] = old.short[first[from_old]], old.block_bands[first[from_old]]
    fresh = np.flatnonzero(~from_old)
    short[fresh], bands[fresh] = block_band_keys([text[i] for i in fresh.tolist()], config, workers)

    # Pages: the old ones (their blocks renumbered), then the run's new ones.
    new_docs = runs[page_of[runs] == NEW]
    ends = np.cumsum(counts)
    starts = ends - counts
    keep_new = np.isin(runs, new_docs)
    old_bounds = old.page_bounds if old else np.zeros(1, np.int64)
    old_blocks = row_of[:n_old][old.page_blocks] if old else np.zeros(0, np.int64)
    new_lists = [in_run[s:e] for s, e in zip(starts[keep_new].tolist(), ends[keep_new].tolist())]
    page_blocks = np.concatenate([old_blocks, *new_lists]).astype(np.int64)
    page_bounds = np.concatenate([old_bounds, old_bounds[-1] + np.cumsum([len(x) for x in new_lists], dtype=np.int64)])
    page_id = (old.page_id if old else []) + [documents[d].id for d in new_docs.tolist()]
    page_url = (old.page_url if old else []) + [documents[d].url for d in new_docs.tolist()]

    # Pages and distinct known sites per block.
    n_pages = len(page_id)
    owner = np.repeat(np.arange(n_pages, dtype=np.int64), np.diff(page_bounds))
    pairs = np.unique(page_blocks * max(n_pages, 1) + owner) if len(owner) else np.zeros(0, np.int64)
    pages = np.bincount(pairs // max(n_pages, 1), minlength=n_rows).astype(np.int64)
    hosts = [host_of(u) for u in page_url]
    host_ids = {h: i for i, h in enumerate(sorted({h for h in hosts if h}))}
    host = np.array([host_ids.get(h, -1) if h else -1 for h in hosts], dtype=np.int64)
    known = host[owner] >= 0
    span = max(len(host_ids), 1)
    site_pairs = np.unique(page_blocks[known] * span + host[owner][known])
    sites = np.bincount(site_pairs // span, minlength=n_rows).astype(np.int64)

    # Each page's cleaned-text band keys: kept for the pages the run did not read, made for the others.
    bd = lsh.bands_rows(config.syndication.lsh_threshold, config.minhash.num_perm)[0]
    doc_bands = np.zeros((n_pages, bd), dtype=np.uint64)
    indexed = np.zeros(n_pages, dtype=bool)
    if old is not None:
        doc_bands[: old.n_pages], indexed[: old.n_pages] = old.doc_bands, old.doc_indexed
    redo = np.flatnonzero(page_of >= 0)
    targets = np.concatenate([page_of[redo], (old.n_pages if old else 0) + np.arange(len(new_docs))]).astype(np.int64)
    cleaned = [analysis.cleaned[d] for d in np.concatenate([redo, new_docs]).tolist()]
    doc_bands[targets], indexed[targets] = doc_band_keys(cleaned, config, workers)

    return Model(
        config=config_parts_json(config), hi=all_hi[first], lo=all_lo[first], text=text, short=short,
        template=template, pages=pages, sites=sites, block_bands=bands, page_id=page_id, page_url=page_url,
        page_bounds=page_bounds.astype(np.int64), page_blocks=page_blocks, doc_bands=doc_bands, doc_indexed=indexed,
    )


def config_parts_json(config: Config) -> dict:
    """:func:`~.files.config_parts` as it reads back from JSON (tuples as lists)."""
    import json

    return json.loads(json.dumps(config_parts(config)))
