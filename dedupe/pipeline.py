"""String the stages together: read -> blocks -> shingle -> minhash -> lsh ->
verify -> cluster -> boilerplate -> strip -> syndication -> report -> write.

:func:`analyse` works on documents in memory; :func:`scan` and :func:`clean`
read files (and :func:`clean` writes the cleaned corpus).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Union
from urllib.parse import urlsplit

import numpy as np
from scipy import sparse

from . import blocks as blocks_mod
from . import blockmodel, boilerplate, cluster, lsh, minhash, shingle, syndication, verify
from .config import Config
from .htmlreport import write_html
from .io import check_output, discover, read_corpus, write_corpus
from .io.readers import Corpus
from .model import Document
from .report import Report, build_report

__all__ = ["Analysis", "Result", "BlockTable", "analyse", "block_table", "scan", "clean", "block_clusters"]

PathLike = Union[str, os.PathLike]
_PUNCT = re.compile(r"[^\w\s]")


@dataclass
class Analysis:
    """Everything found in a set of documents.

    Attributes
    ----------
    documents : list of Document
    blocks : list of ndarray of int64, shape (n_blocks_i, 3)
        Each document's blocks (start, end, line).
    action : list of ndarray of int8, shape (n_blocks_i,)
        What happens to each block (:data:`dedupe.boilerplate.KEEP` ...).
    template : list of ndarray of int64, shape (n_blocks_i,)
        Repeated-block cluster of each block (same cluster = same template).
    spans : list of list of (int, int)
        Character spans of each document that survive.
    cleaned : list of str
    syndication : dedupe.syndication.Syndication
    """

    documents: list[Document]
    blocks: list[np.ndarray]
    action: list[np.ndarray]
    template: list[np.ndarray]
    spans: list[list[tuple[int, int]]]
    cleaned: list[str]
    syndication: syndication.Syndication


@dataclass
class Result:
    """What :func:`scan` and :func:`clean` return."""

    corpus: Corpus
    analysis: Analysis
    report: Report
    written: list[Path]


def _host(url: Optional[str]) -> Optional[str]:
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


# Documents are compared as copies on their prose: a site menu or a sidebar
# is many short lines, a republished article is paragraphs, and a page whose
# menu outweighs its body must not look like a copy of every other page of
# its site. Prose is a line of `short_block_words`+ words that is not dense
# with punctuation (markup and code left in a page are). A page with almost
# no prose (a list, a poem) is compared on all its lines instead, so two
# copies of it are still copies.
_MIN_PROSE_CHARS = 200
_MAX_PROSE_PUNCT = 0.1


def _block_weights(texts: Sequence[str], doc_of: np.ndarray, n_docs: int, short_words: int) -> np.ndarray:
    """Characters per block for comparing documents: prose blocks only, where a document has prose."""
    chars = np.fromiter((len(t.strip()) for t in texts), dtype=np.float64, count=len(texts))
    words = np.fromiter((len(t.split()) for t in texts), dtype=np.float64, count=len(texts))
    punct = np.fromiter((len(_PUNCT.findall(t)) for t in texts), dtype=np.float64, count=len(texts))
    prose = (words >= short_words) & (punct <= _MAX_PROSE_PUNCT * np.maximum(chars, 1))
    prose_chars = np.bincount(doc_of, weights=chars * prose, minlength=n_docs)
    has_prose = prose_chars[doc_of] >= _MIN_PROSE_CHARS
    return np.where(prose | ~has_prose, chars, 0.0)


def block_clusters(texts: Sequence[str], config: Config) -> np.ndarray:
    """Cluster blocks that are identical once normalised, or near-identical.

    Exact repeats share a normalised key. Each distinct key is shingled
    (character n-grams below ``short_block_words`` words, word n-grams above),
    signed, and indexed in LSH; candidate pairs whose verified Jaccard reaches
    ``block_threshold`` are joined.

    Returns
    -------
    labels : ndarray of int64, shape (len(texts),)
        Cluster label of each block: the index of its cluster's first block.
    keys : ndarray of int64, shape (len(texts),)
        Normalised-key id of each block (equal ids: exact repeats).
    """
    keys = [blocks_mod.normalise(t) for t in texts]
    uniq, first, inverse = np.unique(np.array(keys, dtype=object), return_index=True, return_inverse=True)
    # Order distinct keys by first occurrence so labels follow input order.
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    reps = [uniq[i] for i in order]
    n = len(reps)
    words = np.fromiter((r.count(" ") + 1 if r else 0 for r in reps), dtype=np.int64, count=n)
    short = words < config.shingle.short_block_words
    pairs = []
    for mask, make in (
        (short, lambda ts: shingle.char_shingles(ts, config.shingle.char_ngram)),
        (~short, lambda ts: shingle.word_shingles(ts, config.shingle.word_ngram)),
    ):
        idx = np.flatnonzero(mask)
        if len(idx) < 2:
            continue
        batch = make([reps[i] for i in idx])
        sigs = minhash.signatures(batch, config.minhash.num_perm, config.minhash.seed)
        cand = lsh.candidate_pairs(sigs, config.boilerplate.block_threshold, config.minhash.seed)
        _, jac, _ = verify.overlap(verify.shingle_matrix(batch), cand)
        pairs.append(idx[cand[jac >= config.boilerplate.block_threshold]])
    edges = np.concatenate(pairs) if pairs else np.zeros((0, 2), np.int64)
    rep_label = cluster.components(n, edges)
    key_of = rank[inverse.ravel()]
    return first[order][rep_label][key_of].astype(np.int64), key_of.astype(np.int64)


def _loose_share(texts: Sequence[str], doc_of: np.ndarray, labels: np.ndarray, weight: np.ndarray, n_docs: int, n: int):
    """``share(d, e)``: weight of d's blocks that no other document repeats,
    times the share of each block's word n-grams found anywhere in e.

    A lightly edited or re-wrapped copy shares few whole blocks with its
    original but most of its words; this is the evidence the block clusters
    miss. Blocks with zero weight (menus beside prose) take no part, nor do
    n-grams too common to tell a copy (:data:`dedupe.verify.MAX_DF`).
    """
    sized = np.flatnonzero(weight > 0)
    batch = shingle.word_shingles([blocks_mod.normalise(texts[i]) for i in sized], n)
    owner = doc_of[sized]
    member = sparse.csr_matrix((np.ones(len(sized)), (owner, np.arange(len(sized)))), shape=(n_docs, len(sized)))
    grams = verify.shingle_matrix(batch)  # blocks x n-grams
    doc_grams = (member @ grams).tocsr()
    doc_grams.data[:] = 1.0
    keep = np.flatnonzero(np.diff(doc_grams.tocsc().indptr) <= verify.MAX_DF)
    grams, doc_grams = grams[:, keep], doc_grams[:, keep]
    n_grams = np.diff(grams.tocsr().indptr)
    # Blocks of a cluster that spans one document only are unrepeated.
    spans_docs = np.unique(np.stack([labels, doc_of], axis=1), axis=0)[:, 0]
    lone = np.bincount(spans_docs, minlength=len(labels))[labels[sized]] == 1
    per_gram = np.where(lone & (n_grams > 0), weight[sized] / np.maximum(n_grams, 1), 0.0)
    lone_weights = sparse.csr_matrix((per_gram, (owner, np.arange(len(sized)))), shape=(n_docs, len(sized))) @ grams
    found = (lone_weights @ doc_grams.T).tocsr()

    def share(d: np.ndarray, e: np.ndarray) -> np.ndarray:
        return np.asarray(found[d, e]).ravel()

    return share


@dataclass
class BlockTable:
    """The corpus stage's view of every block, flat in document order.

    Attributes
    ----------
    blocks : list of ndarray of int64, shape (n_blocks_i, 3)
        Each document's blocks (start, end, line).
    texts : list of str
        Every block's text.
    doc, cluster, key : ndarray of int64, shape (n_blocks,)
        Document, repeated-block cluster and normalised-key id of each block.
    repeat : ndarray of bool, shape (n_blocks,)
        Repeats an earlier block of its document.
    host : ndarray of int64, shape (n_docs,)
        Host id of each document, -1 when unknown.
    decision : dedupe.boilerplate.Decision
        The repetition rule's verdicts.
    """

    blocks: list[np.ndarray]
    texts: list[str]
    doc: np.ndarray
    cluster: np.ndarray
    key: np.ndarray
    repeat: np.ndarray
    host: np.ndarray
    decision: boilerplate.Decision


def block_table(documents: Sequence[Document], config: Config) -> BlockTable:
    """Segment, cluster repeated blocks and apply the repetition rule."""
    n_docs = len(documents)
    per_doc = [blocks_mod.segment(d.text) for d in documents]
    counts = np.array([len(b) for b in per_doc], dtype=np.int64)
    doc_of = np.repeat(np.arange(n_docs, dtype=np.int64), counts)
    texts = [d.text[s:e] for d, b in zip(documents, per_doc) for s, e in b[:, :2].tolist()]
    weight = _block_weights(texts, doc_of, n_docs, config.shingle.short_block_words)
    labels, keys = block_clusters(texts, config)

    # A block repeats inside its document when an earlier block there has the same light key.
    repeat = np.zeros(len(texts), dtype=bool)
    seen: set[tuple[int, str]] = set()
    for i, (d, t) in enumerate(zip(doc_of.tolist(), texts)):
        k = (d, blocks_mod.light_key(t))
        repeat[i] = k in seen
        seen.add(k)

    hosts = [_host(d.url) for d in documents]
    host_ids = {h: i for i, h in enumerate(sorted({h for h in hosts if h}))}
    host = np.array([host_ids.get(h, -1) if h else -1 for h in hosts], dtype=np.int64)
    loose = _loose_share(texts, doc_of, labels, weight, n_docs, config.shingle.word_ngram)
    decision = boilerplate.decide(doc_of, labels, weight, repeat, host, n_docs, config.boilerplate, loose)
    return BlockTable(per_doc, texts, doc_of, labels, keys, repeat, host, decision)


def _apply_model(table: BlockTable, config) -> np.ndarray:
    """Final action per block: the rule's, plus what the learned model removes."""
    action = table.decision.action.copy()
    if config.block_model == "none" or len(action) == 0:
        return action
    model = blockmodel.load() if config.block_model == "builtin" else blockmodel.load(Path(config.block_model))
    content = model.content_probability(table)
    if config.model_min_site_pages > 0:
        known = table.host >= 0
        pages = np.bincount(table.host[known], minlength=int(table.host.max()) + 1 if known.any() else 0)
        judged = known & (pages[np.maximum(table.host, 0)] >= config.model_min_site_pages) if known.any() else known
    else:
        judged = np.ones(len(table.host), dtype=bool)
    learned = (
        (action == boilerplate.KEEP)
        & (content < config.content_threshold)
        & ~table.decision.syndicated
        & judged[table.doc]
    )
    action[learned] = boilerplate.LEARNED
    return action


