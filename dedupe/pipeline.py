"""String the stages together: read -> blocks -> shingle -> minhash -> lsh ->
verify -> cluster -> boilerplate -> strip -> syndication -> report -> write.

:func:`analyse` works on documents in memory; :func:`scan` and :func:`clean`
read files (and :func:`clean` writes the cleaned corpus).

Three things only change how a run goes, never its result, and are no
part of the :class:`~dedupe.config.Config` a report records:

* ``jobs``: the work done per file, per document or per block (reading and
  parsing, segmenting and normalising, shingling and signing) runs in
  worker processes over contiguous chunks, put back together in order
  (:mod:`dedupe.parallel`): the same bytes for any number of jobs.
* ``progress``: what the run tells as it goes (:mod:`dedupe.progress`);
  silent unless given.
* ``work_dir``: each finished stage (read, blocks, clusters, boilerplate,
  model, syndication) is kept there, keyed by its inputs, options and
  code, and a rerun reuses it (:mod:`dedupe.checkpoint`).
"""

from __future__ import annotations

import hashlib
import operator
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Iterable, Iterator, Optional, Union
from urllib.parse import urlsplit

import numpy as np
from scipy import sparse

from . import blocks as blocks_mod
from . import boilerplate, cluster, lsh, malloc, spill, syndication, verify
from . import checkpoint as checkpoints
from .config import Config
from .htmlreport import write_html
from .ints import index_type
from .io import check_output, discover, write_corpus
from .io.files import InputFile, load_stdin, real_path
from .io.readers import Corpus, read_file
from .model import Document, InputError, UsageError
from .ngrams import SHARDS, GramIndex
from .parallel import Workers
from .progress import Progress, Task, as_progress
from .report import Report, build_report
from .sign import key_band_keys, shingles, slices
from .spill import Shards
from . import store as stores
from .store import DocumentStore

__all__ = ["Analysis", "Result", "CleanedTexts", "BlockTable", "analyse", "block_table", "scan", "clean", "block_clusters"]

PathLike = Union[str, os.PathLike]
Jobs = Union[None, int, Workers]
_PUNCT = re.compile(r"[^\w\s]")


@dataclass
class Analysis:
    """Everything found in a set of documents.

    Attributes
    ----------
    documents : list of Document
    blocks : Ragged of ndarray of int32 (int64 past 2**31 characters), shape (n_blocks_i, 3)
        Each document's blocks (start, end, line).
    action : Ragged of ndarray of int8, shape (n_blocks_i,)
        What happens to each block (:data:`dedupe.boilerplate.KEEP` ...).
    template : Ragged of ndarray of int32 (int64 past 2**31 blocks), shape (n_blocks_i,)
        Repeated-block cluster of each block (same cluster = same template).
    spans : Ragged of list of (int, int)
        Character spans of each document that survive.
    cleaned : sequence of str
        Each document's cleaned text (:class:`CleanedTexts`: made from the
        spans when asked for, not held).
    syndication : dedupe.syndication.Syndication
    """

    documents: list[Document]
    blocks: "Ragged"
    action: "Ragged"
    template: "Ragged"
    spans: "Ragged"
    cleaned: "CleanedTexts"
    syndication: syndication.Syndication


class Ragged(Sequence):
    """Each document's rows of one flat array: ``r[i]`` is document i's rows
    (a view, made when asked for), ``r.flat`` all of them in document order
    and ``r.bounds`` where each document's rows start in it (``n_docs + 1``
    of them, the last ``len(r.flat)``).

    Held as a million separate arrays, per-document rows cost about a
    hundred bytes each in array headers alone.
    """

    def __init__(self, flat: np.ndarray, bounds: np.ndarray):
        self.flat = flat
        self.bounds = bounds

    @classmethod
    def of_counts(cls, flat: np.ndarray, counts: np.ndarray) -> "Ragged":
        """Rows ``counts[i]`` of ``flat`` for document i, in order."""
        return cls(flat, np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]))

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        i = operator.index(i)
        if not -len(self) <= i < len(self):
            raise IndexError("document index out of range")
        i %= len(self)
        return self._row(self.flat[self.bounds[i] : self.bounds[i + 1]])

    def _row(self, rows: np.ndarray):
        return rows

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} documents, {len(self.flat)} rows)"


class Spans(Ragged):
    """Each document's kept spans, as a list of ``(start, end)`` tuples when
    asked for; held as an (n_spans, 2) array."""

    def _row(self, rows: np.ndarray) -> list[tuple[int, int]]:
        return [(a, b) for a, b in rows.tolist()]


class CleanedTexts(Sequence[str]):
    """Each document's cleaned text, made from its kept spans when asked
    for: held all at once they would be the corpus over again."""

    def __init__(self, documents: Sequence[Document], spans: Sequence[Sequence[tuple[int, int]]]):
        self._documents = documents
        self._spans = spans

    def __len__(self) -> int:
        return len(self._documents)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        text = self._documents[i].text
        return "".join(text[a:b] for a, b in self._spans[i])

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and len(other) == len(self) and all(a == b for a, b in zip(self, other))

    def __repr__(self) -> str:
        return f"CleanedTexts({len(self)} documents)"


class _CleanedByRecord(Mapping):
    """``(source, line)`` -> cleaned text, as the writers ask for it."""

    def __init__(self, documents: Sequence[Document], cleaned: CleanedTexts):
        self._index = {record: i for i, record in enumerate(stores.records(documents))}
        self._cleaned = cleaned

    def __getitem__(self, key):
        return self._cleaned[self._index[key]]

    def __iter__(self):
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


@dataclass
class Result:
    """What :func:`scan` and :func:`clean` return."""

    corpus: Corpus
    analysis: Analysis
    report: Report
    written: list[Path]


