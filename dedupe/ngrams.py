"""The distinct n-grams of many texts, in shards by hash: sizes, document
frequencies, and set overlaps of pairs, one shard at a time.

Comparing texts on their n-gram sets (how many n-grams two texts share, how
many documents an n-gram is in) needs every n-gram of the corpus, far more
than memory should hold at once. Each n-gram goes to the shard its hash
picks (:class:`dedupe.executor.spill.Shards`), so an n-gram's every occurrence is in
one shard; a shard is loaded, worked on and dropped, and what is wanted of
all of them is a sum over shards (exact: the sums are integer counts, or
added in a fixed shard order).

Texts are *owners* (a block, a document); each owner belongs to a
*document*, and document frequency counts documents, not owners.
"""

from __future__ import annotations

import queue
from typing import TYPE_CHECKING, Iterator, Optional

import numpy as np
from numba import njit
from scipy import sparse

from .arrays import run_starts, segment_arange
from .executor import Exchange, Shards, in_memory
from .executor.threads import in_order
from .ints import index_type
from .verify import row_products

if TYPE_CHECKING:
    from .progress import Task

__all__ = ["GramIndex", "group_pairs", "pair_codes", "shard_rows", "SHARDS"]

#: Shards of a :class:`GramIndex`: fixed, so results are the same on any machine.
SHARDS = 32
# An n-gram's shard is its hash's low bits (SHARDS is a power of two).
_SHARD_BITS = SHARDS.bit_length() - 1
assert 1 << _SHARD_BITS == SHARDS

# Parts (by lower owner) that :meth:`GramIndex.sharing_pairs` counts pairs
# in, and pairs made at once: a batch's pairs, codes and their sort are
# some 70 bytes a pair, the syndication stage's peak at 8M (how many
# changes no count).
PARTS = 16
PAIR_BATCH = 1 << 21