def analyse(documents: Sequence[Document], config: Optional[Config] = None) -> Analysis:
    """Find boilerplate and syndication in documents held in memory.

    Parameters
    ----------
    documents : sequence of Document
    config : Config, optional

    Returns
    -------
    Analysis
    """
    config = config or Config()
    documents = list(documents)
    n_docs = len(documents)
    table = block_table(documents, config)
    action_flat = _apply_model(table, config.boilerplate)
    counts = np.array([len(b) for b in table.blocks], dtype=np.int64)
    bounds = np.concatenate([[0], np.cumsum(counts)])
    action = [action_flat[bounds[i] : bounds[i + 1]] for i in range(n_docs)]
    template = [table.cluster[bounds[i] : bounds[i + 1]] for i in range(n_docs)]
    spans = [
        blocks_mod.kept_spans(len(d.text), b, a == boilerplate.KEEP) for d, b, a in zip(documents, table.blocks, action)
    ]
    cleaned = ["".join(d.text[a:b] for a, b in s) for d, s in zip(documents, spans)]
    synd = syndication.find(
        [d.text for d in documents], spans, table.decision.shared, config.shingle, config.minhash, config.syndication
    )
    return Analysis(documents, table.blocks, action, template, spans, cleaned, synd)


def _resolve(config: Optional[Config], options: dict) -> Config:
    config = config or Config()
    return config.replace(**options) if options else config


