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

from scipy import sparse

from .config import BoilerplateConfig
from .ngrams import group_pairs

__all__ = ["Decision", "decide", "same_documents", "KEEP", "BOILERPLATE", "REPEAT", "LEARNED", "REASONS"]

KEEP, BOILERPLATE, REPEAT, LEARNED = 0, 1, 2, 3
#: Removal reasons by code, as reports name them: a cross-page template, a
#: repeat inside the page, or a block the learned model scores as boilerplate.
REASONS = {BOILERPLATE: "boilerplate", REPEAT: "repeated_in_document", LEARNED: "learned_boilerplate"}

# Fixed-point iterations; in practice it settles in 2-4.
_MAX_ROUNDS = 10


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


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a well-spread 64-bit hash of each value."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def same_documents(ent_cluster: np.ndarray, ent_doc: np.ndarray, n_clusters: int) -> np.ndarray:
    """Class of each cluster: clusters carried by exactly the same documents
    share one, labelled by its smallest cluster.

    Such clusters are judged alike in every round of :func:`decide` (same
    document pairs, same hosts, same size), so :func:`decide` judges each
    class once, with its blocks' weights summed: a site template of ten
    lines on every page of the site is one set of page pairs to check, not
    ten. Entries (one per cluster and document) are sorted by cluster, then
    document.
    """
    if n_clusters == 0:
        return np.zeros(0, dtype=np.int64)
    size = np.bincount(ent_cluster, minlength=n_clusters)
    with np.errstate(over="ignore"):
        fingerprint = np.zeros(n_clusters, dtype=np.uint64)
        np.add.at(fingerprint, ent_cluster, _mix64(ent_doc))
    order = np.lexsort((np.arange(n_clusters), fingerprint, size))
    same = (size[order[1:]] == size[order[:-1]]) & (fingerprint[order[1:]] == fingerprint[order[:-1]])
    same &= size[order[1:]] > 0
    # Runs of equal (size, fingerprint); the first of a run is its smallest cluster.
    run = np.cumsum(np.r_[True, ~same]) - 1
    head = order[np.flatnonzero(np.r_[True, ~same])][run]
    label = np.empty(n_clusters, dtype=np.int64)
    label[order] = head
    # Check document by document; a cluster whose fingerprint only collides stays alone.
    start = np.cumsum(size) - size
    moved = np.flatnonzero(label != np.arange(n_clusters))
    if len(moved):
        k = size[moved]
        t = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
        differs = ent_doc[np.repeat(start[moved], k) + t] != ent_doc[np.repeat(start[label[moved]], k) + t]
        bad = np.unique(np.repeat(moved, k)[differs])
        label[bad] = bad
    return label


