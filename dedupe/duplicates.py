"""Near-duplicates to leave out of the output: one document kept of each set.

A syndication cluster (:mod:`dedupe.syndication`) holds every page whose
cleaned text the cluster's centre mostly contains, or which mostly
contains the centre's (containment): copies, and partial copies such as a
page that carries another's article and as much text of its own. Only the
copies are near-duplicates: a member whose verified Jaccard similarity with
the centre (over the word n-grams of the cleaned texts) is at least
``duplicate_threshold``. Jaccard bounds both directions at once: at ``t``
each page holds at most ``1/t`` times the n-grams the two share, so a page
that adds text of its own past that is never dropped.

The rule: the centre is kept and its near-duplicates are dropped. The
centre is the one document the syndication stage verified against every
member, so each dropped document names the kept one it was verified to
duplicate. When the centre is one of a set of byte copies, it is the first
of them by id (star clustering centres a set of copies on its first, and
breaks ties in degree by id: :func:`dedupe.cluster.id_ranks`), so the
copies with later ids are the ones dropped, whatever the order of the input
(among copies with the same id, the later in input order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import DuplicatesConfig
from .syndication import Syndication

__all__ = ["Duplicates", "find"]


@dataclass(frozen=True)
class Duplicates:
    """The documents dropped as near-duplicates, in input order.

    Attributes
    ----------
    dropped : ndarray of int64, shape (k,)
        Document indices, ascending.
    kept : ndarray of int64, shape (k,)
        The document each one duplicates (its cluster's centre, kept).
    jaccard : ndarray of float64, shape (k,)
        Their verified Jaccard similarity.
    """

    dropped: np.ndarray
    kept: np.ndarray
    jaccard: np.ndarray

    def __len__(self) -> int:
        return len(self.dropped)


def find(syndication: Syndication, config: DuplicatesConfig) -> Duplicates:
    """The near-duplicates ``config`` drops: none unless ``drop_duplicates``.

    Parameters
    ----------
    syndication : Syndication
        The clusters, each member paired with its centre.
    config : DuplicatesConfig

    Returns
    -------
    Duplicates
    """
    rows: list[tuple[int, int, float]] = []
    if config.drop_duplicates:
        for cluster in syndication.clusters:
            for pair in cluster.pairs:
                if pair.jaccard >= config.duplicate_threshold:
                    member = pair.b if pair.a == cluster.centre else pair.a
                    rows.append((member, cluster.centre, pair.jaccard))
    rows.sort()
    return Duplicates(
        dropped=np.array([r[0] for r in rows], dtype=np.int64),
        kept=np.array([r[1] for r in rows], dtype=np.int64),
        jaccard=np.array([r[2] for r in rows], dtype=np.float64),
    )