def scan(inputs: Sequence[PathLike], *, config: Optional[Config] = None, **options) -> Result:
    """Read a corpus and find its boilerplate and syndication; write nothing.

    Parameters
    ----------
    inputs : sequence of path-like
        Files and folders of any supported format (text, HTML, JSONL,
        CSV/TSV, Parquet, WARC/WET; see :mod:`dedupe.io`), and "-" for
        JSONL on standard input.
    config : Config, optional
        Defaults, changed by ``options``.
    **options
        Any :class:`Config` option by its flat name (``block_threshold=0.7``).

    Returns
    -------
    Result
        ``result.report`` holds the machine report and the exit code.

    Raises
    ------
    InputError
        With ``strict=True``, at the first bad input.
    FileNotFoundError
        If an input does not exist.
    """
    config = _resolve(config, options)
    corpus = read_corpus(inputs, config.read)
    analysis = analyse(corpus.documents, config)
    report = build_report(corpus, analysis, config, [str(p) for p in inputs])
    return Result(corpus=corpus, analysis=analysis, report=report, written=[])


def clean(
    inputs: Sequence[PathLike],
    output: PathLike,
    *,
    report: Optional[PathLike] = None,
    html: Optional[PathLike] = None,
    config: Optional[Config] = None,
    **options,
) -> Result:
    """Strip boilerplate and write the cleaned corpus under the folder ``output``.

    Every input file that yielded documents gets one output file at
    ``output/<name>`` in its own format (text for HTML, JSONL for WARC/WET);
    ``report`` (optional) gets the JSON report, ``html`` the HTML report.
    Inputs are never modified.

    Parameters
    ----------
    inputs : sequence of path-like
    output : path-like
        The output folder (created if missing).
    report : path-like, optional
        Where to write the JSON report.
    html : path-like, optional
        Where to write the HTML report (:func:`dedupe.htmlreport.write_html`).
    config, **options
        As for :func:`scan`.

    Raises
    ------
    UsageError
        If an output would overwrite an input or lie inside an input folder.
    """
    output = Path(output)
    config = _resolve(config, options)
    paths = [Path(p) if p is not None else None for p in (report, html)]
    check_output(discover(inputs, config.read.format), inputs, output, *paths)
    result = scan(inputs, config=config)
    cleaned = {(d.source, d.line): text for d, text in zip(result.analysis.documents, result.analysis.cleaned)}
    output.mkdir(parents=True, exist_ok=True)
    result.written = write_corpus(result.corpus.files, cleaned, output, config.read)
    if report is not None:
        result.report.write(Path(report))
    if html is not None:
        write_html(result, Path(html))
    return result
