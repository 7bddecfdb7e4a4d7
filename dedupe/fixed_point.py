"""The fixed point of the boilerplate decision (:func:`dedupe.boilerplate.decide`):
templates and copies settled together, round by round.

A round is two passes over the pairs' shards (:class:`dedupe.copy_pairs.PairShards`):
the first judges each document pair (is one a copy of the other, given the
templates so far: :func:`judge_shard`), the second counts each class's
votes against copying (its entry pairs that are evidence and whose
documents are neither copies nor both lie in one document). A class with
a vote is a template; the rounds stop when the templates stop changing.
The sums of a shard are added in one compiled pass over its entry pairs,
in their order (the floats of ``np.bincount``'s, to the bit); the Spark
backend (:mod:`dedupe.backends.spark.decide`) judges its partitions with
:func:`judge_shard` too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np
from numba import njit
from scipy import sparse

from .config import BoilerplateConfig
from .copy_pairs import PairShards
from .progress import Progress, Task
from .verify import row_products

if TYPE_CHECKING:
    from .boilerplate import Entries

__all__ = ["MAX_ROUNDS", "Rounds", "known_entries", "settle", "judge_shard"]

#: Fixed-point iterations at most; in practice it settles in 2-4.
MAX_ROUNDS = 10


@dataclass
class Rounds:
    """The state of the fixed point, updated round by round and, within a
    round, shard by shard of the pairs (a shard's new arrays replace its
    old ones as they are made).

    Attributes
    ----------
    forced : ndarray of bool, shape (n_entries,)
        Entries of classes too large to check pair by pair: templates
        whatever the copies.
    template : ndarray of bool, shape (n_entries,)
        Entries judged templates so far.
    votes : ndarray of int64, shape (n_clusters,)
        Each class's entry pairs that are evidence against copying.
    bad : list of (ndarray of bool or None), one per shard
        Which of the shard's entry pairs those are (None before the first round's vote).
    is_copy : list of (ndarray of bool or None), one per shard
        Which of the shard's document pairs are judged copies.
    """

    forced: np.ndarray
    template: np.ndarray
    votes: np.ndarray
    bad: list
    is_copy: list


def known_entries(entries: Entries, live: np.ndarray, in_known: Optional[np.ndarray]) -> Optional[np.ndarray]:
    """Which entries are of a cluster holding a block known to be a
    template (``in_known``, per block; None: none known)."""
    if in_known is None:
        return None
    return np.bincount(entries.of_live, weights=in_known[live], minlength=len(entries.doc)) > 0


def settle(
    pairs: PairShards, entries: Entries, config: BoilerplateConfig, progress: Progress,
    known: Optional[np.ndarray] = None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Templates and copies settled together (the module's docstring):
    rounds until the templates stop changing. Returns which entries are
    templates, and per shard which document pairs are copies. ``known``
    entries are templates from the start (:func:`decide`)."""
    size = entries.size
    eligible = ((size >= 2) & (size >= config.min_documents))[entries.cluster]
    forced = (size > config.copy_check_limit)[entries.cluster] & eligible
    if known is not None:
        forced = forced | known
    total = np.bincount(entries.doc, weights=entries.weight, minlength=entries.n_docs)
    rounds = Rounds(forced, forced, np.zeros(entries.n_clusters, dtype=np.int64), [None] * pairs.n, [None] * pairs.n)
    for number in range(1, MAX_ROUNDS + 1):
        with progress.stage(f"boilerplate · round {number}", 2 * pairs.n, "shards") as task:
            inside = _judgejudge_shard(pairs, entries, rounds, total, config, task)
            _count_votes(pairs, entries, rounds, inside, task)
        # A template: carried by documents that are not all copies of each other.
        template = forced | (eligible & (rounds.votes[entries.cluster] > 0))
        if np.array_equal(template, rounds.template):
            break
        rounds.template = template
    return rounds.template, rounds.is_copy


def _judgejudge_shard(
    pairs: PairShards, entries: Entries, rounds: Rounds, total: np.ndarray, config: BoilerplateConfig, task: Task
) -> sparse.csr_matrix:
    """Which document pairs are copies, given the templates (into
    ``rounds.is_copy``, shard by shard). Returns the documents each
    document lies in, an (n_docs, n_docs) matrix: copies of one article are
    one group even when two copies, cut differently, share little with
    each other, as both lie in the original."""
    kept = total - np.bincount(entries.doc, weights=entries.weight * rounds.template, minlength=entries.n_docs)
    src, dst = [], []
    for k, (e, p) in enumerate(pairs):
        rounds.is_copy[k], lo_in_hi, hi_in_lo = judge_shard(e, p, rounds.bad[k], entries, rounds, kept, config)
        src += [p["lo"][lo_in_hi], p["hi"][hi_in_lo]]
        dst += [p["hi"][lo_in_hi], p["lo"][hi_in_lo]]
        task.advance()
    src, dst = np.concatenate(src or [np.zeros(0, np.int64)]), np.concatenate(dst or [np.zeros(0, np.int64)])
    return sparse.csr_matrix((np.ones(len(src)), (src, dst)), shape=(entries.n_docs, entries.n_docs))


