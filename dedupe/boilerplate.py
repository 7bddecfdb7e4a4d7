"""Decide which repeated blocks are boilerplate.

A repeated block (a cluster of identical or near-identical blocks) is a
template when the documents that carry it are *not all copies* of one
another (two differently truncated republications of one story count as
copies of each other: both lie in the original): a teaser that two different articles carry, a footer every page of
a site ends with. When the documents are copies (one article republished,
truncated or lightly edited), the blocks they share are their content and
stay.

"Copies" is measured on the text left once templates are set aside, and
templates are found using the copies; the two are settled together by
iterating to a fixed point (templates found -> shared text recomputed ->
copies recomputed), starting from "nothing is a template". A site-wide
menu on pages with short bodies can look like a copy at first, but as soon
as one page of the site has a body of its own the menu becomes a template
and drops out of the comparison.

Copies share prose: two pages that each have a prose line of their own
(``short_block_words``+ words, :func:`dedupe.weighting.weights_and_prose`)
are not copies when all they share is short lines, as two short posts
that share only a sidebar of links are not (unless the copy evidence finds
their own text in each other, edited).

Site evidence: when both documents' hosts are known and differ, a shared
block counts as template evidence only once it is seen on
``cross_site_min_sites`` sites (a passage two sites share is more likely
quoted or syndicated than a template). Documents without a URL could be from
any site, so they count as the same site.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from .arrays import run_starts, segment_arange, unique_inverse
from .config import BoilerplateConfig
from .copy_pairs import PairShards, entry_pairs
from .executor import Exchange, in_memory
from .fixed_point import known_entries, settle
from .actions import ASIDE, BOILERPLATE, KEEP, LEARNED, LINK_TEXT, REASONS, REPEAT
from .ints import index_type
from .progress import Progress, as_progress

__all__ = ["Decision", "decide", "same_documents", "KEEP", "BOILERPLATE", "REPEAT", "LEARNED", "LINK_TEXT", "ASIDE",
           "REASONS"]

@dataclass
class Decision:
    """What happens to each block.

    Attributes
    ----------
    action : ndarray of int8, shape (n_blocks,)
        ``KEEP``, ``BOILERPLATE`` or ``REPEAT``.
    copies : ndarray of int64, shape (n_pairs, 2)
        Document pairs ``(d, e)``, ``d < e``, judged copies of each other.
    shared : ndarray of int64, shape (n_pairs, 2)
        Document pairs that share at least one kept repeated block.
    syndicated : ndarray of bool, shape (n_blocks,)
        Blocks whose text a copy of their document carries too: content
        that nothing downstream may strip.
    """

    action: np.ndarray
    copies: np.ndarray
    shared: np.ndarray
    syndicated: np.ndarray


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a well-spread 64-bit hash of each value."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


# Entries whose fingerprints are mixed at once (a uint64 temporary or
# three per entry: tens of millions at a million pages).
_MIX_BATCH = 1 << 22


def same_documents(ent_cluster: np.ndarray, ent_doc: np.ndarray, n_clusters: int) -> np.ndarray:
    """Class of each cluster: clusters carried by exactly the same documents
    share one, labelled by its smallest cluster.

    Such clusters are judged alike in every round of :func:`decide` (same
    document pairs, same hosts, same size), so :func:`decide` judges each
    class once, with its blocks' weights summed: a site template of ten
    lines on every page of the site is one set of page pairs to check, not
    ten. Entries (one per cluster and document) are sorted by cluster, then
    document. Labels are int32 when the clusters fit.
    """
    label_type = index_type(n_clusters)
    if n_clusters == 0:
        return np.zeros(0, dtype=label_type)
    size = np.bincount(ent_cluster, minlength=n_clusters)
    with np.errstate(over="ignore"):
        fingerprint = np.zeros(n_clusters, dtype=np.uint64)
        for a in range(0, len(ent_doc), _MIX_BATCH):
            np.add.at(fingerprint, ent_cluster[a : a + _MIX_BATCH], mix64(ent_doc[a : a + _MIX_BATCH]))
    order = np.lexsort((np.arange(n_clusters, dtype=label_type), fingerprint, size))
    same = (size[order[1:]] == size[order[:-1]]) & (fingerprint[order[1:]] == fingerprint[order[:-1]])
    del fingerprint
    same &= size[order[1:]] > 0
    # Runs of equal (size, fingerprint); the first of a run is its smallest cluster.
    new = np.r_[True, ~same]
    del same
    head = order[np.flatnonzero(new)].astype(label_type)[np.cumsum(new, dtype=label_type) - 1]
    del new
    label = np.empty(n_clusters, dtype=label_type)
    label[order] = head
    del order, head
    # Check document by document; a cluster whose fingerprint only collides stays alone.
    start = np.cumsum(size) - size
    moved = np.flatnonzero(label != np.arange(n_clusters, dtype=label_type))
    if len(moved):
        k = size[moved]
        t = segment_arange(k)
        differs = ent_doc[np.repeat(start[moved], k) + t] != ent_doc[np.repeat(start[label[moved]], k) + t]
        bad = np.unique(np.repeat(moved, k)[differs])
        label[bad] = bad
    return label


def decide(
    doc: np.ndarray,
    cluster: np.ndarray,
    weight: np.ndarray,
    repeat: np.ndarray,
    host: np.ndarray,
    n_docs: int,
    config: BoilerplateConfig,
    loose: Optional[Callable[[np.ndarray, np.ndarray], np.ndarray]] = None,
    exchange: Exchange = in_memory,
    progress: Optional[Progress] = None,
    *,
    prose: Optional[np.ndarray] = None,
    known: Optional[np.ndarray] = None,
) -> Decision:
    """Decide the fate of every block.

    Parameters
    ----------
    doc : ndarray of int64, shape (n_blocks,)
        Document index of each block.
    cluster : ndarray of int64, shape (n_blocks,)
        Repeated-block cluster of each block (identical or near-identical
        blocks share a cluster).
    weight : ndarray of float64, shape (n_blocks,)
        Size of each block, for "how much text do two documents share".
    repeat : ndarray of bool, shape (n_blocks,)
        Whether the block repeats an earlier block of its own document.
    host : ndarray of int64, shape (n_docs,)
        Host id of each document, -1 when unknown.
    n_docs : int
    config : BoilerplateConfig
    loose : callable, optional
        ``loose(d, e)`` for arrays of documents: how much of each ``d``'s
        unrepeated text (blocks in no cross-document cluster, weighted like
        ``weight``) is found in ``e`` all the same, edited or re-wrapped.
        It counts towards ``d`` being a copy of ``e``: a lightly edited
        copy shares few blocks exactly but most of its words. One with
        ``passes()`` and ``rows`` (:class:`dedupe.copy_evidence.CopyEvidence`)
        is asked pass by pass, for the pairs of one slice of ``rows``
        documents at a time, so the pairs need not be held at once.
    exchange : dedupe.executor.Exchange, optional
        Makes the shards the pairs are kept in (a run's spill to its work
        folder on a large corpus).
    progress : dedupe.progress.Progress or callable, optional
        Told of the long steps, as sub-stages of "boilerplate" ("boilerplate
        · pairs", "· document pairs", "· copy evidence", "· round N",
        "· verdicts"), with counts; silent by default.
    prose : ndarray of bool, shape (n_blocks,), optional
        Whether each block is a prose line: two documents that both have
        one are copies only if they share one (or the copy evidence finds
        their text in each other). Without it, any shared text counts.

    Returns
    -------
    Decision
    """
    # Each phase is a function: what it makes and drops dies when it
    # returns, so the large per-block and per-pair temporaries of one phase
    # are gone before the next allocates its own.
    progress = as_progress(progress)
    live = ~repeat if config.strip_repeats else np.ones(len(doc), dtype=bool)
    # Every block of a cluster that holds a known template (its own class).
    in_known = np.isin(cluster, np.unique(cluster[known])) if known is not None and known.any() else None
    entries = _entries(doc, cluster, weight, live, n_docs, prose, in_known)
    with PairShards(entries.doc, n_docs, entries.index, exchange) as pairs:
        _add_pairs(pairs, entries, host, config, progress)
        pairs.build(host, loose, progress)
        template, is_copy = settle(pairs, entries, config, progress, known_entries(entries, live, in_known))
        copies, shared, with_copy = _verdicts(pairs, entries, template, is_copy, progress)
    return _decision(entries, template, with_copy, copies, shared, live, repeat, config)


# --- 1. entries -------------------------------------------------------------------------


@dataclass
class Entries:
    """What :func:`decide` judges: one entry per (cluster class, document)
    that live blocks are in, sorted by class, then document.

    A class is a cluster, numbered 0.., or the clusters carried by exactly
    the same documents (:func:`same_documents`). Ids are int32 where they
    fit: at a million pages there are tens of millions of entries.

    Attributes
    ----------
    cluster, doc : ndarray of int32 (int64 when they do not fit), shape (n_entries,)
        Class and document of each entry.
    weight : ndarray of float64, shape (n_entries,)
        The summed weight of the entry's blocks.
    size : ndarray of int32 (int64 ...), shape (n_clusters,)
        Documents that carry each class (its entries).
    n_docs : int
    of_live : ndarray of int32 (int64 ...), shape (n_live,)
        The entry of each live block.
    of_rest : ndarray of int32 (int64 ...), shape (n_blocks - n_live,)
        The entry of each other block (a repeat, when repeats are stripped)
        in its document, -1 when its class has no live block there.
    prose : ndarray of bool, shape (n_entries,), or None
        Whether any of the entry's blocks is a prose line (None: not known).
    doc_prose : ndarray of bool, shape (n_docs,), or None
        Whether the document has a prose line.
    """

    cluster: np.ndarray
    doc: np.ndarray
    weight: np.ndarray
    size: np.ndarray
    n_docs: int
    of_live: np.ndarray
    of_rest: np.ndarray
    prose: Optional[np.ndarray] = None
    doc_prose: Optional[np.ndarray] = None

    @property
    def n_clusters(self) -> int:
        return len(self.size)

    @property
    def index(self) -> type:
        """The integer type that numbers entries."""
        return index_type(len(self.doc))


def _entries(
    doc: np.ndarray, cluster: np.ndarray, weight: np.ndarray, live: np.ndarray, n_docs: int,
    prose: Optional[np.ndarray] = None, in_known: Optional[np.ndarray] = None,
) -> Entries:
    """The entries of the live blocks, weighted by the blocks' sizes
    (``in_known``: blocks of known templates' clusters, classes apart)."""
    ent_cluster, ent_doc, of_live, of_rest, n_clusters = _block_entries(doc, cluster, live, n_docs, in_known)
    if prose is not None:
        ent_prose = np.bincount(of_live, weights=prose[live], minlength=len(ent_doc)) > 0
        doc_prose = np.bincount(doc, weights=prose, minlength=n_docs) > 0
    else:
        ent_prose = doc_prose = None
    return Entries(
        cluster=ent_cluster,
        doc=ent_doc,
        weight=np.bincount(of_live, weights=weight[live], minlength=len(ent_doc)),
        size=np.bincount(ent_cluster, minlength=n_clusters).astype(index_type(n_docs)),
        n_docs=n_docs,
        of_live=of_live,
        of_rest=of_rest,
        prose=ent_prose,
        doc_prose=doc_prose,
    )


def _block_entries(
    doc: np.ndarray, cluster: np.ndarray, live: np.ndarray, n_docs: int, in_known: Optional[np.ndarray] = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """The distinct entries of the live blocks as their classes and
    documents, the entry of each live block and of each other block (-1:
    none), and the number of clusters. Returns no int64 per entry or per
    block: the entries' weights are summed once these are gone."""
    block_class, n_clusters = _block_classes(doc, cluster, live, n_docs, in_known)
    keys, of_live = unique_inverse(block_class[live].astype(np.int64) * n_docs + doc[live])
    of_rest = _lookup(keys, block_class[~live].astype(np.int64) * n_docs + doc[~live])
    ent_cluster = (keys // n_docs).astype(index_type(n_clusters))
    ent_doc = (keys % n_docs).astype(index_type(n_docs))
    return ent_cluster, ent_doc, of_live, of_rest, n_clusters


def _block_classes(
    doc: np.ndarray, cluster: np.ndarray, live: np.ndarray, n_docs: int, in_known: Optional[np.ndarray] = None
) -> tuple[np.ndarray, int]:
    """Each block's class (its cluster's :func:`same_documents` label),
    and the number of clusters. Known templates' clusters (``in_known``)
    never share a class with others: a passage two copies share is not
    forced out with the footer they both carry."""
    cluster, n_clusters = _renumbered(cluster)
    group = same_documents(*_distinct_entries(doc, cluster, live, n_docs, n_clusters), n_clusters)
    if in_known is not None:
        is_known = np.zeros(n_clusters, dtype=bool)
        is_known[cluster[in_known]] = True
        _, inverse = np.unique(group.astype(np.int64) * 2 + is_known, return_inverse=True)
        smallest = np.full(int(inverse.max()) + 1 if len(inverse) else 0, n_clusters, dtype=np.int64)
        np.minimum.at(smallest, inverse, np.arange(n_clusters, dtype=np.int64))
        group = smallest[inverse].astype(group.dtype)
    return group[cluster], n_clusters


def _renumbered(cluster: np.ndarray) -> tuple[np.ndarray, int]:
    """Clusters numbered 0.. in their order, and how many there are.

    Labels may be any ids (the pipeline's are block indices); numbered, the
    arrays per cluster are as long as there are clusters, not as the
    largest label. Int32 where they fit (an int32 per block, not an int64).
    """
    if len(cluster) == 0:
        return cluster, 0
    present = np.zeros(int(cluster.max()) + 1, dtype=bool)
    present[cluster] = True
    ids = np.cumsum(present, dtype=index_type(len(present))) - 1
    cluster = ids.astype(index_type(ids))[cluster]
    return cluster, int(cluster.max()) + 1


def _distinct_entries(
    doc: np.ndarray, cluster: np.ndarray, live: np.ndarray, n_docs: int, n_clusters: int
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (cluster, document) pairs of the live blocks, sorted, as
    two arrays: what np.unique does, but sorting the int64 keys in place
    (its copies of them were decide's peak)."""
    key = cluster[live].astype(np.int64) * n_docs + doc[live]
    key.sort()
    key = key[run_starts(key)]
    return (key // n_docs).astype(index_type(n_clusters)), (key % n_docs).astype(index_type(n_docs))


def _lookup(ranked: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The index of each of ``keys`` in the sorted distinct ``ranked``, -1
    where it is missing (int32 where the indices fit)."""
    found = np.full(len(keys), -1, dtype=index_type(len(ranked)))
    if len(ranked) and len(keys):
        pos = np.searchsorted(ranked, keys)
        hit = (pos < len(ranked)) & (ranked[np.minimum(pos, len(ranked) - 1)] == keys)
        found[hit] = pos[hit]
    return found


# --- 2. pairs ---------------------------------------------------------------------------


def _add_pairs(
    pairs: PairShards, entries: Entries, host: np.ndarray, config: BoilerplateConfig, progress: Progress
) -> None:
    """Every pair of entries of a class small enough to be checked pair by
    pair (``copy_check_limit``) to ``pairs``, ``x`` the entry of the pair's
    lower document, ``y`` the other's, each with whether it is evidence
    against copying (the module's site evidence)."""
    checked = (entries.size >= 2) & (entries.size <= config.copy_check_limit)
    small = np.flatnonzero(checked[entries.cluster])  # entries are sorted by class, then document
    n_pairs = _pairs_in(entries.size[checked])
    n_sites = _sites(entries, host)
    ent_host = host.astype(np.int32)[entries.doc] if len(entries.doc) else np.zeros(0, np.int32)
    with progress.stage("boilerplate · pairs", n_pairs, "pairs") as task:
        for x, y in entry_pairs(small, entries.cluster[small], entries.index):
            hx, hy = ent_host[x], ent_host[y]
            evidence = (hx < 0) | (hy < 0) | (hx == hy) | (n_sites[entries.cluster[x]] >= config.cross_site_min_sites)
            pairs.add(x, y, evidence)
            task.advance(len(x))


def _pairs_in(sizes: np.ndarray) -> int:
    """How many pairs of entries classes of these sizes make."""
    sizes = sizes.astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def _sites(entries: Entries, host: np.ndarray) -> np.ndarray:
    """Distinct known hosts of each class."""
    known = host[entries.doc] >= 0
    span = int(host.max()) + 1 if len(host) else 1
    hosts = np.unique(entries.cluster[known].astype(np.int64) * span + host[entries.doc[known]])
    return np.bincount(hosts // span, minlength=entries.n_clusters).astype(index_type(entries.n_docs))


# --- 4. verdicts and 5. back to blocks -------------------------------------------------


def _verdicts(
    pairs: PairShards, entries: Entries, template: np.ndarray, is_copy: list[np.ndarray], progress: Progress
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Document pairs judged copies; pairs whose documents share kept text
    (a pair of entries both kept), each a list of (n, 2) arrays, one per
    shard; and the entries shared with a copy of their document."""
    copies, shared = [np.zeros((0, 2), np.int64)], [np.zeros((0, 2), np.int64)]
    with_copy = np.zeros(len(entries.doc), dtype=bool)
    with progress.stage("boilerplate · verdicts", pairs.n, "shards") as task:
        for k, (e, p) in enumerate(pairs):
            x, y, pair_of = e["x"], e["y"], e["pair_of"]
            both = ~template[x] & ~template[y]
            sharing = np.unique(pair_of[both])
            copies.append(np.stack([p["lo"], p["hi"]], axis=1)[is_copy[k]])
            shared.append(np.stack([p["lo"][sharing], p["hi"][sharing]], axis=1))
            with_copy[x[both & is_copy[k][pair_of]]] = True
            with_copy[y[both & is_copy[k][pair_of]]] = True
            task.advance()
    return copies, shared, with_copy


def _decision(
    entries: Entries, template: np.ndarray, with_copy: np.ndarray, copies: list[np.ndarray], shared: list[np.ndarray],
    live: np.ndarray, repeat: np.ndarray, config: BoilerplateConfig,
) -> Decision:
    """Back from entries to blocks."""
    action = np.zeros(len(live), dtype=np.int8)
    if config.strip_repeats:
        action[repeat] = REPEAT
    is_template = np.zeros(len(live), dtype=bool)
    is_template[live] = template[entries.of_live]
    # A later repeat of a template line counts as the template.
    rest, found = np.flatnonzero(~live), entries.of_rest >= 0
    is_template[rest[found]] = template[entries.of_rest[found]]
    action[is_template] = BOILERPLATE
    syndicated = np.zeros(len(live), dtype=bool)
    syndicated[live] = with_copy[entries.of_live]
    return Decision(
        action=action,
        copies=np.concatenate(copies).astype(np.int64),
        shared=np.concatenate(shared).astype(np.int64),
        syndicated=syndicated & ~is_template,
    )