def _host(url: Optional[str]) -> Optional[str]:
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


# --- running a stage --------------------------------------------------------------


# A stage frees millions of small objects (line texts, tuples) that the C
# allocator keeps for itself unless told to give the free pages back; the
# next stage's arrays are fresh mappings that would never reuse them.
_release_memory = malloc.trim


class _Run:
    """What the stages of one run share: the config, the workers, the progress
    reporter and the work folder."""

    def __init__(self, config: Config, workers: Workers, progress: Progress, work: checkpoints.WorkDir):
        self.config = config
        self.workers = workers
        self.progress = progress
        self.work = work

    def key(self, stage: str, previous: Optional[str], *parts: Any) -> Optional[str]:
        """The stage's checkpoint key, chained to the previous stage's; None without a work folder."""
        if not self.work.enabled or previous is None:
            return None
        return checkpoints.digest(stage, previous, *parts)

    def cached(
        self,
        stage: str,
        key: Optional[str],
        compute: Callable[[], Any],
        encode: Callable[[Any], tuple[dict, Any]],
        decode: Callable[[dict, Any], Any],
    ) -> Any:
        """The stage's result: loaded from the work folder when it is there, else computed (and kept)."""
        if key is not None:
            found = self.work.load(stage, key)
            if found is not None:
                try:
                    value = decode(*found)
                except (KeyError, ValueError, IndexError, TypeError, OSError) as exc:
                    self.work.damaged(stage, key, exc)
                else:
                    self.progress.end(stage, reused=True)
                    return value
        value = compute()
        _release_memory()
        if key is not None:
            self.work.save(stage, key, *encode(value))
        return value


#: The memory a run is given by default (``memory=``, ``--memory``), in bytes.
DEFAULT_MEMORY = 2 << 30
# The spill shards (band keys, n-grams, page pairs) hold at most this share
# of the budget in memory, all together (:func:`dedupe.spill.budget`).
_SHARD_SHARE = 0.25


@contextmanager
def _running(
    config: Config, jobs: Jobs, progress, work: Optional[checkpoints.WorkDir] = None, memory: Optional[int] = None
) -> Iterator[_Run]:
    """A run; workers it starts are stopped at its end (at once, after an error or Ctrl-C).
    Workers given by the caller are the caller's to stop."""
    if memory is not None and memory <= 0:
        raise UsageError(f"memory must be a positive number of bytes, not {memory}")
    if work is not None:
        work.sweep()  # what a run killed with its shards on disk left
    malloc.lean()  # freed arrays go back to the system (dedupe.malloc)
    with spill.budget(int((memory or DEFAULT_MEMORY) * _SHARD_SHARE)):
        if isinstance(jobs, Workers):
            yield _Run(config, jobs, as_progress(progress), work or checkpoints.WorkDir(None))
            return
        with Workers(jobs) as workers:
            yield _Run(config, workers, as_progress(progress), work or checkpoints.WorkDir(None))


# --- steps run on chunks (in worker processes) -------------------------------------


def _read_files(files: Sequence[InputFile], config, folder: str) -> tuple[str, dict, list]:
    """Read a chunk of files into a store of their own (a texts file in
    ``folder``, which the caller absorbs): its file, its metadata, and
    ``(path, line, reason, detail)`` for each bad input (an InputError does
    not cross processes); under ``strict``, up to the first bad input."""
    fd, path = tempfile.mkstemp(dir=folder, suffix=".texts")
    os.close(fd)
    part = DocumentStore(path)
    errors: list = []
    try:
        for f in files:
            for item in read_file(f, config):
                if isinstance(item, InputError):
                    errors.append((item.path, item.line, item.reason, item.detail))
                    if config.strict:
                        break
                else:
                    part.append(item)
            if errors and config.strict:
                break
        return path, part.metadata(), errors
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise
    finally:
        part.close()


# Documents are compared as copies on their prose: a site menu or a sidebar
# is many short lines, a republished article is paragraphs, and a page whose
# menu outweighs its body must not look like a copy of every other page of
# its site. Prose is a line of `short_block_words`+ words that is not dense
# with punctuation (markup and code left in a page are). A page with almost
# no prose (a list, a poem) is compared on all its lines instead, so two
# copies of it are still copies.
_MIN_PROSE_CHARS = 200
_MAX_PROSE_PUNCT = 0.1


def _block_weights(texts: Sequence[str], doc_of: np.ndarray, n_docs: int, short_words: int) -> np.ndarray:
    """Characters per block for comparing documents: prose blocks only, where a document has prose."""
    chars = np.fromiter((len(t.strip()) for t in texts), dtype=np.float64, count=len(texts))
    words = np.fromiter((len(t.split()) for t in texts), dtype=np.float64, count=len(texts))
    punct = np.fromiter((len(_PUNCT.findall(t)) for t in texts), dtype=np.float64, count=len(texts))
    prose = (words >= short_words) & (punct <= _MAX_PROSE_PUNCT * np.maximum(chars, 1))
    prose_chars = np.bincount(doc_of, weights=chars * prose, minlength=n_docs)
    has_prose = prose_chars[doc_of] >= _MIN_PROSE_CHARS
    return np.where(prose | ~has_prose, chars, 0.0)


