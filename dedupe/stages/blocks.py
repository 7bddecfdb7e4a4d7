"""The blocks stage: every document cut into blocks, each block's weight,
whether it repeats in its document, and the id of its normalised key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

import numpy as np

from .. import blocks as blocks_mod
from .. import store as stores
from ..executor import Exchange, in_memory
from ..ints import compact
from ..document import Document
from ..weighting import weights_and_prose
from .contract import Stage, Step, Table, Tables

if TYPE_CHECKING:  # the run is the pipeline's: stages only use what it offers
    from ..pipeline import Run

__all__ = ["Blocks", "segment_documents", "digests", "ids_by_first_occurrence", "first_occurrence_ids", "run_blocks", "tables_of", "blocks_of", "STAGE"]


def segment_documents(texts: Sequence[str], short_words: int):
    """Segment a chunk of documents; everything the corpus stage needs of each block
    that the block's own document decides.

    Returns
    -------
    blocks : ndarray of int64, shape (n_blocks, 3)
        Every block (start, end, line), document after document.
    counts : ndarray of int64, shape (n_texts,)
        Blocks per document.
    weight : ndarray of float64, shape (n_blocks,)
        :func:`dedupe.weighting.block_weights`.
    repeat : ndarray of bool, shape (n_blocks,)
        Repeats an earlier block of its document (same light key).
    digest : ndarray of uint64, shape (n_blocks, 2)
        A 128-bit hash of each block's normalised key
        (:func:`dedupe.blocks.normalise`): equal keys, equal digests.
    prose : ndarray of bool, shape (n_blocks,)
        A prose line (:func:`dedupe.weighting.weights_and_prose`).
    """
    per_doc = [blocks_mod.segment(t) for t in texts]
    counts = np.array([len(b) for b in per_doc], dtype=np.int64)
    doc_of = np.repeat(np.arange(len(texts), dtype=np.int64), counts)
    block_texts = [t[s:e] for t, b in zip(texts, per_doc) for s, e in b[:, :2].tolist()]
    weight, prose = weights_and_prose(block_texts, doc_of, len(texts), short_words)
    digest = digests(blocks_mod.normalise_many(block_texts))
    repeat = _repeats(block_texts, doc_of, len(texts), digest)
    flat = np.concatenate(per_doc) if per_doc else np.zeros((0, 3), dtype=np.int64)
    return compact(flat), counts, weight, repeat, digest, prose


def _repeats(block_texts: Sequence[str], doc_of: np.ndarray, n_docs: int, digest: np.ndarray) -> np.ndarray:
    """Whether each block repeats an earlier block of its document: the
    same :func:`dedupe.blocks.light_key`.

    The light keys are made only where a repeat can be: in a document with
    a non-ASCII block, and for a block whose normalised key (``digest``)
    another block of its document has. In ASCII, normalising a block is a
    function of its light key, so ASCII blocks of one light key have one
    digest; a block whose digest is alone in its all-ASCII document repeats
    nothing and is repeated by nothing.
    """
    repeat = np.zeros(len(block_texts), dtype=bool)
    if len(block_texts) < 2:
        return repeat
    order = np.lexsort((digest[:, 1], digest[:, 0], doc_of))
    d, hi, lo = doc_of[order], digest[order, 0], digest[order, 1]
    same = (d[1:] == d[:-1]) & (hi[1:] == hi[:-1]) & (lo[1:] == lo[:-1])
    look = np.zeros(len(block_texts), dtype=bool)
    look[order[1:][same]] = look[order[:-1][same]] = True
    non_ascii = ~np.fromiter(map(str.isascii, block_texts), dtype=bool, count=len(block_texts))
    look |= (np.bincount(doc_of[non_ascii], minlength=n_docs) > 0)[doc_of]
    seen: set[tuple[int, str]] = set()
    at = np.flatnonzero(look)
    for i, doc in zip(at.tolist(), doc_of[at].tolist()):
        k = (doc, blocks_mod.light_key(block_texts[i]))
        repeat[i] = k in seen
        seen.add(k)
    return repeat


@dataclass
class Blocks:
    """The blocks stage: every block, flat in document order, and the id of its normalised key."""

    blocks: np.ndarray  # int32 (int64 past 2**31 characters) (n_blocks, 3)
    counts: np.ndarray  # int64 (n_docs,)
    weight: np.ndarray  # float64 (n_blocks,)
    repeat: np.ndarray  # bool (n_blocks,)
    key: np.ndarray  # int32 (n_blocks,): id of the block's normalised key, by first occurrence
    prose: np.ndarray  # bool (n_blocks,): a prose line

    @cached_property
    def first(self) -> np.ndarray:
        """The first block of each key (increasing: ids go by first occurrence)."""
        return np.unique(self.key, return_index=True)[1].astype(np.int64)


def digests(keys: Sequence[str]) -> np.ndarray:
    """A 128-bit hash of each string, as two uint64 (equal strings, equal digests)."""
    raw = b"".join(hashlib.blake2b(k.encode("utf-8", "surrogatepass"), digest_size=16).digest() for k in keys)
    return np.frombuffer(raw, dtype=np.uint64).reshape(-1, 2)


def ids_by_first_occurrence(digest: np.ndarray) -> np.ndarray:
    """Id of each digest, ids numbered by first occurrence (equal digests, equal ids)."""
    return first_occurrence_ids([digest])


# Shards the block digests are numbered in: one at a time is sorted.
DIGEST_SHARDS = 16


def first_occurrence_ids(chunks: Iterable[np.ndarray], exchange: Exchange = in_memory) -> np.ndarray:
    """:func:`ids_by_first_occurrence` of the digests ``chunks`` (uint64,
    shape (k, 2), in order), without holding or sorting them all at once:
    rows go to shards by digest (on disk for a large corpus), and each
    shard finds the first row of each of its digests."""
    firsts = []
    with exchange(DIGEST_SHARDS) as shards:
        at = 0
        for digest in chunks:
            pos = np.arange(at, at + len(digest), dtype=np.int64)
            shards.add(np.ascontiguousarray(digest[:, 0]), lo=np.ascontiguousarray(digest[:, 1]), pos=pos)
            at += len(digest)
        first_of = np.empty(at, dtype=np.int64)  # each row's first row with the same digest
        for s in range(shards.n):
            rows = shards.load(s)
            if not rows:
                continue
            order = np.lexsort((rows["pos"], rows["lo"], rows["key"]))
            hi, lo, pos = rows["key"][order], rows["lo"][order], rows["pos"][order]
            del rows, order
            new = np.ones(len(pos), dtype=bool)
            new[1:] = (hi[1:] != hi[:-1]) | (lo[1:] != lo[:-1])
            del hi, lo
            head = pos[new]
            first_of[pos] = head[np.cumsum(new) - 1]
            firsts.append(head)
    heads = np.sort(np.concatenate(firsts)) if firsts else np.zeros(0, dtype=np.int64)
    return compact(np.searchsorted(heads, first_of))


STAGE = Stage(
    "blocks",
    reads=("read",),
    config=("shingle.short_block_words",),
    writes=(
        # A block's (start, end, line) in its document, in document order.
        Table("blocks", ("span", "weight", "repeat", "key", "prose"), rows="block"),
        Table("documents", ("blocks",), rows="document"),
    ),
    steps=(
        Step("segment", "map", "documents", "each page cut into blocks: span, weight, prose, repeat in its page, key digest"),
        Step("keys", "reduce", "block key digest", "each normalised key numbered by its first occurrence"),
    ),
)


def tables_of(b: Blocks) -> Tables:
    """The stage's tables (as :data:`STAGE` declares them) holding ``b``."""
    return {
        "blocks": {"span": b.blocks, "weight": b.weight, "repeat": b.repeat, "key": b.key, "prose": b.prose},
        "documents": {"blocks": b.counts},
    }


