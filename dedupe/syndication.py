"""Find documents that carry the same text, and the passages they share.

Near-duplicates are found over the *cleaned* text: word n-gram shingles,
MinHash-LSH candidates (plus every pair that still shares a repeated block,
which catches truncated copies whose Jaccard is low), verified with the true
containment ``|A & B| / min(|A|, |B|)``. Verified pairs are grouped by star
clustering, so unrelated pages are never chained together. Pairs that are
not near-duplicates but share long passages are reported as overlaps.

Shared passages are found word by word from short anchors and mapped back to
character offsets in each input document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np
from numba import njit

from . import cluster, lsh, verify
from .arrays import argsort
from .blocks import WORD, normalise
from .config import MinHashConfig, ShingleConfig, SyndicationConfig
from .executor import Exchange, Workers, in_memory
from .ngrams import GramIndex
from .progress import Progress, as_progress
from .sign import sharded_shingles, slices

__all__ = [
    "Passage", "Pair", "Cluster", "Syndication", "find", "passages", "passages_of", "match_runs", "anchors", "Tokens",
    "cleaned_key", "min_shared_ngrams", "word_ids",
]

# Passages separated by at most this many changed words are one passage
# ("lightly edited" copies change a word here and there).
_MAX_GAP = 3
# Words that anchor a match, and how many places of an anchor are tried
# (a phrase repeated hundreds of times in a page must not make it quadratic).
_ANCHOR = 4
_MAX_ANCHOR_HITS = 32


@dataclass(frozen=True)
class Passage:
    """A passage two documents share: ``(start, end)`` offsets in each."""

    a: tuple[int, int]
    b: tuple[int, int]
    words: int


@dataclass
class Pair:
    """Two documents (indices), their verified similarity, their shared passages."""

    a: int
    b: int
    jaccard: float
    containment: float
    passages: list[Passage] = field(default_factory=list)

    @property
    def shared_words(self) -> int:
        return sum(p.words for p in self.passages)


@dataclass
class Cluster:
    """Documents that carry the same text; ``centre`` is similar to every member."""

    centre: int
    members: list[int]
    pairs: list[Pair]


@dataclass
class Syndication:
    clusters: list[Cluster]
    overlaps: list[Pair]


class Tokens:
    """Words of the kept spans of a text, case folded: their ids
    (:func:`word_ids`: equal words, equal ids) and their offsets in the
    text; the anchor index of the ids built once per anchor length, on
    demand. No word is held as a string: an ASCII text's words are hashed
    from its bytes where they lie."""

    __slots__ = ("ids", "pos", "_index")

    def __init__(self, text: str, spans: Sequence[tuple[int, int]]):
        if text.isascii():
            # ASCII: lower is casefold and keeps every \w a \w, so the
            # words are the runs of word bytes, lower-cased.
            codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
            self.pos = _ascii_words_in(codes, _ASCII_WORD, np.asarray(spans, dtype=np.int64).reshape(-1, 2))
            self.ids = _hash_runs(codes, self.pos, _ASCII_LOWER)
        else:
            ids: list[np.ndarray] = []
            pos: list[np.ndarray] = []
            for a, b in spans:
                piece = text[a:b]
                if piece.isascii():
                    codes = np.frombuffer(piece.encode("ascii"), dtype=np.uint8)
                    runs = _ascii_words_in(codes, _ASCII_WORD, np.array([[0, len(codes)]], dtype=np.int64))
                    ids.append(_hash_runs(codes, runs, _ASCII_LOWER))
                    pos.append(runs + a)
                else:
                    found = list(WORD.finditer(text, a, b))
                    ids.append(word_ids([m.group().casefold() for m in found]))
                    pos.append(np.array([m.span() for m in found], dtype=np.int64).reshape(-1, 2))
            self.ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
            self.pos = np.concatenate(pos) if pos else np.zeros((0, 2), dtype=np.int64)
        self._index: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def index(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """:func:`anchors` of :attr:`ids`."""
        if k not in self._index:
            self._index[k] = anchors(self.ids, k)
        return self._index[k]


def word_ids(words: Sequence[str]) -> np.ndarray:
    """A 64-bit id of each word (of its UTF-8 bytes: equal words, equal
    ids; two different words sharing one is a 2**-64 chance), int64."""
    data = "".join(words).encode("utf-8")
    ends = np.cumsum(np.fromiter((len(w.encode("utf-8")) for w in words), dtype=np.int64, count=len(words)))
    runs = np.stack([ends - np.diff(np.r_[0, ends]), ends], axis=1) if len(words) else np.zeros((0, 2), np.int64)
    return _hash_runs(np.frombuffer(data, dtype=np.uint8), runs, _SAME)


@njit(cache=True)
def _hash_runs(codes, runs, table):
    """FNV-1a of the bytes ``table[codes[a:b]]`` of each run ``(a, b)``, mixed: int64."""
    out = np.empty(len(runs), dtype=np.int64)
    for r in range(len(runs)):
        h = np.uint64(0xCBF29CE484222325)
        for i in range(runs[r, 0], runs[r, 1]):
            h = (h ^ np.uint64(table[codes[i]])) * np.uint64(0x100000001B3)
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xFF51AFD7ED558CCD)
        h ^= h >> np.uint64(33)
        out[r] = np.int64(h)
    return out


_SAME = np.arange(256, dtype=np.uint8)
_ASCII_LOWER = np.array([c + 32 if 65 <= c <= 90 else c for c in range(256)], dtype=np.uint8)


# What WORD matches among the ASCII code points.
_ASCII_WORD = np.array([bool(WORD.fullmatch(chr(c))) for c in range(128)], dtype=np.bool_)


@njit(cache=True)
def _ascii_words_in(codes, is_word, bounds):
    """``(start, end)`` of each run of word characters of each piece
    ``codes[a:b]`` of the ``bounds`` (int64 (n, 2)) of ASCII ``codes``, in
    the text's offsets, one piece after another: int64 (m, 2)."""
    most = 0
    for p in range(len(bounds)):
        most += (bounds[p, 1] - bounds[p, 0] + 1) // 2
    out = np.empty((most, 2), dtype=np.int64)
    n = 0
    for p in range(len(bounds)):
        inside = False
        for i in range(bounds[p, 0], bounds[p, 1]):
            w = is_word[codes[i]]
            if w and not inside:
                out[n, 0] = i
            elif inside and not w:
                out[n, 1] = i
                n += 1
            inside = w
        if inside:
            out[n, 1] = bounds[p, 1]
            n += 1
    return out[:n]