def _segment_documents(texts: Sequence[str], short_words: int):
    """Segment a chunk of documents; everything the corpus stage needs of each block
    that the block's own document decides.

    Returns
    -------
    blocks : ndarray of int64, shape (n_blocks, 3)
        Every block (start, end, line), document after document.
    counts : ndarray of int64, shape (n_texts,)
        Blocks per document.
    weight : ndarray of float64, shape (n_blocks,)
        :func:`_block_weights`.
    repeat : ndarray of bool, shape (n_blocks,)
        Repeats an earlier block of its document (same light key).
    digest : ndarray of uint64, shape (n_blocks, 2)
        A 128-bit hash of each block's normalised key
        (:func:`dedupe.blocks.normalise`): equal keys, equal digests.
    """
    per_doc = [blocks_mod.segment(t) for t in texts]
    counts = np.array([len(b) for b in per_doc], dtype=np.int64)
    doc_of = np.repeat(np.arange(len(texts), dtype=np.int64), counts)
    block_texts = [t[s:e] for t, b in zip(texts, per_doc) for s, e in b[:, :2].tolist()]
    weight = _block_weights(block_texts, doc_of, len(texts), short_words)
    repeat = np.zeros(len(block_texts), dtype=bool)
    seen: set[tuple[int, str]] = set()
    for i, (d, t) in enumerate(zip(doc_of.tolist(), block_texts)):
        k = (d, blocks_mod.light_key(t))
        repeat[i] = k in seen
        seen.add(k)
    digest = _digests(blocks_mod.normalise_many(block_texts))
    flat = np.concatenate(per_doc) if per_doc else np.zeros((0, 3), dtype=np.int64)
    return _compact(flat), counts, weight, repeat, digest


def _compact(a: np.ndarray) -> np.ndarray:
    """``a`` as int32 when its values fit (half the memory for a corpus's
    lines), else as it is: concatenated with a part that does not fit, it is
    int64 again, so the dtype depends on the corpus only, never on chunks."""
    if a.size == 0 or (a.min() >= np.iinfo(np.int32).min and a.max() <= np.iinfo(np.int32).max):
        return a.astype(np.int32)
    return a


# --- the corpus stage: blocks, clusters, boilerplate ---------------------------------


@dataclass
class _Blocks:
    """The blocks stage: every block, flat in document order, and the id of its normalised key."""

    blocks: np.ndarray  # int32 (int64 past 2**31 characters) (n_blocks, 3)
    counts: np.ndarray  # int64 (n_docs,)
    weight: np.ndarray  # float64 (n_blocks,)
    repeat: np.ndarray  # bool (n_blocks,)
    key: np.ndarray  # int32 (n_blocks,): id of the block's normalised key, by first occurrence

    @cached_property
    def first(self) -> np.ndarray:
        """The first block of each key (increasing: ids go by first occurrence)."""
        return np.unique(self.key, return_index=True)[1].astype(np.int64)


def _digests(keys: Sequence[str]) -> np.ndarray:
    """A 128-bit hash of each string, as two uint64 (equal strings, equal digests)."""
    raw = b"".join(hashlib.blake2b(k.encode("utf-8", "surrogatepass"), digest_size=16).digest() for k in keys)
    return np.frombuffer(raw, dtype=np.uint64).reshape(-1, 2)


def _ids_by_first_occurrence(digest: np.ndarray) -> np.ndarray:
    """Id of each digest, ids numbered by first occurrence (equal digests, equal ids)."""
    return _first_occurrence_ids([digest])


# Shards the block digests are numbered in: one at a time is sorted.
_DIGEST_SHARDS = 16


def _first_occurrence_ids(chunks: Iterable[np.ndarray], folder: Optional[Path] = None) -> np.ndarray:
    """:func:`_ids_by_first_occurrence` of the digests ``chunks`` (uint64,
    shape (k, 2), in order), without holding or sorting them all at once:
    rows go to shards by digest (on disk for a large corpus), and each
    shard finds the first row of each of its digests."""
    firsts = []
    with Shards(_DIGEST_SHARDS, folder) as shards:
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
    return _compact(np.searchsorted(heads, first_of))


def _blocks_stage(run: _Run, documents: Sequence[Document], key: Optional[str]) -> _Blocks:
    short_words = run.config.shingle.short_block_words

    def compute() -> _Blocks:
        # Chunk results are taken as they come: their digests go straight to
        # the shards that number them, never all in memory at once.
        columns: list[list[np.ndarray]] = [[], [], [], []]

        def digests() -> Iterator[np.ndarray]:
            with run.progress.stage("blocks", len(documents), "documents") as task:
                lengths = stores.text_lengths(documents).astype(np.float64)
                args = lambda a, b: ([d.text for d in documents[a:b]], short_words)  # noqa: E731
                for part in run.workers.imap(_segment_documents, lengths, args, task):
                    for column, value in zip(columns, part[:4]):
                        column.append(value)
                    yield part[4]

        empty = _segment_documents([], short_words)
        ids = _first_occurrence_ids(digests(), run.work.path)
        flat = [np.concatenate(c) if c else e for c, e in zip(columns, empty[:4])]
        return _Blocks(*flat, ids)

    def encode(b: _Blocks):
        return {"blocks": b.blocks, "counts": b.counts, "weight": b.weight, "repeat": b.repeat, "key": b.key}, None

    def decode(a: dict, _) -> _Blocks:
        b = _Blocks(a["blocks"], a["counts"], a["weight"], a["repeat"], a["key"])
        n = len(b.key)
        if b.blocks.shape != (n, 3) or len(b.weight) != n or len(b.repeat) != n or int(b.counts.sum()) != n:
            raise ValueError("block arrays of different lengths")
        if n and (b.key.min() < 0 or not np.array_equal(b.key[b.first], np.arange(len(b.first)))):
            raise ValueError("block keys not numbered by first occurrence")
        return b

    return run.cached("blocks", key, compute, encode, decode)


# Reads raw block texts: ``fetch(which)`` yields the texts of the blocks
# ``which`` (sorted indices) in order, a slice of about SLICE characters at a time.
Fetch = Callable[[np.ndarray], Iterator[list[str]]]


