"""Rows too many to hold at once, kept in shards by a hash key.

A stage that must group or join rows of the whole corpus (every word n-gram
of every block, say) adds them chunk by chunk to :class:`Shards`; each row
goes to the shard its key picks (``key % n_shards``), so all rows of one key
meet in one shard, which is then loaded and worked on alone. How many
shards there are is fixed by the caller, never by the corpus or the memory
at hand: a stage's arithmetic is then the same on any machine. Where the rows
are kept is not: in memory for a small corpus, on disk (one ``.npy`` file per
column, shard and chunk, under a folder removed on :meth:`Shards.close`) past
a size, so what a stage holds at once is one shard.

Two limits send shards to disk, whichever is reached first: the rows one
:class:`Shards` holds (``spill_rows``), and the bytes all of them together
hold in memory (:data:`SPILL_BYTES`, which a run sets from its memory
budget with :func:`budget`): past it, the shards that add rows go to disk.
Where rows are kept never changes what a stage finds.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

import numpy as np

__all__ = ["Shards", "SpillWarning", "SPILL_ROWS", "SPILL_BYTES", "PREFIX", "budget", "held", "spilled", "sweep", "parked"]

#: Spilled shards live in a folder ``dedupe-shards-<pid>-<random>``: the
#: process id tells a live run's folder from one a killed run left.
PREFIX = "dedupe-shards-"

#: Rows one :class:`Shards` keeps in memory before it goes to disk.
SPILL_ROWS = 1 << 24
#: Bytes of rows every live :class:`Shards` together keeps in memory before
#: the one adding rows goes to disk (:func:`budget` sets it for a run).
SPILL_BYTES = 1 << 30

#: Bytes of rows a spilled shard gathers in memory before it writes them
#: as one file (at most a 64th of :data:`SPILL_BYTES`; none with
#: ``spill_rows=0``): many small files are slow to write, read and remove.
FLUSH_BYTES = 1 << 20

_held = 0  # bytes of rows in memory, over every live Shards
_spilled: list = []  # the folders Shards of this process went to disk in, oldest first


class SpillWarning(UserWarning):
    """Shards could not go to disk (no folder could be made, or the disk is
    full): their rows stay in memory, past the run's budget. The result is
    the same; only memory is spent."""


_told: set = set()  # (folder, reason) warned of in this run


def _refused(where, exc: OSError) -> None:
    """Warn that shards stay in memory: once per folder and reason in a run."""
    if (str(where), exc.strerror) in _told:
        return
    _told.add((str(where), exc.strerror))
    warnings.warn(
        f"cannot write spill shards to {where} ({exc.strerror or exc}); keeping their rows in memory,"
        " over the memory budget (free some disk space, or give --work-dir on a larger disk)",
        SpillWarning,
        stacklevel=4,
    )


def spilled() -> list[Path]:
    """The folders :class:`Shards` of this process have gone to disk in,
    oldest first (each removed again on close): what a test or a benchmark
    asks to know whether, and where, a step spilled."""
    return list(_spilled)


def held() -> int:
    """Bytes of rows the live :class:`Shards` keep in memory, all together."""
    return _held


@contextmanager
def budget(nbytes: int) -> Iterator[None]:
    """Within the block, shards keep at most ``nbytes`` in memory, all together."""
    global SPILL_BYTES
    saved, SPILL_BYTES = SPILL_BYTES, int(nbytes)
    _told.clear()  # a new run says again what it could not write
    try:
        yield
    finally:
        SPILL_BYTES = saved


def gone(pid: int) -> bool:
    """Whether process ``pid`` has ended: not there, or a zombie (a killed
    run its own parent has not reaped yet is gone all the same)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # there, but another user's
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return False


def sweep(folder: os.PathLike, prefix: str = PREFIX) -> list[Path]:
    """Remove the spill folders in ``folder`` that no live process owns (a
    run killed while its shards were on disk leaves them); return them.

    Any folder named ``<prefix><pid>-…`` is swept the same way (``prefix``)."""
    swept = []
    try:
        found = sorted(Path(folder).glob(prefix + "*"))
    except OSError:
        return swept
    for path in found:
        owner = path.name[len(prefix) :].split("-", 1)[0]
        if path.is_dir() and not path.is_symlink() and (not owner.isdigit() or gone(int(owner))):
            shutil.rmtree(path, ignore_errors=True)
            swept.append(path)
    return swept


def _concat(parts: list[dict]) -> dict[str, np.ndarray]:
    """Rows of several parts (same columns) as one, in order."""
    if len(parts) == 1:
        return parts[0]
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def _nbytes(part) -> int:
    return sum(col.nbytes for col in part.values()) if isinstance(part, dict) else 0