def blocks_of(tables: Tables) -> Blocks:
    """The :class:`Blocks` held in the stage's tables (:func:`tables_of`)."""
    t = tables["blocks"]
    return Blocks(t["span"], tables["documents"]["blocks"], t["weight"], t["repeat"], t["key"], t["prose"])


def _check(tables: Tables) -> None:
    b = blocks_of(tables)
    if b.blocks.shape[1:] != (3,) or int(b.counts.sum()) != len(b.key):
        raise ValueError("blocks and their documents' counts do not agree")
    if len(b.key) and (b.key.min() < 0 or not np.array_equal(b.key[b.first], np.arange(len(b.first)))):
        raise ValueError("block keys not numbered by first occurrence")


def run_blocks(run: "Run", documents: Sequence[Document]) -> Blocks:
    short_words = run.config.shingle.short_block_words

    def compute() -> Tables:
        # Chunk results are taken as they come: their digests go straight to
        # the shards that number them, never all in memory at once.
        columns: list[list[np.ndarray]] = [[], [], [], [], []]  # span, counts, weight, repeat, prose

        def digests() -> Iterator[np.ndarray]:
            with run.progress.stage("blocks", len(documents), "documents") as task:
                lengths = stores.text_lengths(documents).astype(np.float64)
                texts = stores.texts(documents)
                args = lambda a, b: (texts[a:b], short_words)  # noqa: E731
                for part in run.workers.imap(segment_documents, lengths, args, task):
                    for column, value in zip(columns, part[:4] + part[5:]):
                        column.append(value)
                    yield part[4]

        empty = segment_documents([], short_words)
        ids = first_occurrence_ids(digests(), run.exchange)
        span, counts, weight, repeat, prose = (np.concatenate(c) if c else e for c, e in zip(columns, empty[:4] + empty[5:]))
        return tables_of(Blocks(span, counts, weight, repeat, ids, prose))

    return blocks_of(run.execute(STAGE, compute, check=_check, inputs={"documents": documents}))