def _fetch_from(documents: Sequence[Document], counts: np.ndarray, blocks: np.ndarray) -> Fetch:
    """Block texts cut from the documents, read a slice of documents at a time."""
    bounds = np.concatenate([[0], np.cumsum(counts)])
    lengths = stores.text_lengths(documents).astype(np.float64)

    def fetch(which: np.ndarray) -> Iterator[list[str]]:
        doc = np.searchsorted(bounds, which, side="right") - 1
        for a, e in slices(lengths):
            lo, hi = np.searchsorted(doc, [a, e])
            if lo == hi:
                continue
            first = int(doc[lo])
            docs = documents[first : int(doc[hi - 1]) + 1]
            yield [
                docs[d - first].text[s:t]
                for d, (s, t) in zip(doc[lo:hi].tolist(), blocks[which[lo:hi], :2].tolist())
            ]

    return fetch


def _fetch_list(texts: Sequence[str]) -> Fetch:
    """Block texts held in memory (in slices all the same)."""

    def fetch(which: np.ndarray) -> Iterator[list[str]]:
        lengths = np.fromiter((len(texts[i]) for i in which.tolist()), dtype=np.float64, count=len(which))
        for a, e in slices(lengths):
            yield [texts[i] for i in which[a:e].tolist()]

    return fetch