def _document_pairs(
    ent_doc: np.ndarray, x: np.ndarray, y: np.ndarray, n_docs: int, index
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct document pairs ``(lo, hi)`` of the entry pairs ``(x,
    y)``, sorted, as ``lo`` and ``hi`` (int32 when documents fit), and each
    entry pair's (``index`` dtype): ``np.unique(..., return_inverse=True)``
    freeing what it no longer needs as it goes (there are tens of millions)."""
    docs = np.int32 if n_docs < 2**31 else np.int64
    if len(x) == 0:
        return np.zeros(0, docs), np.zeros(0, docs), np.zeros(0, index)
    pair_key = ent_doc[x] * n_docs + ent_doc[y]
    perm = np.argsort(pair_key)
    pair_key = pair_key[perm]
    new = np.empty(len(pair_key), dtype=bool)
    new[0] = True
    np.not_equal(pair_key[1:], pair_key[:-1], out=new[1:])
    upair = pair_key[new]
    del pair_key
    pair_of = np.empty(len(perm), dtype=index)
    pair_of[perm] = np.cumsum(new, dtype=index) - 1
    del perm, new
    return (upair // n_docs).astype(docs), (upair % n_docs).astype(docs), pair_of


def decide(
    doc: np.ndarray,
    cluster: np.ndarray,
    weight: np.ndarray,
    repeat: np.ndarray,
    host: np.ndarray,
    n_docs: int,
    config: BoilerplateConfig,
    loose: Optional[Callable[[np.ndarray, np.ndarray], np.ndarray]] = None,
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
        copy shares few blocks exactly but most of its words.

    Returns
    -------
    Decision
    """
    n_blocks = len(doc)
    action = np.zeros(n_blocks, dtype=np.int8)
    if config.strip_repeats:
        action[repeat] = REPEAT
    live = ~repeat if config.strip_repeats else np.ones(n_blocks, dtype=bool)

    # Entries: one per (cluster, document), weighted by the block sizes.
    n_clusters = int(cluster.max()) + 1 if n_blocks else 0
    key = cluster[live] * n_docs + doc[live]
    ukey = np.unique(key)
    # Clusters on the same documents are judged as one (see same_documents).
    cluster = same_documents(ukey // n_docs, ukey % n_docs, n_clusters)[cluster]
    key = cluster[live] * n_docs + doc[live]
    ukey, inverse = np.unique(key, return_inverse=True)
    ent_cluster, ent_doc = ukey // n_docs, ukey % n_docs
    ent_weight = np.bincount(inverse.ravel(), weights=weight[live], minlength=len(ukey))
    total = np.bincount(ent_doc, weights=ent_weight, minlength=n_docs)

    size = np.bincount(ent_cluster, minlength=n_clusters)
    repeated = size[ent_cluster] >= 2
    big = size[ent_cluster] > config.copy_check_limit

    # Distinct known hosts per cluster.
    known = host[ent_doc] >= 0
    hk = np.unique(ent_cluster[known] * (int(host.max()) + 1 if len(host) else 1) + host[ent_doc[known]])
    n_hosts = np.bincount(hk // (int(host.max()) + 1 if len(host) else 1), minlength=n_clusters)

    # Pairs of entries in the same (repeated, not big) cluster, each once:
    # ``x`` the entry of the pair's lower document, ``y`` the other's.
    small = np.flatnonzero(repeated & ~big)  # entries are sorted by cluster, then document
    sc = ent_cluster[small]
    starts = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]]) if len(sc) else np.zeros(0, np.int64)
    xi, yi = group_pairs(np.diff(np.r_[starts, len(sc)]))
    index = np.int32 if len(ukey) < 2**31 else np.int64
    x, y = small[xi].astype(index), small[yi].astype(index)
    del xi, yi, small, sc
    ent_host = host.astype(np.int32)[ent_doc] if len(ent_doc) else np.zeros(0, np.int32)
    hx, hy = ent_host[x], ent_host[y]
    del ent_host
    evidence = (hx < 0) | (hy < 0) | (hx == hy) | (n_hosts[ent_cluster[x]] >= config.cross_site_min_sites)
    del hx, hy
    # The document pairs (lo < hi), sorted, and each entry pair's among them.
    lo, hi, pair_of = _document_pairs(ent_doc, x, y, n_docs, index)
    eligible = repeated & (size[ent_cluster] >= config.min_documents)
    forced = big & eligible
    template = forced.copy()
    votes = np.zeros(n_clusters, dtype=np.int64)  # non-copy pairs per cluster
    bad = np.zeros(len(x), dtype=bool)
    same_host = (host[lo] >= 0) & (host[lo] == host[hi])
    is_copy = np.zeros(len(lo), dtype=bool)
    # Both directions in one call (the evidence is worked out a shard at a time).
    both_ways = loose(np.r_[lo, hi], np.r_[hi, lo]) if loose is not None and len(lo) else np.zeros(2 * len(lo))
    loose_lo, loose_hi = both_ways[: len(lo)], both_ways[len(lo) :]
    del both_ways
    for _ in range(_MAX_ROUNDS):
        kept = total - np.bincount(ent_doc, weights=ent_weight * template, minlength=n_docs)
        # When judging the pair (d, e), a block that is a template only
        # because d and e are not copies is put back: otherwise a passage two
        # copies share, once flagged, could never make them copies again.
        pair_cluster = ent_cluster[x]
        because_of_pair = template[x] & ~forced[x] & (votes[pair_cluster] - bad == 0)
        counted = ~template[x] | because_of_pair
        del pair_cluster
        num_lo = np.bincount(pair_of, weights=ent_weight[x] * counted, minlength=len(lo)) + loose_lo
        num_hi = np.bincount(pair_of, weights=ent_weight[y] * counted, minlength=len(lo)) + loose_hi
        res_lo = np.bincount(pair_of, weights=ent_weight[x] * because_of_pair, minlength=len(lo))
        res_hi = np.bincount(pair_of, weights=ent_weight[y] * because_of_pair, minlength=len(lo))
        del counted, because_of_pair
        # Directed: the share of lo's prose found in hi, and of hi's in lo.
        bar = np.where(same_host, config.same_site_copy_containment, config.copy_containment)
        in_hi = num_lo / np.maximum(kept[lo] + res_lo, 1e-9) >= bar
        in_lo = num_hi / np.maximum(kept[hi] + res_hi, 1e-9) >= bar
        is_copy = (in_hi | in_lo) & (num_lo + num_hi > 0)
        del num_lo, num_hi, res_lo, res_hi, bar
        # Copies of one article are one group even when two copies, cut
        # differently, share little with each other: both lie in the original.
        src = np.r_[lo[in_hi & is_copy], hi[in_lo & is_copy]]
        dst = np.r_[hi[in_hi & is_copy], lo[in_lo & is_copy]]
        inside = sparse.csr_matrix((np.ones(len(src)), (src, dst)), shape=(n_docs, n_docs))
        common = (inside @ inside.T).tocsr()
        both_inside = np.asarray(common[lo, hi]).ravel() > 0 if len(lo) else np.zeros(0, dtype=bool)
        bad = ~(is_copy | both_inside)[pair_of] & evidence
        votes = np.bincount(ent_cluster[x[bad]], minlength=n_clusters)
        # A template: carried by documents that are not all copies of each other.
        new = forced | (eligible & (votes[ent_cluster] > 0))
        if np.array_equal(new, template):
            break
        template = new

    # Back from entries to blocks.
    ent_of_block = np.full(n_blocks, -1, dtype=np.int64)
    ent_of_block[live] = inverse.ravel()
    is_template = np.zeros(n_blocks, dtype=bool)
    is_template[live] = template[ent_of_block[live]]
    if config.strip_repeats:
        # A later repeat of a template line counts as the template.
        rep_key = cluster[repeat] * n_docs + doc[repeat]
        pos = np.searchsorted(ukey, rep_key)
        hit = (pos < len(ukey)) & (ukey[np.minimum(pos, len(ukey) - 1)] == rep_key)
        rep_idx = np.flatnonzero(repeat)
        is_template[rep_idx[hit]] = template[pos[hit]]
    action[is_template] = BOILERPLATE

    copies = np.stack([lo, hi], axis=1)[is_copy] if len(lo) else np.zeros((0, 2), np.int64)
    # A pair of entries both kept: their documents share kept text (the
    # document pairs are sorted).
    both = ~template[x] & ~template[y]
    sharing = np.unique(pair_of[both])
    shared = np.stack([lo[sharing], hi[sharing]], axis=1) if len(sharing) else np.zeros((0, 2), np.int64)
    # Entries shared with a copy of their document.
    with_copy = np.zeros(len(ukey), dtype=bool)
    with_copy[x[both & is_copy[pair_of]]] = True
    with_copy[y[both & is_copy[pair_of]]] = True
    syndicated = np.zeros(n_blocks, dtype=bool)
    syndicated[live] = with_copy[ent_of_block[live]]
    return Decision(
        action=action, copies=copies.astype(np.int64), shared=shared.astype(np.int64), syndicated=syndicated & ~is_template
    )
