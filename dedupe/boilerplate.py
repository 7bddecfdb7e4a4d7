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

__all__ = ["Decision", "decide", "KEEP", "BOILERPLATE", "REPEAT", "LEARNED", "REASONS"]

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


def _group_pairs(group_start: np.ndarray, group_size: np.ndarray, member_group: np.ndarray, member_rank: np.ndarray):
    """All ordered pairs (i, j), i != j, of members of the same group.

    Members are rows sorted by group; ``member_group[i]`` is row i's group
    and ``member_rank[i]`` its rank inside the group.
    """
    k = group_size[member_group]
    left = np.repeat(np.arange(len(member_group)), k - 1)
    if len(left) == 0:
        return left, left
    first = np.concatenate([[0], np.cumsum(k - 1)[:-1]])
    t = np.arange(len(left)) - np.repeat(first, k - 1)
    right = group_start[member_group[left]] + t + (t >= member_rank[left])
    return left, right


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

    # Ordered pairs of entries in the same (repeated, not big) cluster.
    small = np.flatnonzero(repeated & ~big)  # entries are sorted by cluster already
    sc = ent_cluster[small]
    starts = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]]) if len(sc) else np.zeros(0, np.int64)
    gsize = np.diff(np.r_[starts, len(sc)])
    member_group = np.repeat(np.arange(len(starts)), gsize)
    member_rank = np.arange(len(sc)) - np.repeat(starts, gsize)
    li, ri = _group_pairs(starts, gsize, member_group, member_rank)
    left, right = small[li], small[ri]
    dl, dr = ent_doc[left], ent_doc[right]
    hl, hr = host[dl], host[dr]
    evidence = (hl < 0) | (hr < 0) | (hl == hr) | (n_hosts[ent_cluster[left]] >= config.cross_site_min_sites)
    pair_key = np.minimum(dl, dr) * n_docs + np.maximum(dl, dr)
    upair, pair_of = np.unique(pair_key, return_inverse=True)
    pair_of = pair_of.ravel()
    lower_is_left = dl < dr

    eligible = repeated & (size[ent_cluster] >= config.min_documents)
    forced = big & eligible
    template = forced.copy()
    votes = np.zeros(n_clusters, dtype=np.int64)  # non-copy pairs per cluster (ordered)
    bad = np.zeros(len(left), dtype=bool)
    lo, hi = upair // n_docs, upair % n_docs
    same_host = (host[lo] >= 0) & (host[lo] == host[hi])
    bar = np.where(same_host, config.same_site_copy_containment, config.copy_containment)
    w = ent_weight[left]
    tri_cluster = ent_cluster[left]
    is_copy = np.zeros(len(upair), dtype=bool)
    loose_lo = loose(lo, hi) if loose is not None and len(upair) else np.zeros(len(upair))
    loose_hi = loose(hi, lo) if loose is not None and len(upair) else np.zeros(len(upair))
    for _ in range(_MAX_ROUNDS):
        kept = total - np.bincount(ent_doc, weights=ent_weight * template, minlength=n_docs)
        # When judging the pair (d, e), a block that is a template only
        # because d and e are not copies is put back: otherwise a passage two
        # copies share, once flagged, could never make them copies again.
        because_of_pair = template[left] & ~forced[left] & (votes[tri_cluster] - 2 * bad == 0)
        counted = w * (~template[left] | because_of_pair)
        restored = w * because_of_pair
        num_lo = np.bincount(pair_of, weights=counted * lower_is_left, minlength=len(upair)) + loose_lo
        num_hi = np.bincount(pair_of, weights=counted * ~lower_is_left, minlength=len(upair)) + loose_hi
        res_lo = np.bincount(pair_of, weights=restored * lower_is_left, minlength=len(upair))
        res_hi = np.bincount(pair_of, weights=restored * ~lower_is_left, minlength=len(upair))
        # Directed: the share of lo's prose found in hi, and of hi's in lo.
        in_hi = num_lo / np.maximum(kept[lo] + res_lo, 1e-9) >= bar
        in_lo = num_hi / np.maximum(kept[hi] + res_hi, 1e-9) >= bar
        is_copy = (in_hi | in_lo) & (num_lo + num_hi > 0)
        # Copies of one article are one group even when two copies, cut
        # differently, share little with each other: both lie in the original.
        src = np.r_[lo[in_hi & is_copy], hi[in_lo & is_copy]]
        dst = np.r_[hi[in_hi & is_copy], lo[in_lo & is_copy]]
        inside = sparse.csr_matrix((np.ones(len(src)), (src, dst)), shape=(n_docs, n_docs))
        common = (inside @ inside.T).tocsr()
        both_inside = np.asarray(common[dl, dr]).ravel() > 0 if len(dl) else np.zeros(0, dtype=bool)
        same_story = is_copy[pair_of] | both_inside
        bad = ~same_story & evidence
        votes = np.bincount(tri_cluster[bad], minlength=n_clusters)
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

    copies = np.stack([upair // n_docs, upair % n_docs], axis=1)[is_copy] if len(upair) else np.zeros((0, 2), np.int64)
    active = ~template
    both = active[left] & active[right]
    shared_keys = np.unique(pair_key[both])
    shared = np.stack([shared_keys // n_docs, shared_keys % n_docs], axis=1) if len(shared_keys) else np.zeros((0, 2), np.int64)
    # Entries shared with a copy of their document.
    with_copy = np.zeros(len(ukey), dtype=bool)
    with_copy[left[both & is_copy[pair_of]]] = True
    syndicated = np.zeros(n_blocks, dtype=bool)
    syndicated[live] = with_copy[ent_of_block[live]]
    return Decision(
        action=action, copies=copies.astype(np.int64), shared=shared.astype(np.int64), syndicated=syndicated & ~is_template
    )