def _near_edges(
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


def _cluster_keys(
    fetch: Fetch, first: np.ndarray, key: np.ndarray, config: Config, workers: Workers,
    folder: Optional[Path] = None, progress: Optional[Progress] = None,
) -> np.ndarray:
    """Cluster label of each block from its normalised key: see :func:`block_clusters`.

    ``first`` is the first block of each key, whose text stands for the key.
    ``progress`` hears of two stages: ``clusters`` (the keys signed) and
    ``line pairs`` (the candidate pairs verified, counted in distinct
    blocks), which at scale takes as long.
    """
    progress = as_progress(progress)
    n = len(first)
    sc, mc = config.shingle, config.minhash
    threshold = config.boilerplate.block_threshold
    b = lsh.bands_rows(threshold, mc.num_perm)[0]
    short = np.zeros(n, dtype=bool)
    with Shards(b, folder) as char_bands, Shards(b, folder) as word_bands:
        at = 0
        with progress.stage("clusters", n, "distinct blocks") as task:
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
        with progress.stage("line pairs", n, "distinct blocks") as task:
            for mask, bands, kind, ngram in (
                (short, char_bands, "char", sc.char_ngram), (~short, word_bands, "word", sc.word_ngram)
            ):
                idx = np.flatnonzero(mask)
                if len(idx) >= 2:
                    which = lambda local, idx=idx: fetch(first[idx[local]])  # noqa: E731
                    pairs.append(idx[_near_edges(workers, bands, len(idx), which, kind, ngram, config, task)])
                else:
                    task.advance(len(idx))
    edges = np.concatenate(pairs) if pairs else np.zeros((0, 2), np.int64)
    rep_label = cluster.components(n, edges)
    return _compact(first[rep_label][key])  # block indices: int32 where they fit


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
    key = _ids_by_first_occurrence(_digests(blocks_mod.normalise_many(texts)))
    first = np.unique(key, return_index=True)[1].astype(np.int64)
    return _cluster_keys(_fetch_list(texts), first, key, config, Workers(1)), key


def _clusters_stage(run: _Run, documents: Sequence[Document], b: _Blocks, key: Optional[str]) -> np.ndarray:
    def compute() -> np.ndarray:
        fetch = _fetch_from(documents, b.counts, b.blocks)
        return _cluster_keys(fetch, b.first, b.key, run.config, run.workers, run.work.path, run.progress)

    def decode(a: dict, _) -> np.ndarray:
        if len(a["labels"]) != len(b.key):
            raise ValueError("cluster labels for another number of blocks")
        return a["labels"]

    return run.cached("clusters", key, compute, lambda labels: ({"labels": labels}, None), decode)


# Documents whose copy evidence is computed at once.
_SHARE_ROWS = 8192


class _CopyEvidence:
    """``evidence(d, e)``: weight of d's blocks that no other document
    repeats, times the share of each block's word n-grams found anywhere in e.

    A lightly edited or re-wrapped copy shares few whole blocks with its
    original but most of its words; this is the evidence the block clusters
    miss. Blocks with zero weight (menus beside prose) take no part, nor do
    n-grams too common to tell a copy (:data:`dedupe.verify.MAX_DF`).
    ``fetch`` reads the blocks' texts (their normalised keys are shingled). The n-grams are kept in
    a :class:`~dedupe.ngrams.GramIndex` (shards, spilled to disk on a large
    corpus); a pair's evidence is summed over the shards.
    """

    def __init__(
        self, fetch: Fetch, doc_of: np.ndarray, labels: np.ndarray, weight: np.ndarray, n_docs: int,
        n: int, workers: Workers, folder: Optional[Path] = None, progress: Optional[Progress] = None,
    ):
        self.n_docs = n_docs
        sized = np.flatnonzero(weight > 0)
        self.grams = GramIndex(doc_of[sized], verify.MAX_DF, folder)
        start = 0
        with as_progress(progress).stage("boilerplate · n-grams", len(sized), "blocks") as task:
            for texts in fetch(sized):
                batch, _ = shingles(workers, texts, "word", n, normalise=True)
                end = start + len(texts)
                self.grams.add(batch.hashes, np.repeat(np.arange(start, end, dtype=np.int64), np.diff(batch.offsets)))
                start = end
                task.advance(len(texts))
            self.grams.build()
        # Blocks of a cluster that spans one document only are unrepeated.
        # (Its first and last documents are one: no (label, document) pairs
        # sorted, which at a million pages is gigabytes.)
        first_doc = np.full(len(labels), np.iinfo(doc_of.dtype).max, dtype=doc_of.dtype)
        last_doc = np.full(len(labels), -1, dtype=doc_of.dtype)
        np.minimum.at(first_doc, labels, doc_of)
        np.maximum.at(last_doc, labels, doc_of)
        lone = (first_doc == last_doc)[labels[sized]]
        del first_doc, last_doc
        rare = self.grams.rare_sizes
        self.per_gram = np.where(lone & (rare > 0), weight[sized] / np.maximum(rare, 1), 0.0)
        # Asked for no more: an int32 per block each, while decide runs.
        self.grams.sizes = self.grams.rare_sizes = None

    #: Documents whose pairs one ``part`` of :meth:`passes` answers at once.
    rows = _SHARE_ROWS
    #: Parts :meth:`passes` yields at most (one per non-empty shard of n-grams).
    n_passes = SHARDS

    def passes(self) -> Iterator[Callable[[np.ndarray, np.ndarray], np.ndarray]]:
        """The evidence a shard of n-grams at a time: for each shard,
        ``part(d, e)``, the shard's share of the evidence for pairs whose
        ``d`` all lie in one slice of :attr:`rows` documents (``k * rows``
        up). The evidence is the sum of the parts, in pass order."""
        document = self.grams.document
        for rows in self.grams.shards():
            owner, gram, rare = rows["owner"], rows["gram"], rows["rare"]
            shape = (self.n_docs, int(gram.max()) + 1)
            counted = rare & (self.per_gram[owner] > 0)
            lone = sparse.csr_matrix((self.per_gram[owner[counted]], (document[owner[counted]], gram[counted])), shape=shape)
            first = rare & rows["new_doc"]
            in_docs = sparse.csr_matrix(
                (np.ones(int(first.sum())), (gram[first], document[owner[first]])), shape=shape[::-1]
            )
            del owner, gram, rare, counted, first, rows

            # A slice of documents at a time, keeping only the pairs asked
            # about: all pairs of documents sharing an n-gram grow much faster
            # than the corpus.
            def part(d: np.ndarray, e: np.ndarray, lone=lone, in_docs=in_docs) -> np.ndarray:
                start = int(d[0]) // _SHARE_ROWS * _SHARE_ROWS
                found = (lone[start : start + _SHARE_ROWS] @ in_docs).tocsr()
                return np.asarray(found[d - start, e]).ravel()

            yield part

    def __call__(self, d: np.ndarray, e: np.ndarray) -> np.ndarray:
        """The evidence for pairs ``(d, e)`` all at once (:meth:`passes` for many pairs)."""
        out = np.zeros(len(d))
        order = np.argsort(d, kind="stable")
        bounds = np.searchsorted(d[order], np.arange(0, self.n_docs + _SHARE_ROWS, _SHARE_ROWS))
        for part in self.passes():
            for k in range(len(bounds) - 1):
                idx = order[bounds[k] : bounds[k + 1]]
                if len(idx):
                    out[idx] += part(d[idx], e[idx])
        return out

    def close(self) -> None:
        self.grams.close()


@contextmanager
def _parked(b: _Blocks, folder: Optional[Path], *names: str) -> Iterator[None]:
    """Within the block, ``b``'s arrays ``names`` wait on disk (a spill
    folder in ``folder``), not in memory, and are read back on leaving it:
    for arrays a step does not read while it needs the memory (decide never
    looks at where blocks start). Only large ones go, past the bounds at
    which spill shards go to disk (:data:`dedupe.spill.SPILL_ROWS` rows, or
    the run's shard budget in bytes); with no folder they stay."""
    arrays = {name: getattr(b, name) for name in names}
    rows = max((len(a) for a in arrays.values()), default=0)
    if folder is None or (rows <= spill.SPILL_ROWS and sum(a.nbytes for a in arrays.values()) <= spill.SPILL_BYTES):
        yield
        return
    with Shards(1, folder, spill_rows=0) as disk:
        disk.put(0, **arrays)
        del arrays
        for name in names:
            setattr(b, name, None)
        try:
            yield
        finally:
            back = disk.load(0)
            for name in names:
                setattr(b, name, back[name])


def _boilerplate_stage(
    run: _Run, documents: Sequence[Document], b: _Blocks, labels: np.ndarray, key: Optional[str]
) -> tuple[np.ndarray, boilerplate.Decision]:
    n_docs = len(documents)
    config = run.config

    def compute():
        with run.progress.stage("boilerplate"):
            hosts = [_host(u) for u in stores.urls(documents)]
            host_ids = {h: i for i, h in enumerate(sorted({h for h in hosts if h}))}
            host = np.array([host_ids.get(h, -1) if h else -1 for h in hosts], dtype=np.int64)
            doc_of = np.repeat(np.arange(n_docs, dtype=index_type(n_docs)), b.counts)
            loose = _CopyEvidence(
                _fetch_from(documents, b.counts, b.blocks), doc_of, labels, b.weight, n_docs,
                config.shingle.word_ngram, run.workers, run.work.path, run.progress,
            )
            # Nothing in decide runs in the workers, and an idle worker still
            # holds what its last chunks left (a few hundred MB): stopped
            # here, they are started again for the syndication stage.
            run.workers.close()
            try:
                with _parked(b, run.work.path, "blocks", "key"):
                    _release_memory()  # the blocks' texts, read back and shingled
                    decision = boilerplate.decide(
                        doc_of, labels, b.weight, b.repeat, host, n_docs, config.boilerplate, loose, run.work.path,
                        run.progress,
                    )
            finally:
                loose.close()
        return host, decision

    def encode(value):
        host, d = value
        arrays = {"action": d.action, "copies": d.copies, "shared": d.shared, "syndicated": d.syndicated}
        return {"host": host, **arrays}, None

    def decode(a: dict, _):
        if len(a["host"]) != n_docs or len(a["action"]) != len(b.key) or len(a["syndicated"]) != len(b.key):
            raise ValueError("decisions for another number of documents or blocks")
        return a["host"], boilerplate.Decision(a["action"], a["copies"], a["shared"], a["syndicated"])

    return run.cached("boilerplate", key, compute, encode, decode)


def _table(documents: Sequence[Document], b: _Blocks, labels, host, decision) -> BlockTable:
    doc_of = np.repeat(np.arange(len(documents), dtype=np.int64), b.counts)
    return BlockTable(Ragged.of_counts(b.blocks, b.counts), documents, doc_of, labels, b.key, b.repeat, host, decision)


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
    """

    blocks: Ragged
    documents: Sequence[Document]
    doc: np.ndarray
    cluster: np.ndarray
    key: np.ndarray
    repeat: np.ndarray
    host: np.ndarray
    decision: boilerplate.Decision

    @cached_property
    def texts(self) -> list[str]:
        """Every block's text, flat in document order."""
        return [d.text[s:e] for d, blk in zip(self.documents, self.blocks) for s, e in blk[:, :2].tolist()]


def _corpus_stage(run: _Run, documents: Sequence[Document], read_key: Optional[str]):
    """Blocks, clusters and the repetition rule's decisions, each a checkpointed stage."""
    config = run.config
    blocks_key = run.key("blocks", read_key, asdict(config.shingle))
    b = _blocks_stage(run, documents, blocks_key)
    clusters_key = run.key(
        "clusters", blocks_key, asdict(config.shingle), asdict(config.minhash),
        config.boilerplate.block_threshold,
    )
    labels = _clusters_stage(run, documents, b, clusters_key)
    vars(b).pop("first", None)  # the clusters stage's only: one per distinct block
    decision_key = run.key("boilerplate", clusters_key, asdict(config.shingle), asdict(config.boilerplate))
    host, decision = _boilerplate_stage(run, documents, b, labels, decision_key)
    return _table(documents, b, labels, host, decision), decision_key


def block_table(documents: Sequence[Document], config: Config, *, jobs: Jobs = 1) -> BlockTable:
    """Segment, cluster repeated blocks and apply the repetition rule.

    ``jobs`` as for :func:`analyse`.
    """
    with _running(config, jobs, None) as run:
        return _corpus_stage(run, list(documents), None)[0]


def _apply_model(table: BlockTable, config) -> np.ndarray:
    """Final action per block: the rule's, less what the learned model is sure
    is content, plus what it removes."""
    action = table.decision.action.copy()
    if config.block_model == "none" or len(action) == 0:
        return action
    from . import blockmodel  # scikit-learn: a second to import, for runs that use the model only

    model = blockmodel.load() if config.block_model == "builtin" else blockmodel.load(Path(config.block_model))
    content = model.content_probability(table)
    if config.model_min_site_pages > 0:
        known = table.host >= 0
        pages = np.bincount(table.host[known], minlength=int(table.host.max()) + 1 if known.any() else 0)
        judged = known & (pages[np.maximum(table.host, 0)] >= config.model_min_site_pages) if known.any() else known
    else:
        judged = np.ones(len(table.host), dtype=bool)
    learned = (
        (action == boilerplate.KEEP)
        & (content < config.content_threshold)
        & ~table.decision.syndicated
        & judged[table.doc]
    )
    # The model reads the rule's verdict as one piece of evidence among
    # many; where it is sure a removed line is content (a product's field
    # labels, a line several pages of a shop print), it keeps the line.
    restored = (action != boilerplate.KEEP) & (content >= config.restore_threshold) & judged[table.doc]
    if config.restore_threshold >= 1:
        restored[:] = False
    action[learned] = boilerplate.LEARNED
    action[restored] = boilerplate.KEEP
    return action


def _model_stage(run: _Run, table: BlockTable, previous: Optional[str]) -> tuple[np.ndarray, Optional[str]]:
    config = run.config.boilerplate
    if config.block_model == "none":
        return _apply_model(table, config), previous
    key = run.key("model", previous, asdict(config), checkpoints.model_fingerprint(config.block_model))

    def compute() -> np.ndarray:
        with run.progress.stage("model"):
            return _apply_model(table, config)

    def decode(a: dict, _) -> np.ndarray:
        if len(a["action"]) != len(table.doc):
            raise ValueError("actions for another number of blocks")
        return a["action"]

    return run.cached("model", key, compute, lambda action: ({"action": action}, None), decode), key


def _syndication_stage(run: _Run, texts, spans, shared, previous: Optional[str]) -> syndication.Syndication:
    config = run.config
    key = run.key(
        "syndication", previous, asdict(config.shingle), asdict(config.minhash),
        asdict(config.syndication),
    )

    def compute() -> syndication.Syndication:
        with run.progress.stage("syndication"):
            return syndication.find(
                texts, spans, shared, config.shingle, config.minhash, config.syndication, run.workers, run.work.path,
                run.progress,
            )

    def decode(a: dict, _) -> syndication.Syndication:
        for name in ("centre", "members", "pair_ab"):
            if a[name].size and (a[name].min() < 0 or a[name].max() >= len(texts)):
                raise ValueError("documents out of range")
        return checkpoints.decode_syndication(a)

    return run.cached("syndication", key, compute, lambda s: (checkpoints.encode_syndication(s), None), decode)


def _analyse(run: _Run, documents: Sequence[Document], read_key: Optional[str]) -> Analysis:
    lengths = stores.text_lengths(documents)
    if run.workers.would_split(int(lengths.sum())):
        run.workers.warm_up()
    table, decision_key = _corpus_stage(run, documents, read_key)
    action_flat, model_key = _model_stage(run, table, decision_key)
    blocks, shared = table.blocks, table.decision.shared
    action = Ragged(action_flat, blocks.bounds)
    template = Ragged(table.cluster, blocks.bounds)
    # The rest of the table (document, key and repeat per block, the rule's
    # verdicts) was the model's: not held through syndication and the report.
    del table
    kept, per_doc = blocks_mod.kept_spans_all(lengths, np.diff(blocks.bounds), blocks.flat[:, 0], action_flat == boilerplate.KEEP)
    spans = Spans.of_counts(kept, per_doc)
    cleaned = CleanedTexts(documents, spans)
    synd = _syndication_stage(run, stores.texts(documents), spans, shared, model_key)
    return Analysis(documents, blocks, action, template, spans, cleaned, synd)


def analyse(
    documents: Sequence[Document], config: Optional[Config] = None, *, jobs: Jobs = 1, progress=None,
    memory: Optional[int] = None,
) -> Analysis:
    """Find boilerplate and syndication in documents held in memory.

    Parameters
    ----------
    documents : sequence of Document
    config : Config, optional
    jobs : int or dedupe.parallel.Workers, default 1
        Processes at work: this one and ``jobs - 1`` workers
        (:mod:`dedupe.parallel`); 0 or None for every usable core. The
        result is the same for any. A script that asks for workers runs
        its work under ``if __name__ == "__main__":`` (they import the
        script). A :class:`~dedupe.parallel.Workers` is used as it is and
        left open, so several calls can share its workers.
    progress : dedupe.progress.Progress or callable, optional
        Told of every stage as it goes (a callable gets ``(stage, done,
        total)``); silent by default.
    memory : int, optional
        The run's memory budget in bytes (:data:`DEFAULT_MEMORY` by
        default): a quarter of it is what the shards of band keys, n-grams
        and page pairs may hold in memory, all together, before they go to
        disk (the work folder, else the system's temporary folder). It
        never changes the result.

    Returns
    -------
    Analysis
    """
    with _running(config or Config(), jobs, progress, memory=memory) as run:
        return _analyse(run, list(documents), None)


# --- files in, files out ------------------------------------------------------------


def _read_stage(run: _Run, inputs: Sequence[PathLike]) -> tuple[Corpus, Optional[str]]:
    """Read every document of the inputs (as :func:`dedupe.io.read_corpus`, file by file in chunks)."""
    config = run.config.read
    files = [load_stdin(f) if f.path is None else f for f in discover(inputs, config.format)]
    sizes = np.array([_text_size(f) for f in files], dtype=np.float64)
    weights = sizes * np.array([_READ_COST.get(f.format, _READ_COST_OTHER) for f in files])
    if run.workers.would_split(sizes.sum()):
        run.workers.warm_up()  # enough text that the blocks stage will share it out
    key = None
    if run.work.enabled:
        # The output field only changes what is written, not what is read.
        read_options = {k: v for k, v in asdict(config).items() if k != "output_field"}
        key = checkpoints.digest(
            "read", checkpoints.FORMAT_VERSION, checkpoints.code_fingerprint(), read_options,
            checkpoints.inputs_fingerprint(files),
        )

    def compute() -> tuple[DocumentStore, list[InputError]]:
        documents, skipped = _new_store(run, key), []
        # The chunks' own stores, each removed once absorbed; what a failure leaves, at the end.
        base = documents.path.parent if documents.path is not None else None
        folder = tempfile.mkdtemp(dir=base, prefix=".read-", suffix=".tmp")
        read = False
        try:
            with run.progress.stage("read", len(files), "files") as task:
                args = lambda a, b: (files[a:b], config, folder)  # noqa: E731
                for path, metadata, errors in run.workers.imap(_read_files, weights, args, task, _READ_CHUNK):
                    documents.absorb(path, metadata)
                    if errors and config.strict:
                        raise InputError(*errors[0])
                    skipped += [InputError(*e) for e in errors]
            read = True
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            if not read:
                documents.close()  # and the folders it made
        documents.finish()
        return documents, skipped

    def encode(value):
        documents, skipped = value
        return documents.metadata(), [[e.path, e.line, e.reason, e.detail] for e in skipped]

    def decode(arrays: dict, errors: list):
        return DocumentStore.reopen(run.work.file("read", key, ".texts"), arrays), [InputError(*e) for e in errors]

    documents, skipped = run.cached("read", key, compute, encode, decode)
    return Corpus(files=files, documents=documents, skipped=skipped), key


# Most weight read in one chunk (a chunk's documents are held until they are
# in the store): about 40 MB of JSONL or 10 MB of HTML.
_READ_CHUNK = 1 << 22
# What reading a character of a file costs, in the unit chunks are measured
# in (a character through the blocks stage, about 15 MB/s): HTML pages (files,
# WARC responses) parse at about 35 MB/s, JSON, CSV and text at 150 MB/s.
_READ_COST = {"html": 0.4, "warc": 0.4}
_READ_COST_OTHER = 0.1
# Characters a compressed byte holds, about.
_COMPRESSED = 4


def _new_store(run: _Run, key: Optional[str]) -> DocumentStore:
    """Where the read stage keeps the texts: beside its checkpoint, else (no
    work folder, or one that cannot be written) in a temporary file."""
    if key is not None:
        try:
            return DocumentStore(run.work.file("read", key, ".texts"))
        except OSError:
            pass
    return DocumentStore()


def _text_size(f: InputFile) -> int:
    """About how many characters the file holds."""
    if f.path is None:
        size = len(f.data or b"")
    else:
        try:
            size = f.path.stat().st_size
        except OSError:
            size = 0  # the reader says why it cannot be read
    return size * (_COMPRESSED if f.compression else 1)


def _scan(run: _Run, inputs: Sequence[PathLike]) -> Result:
    corpus, read_key = _read_stage(run, inputs)
    analysis = _analyse(run, corpus.documents, read_key)
    with run.progress.stage("report"):
        report = build_report(corpus, analysis, run.config, [str(p) for p in inputs])
    return Result(corpus=corpus, analysis=analysis, report=report, written=[])


def _resolve(config: Optional[Config], options: dict) -> Config:
    config = config or Config()
    return config.replace(**options) if options else config


def _check_work_dir(path: Path, files: Sequence[InputFile], inputs: Sequence[PathLike]) -> None:
    """Refuse a work folder that is a file, an input, or inside an input folder
    (its files would be read as corpus files by the next run)."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path}: the work folder must be a folder, and this is a file")
    resolved = real_path(path)
    for given in inputs:
        if os.fspath(given) != "-" and Path(given).is_dir():
            folder = real_path(given)
            if resolved == folder or folder in resolved.parents:
                raise UsageError(f"{path}: the work folder must not be the input folder {given} or inside it")
    for f in files:
        if f.path is not None and real_path(f.path) == resolved:
            raise UsageError(f"{path}: the work folder would replace this input file ({f.source})")


def _work_dir(work_dir: Optional[PathLike], inputs: Sequence[PathLike], format: str) -> checkpoints.WorkDir:
    if work_dir is None:
        return checkpoints.WorkDir(None)
    _check_work_dir(Path(work_dir), discover(inputs, format), inputs)
    return checkpoints.WorkDir(Path(work_dir))


def scan(
    inputs: Sequence[PathLike],
    *,
    config: Optional[Config] = None,
    jobs: Jobs = 1,
    progress=None,
    memory: Optional[int] = None,
    work_dir: Optional[PathLike] = None,
    **options,
) -> Result:
    """Read a corpus and find its boilerplate and syndication; write nothing.

    Parameters
    ----------
    inputs : sequence of path-like
        Files and folders of any supported format (text, HTML, JSONL,
        CSV/TSV, Parquet, WARC/WET; see :mod:`dedupe.io`), and "-" for
        JSONL on standard input.
    config : Config, optional
        Defaults, changed by ``options``.
    jobs, progress, memory
        As for :func:`analyse`.
    work_dir : path-like, optional
        Keep each finished stage there and reuse what an earlier run with
        the same inputs, options and dedupe kept (:mod:`dedupe.checkpoint`);
        by default nothing is kept.
    **options
        Any :class:`Config` option by its flat name (``block_threshold=0.7``).

    Returns
    -------
    Result
        ``result.report`` holds the machine report and the exit code.

    Raises
    ------
    InputError
        With ``strict=True``, at the first bad input.
    FileNotFoundError
        If an input does not exist.
    UsageError
        If ``work_dir`` is a file, or an input folder or inside one.
    """
    config = _resolve(config, options)
    work = _work_dir(work_dir, inputs, config.read.format)
    with _running(config, jobs, progress, work, memory) as run:
        return _scan(run, inputs)


def clean(
    inputs: Sequence[PathLike],
    output: PathLike,
    *,
    report: Optional[PathLike] = None,
    html: Optional[PathLike] = None,
    config: Optional[Config] = None,
    jobs: Jobs = 1,
    progress=None,
    memory: Optional[int] = None,
    work_dir: Optional[PathLike] = None,
    checkpoint: bool = True,
    **options,
) -> Result:
    """Strip boilerplate and write the cleaned corpus under the folder ``output``.

    Every input file that yielded documents gets one output file at
    ``output/<name>`` in its own format (text for HTML, JSONL for WARC/WET);
    ``report`` (optional) gets the JSON report, ``html`` the HTML report.
    Inputs are never modified.

    Parameters
    ----------
    inputs : sequence of path-like
    output : path-like
        The output folder (created if missing).
    report : path-like, optional
        Where to write the JSON report.
    html : path-like, optional
        Where to write the HTML report (:func:`dedupe.htmlreport.write_html`).
    config, jobs, progress, memory
        As for :func:`scan`.
    work_dir : path-like, optional
        Where finished stages are kept (and kept after the run), as for
        :func:`scan`. By default they are kept in ``output/.dedupe-work``
        while the run goes, so a run that is stopped or crashes resumes
        where it was when run again, and that folder is removed once the
        run succeeds.
    checkpoint : bool
        False keeps no stage anywhere.
    **options
        As for :func:`scan`.

    Raises
    ------
    UsageError
        If an output would overwrite an input or lie inside an input folder,
        if ``work_dir`` is a file or lies in an input folder, or if it is
        given with ``checkpoint=False``.
    """
    output = Path(output)
    config = _resolve(config, options)
    paths = [Path(p) if p is not None else None for p in (report, html)]
    files = discover(inputs, config.read.format)
    check_output(files, inputs, output, *paths)
    if work_dir is not None and not checkpoint:
        raise UsageError(f"{work_dir}: a work folder was given with checkpoints turned off; give one or the other")
    if not checkpoint:
        work = checkpoints.WorkDir(None)
    elif work_dir is None:
        work = checkpoints.WorkDir(output / checkpoints.DEFAULT_NAME, temporary=True)
    else:
        _check_work_dir(Path(work_dir), files, inputs)
        work = checkpoints.WorkDir(Path(work_dir))
    with _running(config, jobs, progress, work, memory) as run:
        result = _scan(run, inputs)
    cleaned = _CleanedByRecord(result.analysis.documents, result.analysis.cleaned)
    output.mkdir(parents=True, exist_ok=True)
    with run.progress.stage("write", len(result.corpus.files), "files") as task:
        for f in result.corpus.files:
            result.written += write_corpus([f], cleaned, output, config.read)
            task.advance(1)
        if report is not None:
            result.report.write(Path(report))
        if html is not None:
            write_html(result, Path(html))
    work.discard()
    return result

