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

from .arrays import run_starts, segment_arange, unique_inverse
from .config import BoilerplateConfig
from .copy_pairs import PairShards, entry_pairs
from .executor import Exchange, in_memory
from .ints import index_type
from .progress import Progress, as_progress
from .verify import row_products

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

    Returns
    -------
    Decision
    """
    progress = as_progress(progress)
    n_blocks = len(doc)
    action = np.zeros(n_blocks, dtype=np.int8)
    if config.strip_repeats:
        action[repeat] = REPEAT
    live = ~repeat if config.strip_repeats else np.ones(n_blocks, dtype=bool)

    # Clusters numbered 0.. in their order: labels may be any ids (the
    # pipeline's are block indices), and arrays per cluster are then as
    # long as there are clusters, not as the largest label.
    # Per-block and per-entry ids are int32 where they fit: at a million
    # pages there are tens of millions of each (keys are made in int64).
    if n_blocks:
        present = np.zeros(int(cluster.max()) + 1, dtype=bool)
        present[cluster] = True
        ids = np.cumsum(present, dtype=index_type(len(present))) - 1
        cluster = ids.astype(index_type(ids))[cluster]
        del present, ids
    # Entries: one per (cluster, document), weighted by the block sizes.
    n_clusters = int(cluster.max()) + 1 if n_blocks else 0
    # (What np.unique does, sorting in place and with int32 entry numbers:
    # its int64 copies of the keys were decide's peak.)
    key = cluster[live].astype(np.int64) * n_docs + doc[live]
    key.sort()
    ukey = key[run_starts(key)]
    del key
    # Clusters on the same documents are judged as one (see same_documents).
    group = same_documents(
        (ukey // n_docs).astype(index_type(n_clusters)), (ukey % n_docs).astype(index_type(n_docs)), n_clusters
    )
    del ukey
    cluster = group[cluster]
    del group
    # Each live block's entry, held to the end.
    ukey, inverse = unique_inverse(cluster[live].astype(np.int64) * n_docs + doc[live])
    # Past here only the repeats' clusters are asked for (an int32 per block less).
    rep_cluster, rep_doc = cluster[repeat], doc[repeat]
    del cluster
    ent_cluster = (ukey // n_docs).astype(index_type(n_clusters))
    ent_doc = (ukey % n_docs).astype(index_type(n_docs))
    n_entries = len(ukey)
    del ukey  # int64 per entry; made again from ent_cluster and ent_doc where needed
    ent_weight = np.bincount(inverse, weights=weight[live], minlength=n_entries)
    total = np.bincount(ent_doc, weights=ent_weight, minlength=n_docs)

    size = np.bincount(ent_cluster, minlength=n_clusters).astype(index_type(n_docs))
    repeated = size[ent_cluster] >= 2
    big = size[ent_cluster] > config.copy_check_limit

    # Distinct known hosts per cluster.
    known = host[ent_doc] >= 0
    hk = np.unique(ent_cluster[known].astype(np.int64) * (int(host.max()) + 1 if len(host) else 1) + host[ent_doc[known]])
    n_hosts = np.bincount(hk // (int(host.max()) + 1 if len(host) else 1), minlength=n_clusters).astype(index_type(n_docs))

    eligible = repeated & (size[ent_cluster] >= config.min_documents)
    forced = big & eligible
    template = forced.copy()
    small = np.flatnonzero(repeated & ~big)  # entries are sorted by cluster, then document
    del known, repeated, big
    checked = size[(size >= 2) & (size <= config.copy_check_limit)].astype(np.int64)
    n_entry_pairs = int((checked * (checked - 1) // 2).sum())
    del checked
    index = index_type(n_entries)
    with PairShards(ent_doc, n_docs, index, exchange) as pairs:
        # Pairs of entries in the same (repeated, not big) cluster, each once:
        # ``x`` the entry of the pair's lower document, ``y`` the other's.
        ent_host = host.astype(np.int32)[ent_doc] if len(ent_doc) else np.zeros(0, np.int32)
        with progress.stage("boilerplate · pairs", n_entry_pairs, "pairs") as task:
            for x, y in entry_pairs(small, ent_cluster[small], index):
                hx, hy = ent_host[x], ent_host[y]
                evidence = (hx < 0) | (hy < 0) | (hx == hy) | (n_hosts[ent_cluster[x]] >= config.cross_site_min_sites)
                pairs.add(x, y, evidence)
                task.advance(len(x))
        del ent_host, small
        pairs.build(host, loose, progress)
        votes = np.zeros(n_clusters, dtype=np.int64)  # non-copy pairs per cluster
        bad = [np.zeros(0, dtype=bool)] * pairs.n  # per shard: entry pairs that are evidence against copying
        is_copy = [np.zeros(0, dtype=bool)] * pairs.n  # per shard: document pairs judged copies
        for round_ in range(_MAX_ROUNDS):
            task = progress.start_task(f"boilerplate · round {round_ + 1}", 2 * pairs.n, "shards")
            kept = total - np.bincount(ent_doc, weights=ent_weight * template, minlength=n_docs)
            src, dst = [], []
            for k, (e, p) in enumerate(pairs):
                x, y, pair_of, lo, hi = e["x"], e["y"], e["pair_of"], p["lo"], p["hi"]
                if len(bad[k]) == 0:
                    bad[k] = np.zeros(len(x), dtype=bool)
                # When judging the pair (d, e), a block that is a template only
                # because d and e are not copies is put back: otherwise a passage two
                # copies share, once flagged, could never make them copies again.
                because_of_pair = template[x] & ~forced[x] & (votes[ent_cluster[x]] - bad[k] == 0)
                counted = ~template[x] | because_of_pair
                num_lo = np.bincount(pair_of, weights=ent_weight[x] * counted, minlength=len(lo)) + p["loose_lo"]
                num_hi = np.bincount(pair_of, weights=ent_weight[y] * counted, minlength=len(lo)) + p["loose_hi"]
                res_lo = np.bincount(pair_of, weights=ent_weight[x] * because_of_pair, minlength=len(lo))
                res_hi = np.bincount(pair_of, weights=ent_weight[y] * because_of_pair, minlength=len(lo))
                del counted, because_of_pair
                # Directed: the share of lo's prose found in hi, and of hi's in lo.
                bar = np.where(p["same_host"], config.same_site_copy_containment, config.copy_containment)
                in_hi = num_lo / np.maximum(kept[lo] + res_lo, 1e-9) >= bar
                in_lo = num_hi / np.maximum(kept[hi] + res_hi, 1e-9) >= bar
                is_copy[k] = (in_hi | in_lo) & (num_lo + num_hi > 0)
                # Copies of one article are one group even when two copies, cut
                # differently, share little with each other: both lie in the original.
                src += [lo[in_hi & is_copy[k]], hi[in_lo & is_copy[k]]]
                dst += [hi[in_hi & is_copy[k]], lo[in_lo & is_copy[k]]]
                task.advance()
            src, dst = np.concatenate(src or [np.zeros(0, np.int64)]), np.concatenate(dst or [np.zeros(0, np.int64)])
            inside = sparse.csr_matrix((np.ones(len(src)), (src, dst)), shape=(n_docs, n_docs))
            votes = np.zeros(n_clusters, dtype=np.int64)
            for k, (e, p) in enumerate(pairs):
                # Whether lo and hi lie in one document, for these pairs only:
                # inside @ inside.T has a row per pair of copies, the square
                # of a large group of copies.
                both_inside = row_products(inside, inside, p["lo"], p["hi"]) > 0
                bad[k] = ~(is_copy[k] | both_inside)[e["pair_of"]] & e["evidence"]
                votes += np.bincount(ent_cluster[e["x"][bad[k]]], minlength=n_clusters)
                task.advance()
            progress.end(task.stage)
            # A template: carried by documents that are not all copies of each other.
            new = forced | (eligible & (votes[ent_cluster] > 0))
            if np.array_equal(new, template):
                break
            template = new
        # Document pairs judged copies; pairs whose documents share kept text
        # (a pair of entries both kept); entries shared with a copy of their
        # document. Shards hold ranges of the sorted document pairs.
        copies, shared = [np.zeros((0, 2), np.int64)], [np.zeros((0, 2), np.int64)]
        with_copy = np.zeros(n_entries, dtype=bool)
        task = progress.start_task("boilerplate · verdicts", pairs.n, "shards")
        for k, (e, p) in enumerate(pairs):
            x, y, pair_of = e["x"], e["y"], e["pair_of"]
            both = ~template[x] & ~template[y]
            sharing = np.unique(pair_of[both])
            copies.append(np.stack([p["lo"], p["hi"]], axis=1)[is_copy[k]])
            shared.append(np.stack([p["lo"][sharing], p["hi"][sharing]], axis=1))
            with_copy[x[both & is_copy[k][pair_of]]] = True
            with_copy[y[both & is_copy[k][pair_of]]] = True
            task.advance()
        progress.end(task.stage)
    # Back from entries to blocks.
    is_template = np.zeros(n_blocks, dtype=bool)
    is_template[live] = template[inverse]
    if config.strip_repeats:
        # A later repeat of a template line counts as the template.
        rep_key = rep_cluster.astype(np.int64) * n_docs + rep_doc
        ukey = ent_cluster.astype(np.int64) * n_docs + ent_doc
        pos = np.searchsorted(ukey, rep_key)
        hit = (pos < n_entries) & (ukey[np.minimum(pos, n_entries - 1)] == rep_key)
        rep_idx = np.flatnonzero(repeat)
        is_template[rep_idx[hit]] = template[pos[hit]]
    action[is_template] = BOILERPLATE
    copies = np.concatenate(copies).astype(np.int64)
    shared = np.concatenate(shared).astype(np.int64)
    syndicated = np.zeros(n_blocks, dtype=bool)
    syndicated[live] = with_copy[inverse]
    return Decision(
        action=action, copies=copies.astype(np.int64), shared=shared.astype(np.int64), syndicated=syndicated & ~is_template
    )
