"""The boilerplate stage: the repetition rule's verdict on every block
(:func:`dedupe.boilerplate.decide`), weighed with the copy evidence."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterator, Optional, Sequence
from urllib.parse import urlsplit

import numpy as np

from .. import boilerplate, own_content
from .. import store as stores
from ..blocktexts import fetch_from
from ..copy_evidence import CopyEvidence
from ..arrays import run_starts
from ..ints import index_type
from ..io.html import is_link_text, is_outside_main_text, path_hash
from ..document import Document
from ..results import Ragged
from .blocks import Blocks
from .contract import Stage, Step, Table, Tables

if TYPE_CHECKING:  # the run is the pipeline's: stages only use what it offers
    from ..pipeline import Run

__all__ = ["BlockTable", "Evidence", "host_of", "make_table", "run_boilerplate", "STAGE"]

#: Makes the copy evidence ``loose`` that :func:`dedupe.boilerplate.decide`
#: asks: ``evidence(doc_of, labels, weight, n_docs)`` (per-block arrays),
#: an object like :class:`dedupe.copy_evidence.CopyEvidence` (``loose(d,
#: e)``, ``close()``). The local one is a CopyEvidence; another executor
#: passes its own to ``compute``. One with a ``decide`` method (the
#: arguments of :func:`dedupe.boilerplate.decide` but ``loose`` and
#: ``exchange``) makes the decision itself, the same one (Spark's runs the
#: pairs and rounds in its executors).
Evidence = Callable[[np.ndarray, np.ndarray, np.ndarray, int], object]


#: Blocks whose texts :meth:`BlockTable.slug_matches` cuts at a time.
SLUG_BATCH = 1 << 18


def host_of(url: Optional[str]) -> Optional[str]:
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


STAGE = Stage(
    "boilerplate",
    reads=("blocks", "clusters"),
    # The repetition rule's options (the block model's are the model stage's).
    config=(
        "shingle.word_ngram", "boilerplate.min_documents", "boilerplate.copy_containment",
        "boilerplate.same_site_copy_containment", "boilerplate.cross_site_min_sites",
        "boilerplate.copy_check_limit", "boilerplate.strip_repeats",
    ),
    writes=(
        Table("documents", ("host",), rows="document"),
        Table("blocks", ("action", "syndicated"), rows="block"),
        # Document pairs (d, e), d < e: judged copies; sharing a kept repeated block.
        Table("copies", ("pair",), rows="copy", partition="pair"),
        Table("shared", ("pair",), rows="sharing", partition="pair"),
    ),
    steps=(
        Step("n-grams", "map", "blocks", "the word n-grams of every weighted block"),
        Step("n-gram index", "reduce", "n-gram", "each shard's n-grams made distinct per block and counted"),
        Step("pairs", "reduce", "block cluster", "the page pairs each repeated block's cluster makes"),
        Step("document pairs", "reduce", "page pair", "a pair's shared blocks brought together"),
        Step("copy evidence", "reduce", "n-gram", "how much of a page's own prose each paired page carries"),
        Step("round", "reduce", "page pair", "copies judged, then templates counted; rounds until they settle"),
        Step("verdicts", "reduce", "page pair", "each block kept or removed; the pairs that are copies or share text"),
    ),
)


def run_boilerplate(
    run: "Run", documents: Sequence[Document], b: Blocks, labels: np.ndarray
) -> tuple[np.ndarray, boilerplate.Decision]:
    """Each document's host id (-1: unknown) and the repetition rule's decision."""
    n_docs = len(documents)
    config = run.config

    def local_evidence(doc_of, labels, weight, n_docs) -> CopyEvidence:
        return CopyEvidence(
            fetch_from(documents, b.counts, b.blocks), doc_of, labels, weight, n_docs,
            config.shingle.word_ngram, run.workers, run.exchange, run.progress,
        )

    def compute(evidence: Optional[Evidence] = None) -> Tables:
        with run.progress.stage("boilerplate"):
            hosts = [host_of(u) for u in stores.urls(documents)]
            host_ids = {h: i for i, h in enumerate(sorted({h for h in hosts if h}))}
            host = np.array([host_ids.get(h, -1) if h else -1 for h in hosts], dtype=np.int64)
            doc_of = np.repeat(np.arange(n_docs, dtype=index_type(n_docs)), b.counts)
            loose = (evidence or local_evidence)(doc_of, labels, b.weight, n_docs)
            # Nothing in decide runs in the workers, and an idle worker still
            # holds what its last chunks left (a few hundred MB): stopped
            # here, they are started again for the syndication stage.
            run.workers.close()
            try:
                with run.parked(b, "blocks", "key"):
                    run.release_memory()  # the blocks' texts, read back and shingled
                    if hasattr(loose, "decide"):  # the evidence's own executor decides (Spark: in its executors)
                        d = loose.decide(
                            doc_of, labels, b.weight, b.repeat, host, n_docs, config.boilerplate, run.exchange,
                            progress=run.progress, prose=b.prose, known=run.known,
                        )
                    else:
                        d = boilerplate.decide(
                            doc_of, labels, b.weight, b.repeat, host, n_docs, config.boilerplate, loose, run.exchange,
                            run.progress, prose=b.prose, known=run.known,
                        )
            finally:
                loose.close()
        return {
            "documents": {"host": host},
            "blocks": {"action": d.action, "syndicated": d.syndicated},
            "copies": {"pair": d.copies},
            "shared": {"pair": d.shared},
        }

    # Another executor computes the copy evidence its own way (``compute(evidence)``).
    # Templates known from a saved model (:mod:`dedupe.saved`) are part of the key.
    extra = () if run.known is None else (hashlib.sha256(np.packbits(run.known).tobytes()).hexdigest(),)
    t = run.execute(STAGE, compute, *extra, inputs={"documents": documents, "blocks": b, "compute": compute})
    decision = boilerplate.Decision(
        t["blocks"]["action"], t["copies"]["pair"], t["shared"]["pair"], t["blocks"]["syndicated"]
    )
    return t["documents"]["host"], decision


def make_table(documents: Sequence[Document], b: Blocks, labels, host, decision, workers=None) -> BlockTable:
    doc_of = np.repeat(np.arange(len(documents), dtype=np.int64), b.counts)
    return BlockTable(
        Ragged.of_counts(b.blocks, b.counts), documents, doc_of, labels, b.key, b.repeat, host, decision, workers
    )


@dataclass
class BlockTable:
    """The corpus stage's view of every block, flat in document order.

    Attributes
    ----------
    blocks : Ragged of ndarray of int32 (int64 past 2**31 characters), shape (n_blocks_i, 3)
        Each document's blocks (start, end, line).
    documents : sequence of Document
        The documents the blocks are cut from (``texts`` gives every
        block's text, on demand: only the learned model reads them).
    doc, cluster, key : ndarray of int64, shape (n_blocks,)
        Document, repeated-block cluster and normalised-key id of each block.
    repeat : ndarray of bool, shape (n_blocks,)
        Repeats an earlier block of its document.
    host : ndarray of int64, shape (n_docs,)
        Host id of each document, -1 when unknown.
    decision : dedupe.boilerplate.Decision
        The repetition rule's verdicts.
    workers : dedupe.executor.parallel.Workers, optional
        The run's worker processes, where the block texts' features are
        measured (None: here).
    """

    blocks: Ragged
    documents: Sequence[Document]
    doc: np.ndarray
    cluster: np.ndarray
    key: np.ndarray
    repeat: np.ndarray
    host: np.ndarray
    decision: boilerplate.Decision
    workers: Optional[Any] = field(default=None, compare=False, repr=False)
    #: The blocks' texts are read in this process (:meth:`texts_in`), so the
    #: learned model may score ranges of pages in the workers, texts and all.
    texts_here: ClassVar[bool] = True

    @cached_property
    def texts(self) -> list[str]:
        """Every block's text, flat in document order."""
        return [d.text[s:e] for d, blk in zip(self.documents, self.blocks) for s, e in blk[:, :2].tolist()]

    # What the own-content check (:func:`dedupe.verdicts.own_content_of`)
    # reads of the texts, here from the documents; a Spark run's table
    # (:mod:`dedupe.backends.spark.model`) computes it in the executors.

    # The checks read a page's blocks one after another: the text last read
    # is kept. Not fields: no part of what the table is.
    def _text(self, d: int) -> str:
        last = self.__dict__.get("_last")
        if last is None or last[0] != d:
            last = self.__dict__["_last"] = (d, self._texts[d])
        return last[1]

    @cached_property
    def _texts(self) -> Sequence[str]:
        return stores.texts(self.documents)

    @cached_property
    def _tag_counts(self) -> np.ndarray:
        return stores.tag_path_counts(self.documents)

    def text_of(self, i: int) -> str:
        """Block ``i``'s text."""
        texts = self.__dict__.get("texts")  # every block's, when a caller has asked for them all
        if texts is not None:
            return texts[i]
        s, e = self.blocks.flat[i, :2].tolist()
        return self._text(int(self.doc[i]))[s:e]

    def texts_of(self, which: np.ndarray) -> Callable[[int], str]:
        """Block texts of the blocks ``which`` (bool, shape (n_blocks,)), by index."""
        return self.text_of

    def paths_of(self, d: int) -> Optional[Sequence[str]]:
        """Document ``d``'s blocks' tag paths (HTML input), else None."""
        return None if self._tag_counts[d] < 0 else self.documents[d].tag_paths

    def lexical_features(self, lo: int = 0, hi: Optional[int] = None) -> np.ndarray:
        """The :func:`dedupe.features.lexical_features` (the learned model's
        text features) of blocks ``lo`` to ``hi`` (default: every block), in
        block order."""
        from ..features import lexical_features

        return lexical_features(self.texts_in(lo, len(self.doc) if hi is None else hi), self.workers)

    def topic_features(self, lo: int = 0, hi: Optional[int] = None) -> np.ndarray:
        """The :func:`dedupe.topic.topic_features` of blocks ``lo`` to ``hi``
        (whole pages; default: every block), in block order."""
        from ..topic import page_topic_features

        hi = len(self.doc) if hi is None else hi
        doc = self.doc[lo:hi]
        urls = stores.urls(self.documents)
        pages = doc[run_starts(doc)]
        return page_topic_features(self.texts_in(lo, hi), doc, [urls[d] for d in pages.tolist()], self.workers)

    def texts_in(self, lo: int, hi: int) -> list[str]:
        """The texts of blocks ``lo`` to ``hi``, cut from their documents (read for them alone)."""
        held = self.__dict__.get("texts")
        if held is not None:
            return held[lo:hi]
        if hi <= lo:
            return []
        first, spans = self.blocks.bounds, self.blocks.flat
        d0, d1 = int(self.doc[lo]), int(self.doc[hi - 1])
        out: list[str] = []
        for d, text in enumerate(self._texts[d0 : d1 + 1], d0):
            a, b = max(lo, int(first[d])), min(hi, int(first[d + 1]))
            out += [text[s:e] for s, e in spans[a:b, :2].tolist()]
        return out

    def texts_at(self, blocks: np.ndarray) -> list[str]:
        """The texts of ``blocks`` (int64, sorted), each document read once for its run."""
        held = self.__dict__.get("texts")
        if held is not None:
            return [held[i] for i in blocks.tolist()]
        texts, out, last, text = self._texts, [], -1, ""
        for d, (s, e) in zip(self.doc[blocks].tolist(), self.blocks.flat[blocks, :2].tolist()):
            if d != last:
                last, text = d, texts[d]
            out.append(text[s:e])
        return out

    def tag_paths(self) -> Iterator[Optional[Sequence[str]]]:
        """Each document's tag paths (HTML input; None: none), in order (the documents read once, in order)."""
        return (d.tag_paths for d in self.documents)

    def slug_matches(self, blocks: np.ndarray) -> np.ndarray:
        """Whether each of ``blocks`` (int64, sorted) says what its page's
        URL slug spells (:func:`dedupe.own_content.slug_matches`), bool;
        tested in the workers' processes when there are any. The blocks'
        texts are cut :data:`SLUG_BATCH` at a time: every line a corpus's
        templates remove can be a candidate, tens of millions at a million
        pages, too many to hold as Python strings at once."""
        urls = stores.urls(self.documents)
        out = [np.zeros(0, dtype=bool)]
        for lo in range(0, len(blocks), SLUG_BATCH):
            batch = blocks[lo : lo + SLUG_BATCH]
            texts = self.texts_at(batch)
            page = [urls[d] for d in self.doc[batch].tolist()]
            if self.workers is None:
                out.append(own_content.slug_matches(texts, page))
                continue
            lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
            out += self.workers.map(own_content.slug_matches, lengths + 1, lambda a, b: (texts[a:b], page[a:b]))
        return np.concatenate(out)

    def link_evidence(self) -> tuple[np.ndarray, np.ndarray]:
        """Of every block read from HTML (one tag path per block): whether
        it is mostly link text (:func:`dedupe.io.html.is_link_text`), bool,
        and its elements' :func:`~dedupe.io.html.path_hash`, int64, -1 for
        a block without a tag path; shape (n_blocks,) each. Only documents
        with tag paths are read from a store."""
        n, first = len(self.doc), self.blocks.bounds
        link, path = np.zeros(n, dtype=bool), np.full(n, -1, dtype=np.int64)
        for d in np.flatnonzero(stores.tag_path_counts(self.documents) == np.diff(first)).tolist():
            paths = self.paths_of(d)
            link[first[d] : first[d + 1]] = [is_link_text(p) for p in paths]
            path[first[d] : first[d + 1]] = [path_hash(p) for p in paths]
        return link, path

    def aside_evidence(self) -> np.ndarray:
        """Whether each block (bool, shape (n_blocks,)) is a line the page
        extractor left out of its page's main text
        (:func:`dedupe.io.html.is_outside_main_text`): HTML input read with
        ``--page-extractor`` only; all False otherwise."""
        n, first = len(self.doc), self.blocks.bounds
        out = np.zeros(n, dtype=bool)
        for d in np.flatnonzero(stores.tag_path_counts(self.documents) == np.diff(first)).tolist():
            out[first[d] : first[d + 1]] = [is_outside_main_text(p) for p in self.paths_of(d)]
        return out