class Shards:
    """Columns of rows, partitioned by a uint64 key into ``n`` shards.

    Parameters
    ----------
    n : int
        Number of shards.
    folder : path-like, optional
        Where the shard files go once there are more than ``spill_rows``
        rows (a fresh folder inside it, removed on :meth:`close`); the
        system's temporary folder by default.
    spill_rows : int, optional
        Rows kept in memory before the shards spill to disk
        (:data:`SPILL_ROWS` by default).
    """

    def __init__(self, n: int, folder: Optional[Path] = None, spill_rows: Optional[int] = None):
        self.n = n
        self._folder = folder
        self._spill_rows = SPILL_ROWS if spill_rows is None else spill_rows
        self._dir: Optional[Path] = None
        self._parts: list[list] = [[] for _ in range(n)]
        # Once spilled: rows of each shard not yet written (the newest).
        self._pending: list[list[dict]] = [[] for _ in range(n)]
        self._pending_bytes = [0] * n
        self._rows = 0
        self._bytes = 0  # of the parts held in memory
        self._files = 0

    def add(self, key: np.ndarray, **columns: np.ndarray) -> None:
        """Add rows: each column has one value per key; the key itself is kept as column ``key``."""
        # A stable sort of uint8 is a radix sort: six times numpy's int64 mergesort, same order.
        shard = (key % np.uint64(self.n)).astype(np.uint8 if self.n <= 256 else np.int64)
        order = np.argsort(shard, kind="stable")
        bounds = np.searchsorted(shard[order], np.arange(self.n + 1))
        columns = {"key": key, **columns}
        for s in range(self.n):
            idx = order[bounds[s] : bounds[s + 1]]
            if len(idx):
                self.put(s, **{name: col[idx] for name, col in columns.items()})

    def put(self, s: int, **columns: np.ndarray) -> None:
        """Add rows to shard ``s`` itself (rows already worked out shard by shard)."""
        if self._dir is None and self._spill_rows != float("inf"):
            self._rows += len(next(iter(columns.values())))
            if self._rows > self._spill_rows or _held + _nbytes(columns) > SPILL_BYTES:
                self._spill()
        if self._dir is not None and self._spill_rows != float("inf"):
            # On disk: gathered, and written a file per FLUSH_BYTES or so.
            self._pending[s].append(columns)
            self._pending_bytes[s] += _nbytes(columns)
            self._account(_nbytes(columns))
            if self._pending_bytes[s] >= self._flush_bytes():
                self._flush(s)
            return
        if self._pending[s]:  # the disk refused a file: what was gathered goes first
            self._flush(s)
        part = self._keep(columns)
        self._account(_nbytes(part))
        self._parts[s].append(part)

    @property
    def on_disk(self) -> bool:
        """Whether the shards have gone to disk (rows added now are written there)."""
        return self._dir is not None and self._spill_rows != float("inf")

    def to_disk(self) -> None:
        """Send the shards to disk now, whatever they hold: for rows that are
        read once, at the end, beside a step that needs the memory while
        they come in (what it held goes too; with no folder to write in,
        they stay in memory, as on any spill)."""
        if self._dir is None and self._spill_rows != float("inf"):
            self._spill()

    def _flush_bytes(self) -> int:
        # Nothing gathered when told to keep no rows in memory; less under a small budget.
        return 0 if self._spill_rows == 0 else min(FLUSH_BYTES, SPILL_BYTES // 64)

    def _flush(self, s: int) -> None:
        """Write shard ``s``'s gathered rows as one file (in memory if the disk refuses them)."""
        if not self._pending[s]:
            return
        rows = _concat(self._pending[s])
        self._account(-self._pending_bytes[s])
        self._pending[s], self._pending_bytes[s] = [], 0
        part = self._keep(rows)
        self._account(_nbytes(part))
        self._parts[s].append(part)

    def _account(self, change: int) -> None:
        global _held
        self._bytes += change
        _held += change

    def replace(self, s: int, **columns: np.ndarray) -> None:
        """Put these rows in shard ``s`` in place of what it held (a running total, say)."""
        self._account(-self._pending_bytes[s])
        self._pending[s], self._pending_bytes[s] = [], 0
        for part in self._parts[s]:
            self._account(-_nbytes(part))
            if isinstance(part, dict) and part and self._dir is None:
                # Rows held no more: a running total replaced pass after pass
                # is its own rows once, not once a pass (it went to disk
                # after a few passes, with every pass's total written and read).
                self._rows -= len(next(iter(part.values())))
            if not isinstance(part, dict):
                stem, names = part
                for name in names:
                    Path(f"{stem}.{name}.npy").unlink(missing_ok=True)
        self._parts[s] = []
        self.put(s, **columns)

    def load(self, s: int, columns: Optional[tuple[str, ...]] = None, mapped: bool = False) -> dict[str, np.ndarray]:
        """Every row of shard ``s``, in the order added (no columns when it
        has none): every column, or those named in ``columns`` (only they
        are read back from disk). ``mapped``: a shard of one part on disk
        is given as its files mapped read-only, not read (for rows read
        once, in order, by compiled code: the pages are not copied).

        A shard of many parts is read a column at a time into one array of
        its whole length, each part's file mapped and copied in its place:
        what it holds beside the rows is one part, not a second copy of the
        shard (a list of the parts read, then concatenated)."""
        parts = self._parts[s] + self._pending[s]
        if len(parts) == 1 and mapped and not isinstance(parts[0], dict):
            return {name: self._column(parts[0], name) for name in parts[0][1] if columns is None or name in columns}
        if len(parts) <= 1:
            return self._read(parts[0], columns) if parts else {}
        names = [n for n in (parts[0] if isinstance(parts[0], dict) else parts[0][1]) if columns is None or n in columns]
        out = {}
        for name in names:
            lengths, types = [], []
            for p in parts:
                piece = self._column(p, name)
                lengths.append(len(piece))
                types.append(piece.dtype)
            col = np.empty((sum(lengths), *piece.shape[1:]), np.result_type(*types))
            at = 0
            for p, n in zip(parts, lengths):
                col[at : at + n] = self._column(p, name)
                at += n
            out[name] = col
        return out

    def close(self) -> None:
        """Drop every row (and the shard files)."""
        self._account(-self._bytes)
        self._parts = [[] for _ in range(self.n)]
        self._pending, self._pending_bytes = [[] for _ in range(self.n)], [0] * self.n
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __del__(self) -> None:
        self._account(-self._bytes)  # a Shards dropped without close() holds nothing
        self._bytes = 0

    def __enter__(self) -> "Shards":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- storage ---

    def _spill(self) -> None:
        # The folder asked for, else the system's temporary folder; with
        # neither writable, the rows stay in memory (slower to fail than to run).
        refused = None
        for folder in dict.fromkeys((self._folder, None)):
            try:
                if folder is not None:
                    Path(folder).mkdir(parents=True, exist_ok=True)
                self._dir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=folder))
                _spilled.append(self._dir)
                break
            except OSError as exc:
                refused = exc
                continue
        else:
            self._spill_rows = float("inf")
            _refused(self._folder or tempfile.gettempdir(), refused)
            return
        # What each shard held goes to disk as one file.
        self._parts = [[self._keep(_concat(parts))] if parts else [] for parts in self._parts]
        self._account(sum(_nbytes(p) for parts in self._parts for p in parts) - self._bytes)

    def _keep(self, part):
        if self._dir is None or self._spill_rows == float("inf") or not isinstance(part, dict):
            return part
        stem = self._dir / f"part-{self._files}"
        self._files += 1
        try:
            for name, col in part.items():
                np.save(f"{stem}.{name}.npy", col)
        except OSError as exc:
            # The disk is full (or gone): this part and what follows stay in memory.
            for name in part:
                Path(f"{stem}.{name}.npy").unlink(missing_ok=True)
            self._spill_rows = float("inf")
            _refused(self._dir.parent, exc)
            return part
        return (stem, tuple(part))

    @staticmethod
    def _read(part, columns: Optional[tuple[str, ...]] = None) -> dict[str, np.ndarray]:
        if isinstance(part, dict):
            return part if columns is None else {k: v for k, v in part.items() if k in columns}
        stem, names = part
        return {name: np.load(f"{stem}.{name}.npy") for name in names if columns is None or name in columns}

    @staticmethod
    def _column(part, name: str) -> np.ndarray:
        """One column of a part: held, or its file mapped (not read)."""
        if isinstance(part, dict):
            return part[name]
        return np.load(f"{part[0]}.{name}.npy", mmap_mode="r")


@contextmanager
def parked(b: Any, folder: Optional[Path], *names: str) -> Iterator[None]:
    """Within the block, ``b``'s arrays ``names`` wait on disk (a spill
    folder in ``folder``), not in memory, and are read back on leaving it:
    for arrays a step does not read while it needs the memory (decide never
    looks at where blocks start). Only large ones go, past the bounds at
    which spill shards go to disk (:data:`dedupe.SPILL_ROWS` rows, or
    the run's shard budget in bytes); with no folder they stay."""
    arrays = {name: getattr(b, name) for name in names}
    rows = max((len(a) for a in arrays.values()), default=0)
    if folder is None or (rows <= SPILL_ROWS and sum(a.nbytes for a in arrays.values()) <= SPILL_BYTES):
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
