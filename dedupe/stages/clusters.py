"""The clusters stage: blocks identical once normalised, or near-identical,
joined into clusters (the templates' candidates)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np

from .. import blocks as blocks_mod
from .. import cluster, lsh, verify
from ..blocktexts import Fetch, fetch_from, fetch_list
from ..config import Config
from ..executor import Exchange, Shards, Workers, in_memory
from ..ints import compact
from ..document import Document
from ..progress import Progress, Task, as_progress
from ..sign import key_band_keys, shingles
from .blocks import Blocks, digests, ids_by_first_occurrence
from .contract import Stage, Step, Table, Tables

if TYPE_CHECKING:  # the run is the pipeline's: stages only use what it offers
    from ..pipeline import Run

__all__ = ["block_clusters", "cluster_keys", "near_edges", "run_clusters", "STAGE"]


def near_edges(
    workers: Workers, bands: Shards, n: int, fetch: Fetch, kind: str, ngram: int, config: Config,
    task: Optional[Task] = None,
) -> np.ndarray:
    """Pairs of the ``n`` texts whose ``kind`` n-gram sets have a Jaccard of
    ``block_threshold`` or more and share an LSH band: enough of them to
    connect every text to the others it has such a pair with (the clusters
    are connected components).

    ``bands`` holds the texts' LSH band keys, one shard per band (put there
    by the workers' :func:`dedupe.sign.key_band_keys`, spilled to disk on a
    large corpus). Only the texts that share a band with another are read
    (``fetch``) and shingled again, for the exact Jaccard, and only their
    band keys are held together. Which candidates are looked at is
    :func:`dedupe.verify.similar_components`'s business: it skips the pairs
    that cannot reach the threshold, and those already connected. ``task``
    advances by ``n`` in all.
    """
    threshold = config.boilerplate.block_threshold
    paired = np.zeros(n, dtype=bool)
    for k in range(bands.n):
        order, same = lsh._sort_rows(bands.load(k)["band"], None)
        paired[order[1:][same]] = paired[order[:-1][same]] = True
    involved = np.flatnonzero(paired)
    if len(involved) == 0:
        if task is not None:
            task.advance(n)
        return np.zeros((0, 2), np.int64)
    # Their band keys: few rows, every band.
    keys = np.stack([bands.load(k)["band"][involved] for k in range(bands.n)], axis=1)
    texts = [t for part in fetch(involved) for t in part]
    batch, _ = shingles(workers, texts, kind, ngram, normalise=True)
    del texts
    matrix = verify.shingle_matrix(batch)
    del batch
    told = [0]

    def advance(done: float) -> None:
        if task is not None:
            now = int(done * n)
            task.advance(now - told[0])
            told[0] = now

    label = verify.similar_components(matrix, keys, threshold, advance)
    advance(1.0)
    moved = np.flatnonzero(label != np.arange(len(label)))
    return involved[np.stack([moved, label[moved]], axis=1)]


def cluster_keys(
    fetch: Fetch, first: np.ndarray, key: np.ndarray, config: Config, workers: Workers,
    exchange: Exchange = in_memory, progress: Optional[Progress] = None,
) -> np.ndarray:
    """Cluster label of each block from its normalised key: see :func:`block_clusters`.

    ``first`` is the first block of each key, whose text stands for the key.
    ``progress`` hears of two steps: ``clusters · signatures`` (the keys
    signed) and ``clusters · line pairs`` (the candidate pairs verified,
    counted in distinct blocks), which at scale takes as long.
    """
    progress = as_progress(progress)
    n = len(first)
    sc, mc = config.shingle, config.minhash
    threshold = config.boilerplate.block_threshold
    b = lsh.bands_rows(threshold, mc.num_perm)[0]
    short = np.zeros(n, dtype=bool)
    with exchange(b) as char_bands, exchange(b) as word_bands:
        at = 0
        with progress.stage("clusters · signatures", n, "distinct blocks") as task:
            for texts in fetch(first):
                lengths = np.fromiter(map(len, texts), dtype=np.float64, count=len(texts))
                args = (sc.short_block_words, sc.char_ngram, sc.word_ngram, mc.num_perm, mc.seed, threshold)
                for is_short, keys in workers.map(key_band_keys, lengths, lambda a, e: (texts[a:e], *args), task):
                    short[at : at + len(is_short)] = is_short
                    at += len(is_short)
                    for bands, rows in ((char_bands, keys[is_short]), (word_bands, keys[~is_short])):
                        if len(rows):
                            for k in range(b):
                                bands.put(k, band=np.ascontiguousarray(rows[:, k]))
        pairs = []
        with progress.stage("clusters · line pairs", n, "distinct blocks") as task:
            for mask, bands, kind, ngram in (
                (short, char_bands, "char", sc.char_ngram), (~short, word_bands, "word", sc.word_ngram)
            ):
                idx = np.flatnonzero(mask)
                if len(idx) >= 2:
                    which = lambda local, idx=idx: fetch(first[idx[local]])  # noqa: E731
                    pairs.append(idx[near_edges(workers, bands, len(idx), which, kind, ngram, config, task)])
                else:
                    task.advance(len(idx))
    edges = np.concatenate(pairs) if pairs else np.zeros((0, 2), np.int64)
    rep_label = cluster.components(n, edges)
    return compact(first[rep_label][key])  # block indices: int32 where they fit


def block_clusters(texts: Sequence[str], config: Config) -> tuple[np.ndarray, np.ndarray]:
    """Cluster blocks that are identical once normalised, or near-identical.

    Exact repeats share a normalised key. Each distinct key is shingled
    (character n-grams below ``short_block_words`` words, word n-grams above),
    signed, and indexed in LSH; candidate pairs whose verified Jaccard reaches
    ``block_threshold`` are joined.

    Returns
    -------
    labels : ndarray of int32 (int64 past 2**31 blocks), shape (len(texts),)
        Cluster label of each block: the index of its cluster's first block.
    keys : ndarray of int32 (likewise), shape (len(texts),)
        Normalised-key id of each block (equal ids: exact repeats).
    """
    key = ids_by_first_occurrence(digests(blocks_mod.normalise_many(texts)))
    first = np.unique(key, return_index=True)[1].astype(np.int64)
    return cluster_keys(fetch_list(texts), first, key, config, Workers(1)), key


STAGE = Stage(
    "clusters",
    reads=("blocks",),
    config=(
        "shingle.short_block_words", "shingle.char_ngram", "shingle.word_ngram", "minhash",
        "boilerplate.block_threshold",
    ),
    writes=(Table("blocks", ("cluster",), rows="block", partition="cluster"),),
    steps=(
        Step("signatures", "map", "distinct blocks", "each distinct block's shingles signed, cut into LSH band keys"),
        Step("line pairs", "reduce", "LSH band key", "blocks sharing a band verified; connected components"),
    ),
)


def run_clusters(run: "Run", documents: Sequence[Document], b: Blocks) -> np.ndarray:
    """Each block's cluster: the index of its cluster's first block."""

    def compute() -> Tables:
        fetch = fetch_from(documents, b.counts, b.blocks)
        with run.progress.stage(STAGE.name):
            labels = cluster_keys(fetch, b.first, b.key, run.config, run.workers, run.exchange, run.progress)
        return {"blocks": {"cluster": labels}}

    return run.execute(STAGE, compute, inputs={"documents": documents, "blocks": b})["blocks"]["cluster"]
