"""The syndication stage: pages that carry the same text, over the cleaned text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np

from .. import cluster, syndication
from ..syndication import Cluster, Pair, Passage, Syndication
from .contract import Stage, Step, Table, Tables

if TYPE_CHECKING:  # the run is the pipeline's: stages only use what it offers
    from ..pipeline import Run

__all__ = ["run_syndication", "to_tables", "from_tables", "STAGE"]

STAGE = Stage(
    "syndication",
    reads=("model",),
    config=("shingle.doc_ngram", "minhash", "syndication"),
    writes=(
        # Clusters in order, each with its members and its pairs (the next
        # rows of those tables); then the partial overlaps' pairs.
        Table("clusters", ("centre", "members", "pairs"), rows="cluster"),
        Table("members", ("document",), rows="member"),
        # Documents (a, b), (Jaccard, containment), and how many passages (the next rows).
        Table("pairs", ("documents", "similarity", "passages"), rows="pair"),
        # Offsets (a start, a end, b start, b end) and words.
        Table("passages", ("offsets", "words"), rows="passage"),
    ),
    steps=(
        Step("signatures", "map", "documents", "each cleaned text's word n-grams signed, cut into LSH band keys"),
        Step("candidates", "reduce", "LSH band key, rare n-gram", "pairs sharing a band or rare n-grams, verified"),
        Step("passages", "map", "page pairs", "the shared passages of each reported pair located"),
    ),
)


def to_tables(synd: Syndication) -> Tables:
    """A syndication result as the stage's tables."""
    pairs = [p for c in synd.clusters for p in c.pairs] + list(synd.overlaps)
    passages = [(*q.a, *q.b) for p in pairs for q in p.passages]
    return {
        "clusters": {
            "centre": np.array([c.centre for c in synd.clusters], dtype=np.int64),
            "members": np.array([len(c.members) for c in synd.clusters], dtype=np.int64),
            "pairs": np.array([len(c.pairs) for c in synd.clusters], dtype=np.int64),
        },
        "members": {"document": np.array([m for c in synd.clusters for m in c.members], dtype=np.int64)},
        "pairs": {
            "documents": np.array([(p.a, p.b) for p in pairs], dtype=np.int64).reshape(-1, 2),
            "similarity": np.array([(p.jaccard, p.containment) for p in pairs], dtype=np.float64).reshape(-1, 2),
            "passages": np.array([len(p.passages) for p in pairs], dtype=np.int64),
        },
        "passages": {
            "offsets": np.array(passages, dtype=np.int64).reshape(-1, 4),
            "words": np.array([q.words for p in pairs for q in p.passages], dtype=np.int64),
        },
    }


def check(tables: Tables, n_docs: int) -> None:
    """``ValueError`` unless the tables' documents are in range and their counts add up."""
    c, m, p, q = (tables[name] for name in ("clusters", "members", "pairs", "passages"))
    for ids in (c["centre"], m["document"], p["documents"]):
        if ids.size and (ids.min() < 0 or ids.max() >= n_docs):
            raise ValueError("documents out of range")
    if int(p["passages"].sum()) != len(q["words"]) or int(c["members"].sum()) != len(m["document"]):
        raise ValueError("passage or member counts do not add up")
    if int(c["pairs"].sum()) > len(p["passages"]):
        raise ValueError("more cluster pairs than pairs")


def from_tables(tables: Tables, n_docs: int) -> Syndication:
    """The syndication result the tables hold; ``ValueError`` when they do not add up."""
    check(tables, n_docs)
    c, m, p, q = (tables[name] for name in ("clusters", "members", "pairs", "passages"))
    offsets, words = q["offsets"].tolist(), q["words"].tolist()
    pairs, k = [], 0
    for (a, b), (j, cc), n in zip(p["documents"].tolist(), p["similarity"].tolist(), p["passages"].tolist()):
        found = [Passage(a=(o[0], o[1]), b=(o[2], o[3]), words=w) for o, w in zip(offsets[k : k + n], words[k : k + n])]
        pairs.append(Pair(a, b, j, cc, found))
        k += n
    members = m["document"].tolist()
    clusters, at_m, at_p = [], 0, 0
    for centre, n_members, n_pairs in zip(c["centre"].tolist(), c["members"].tolist(), c["pairs"].tolist()):
        clusters.append(Cluster(centre=centre, members=members[at_m : at_m + n_members], pairs=pairs[at_p : at_p + n_pairs]))
        at_m, at_p = at_m + n_members, at_p + n_pairs
    return Syndication(clusters=clusters, overlaps=pairs[at_p:])


def run_syndication(run: "Run", texts, spans, shared, ids: Optional[Sequence[str]] = None) -> Syndication:
    """Syndication clusters and partial overlaps of the kept text
    (:func:`dedupe.syndication.find`), choices among equals by ``ids``
    (:func:`dedupe.cluster.id_ranks`; by index without them): the same for
    any order of the input."""
    config = run.config
    rank = None if ids is None else cluster.id_ranks(ids)

    def compute() -> Tables:
        with run.progress.stage("syndication"):
            return to_tables(
                syndication.find(
                    texts, spans, shared, config.shingle, config.minhash, config.syndication, run.workers,
                    run.exchange, run.progress, rank,
                )
            )

    inputs = {"texts": texts, "spans": spans, "shared": shared, "rank": rank}
    return from_tables(run.execute(STAGE, compute, check=lambda t: check(t, len(texts)), inputs=inputs), len(texts))