@njit(cache=True)
def _anchor_keys(ids, k):
    """A 64-bit key of each ``k``-id sequence of ``ids`` (equal sequences, equal keys)."""
    n = max(len(ids) - k + 1, 0)
    keys = np.empty(n, dtype=np.uint64)
    for j in range(n):
        h = np.uint64(0x9E3779B97F4A7C15)
        for q in range(k):
            h = (h ^ np.uint64(ids[j + q])) * np.uint64(0x100000001B3)
            h ^= h >> np.uint64(29)
        keys[j] = h
    return keys


def anchors(ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Where each ``k``-id sequence starts in ``ids``: its key
    (:func:`_anchor_keys`) and its start, sorted by key, then start.

    Returns
    -------
    keys : ndarray of uint64, shape (n - k + 1,)
    starts : ndarray of int64, shape (n - k + 1,)
    """
    keys = _anchor_keys(ids, k)
    order = argsort(keys)
    return keys[order], order.astype(np.int64)


@njit(cache=True)
def _match_runs(wa, wb, k, keys, starts, max_hits):
    """:func:`match_runs` over int64 ids, ``(keys, starts)`` being
    :func:`anchors` of ``wb``. Equal keys are checked word by word, so a
    key shared by two sequences never makes a match."""
    out = np.empty((max(len(wa) - k + 1, 0), 3), dtype=np.int64)
    found = 0
    la, lb = len(wa), len(wb)
    probe = _anchor_keys(wa, k)
    i = 0
    while i <= la - k:
        t = np.searchsorted(keys, probe[i])
        hits, best_n, best_j = 0, 0, -1
        while t < len(keys) and keys[t] == probe[i] and hits < max_hits:
            j = starts[t]
            t += 1
            same = True
            for q in range(k):
                if wa[i + q] != wb[j + q]:
                    same = False
                    break
            if not same:
                continue
            hits += 1
            n = k
            while i + n < la and j + n < lb and wa[i + n] == wb[j + n]:
                n += 1
            if n > best_n:
                best_n, best_j = n, j
        if hits == 0:
            i += 1
            continue
        out[found, 0], out[found, 1], out[found, 2] = i, best_j, best_n
        found += 1
        i += best_n
    return out[:found]


def match_runs(
    wa: Sequence[str], wb: Sequence[str], k: int, index: Optional[tuple[np.ndarray, np.ndarray]] = None
) -> list[tuple[int, int, int]]:
    """Greedy maximal matches ``(i, j, n)``: ``wa[i:i+n] == wb[j:j+n]``, found
    from ``k``-word anchors scanning ``wa`` left to right (linear in practice,
    where difflib's alignment is quadratic on long pages); of the places an
    anchor starts in ``wb``, the first :data:`_MAX_ANCHOR_HITS` are tried.
    ``wa`` and ``wb`` are words, or int64 word ids (``index``, then, may be
    :func:`anchors` of ``wb``, when the caller has it already)."""
    if not isinstance(wa, np.ndarray):
        wa, wb, index = word_ids(wa), word_ids(wb), None
    keys, starts = anchors(wb, k) if index is None else index
    return [tuple(r) for r in _match_runs(wa, wb, k, keys, starts, _MAX_ANCHOR_HITS).tolist()]


def passages(ta: Tokens, tb: Tokens, min_words: int) -> list[Passage]:
    """Passages of at least ``min_words`` words two token sequences share.

    Matches a few changed words apart (at most ``_MAX_GAP`` on both sides)
    are one passage, so a lightly edited copy gives one passage, not many.
    """
    pa, pb = ta.pos, tb.pos
    k = min(min_words, _ANCHOR)
    merged: list[list[int]] = []  # [i, j, i_end, j_end, words]
    for i, j, n in match_runs(ta.ids, tb.ids, k, tb.index(k)):
        last = merged[-1] if merged else None
        if last and 0 <= i - last[2] <= _MAX_GAP and 0 <= j - last[3] <= _MAX_GAP:
            last[2], last[3], last[4] = i + n, j + n, last[4] + n
        else:
            merged.append([i, j, i + n, j + n, n])
    return [
        Passage(a=(int(pa[i, 0]), int(pa[ie - 1, 1])), b=(int(pb[j, 0]), int(pb[je - 1, 1])), words=int(n))
        for i, j, ie, je, n in merged
        if n >= min_words
    ]


def _passage_args(texts, spans, pairs: np.ndarray, config: SyndicationConfig, swap: np.ndarray) -> tuple:
    """What :func:`passages_of` needs for ``pairs``: the pairs, and the text
    and kept spans of each document in them (sent to a worker as they are)."""
    docs = {i: (texts[i], spans[i]) for i in np.unique(pairs).tolist()}
    return pairs.tolist(), docs, config.min_passage_words, swap.tolist()


def passages_of(pairs: list, docs: dict, min_words: int, swap: Optional[list] = None) -> list[list[Passage]]:
    """:func:`passages` of each pair ``(x, y)``, the documents' text and kept
    spans in ``docs``; each document tokenised once for the chunk (a
    cluster's centre is in every pair of its cluster). Where ``swap[t]``,
    the pair is scanned from ``y`` (:func:`passages` scans its first
    document: a pair's passages depend on which goes first) and its
    passages' sides swapped back: a pair is scanned from its first document
    by id, whatever the order of the input."""
    tokens: dict[int, Tokens] = {}

    def toks(i: int) -> Tokens:
        if i not in tokens:
            tokens[i] = Tokens(*docs[i])
        return tokens[i]

    def located(t: int, x: int, y: int) -> list[Passage]:
        if swap is not None and swap[t]:
            return [Passage(a=p.b, b=p.a, words=p.words) for p in passages(toks(y), toks(x), min_words)]
        return passages(toks(x), toks(y), min_words)

    return [located(t, x, y) for t, (x, y) in enumerate(pairs)]


def cleaned_key(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """The text a document is compared on: its kept spans, joined and
    normalised (:func:`dedupe.blocks.normalise`)."""
    return normalise("".join(text[a:b] for a, b in spans))


def min_shared_ngrams(config: SyndicationConfig, n: int) -> int:
    """Shared n-grams below which a pair cannot share ``overlap_min_words``
    words of passages: each passage of L words has L - n + 1 n-grams, and a
    lightly edited one (a word changed every ten) keeps about half."""
    return max((config.overlap_min_words - n + 1) // 2, config.min_passage_words - n + 1, 1)


def _first_copies(
    sizes: np.ndarray, fingerprints: np.ndarray, keys: np.ndarray, rank: Optional[np.ndarray] = None
) -> tuple[np.ndarray, np.ndarray]:
    """Documents with the same n-gram set: each one's first copy (the
    smallest ``rank``, by default index, with its set), and how many copies
    each first copy stands for (0 for the others, and for empty documents).

    A set is told by its size, its fingerprint and its first band key.
    """
    n = len(sizes)
    first = np.arange(n, dtype=np.int64)
    sized = np.flatnonzero(sizes > 0)  # an empty document is a copy of none
    if len(sized):
        tie = sized if rank is None else rank[sized]
        order = sized[np.lexsort((tie, keys[sized, 0], fingerprints[sized], sizes[sized]))]
        s, f, k = sizes[order], fingerprints[order], keys[order, 0]
        new = np.r_[True, (s[1:] != s[:-1]) | (f[1:] != f[:-1]) | (k[1:] != k[:-1])]
        start = np.flatnonzero(new)
        first[order] = np.repeat(order[start], np.diff(np.r_[start, len(order)]))
    weight = np.bincount(first, minlength=n)
    weight[sizes == 0] = 0
    return first, weight


def find(
    texts: Sequence[str],
    spans: Sequence[Sequence[tuple[int, int]]],
    hint_pairs: np.ndarray,
    shingle_config: ShingleConfig,
    minhash_config: MinHashConfig,
    config: SyndicationConfig,
    workers: Optional[Workers] = None,
    exchange: Exchange = in_memory,
    progress: Optional[Progress] = None,
    rank: Optional[np.ndarray] = None,
) -> Syndication:
    """Find syndication clusters and partial overlaps.

    Parameters
    ----------
    texts : sequence of str
        The documents as read.
    spans : sequence of list of (int, int)
        The kept character spans of each document (its cleaned text).
    hint_pairs : ndarray of int64, shape (p, 2)
        Pairs to verify besides the LSH candidates (they share kept blocks).
    workers : dedupe.executor.parallel.Workers, optional
        Who shingles and signs (this process alone by default).
    exchange : dedupe.executor.Exchange, optional
        Makes the n-gram shards (:class:`dedupe.ngrams.GramIndex`), a run's
        spilling to its work folder on a large corpus.
    progress : dedupe.progress.Progress or callable, optional
        Told of the long steps as sub-stages of "syndication" ("syndication
        · signatures", "· candidates", "· passages"), with counts; silent by default.
    rank : ndarray of int64, shape (n,), optional
        The order choices among equals follow (a permutation; by index by
        default): the first copy of a set of copies, a star centre among
        documents of equal degree. :func:`dedupe.cluster.id_ranks` of the
        ids makes the clusters the same for any order of the input.

    Candidates are the LSH pairs, the hint pairs, and pairs sharing enough
    n-grams found in at most :data:`dedupe.verify.MAX_DF` documents (the
    inverted index text-reuse detectors use: a page quoting a passage of
    another has a low Jaccard with it, so LSH does not propose the pair, but
    it shares the passage's n-grams). Each is verified with the true
    Jaccard and containment of the two n-gram sets.
    """
    n = len(texts)
    progress = as_progress(progress)
    workers = workers or Workers(1)
    n_gram, sign = shingle_config.doc_ngram, (minhash_config.num_perm, minhash_config.seed)
    lengths = np.fromiter((sum(b - a for a, b in s) for s in spans), dtype=np.float64, count=n)
    keys = [np.zeros((0, lsh.bands_rows(config.lsh_threshold, minhash_config.num_perm)[0]), np.uint64)]
    with GramIndex(np.arange(n), verify.MAX_DF, exchange, fingerprints=True) as grams:
        with progress.stage("syndication · signatures", n, "documents") as task:
            for start, end in slices(lengths):
                # Normalised on the workers, with the shingling.
                # The slice's texts read at once (a store reads them in one go, not once a span).
                cleaned = ["".join(t[a:b] for a, b in spans[i]) for i, t in zip(range(start, end), texts[start:end])]
                parts, _, sigs = sharded_shingles(workers, cleaned, "word", n_gram, sign, normalise=True)
                keys.append(lsh.band_keys(sigs, config.lsh_threshold))
                for key, owner, bounds in parts:  # sorted by shard on the workers
                    grams.add_sorted(key, owner + start, bounds)
                del parts
                task.advance(end - start)
        candidates = progress.start_task("syndication · candidates")
        grams.build(workers.jobs if workers is not None else 1)
        sizes = grams.sizes
        keys = np.concatenate(keys)
        first, weight = _first_copies(sizes, grams.fingerprints, keys, rank)
        # Candidates among the first copy of each distinct, non-empty n-gram
        # set only: n copies would otherwise be n(n - 1)/2 pairs (of empty
        # pages, every page emptied by cleaning), when their verdicts are
        # one (copies are alike in every pair).
        firsts = np.flatnonzero(weight > 0)
        cand = np.concatenate(
            [
                firsts[lsh.pairs_from_band_keys(keys[firsts])],
                hint_pairs.astype(np.int64).reshape(-1, 2),
                grams.sharing_pairs(min_shared_ngrams(config, n_gram)),
            ]
        )
        del keys
        cand = first[cand]
        cand = cand[(cand[:, 0] != cand[:, 1]) & (sizes[cand[:, 0]] > 0) & (sizes[cand[:, 1]] > 0)]
        if len(cand):  # distinct pairs (a < b), sorted: as codes a * n + b (no row-wise unique's copies)
            cand.sort(axis=1)
            cand = np.stack(np.divmod(np.unique(cand[:, 0] * n + cand[:, 1]), n), axis=1)
        inter = grams.intersections(cand)
        jac, con = verify.similarity(inter, sizes[cand[:, 0]], sizes[cand[:, 1]])
        near = (con >= config.syndication_threshold) & (inter > 0)
        centre = cluster.stars(n, cand[near], weight, rank)
        centre = centre[first]  # a copy is where its first copy is

        members_of: dict[int, list[int]] = {}
        for i in np.flatnonzero(centre != np.arange(n)).tolist():
            members_of.setdefault(int(centre[i]), []).append(i)
        groups = [sorted([c, *members_of[c]]) for c in sorted(members_of)]
        # Each member paired with its cluster's centre, which star clustering
        # made similar to every member: pairs (and passages, and the report)
        # grow with the members, not with their square.
        member_pairs = np.array(
            [(min(c, m), max(c, m)) for c in sorted(members_of) for m in sorted(members_of[c])], dtype=np.int64
        ).reshape(-1, 2)
        member_inter = grams.intersections(member_pairs)
        progress.end(candidates.stage)
    member_jac, member_con = verify.similarity(member_inter, sizes[member_pairs[:, 0]], sizes[member_pairs[:, 1]])

    # Passages of every pair reported: each member with its centre, then the
    # candidates that are not in one cluster and share n-grams (overlaps).
    # Located a chunk of pairs at a time, on the workers when there are many.
    apart = np.flatnonzero((centre[cand[:, 0]] != centre[cand[:, 1]]) & (inter > 0)) if len(cand) else cand[:0, 0]
    located = np.concatenate([member_pairs, cand[apart]]).astype(np.int64).reshape(-1, 2)
    # Each pair scanned from its first document by rank (passages_of).
    swap = np.zeros(len(located), dtype=bool) if rank is None else rank[located[:, 0]] > rank[located[:, 1]]
    task = progress.start_task("syndication · passages", len(member_pairs) + len(cand), "pairs")
    found: list[list[Passage]] = []
    for part in workers.map(
        passages_of, lengths[located].sum(axis=1) + 1,
        lambda a, b: _passage_args(texts, spans, located[a:b], config, swap[a:b]), task,
    ):
        found += part
    task.advance(len(cand) - len(apart))  # the candidates with nothing to locate

    clusters: list[Cluster] = []
    at = 0
    for members in groups:
        k = len(members) - 1
        pairs = [
            Pair(int(x), int(y), float(j), float(cc), found[at + t])
            for t, ((x, y), j, cc) in enumerate(
                zip(member_pairs[at : at + k].tolist(), member_jac[at : at + k], member_con[at : at + k])
            )
        ]
        at += k
        centre_of = next(c for c in members if centre[c] == c)
        clusters.append(Cluster(centre=centre_of, members=members, pairs=pairs))

    overlaps: list[Pair] = []
    for t, i in enumerate(apart.tolist()):
        x, y = cand[i].tolist()
        p = Pair(x, y, float(jac[i]), float(con[i]), found[len(member_pairs) + t])
        if p.shared_words >= config.overlap_min_words:
            overlaps.append(p)
    progress.end(task.stage)
    return Syndication(clusters=clusters, overlaps=overlaps)