def judge_shard(
    e: dict, p: dict, own: Optional[np.ndarray], entries: Entries, rounds: Rounds, kept: np.ndarray,
    config: BoilerplateConfig,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which of a shard's document pairs (``p``, with entry pairs ``e``)
    are copies, and of those, the ones whose ``lo`` lies in ``hi`` and
    whose ``hi`` lies in ``lo``. ``own``: the shard's entry pairs that
    voted against copying last round (None before the first vote)."""
    num_lo, num_hi, res_lo, res_hi, prose = _shared_text(e, p, own, entries, rounds)
    lo, hi = p["lo"], p["hi"]
    # Directed: the share of lo's prose found in hi, and of hi's in lo.
    bar = np.where(p["same_host"], config.same_site_copy_containment, config.copy_containment)
    in_hi = num_lo / np.maximum(kept[lo] + res_lo, 1e-9) >= bar
    in_lo = num_hi / np.maximum(kept[hi] + res_hi, 1e-9) >= bar
    is_copy = (in_hi | in_lo) & (num_lo + num_hi > 0)
    if prose is not None:
        # Pages with prose of their own that share only short lines (a
        # sidebar of links) are not copies (the module's docstring).
        loose = (p["loose_lo"] + p["loose_hi"]) > 0
        is_copy &= prose | loose | ~(entries.doc_prose[lo] & entries.doc_prose[hi])
    return is_copy, in_hi & is_copy, in_lo & is_copy


def _shared_text(
    e: dict, p: dict, own: Optional[np.ndarray], entries: Entries, rounds: Rounds
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Optional[np.ndarray]]:
    """For each of a shard's document pairs, the text of ``lo`` and of
    ``hi`` found in the other (with the copy evidence of their unrepeated
    text), and of it, the text a template only because of this pair; and
    whether that shared text holds a prose line (None: not known)."""
    x, y, pair_of, n = e["x"], e["y"], e["pair_of"], len(p["lo"])
    # When judging the pair (d, e), a block that is a template only
    # because d and e are not copies is put back: otherwise a passage two
    # copies share, once flagged, could never make them copies again.
    has_prose = entries.prose is not None
    num_lo, num_hi, res_lo, res_hi, prose = _pair_sums(
        x, y, pair_of, n, rounds.template, rounds.forced, rounds.votes, entries.cluster, entries.weight,
        entries.prose if has_prose else np.zeros(0, bool), has_prose,
        own if own is not None else np.zeros(0, bool), own is not None,
    )
    return num_lo + p["loose_lo"], num_hi + p["loose_hi"], res_lo, res_hi, prose if has_prose else None


@njit(cache=True, nogil=True)
def _pair_sums(
    x, y, pair_of, n, template, forced, votes, cluster, weight, prose, has_prose, own, has_own
):  # pragma: no cover - numba
    """:func:`_shared_text`'s sums in one pass over the entry pairs: per
    document pair, the weight of ``x``'s and of ``y``'s blocks counted
    (not templates, or templates only because of this pair), of those only
    because of it, and whether a counted pair holds a prose line. Each sum
    adds ``weight * counted`` pair by pair in order, from 0: the floats of
    ``np.bincount(pair_of, weights=weight[x] * counted)``."""
    num_lo = np.zeros(n)
    num_hi = np.zeros(n)
    res_lo = np.zeros(n)
    res_hi = np.zeros(n)
    any_prose = np.zeros(n if has_prose else 0, np.bool_)
    for i in range(len(x)):
        a, b, p = x[i], y[i], pair_of[i]
        mine = own[i] if has_own else False
        because = template[a] and not forced[a] and votes[cluster[a]] - mine == 0
        counted = 1.0 if (not template[a]) or because else 0.0
        pair = 1.0 if because else 0.0
        num_lo[p] += weight[a] * counted
        num_hi[p] += weight[b] * counted
        res_lo[p] += weight[a] * pair
        res_hi[p] += weight[b] * pair
        if has_prose and counted > 0 and (prose[a] or prose[b]):
            any_prose[p] = True
    return num_lo, num_hi, res_lo, res_hi, any_prose


def _count_votes(pairs: PairShards, entries: Entries, rounds: Rounds, inside: sparse.csr_matrix, task: Task) -> None:
    """Each class's votes against copying (into ``rounds.votes`` and
    ``rounds.bad``): its entry pairs that are evidence and whose documents
    are neither copies nor both lie in one document."""
    rounds.votes = np.zeros(entries.n_clusters, dtype=np.int64)
    for k, (e, p) in enumerate(pairs):
        # Whether lo and hi lie in one document, for these pairs only:
        # inside @ inside.T has a row per pair of copies, the square of a
        # large group of copies.
        both_inside = row_products(inside, inside, p["lo"], p["hi"]) > 0
        rounds.bad[k] = ~(rounds.is_copy[k] | both_inside)[e["pair_of"]] & e["evidence"]
        _add_votes(rounds.votes, entries.cluster, e["x"], rounds.bad[k])
        task.advance()


@njit(cache=True, nogil=True)
def _add_votes(votes, cluster, x, bad):  # pragma: no cover - numba
    """``votes += np.bincount(cluster[x[bad]], minlength=len(votes))``,
    without a count per class made for each shard."""
    for i in range(len(x)):
        if bad[i]:
            votes[cluster[x[i]]] += 1