def group_pairs(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair ``(i, j)``, ``i < j``, of rows in the same group; groups are
    consecutive runs of rows of the given sizes. Pairs come group by group."""
    total = int(sizes.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    later = np.repeat(sizes, sizes) - segment_arange(sizes) - 1  # rows after each row in its group
    first = np.repeat(np.arange(total, dtype=np.int64), later)
    return first, first + 1 + segment_arange(later)


def pair_codes(owner: np.ndarray, sizes: np.ndarray, n: int) -> np.ndarray:
    """``owner[i] * n + owner[j]`` (int64) for the pairs ``(i, j)`` of
    :func:`group_pairs` of ``sizes``, in its order, made in one compiled
    loop (no arrays of the pairs' rows, nor their gathers)."""
    owner = np.asarray(owner)
    sizes = np.asarray(sizes, dtype=np.int64)
    if int(sizes.sum()) > len(owner):
        raise ValueError("the groups hold more rows than there are owners")
    return _pair_codes(owner.astype(np.int64, copy=False), sizes, np.int64(n))


@njit(cache=True)
def _pair_codes(owner, sizes, n):
    total = 0
    for s in sizes:
        total += s * (s - 1) // 2
    out = np.empty(total, dtype=np.int64)
    k, base = 0, 0
    for s in sizes:
        for a in range(s):
            first = owner[base + a] * n
            for b in range(a + 1, s):
                out[k] = first + owner[base + b]
                k += 1
        base += s
    return out


@njit(cache=True, nogil=True)
def _mix(x):
    """A 64-bit mix of an n-gram hash (splitmix64's finaliser, uint64), so
    that sums of them tell sets apart."""
    x = np.uint64(x) * np.uint64(0x9E3779B97F4A7C15)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def shard_rows(hashes: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A slice of owners' n-grams as :meth:`GramIndex.add_sorted` takes
    them: the distinct ``(key, owner)`` rows, sorted by shard, then key,
    then owner; owners numbered from 0 in the slice.

    A map step's work (:func:`dedupe.sign.sharded_shingles` runs it on the
    workers): the index's build then merges sorted runs, and its ``add``
    splits nothing by shard.

    Parameters
    ----------
    hashes : ndarray of uint32
        The n-gram hashes of the owners, owner after owner.
    counts : ndarray of int, shape (n_owners,)
        How many of them each owner has (fewer than 2**32 owners).

    Returns
    -------
    key : ndarray of uint32
    owner : ndarray of int32 (int64 past 2**31 owners)
    bounds : ndarray of int64, shape (SHARDS + 1,)
        Shard ``s``'s rows are ``bounds[s]:bounds[s + 1]``.
    """
    if hashes.dtype.itemsize > 4 or len(counts) > 1 << 32:
        raise ValueError("shard_rows takes 32-bit hashes of fewer than 2**32 owners")
    h = hashes.astype(np.uint64)
    low, width = np.uint64(_SHARD_BITS), np.uint64(32 - _SHARD_BITS)
    # The hash rotated so that its shard bits lead: sorted as one uint64 with
    # the owner, rows come by shard, then hash (a shard's hashes share their
    # low bits), then owner.
    rotated = (h >> low) | ((h & np.uint64(SHARDS - 1)) << width)
    del h
    packed = (rotated << np.uint64(32)) | np.repeat(np.arange(len(counts), dtype=np.uint64), counts)
    del rotated
    packed.sort()
    packed = packed[run_starts(packed)]
    top = np.uint64(64 - _SHARD_BITS)
    bounds = np.concatenate(
        [[0], np.searchsorted(packed, np.arange(1, SHARDS, dtype=np.uint64) << top), [len(packed)]]
    ).astype(np.int64)
    rotated = packed >> np.uint64(32)
    key = (((rotated << low) | (rotated >> width)) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    del rotated
    owner = (packed & np.uint64(0xFFFFFFFF)).astype(index_type(len(counts)))
    return key, owner, bounds


def _distinct_sorted(
    key: np.ndarray, owner: np.ndarray, n_owners: int, kind: str = "quicksort"
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``(key, owner)`` rows, sorted by key, then owner.

    32-bit keys (shingle hashes) and owners are packed into one uint64 and
    sorted as such, three to four times faster than ``np.lexsort`` of the
    two columns, in the same order; wider keys take the lexsort. ``kind``
    "stable" (timsort) merges rows that come as sorted runs several times
    faster than a quicksort (the order is the same: the values are the
    rows).
    """
    if key.dtype.itemsize <= 4 and n_owners <= 1 << 32:
        packed = (key.astype(np.uint64) << np.uint64(32)) | owner.astype(np.uint64)
        packed.sort(kind=kind)
        packed = packed[run_starts(packed)]
        return (packed >> np.uint64(32)).astype(key.dtype), (packed & np.uint64(0xFFFFFFFF)).astype(owner.dtype)
    order = np.lexsort((owner, key))
    key, owner = key[order], owner[order]
    first = np.r_[True, (key[1:] != key[:-1]) | (owner[1:] != owner[:-1])]
    return key[first], owner[first]


@njit(cache=True, nogil=True)
def _radix_pass(key, owner, out_key, out_owner, shift):
    """One pass of a stable radix sort of rows by key: its 11 bits from ``shift``."""
    count = np.zeros(2049, np.int64)
    for i in range(len(key)):
        count[((key[i] >> shift) & 0x7FF) + 1] += 1
    for b in range(2048):
        count[b + 1] += count[b]
    for i in range(len(key)):
        b = (key[i] >> shift) & 0x7FF
        out_key[count[b]] = key[i]
        out_owner[count[b]] = owner[i]
        count[b] += 1


@njit(cache=True, nogil=True)
def _merged_runs(key, owner, in_place):
    """The rows of runs that :func:`shard_rows` sorted (``key`` uint32),
    concatenated in ascending order of their owners, sorted by key, then
    owner, and True; False if they were no such runs (an owner not above
    the one before it under one key: not sorted, or not distinct), with the
    rows in some other order.

    A stable radix sort by key (three passes of 11 bits) keeps each key's
    rows in the order they came, which is by owner: what a sort of the
    packed ``(key, owner)`` rows gives, in about half its time. ``in_place``:
    the second pass writes over ``key`` and ``owner`` (spent, then), not
    into arrays of its own: a shard's rows twice over, not three times.
    """
    n = len(key)
    a_key, a_owner = np.empty(n, key.dtype), np.empty(n, owner.dtype)
    if in_place:
        b_key, b_owner = key, owner
    else:
        b_key, b_owner = np.empty(n, key.dtype), np.empty(n, owner.dtype)
    _radix_pass(key, owner, a_key, a_owner, 0)
    _radix_pass(a_key, a_owner, b_key, b_owner, 11)
    _radix_pass(b_key, b_owner, a_key, a_owner, 22)
    for i in range(1, n):
        if a_key[i] == a_key[i - 1] and a_owner[i] <= a_owner[i - 1]:
            return a_key, a_owner, False
    return a_key, a_owner, True


@njit(cache=True, nogil=True)
def _shard_table(key, owner, document, max_df, sizes, rare_sizes, fingerprints, fingerprint):
    """A built shard's columns from its distinct ``(key, owner)`` rows,
    sorted: each row's n-gram number in the shard (int32), whether the
    n-gram is in at most ``max_df`` documents, and whether the row is its
    document's first with the n-gram; ``sizes`` and ``rare_sizes`` count
    each owner's rows and rare rows, and (``fingerprint``) each owner's
    ``fingerprints`` add the :func:`_mix` of its n-grams, in place."""
    n = len(key)
    gram = np.empty(n, np.int32)
    rare = np.empty(n, np.bool_)
    new_doc = np.empty(n, np.bool_)
    g, i = -1, 0
    while i < n:
        g += 1
        j, df = i, 0
        while j < n and key[j] == key[i]:
            new_doc[j] = j == i or document[owner[j]] != document[owner[j - 1]]
            df += new_doc[j]
            gram[j] = g
            j += 1
        mixed = _mix(key[i]) if fingerprint else np.uint64(0)
        for t in range(i, j):
            rare[t] = df <= max_df
            sizes[owner[t]] += 1
            if df <= max_df:
                rare_sizes[owner[t]] += 1
            if fingerprint:
                fingerprints[owner[t]] += mixed
        i = j
    return gram, rare, new_doc


@njit(cache=True, nogil=True)
def _by_owner(owner, gram, n_owners, indptr, indices):  # pragma: no cover - compiled
    """A stable counting sort of the rows by owner: CSR ``indptr`` and
    ``indices`` (the rows' n-grams, in their order within each owner)."""
    for o in owner:
        indptr[o + 1] += 1
    for i in range(n_owners):
        indptr[i + 1] += indptr[i]
    fill = indptr[:-1].copy()
    for t in range(len(owner)):
        o = owner[t]
        indices[fill[o]] = gram[t]
        fill[o] += 1
    return indptr, indices


class GramIndex:
    """Distinct n-grams of owners, sharded by hash.

    :meth:`add` the n-gram hashes of owners slice by slice, then
    :meth:`build` once; then ask for :attr:`sizes`, :attr:`rare_sizes`,
    :meth:`intersections` and :meth:`sharing_pairs`, or walk the shards
    (:meth:`shards`) for anything else.

    Parameters
    ----------
    document : ndarray of int, shape (n_owners,)
        The document of each owner, ascending (owners are in document order);
        kept as int32 when documents fit (there is one per owner: tens of
        millions at a million pages).
    max_df : int
        An n-gram in more documents than this is common, not rare.
    exchange : dedupe.executor.Exchange, optional
        Makes the shards (:class:`dedupe.executor.spill.Shards`): a run's
        spill to its work folder on a large corpus.
    fingerprints : bool
        Also fingerprint each owner's set of distinct n-grams
        (:attr:`fingerprints`), to tell owners with the same set.
    """

    def __init__(
        self, document: np.ndarray, max_df: int, exchange: Exchange = in_memory, fingerprints: bool = False
    ):
        document = np.asarray(document)
        self.document = document.astype(index_type(document), copy=False)
        self.n_owners = len(self.document)
        self.max_df = max_df
        self._exchange = exchange
        self._raw: Optional[Shards] = exchange(SHARDS)
        # Every row so far came through add_sorted: shards of sorted runs.
        self._runs = True
        self._built: Optional[Shards] = None
        #: Distinct n-grams of each owner, and how many of them are rare
        #: (int32: an owner is a block or a page, far below 2**31 n-grams).
        self.sizes = np.zeros(self.n_owners, dtype=np.int32)
        self.rare_sizes = np.zeros(self.n_owners, dtype=np.int32)
        #: With ``fingerprints``: the wrapping sum of a 64-bit mix of each
        #: distinct n-gram of an owner (uint64). Owners with the same set have
        #: the same fingerprint; two different sets of one size collide about
        #: once in 2**64.
        self.fingerprints = np.zeros(self.n_owners, dtype=np.uint64) if fingerprints else None

    def add(self, hashes: np.ndarray, owner: np.ndarray) -> None:
        """The n-gram ``hashes[k]`` is in owner ``owner[k]``."""
        self._raw.add(hashes, owner=self._owners(owner))
        self._runs = False

    def add_sorted(self, key: np.ndarray, owner: np.ndarray, bounds: np.ndarray) -> None:
        """Rows as :func:`shard_rows` makes them (``owner`` numbered in this
        index: add the slice's first owner): the same rows as ``add(key,
        owner)``, already split by shard; the build merges them."""
        owner = self._owners(owner)
        for s in np.flatnonzero(np.diff(bounds)).tolist():
            self._raw.put(s, key=key[bounds[s] : bounds[s + 1]], owner=owner[bounds[s] : bounds[s + 1]])

    def _owners(self, owner: np.ndarray) -> np.ndarray:
        """Owner numbers as the shards keep them: int32 while the owners fit
        (the widest column of the rows, spilled to disk and read back on a
        large corpus: half the bytes of int64)."""
        return np.asarray(owner).astype(index_type(self.n_owners), copy=False)

    def build(self, threads: int = 1, task: Optional["Task"] = None) -> None:
        """Make each shard's rows distinct ``(n-gram, owner)``, sorted, with
        the n-gram's number in the shard, whether it is rare, and whether the
        row is its document's first with that n-gram.

        ``threads`` shards at a time (the compiled steps let go of the GIL),
        each thread counting into sizes of its own, added up at the end:
        the same tables and counts as one at a time. ``task`` is told of
        each shard done."""
        self._built = self._exchange(SHARDS)
        fingerprint = self.fingerprints is not None
        # The index's own counts, and a set of zeros for each other thread.
        counts: queue.SimpleQueue = queue.SimpleQueue()
        own = (self.sizes, self.rare_sizes, self.fingerprints if fingerprint else np.zeros(0, np.uint64))
        others = [tuple(np.zeros_like(a) for a in own) for _ in range(max(threads, 1) - 1)]
        for c in (own, *others):
            counts.put(c)

        def table(rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            # Taken out of ``rows``, so the shard's rows as read go as soon
            # as they are merged (the call's arguments live as long as it runs).
            # The raw rows are the build's to spend: rows read back (arrays of
            # their own) are worked on in place; views into what a caller
            # added are not.
            key, owner = rows.pop("key"), rows.pop("owner")
            merged = False
            if self._runs and key.dtype == np.uint32:
                spent = all(a.flags.owndata and a.flags.writeable for a in (key, owner))
                # The same rows, in another order if they were not merged.
                key, owner, merged = _merged_runs(key, owner, spent)
            if not merged:
                key, owner = _distinct_sorted(key, owner, self.n_owners, "stable" if self._runs else "quicksort")
            c = counts.get()
            try:
                gram, rare, new_doc = _shard_table(key, owner, self.document, self.max_df, *c, fingerprint)
            finally:
                counts.put(c)
            return {"owner": owner, "gram": gram, "rare": rare, "new_doc": new_doc}

        def calls() -> Iterator[tuple]:
            for s in range(SHARDS):
                rows = raw.load(s)
                yield (s, table, (rows,)) if rows else (s, None, ())
                del rows

        with self._raw as raw:
            for s, done in in_order(calls(), threads):
                if done is not None:
                    self._built.put(s, **done)
                done = None  # let go of before the next shard is read
                if task is not None:
                    task.advance(1)
        for c in others:
            for mine, theirs in zip(own, c):
                mine += theirs
        self._raw = None

    def shards(self) -> Iterator[dict[str, np.ndarray]]:
        """Each non-empty shard's rows (see :meth:`build`), one at a time,
        held here no longer than the caller holds them."""
        for s in range(SHARDS):
            rows = self._built.load(s)
            if rows:
                handed = [rows]
                del rows
                yield handed.pop()

    def _matrix(self, rows: dict[str, np.ndarray]) -> sparse.csr_matrix:
        """The shard's owners by its n-grams, a 1 where an owner has one: its
        rows are distinct and sorted by (n-gram, owner), so a stable count
        by owner gives each owner's n-grams sorted (canonical CSR, what
        scipy's COO conversion makes of them, at half its time)."""
        owner, gram = rows["owner"], rows["gram"]
        shape = (self.n_owners, int(gram.max()) + 1)
        dtype = index_type(*shape, len(owner))
        indptr, indices = _by_owner(owner, gram, shape[0], np.zeros(shape[0] + 1, dtype), np.empty(len(owner), dtype))
        m = sparse.csr_matrix((np.ones(len(owner), dtype=np.float32), indices, indptr), shape=shape)
        m.has_canonical_format = True
        return m

    def intersections(self, pairs: np.ndarray) -> np.ndarray:
        """How many distinct n-grams the owners of each pair ``(a, b)`` share."""
        inter = np.zeros(len(pairs), dtype=np.int64)
        if len(pairs):
            for rows in self.shards():
                m = self._matrix(rows)
                inter += np.rint(row_products(m, m, pairs[:, 0], pairs[:, 1])).astype(np.int64)
        return inter

    def sharing_pairs(self, min_shared: int) -> np.ndarray:
        """Pairs of owners ``(a, b)``, ``a < b``, sorted, that share at least
        ``min_shared`` rare n-grams: each rare n-gram pairs the owners it is
        in, and the pairs are counted over all shards.

        Each shard's pairs, made a batch of n-grams at a time, go to parts
        by their lower owner (spilled to disk on a large corpus), and each
        part is counted once at the end: the pairs of a shard, or of all
        shards, are never held at once, nor sorted again shard after shard.
        """
        n = self.n_owners
        with self._exchange(PARTS) as parts:
            for rows in self.shards():
                rare = rows["rare"]
                owner, gram = rows["owner"][rare], rows["gram"][rare]
                del rows, rare
                sizes = np.bincount(gram)
                sizes = sizes[sizes > 0]  # rows per rare n-gram, in row order
                ends = np.cumsum(sizes)
                made = np.cumsum(sizes * (sizes - 1) // 2)
                g = 0
                while g < len(sizes):
                    stop = max(g + 1, int(np.searchsorted(made, (made[g - 1] if g else 0) + PAIR_BATCH, side="right")))
                    at = int(ends[g - 1]) if g else 0
                    got, many = np.unique(pair_codes(owner[at:], sizes[g:stop], n), return_counts=True)
                    bounds = np.searchsorted(got, np.arange(PARTS + 1) * (-(-n // PARTS)) * n)
                    for k in np.flatnonzero(np.diff(bounds)).tolist():
                        parts.put(k, code=got[bounds[k] : bounds[k + 1]], count=many[bounds[k] : bounds[k + 1]])
                    g = stop
            keep = []
            for k in range(PARTS):
                rows = parts.load(k)
                if rows:
                    codes, inverse = np.unique(rows["code"], return_inverse=True)
                    counts = np.bincount(inverse.ravel(), weights=rows["count"], minlength=len(codes))
                    keep.append(codes[counts >= min_shared])
        keep = np.concatenate(keep) if keep else np.zeros(0, np.int64)
        return np.stack(np.divmod(keep, n), axis=1) if len(keep) else np.zeros((0, 2), np.int64)

    def close(self) -> None:
        for shards in (self._raw, self._built):
            if shards is not None:
                shards.close()

    def __enter__(self) -> "GramIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
