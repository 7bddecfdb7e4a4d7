"""Documents whose text lives in a file: a corpus larger than memory.

The read stage appends every document to a :class:`DocumentStore`; the
stages after it read texts back a slice at a time. What is small is kept in
memory (ids, sources, lines, URLs, text lengths; packed into arrays once
the store is finished, about 100 bytes a document); the texts and HTML tag
paths are UTF-8 in one file, written once and read with ``pread``, so a
store can be shared by threads and reopened from a checkpoint.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence, Union, overload

import numpy as np

from .document import Document

__all__ = ["DocumentStore", "text_lengths", "tag_path_counts", "ids", "urls", "records", "texts"]

# Tag paths of a document are stored after its text, one per line.
_TAG_SEP = "\n"
# Bytes written between flushes of the append buffer.
BUFFER = 1 << 24


def _encode(s: str) -> bytes:
    return s.encode("utf-8", "surrogatepass")


class _Column(Sequence):
    """A packed per-document column: equal to any sequence with the same items."""

    __slots__ = ()

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and not isinstance(other, str) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"


class _Strings(_Column):
    """Strings, or None, in one UTF-8 buffer with offsets: what a store
    keeps of its ids and URLs once read (a list of a million ``str`` is some
    110 bytes an item; this is their bytes and 8 more)."""

    __slots__ = ("offsets", "none", "_data")

    def __init__(self, buffer: np.ndarray, offsets: np.ndarray, none: Optional[np.ndarray] = None):
        self.offsets, self.none = offsets.astype(np.int64), none
        self._data = buffer.tobytes()

    @property
    def buffer(self) -> np.ndarray:
        """The UTF-8 bytes (uint8, a view)."""
        return np.frombuffer(self._data, dtype=np.uint8)

    @classmethod
    def of(cls, strings: Sequence[Optional[str]]) -> "_Strings":
        from .checkpoint import pack_strings

        none = np.fromiter((x is None for x in strings), dtype=bool, count=len(strings))
        return cls(*pack_strings(["" if x is None else x for x in strings]), none if none.any() else None)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        if not -n <= i < n:
            raise IndexError("index out of range")
        i = int(i) % n
        if self.none is not None and self.none[i]:
            return None
        return self._data[self.offsets[i] : self.offsets[i + 1]].decode("utf-8", "surrogatepass")

    def __iter__(self):
        bounds = self.offsets.tolist()
        none = self.none.tolist() if self.none is not None else [False] * len(self)
        for a, b, gone in zip(bounds[:-1], bounds[1:], none):
            yield None if gone else self._data[a:b].decode("utf-8", "surrogatepass")


class _Coded(_Column):
    """Values (sources: a few distinct among a million) as int32 codes into their distinct list."""

    __slots__ = ("values", "codes")

    def __init__(self, items: Sequence):
        found: dict = {}
        self.codes = np.fromiter((found.setdefault(x, len(found)) for x in items), dtype=np.int32, count=len(items))
        self.values = list(found)

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.values[c] for c in self.codes[i].tolist()]
        return self.values[self.codes[i]]


class _Lines(_Column):
    """Optional ints (record lines) as int64, -1 for None."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray):
        self.array = array.astype(np.int64)

    @classmethod
    def of(cls, lines: Sequence[Optional[int]]) -> "_Lines":
        return cls(np.fromiter((-1 if x is None else x for x in lines), dtype=np.int64, count=len(lines)))

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [None if x < 0 else x for x in self.array[i].tolist()]
        x = int(self.array[i])
        return None if x < 0 else x


class DocumentStore(Sequence[Document]):
    """A sequence of documents whose texts are in a file.

    Parameters
    ----------
    path : path-like, optional
        The file the texts are kept in: written under a temporary name
        beside it and renamed into place by :meth:`finish`, so a run killed
        while reading leaves no half-written store there. By default an
        anonymous temporary file in the system temp folder (removed when the
        store is closed or collected).

    ``store[i]`` reads document i's text; ``store[a:b]`` reads the slice's
    texts in one read; iterating reads the texts a few megabytes at a time.
    :attr:`lengths` (characters) and :attr:`urls` need no read.
    """

    def __init__(self, path: Optional[Union[str, os.PathLike]] = None):
        self.path = Path(path) if path is not None else None
        self._temporary: Optional[str] = None
        self._made: list[Path] = []  # folders made for the file, removed again if it is never finished
        if self.path is None:
            self._file = tempfile.TemporaryFile(prefix="dedupe-texts-")
        else:
            self._made = [p for p in [self.path.parent, *self.path.parent.parents] if not p.exists()]
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, self._temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
            self._file = os.fdopen(fd, "w+b")
        self.ids: list[str] = []
        self.sources: list[str] = []
        self.lines: list[Optional[int]] = []
        self.urls: list[Optional[str]] = []
        # Per document: characters, tag paths (-1 for None), bytes of its
        # text, and where it starts in the file (its tag paths follow the
        # text); lists while documents are appended, arrays once read.
        self._columns: Optional[list[list[int]]] = [[], [], [], []]
        self._arrays: Optional[list[np.ndarray]] = None
        self._end = 0
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._sources: dict[str, str] = {}  # one str object per source

    # --- writing ----------------------------------------------------------------

    def _lists(self) -> None:
        """The per-document columns as lists again, to append to."""
        if not isinstance(self.ids, list):
            self.ids, self.sources, self.lines, self.urls = (
                list(c) for c in (self.ids, self.sources, self.lines, self.urls)
            )
            self._sources = {}
            self.sources = [self._sources.setdefault(x, x) for x in self.sources]

    def _pack(self) -> None:
        """The per-document columns packed (see :class:`_Strings`): once the store is read."""
        if isinstance(self.ids, list):
            self.ids, self.sources = _Strings.of(self.ids), _Coded(self.sources)
            self.lines, self.urls = _Lines.of(self.lines), _Strings.of(self.urls)

    def append(self, doc: Document) -> None:
        self._lists()
        text = _encode(doc.text)
        tags = b"" if doc.tag_paths is None else _encode(_TAG_SEP.join(doc.tag_paths))
        self._pending += (text, tags)
        self._pending_size += len(text) + len(tags)
        self.ids.append(doc.id)
        self.sources.append(self._sources.setdefault(doc.source, doc.source))
        self.lines.append(doc.line)
        self.urls.append(doc.url)
        if self._columns is None:
            self._columns = [a.tolist() for a in self._arrays]
            self._columns[3].pop()
        for column, value in zip(self._columns, (len(doc.text), -1 if doc.tag_paths is None else len(doc.tag_paths), len(text), self._end)):
            column.append(value)
        self._arrays = None
        self._end += len(text) + len(tags)
        if self._pending_size >= BUFFER:
            self.flush()

    def extend(self, docs: Iterable[Document]) -> None:
        for d in docs:
            self.append(d)

    def flush(self) -> None:
        """Write what is buffered (reads flush first)."""
        if self._pending:
            self._file.seek(0, os.SEEK_END)
            self._file.write(b"".join(self._pending))
            self._file.flush()
            self._pending, self._pending_size = [], 0

    def finish(self) -> None:
        """Write what is buffered and move the file into place (at ``path``)."""
        self.flush()
        self._pack()
        if self._temporary is not None:
            os.replace(self._temporary, self.path)
            self._temporary, self._made = None, []

    def close(self) -> None:
        """Close the file (a store never finished leaves no file behind)."""
        self._file.close()
        if self._temporary is not None:
            Path(self._temporary).unlink(missing_ok=True)
            self._temporary = None
            for folder in self._made:
                try:
                    folder.rmdir()
                except OSError:
                    break  # something else was put there
            self._made = []

    def __del__(self) -> None:
        # A store lives as long as the result that holds it: closed when collected.
        if getattr(self, "_file", None) is not None:
            self.close()

    def __enter__(self) -> "DocumentStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- what a checkpoint keeps ---------------------------------------------------

    def metadata(self) -> dict[str, np.ndarray]:
        """Everything but the texts, as arrays (see :meth:`reopen`); finishes the store."""
        from .checkpoint import pack_strings

        self.finish()
        arrays: dict[str, np.ndarray] = {}
        arrays["id_buf"], arrays["id_off"] = self.ids.buffer, self.ids.offsets
        arrays["source_buf"], arrays["source_off"] = pack_strings(self.sources)
        arrays["url_buf"], arrays["url_off"] = self.urls.buffer, self.urls.offsets
        none = self.urls.none
        arrays["url_none"] = np.zeros(len(self), dtype=bool) if none is None else none
        arrays["line"] = self.lines.array
        arrays["length"], arrays["tags_n"], arrays["text_bytes"], arrays["offset"] = self._columns_as_arrays()
        return arrays

    @classmethod
    def reopen(cls, path: Union[str, os.PathLike], arrays: dict[str, np.ndarray]) -> "DocumentStore":
        """The store whose texts are in ``path`` and whose :meth:`metadata` is ``arrays``.

        Raises ValueError when they do not fit together (the file was cut
        short, or belongs to another store).
        """
        from .checkpoint import unpack_strings

        def unpack(k):
            return _Strings(arrays[f"{k}_buf"], arrays[f"{k}_off"])

        store = cls.__new__(cls)
        store.path, store._temporary, store._made = Path(path), None, []
        store._file = open(store.path, "rb")
        try:
            offset = arrays["offset"].astype(np.int64)
            store.ids, urls = unpack("id"), unpack("url")
            store.sources = unpack_strings(arrays["source_buf"], arrays["source_off"])
            n = len(store.ids)
            lengths, tags, text_bytes = arrays["length"], arrays["tags_n"], arrays["text_bytes"]
            if not (len(store.sources) == len(urls) == len(arrays["line"]) == len(lengths) == len(tags) == n) or (
                len(offset) != n + 1 or len(text_bytes) != n or (n and (np.diff(offset) < text_bytes).any())
            ):
                raise ValueError("document arrays of different lengths")
            if os.fstat(store._file.fileno()).st_size != int(offset[-1]):
                raise ValueError("the texts file does not have the size its index says")
        except BaseException:
            store._file.close()
            raise
        store._sources = {}
        store.sources = _Coded(store.sources)
        none = arrays["url_none"].astype(bool)
        store.urls = _Strings(urls.buffer, urls.offsets, none if none.any() else None)
        store.lines = _Lines(arrays["line"])
        store._columns, store._arrays = None, [lengths.astype(np.int64), tags.astype(np.int64), text_bytes.astype(np.int64), offset]
        store._end = int(offset[-1])
        store._pending, store._pending_size = [], 0
        return store

    def absorb(self, path: Union[str, os.PathLike], arrays: dict[str, np.ndarray]) -> None:
        """Append the documents of another store (its texts file and
        :meth:`metadata`), as a worker process wrote them, then remove its
        file. The texts are copied a few megabytes at a time."""
        other = DocumentStore.reopen(path, arrays)
        try:
            self.flush()
            self._file.seek(0, os.SEEK_END)
            other._file.seek(0)
            while True:
                data = other._file.read(BUFFER)
                if not data:
                    break
                self._file.write(data)
            self._file.flush()
            self._lists()
            self.ids += other.ids
            self.sources += [self._sources.setdefault(x, x) for x in other.sources]
            self.lines += other.lines
            self.urls += other.urls
            if self._columns is None:
                self._columns = [a.tolist() for a in self._arrays]
                self._columns[3].pop()
            lengths, tags, text_bytes, offsets = other._columns_as_arrays()
            for column, values in zip(self._columns, (lengths, tags, text_bytes, offsets[:-1] + self._end)):
                column += values.tolist()
            self._arrays = None
            self._end += int(offsets[-1])
        finally:
            other.close()
            Path(path).unlink(missing_ok=True)

    # --- reading ----------------------------------------------------------------

    def _columns_as_arrays(self) -> list[np.ndarray]:
        """The per-document columns as arrays (the offsets with the end appended); lists no more."""
        if self._arrays is None:
            self._arrays = [np.array(c, dtype=np.int64) for c in self._columns]
            self._arrays[3] = np.append(self._arrays[3], self._end)
            self._columns = None
        return self._arrays

    @property
    def lengths(self) -> np.ndarray:
        """Characters in each text."""
        return self._columns_as_arrays()[0]

    @property
    def tag_counts(self) -> np.ndarray:
        """Tag paths of each document, -1 for none."""
        return self._columns_as_arrays()[1]

    def __len__(self) -> int:
        return len(self.ids)

    def _read(self, a: int, b: int) -> list[Document]:
        self.flush()
        _, tags_n, text_bytes, offsets = self._columns_as_arrays()
        offsets_ = offsets[a : b + 1].tolist()
        start, end = offsets_[0], offsets_[-1]
        data = os.pread(self._file.fileno(), end - start, start) if end > start else b""
        if len(data) != end - start:
            raise OSError(f"{self.path or 'the texts file'}: cut short while the run was reading it")
        out = []
        for k, (n_tags, n_bytes) in enumerate(zip(tags_n[a:b].tolist(), text_bytes[a:b].tolist())):
            i, at = a + k, offsets_[k] - start
            cut = at + n_bytes
            text = data[at:cut].decode("utf-8", "surrogatepass")
            tags = None
            if n_tags >= 0:
                tags = tuple(data[cut : offsets_[k + 1] - start].decode("utf-8", "surrogatepass").split(_TAG_SEP))
                tags = tags if n_tags else ()
            out.append(Document(self.ids[i], text, self.sources[i], self.lines[i], self.urls[i], tags))
        return out

    def read_texts(self, a: int, b: int) -> list[str]:
        """The texts of documents ``a`` to ``b`` (exclusive), without making
        their Documents: one read, each text decoded, nothing else."""
        self.flush()
        _, _, text_bytes, offsets = self._columns_as_arrays()
        if b <= a:
            return []
        offsets_ = offsets[a : b + 1].tolist()
        start, end = offsets_[0], offsets_[-1]
        data = os.pread(self._file.fileno(), end - start, start) if end > start else b""
        if len(data) != end - start:
            raise OSError(f"{self.path or 'the texts file'}: cut short while the run was reading it")
        return [
            data[at - start : at - start + n].decode("utf-8", "surrogatepass")
            for at, n in zip(offsets_[:-1], text_bytes[a:b].tolist())
        ]

    @overload
    def __getitem__(self, i: int) -> Document: ...

    @overload
    def __getitem__(self, i: slice) -> list[Document]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            a, b, step = i.indices(len(self))
            if step != 1:
                return [self[j] for j in range(a, b, step)]
            return self._read(a, b) if b > a else []
        n = len(self)
        if not -n <= i < n:
            raise IndexError("document index out of range")
        i = i % n
        return self._read(i, i + 1)[0]

    def __iter__(self) -> Iterator[Document]:
        offsets = self._columns_as_arrays()[3]
        a = 0
        while a < len(self):
            # Documents up to a few megabytes of text per read.
            b = max(a + 1, int(np.searchsorted(offsets, offsets[a] + BUFFER, side="left")))
            yield from self._read(a, min(b, len(self)))
            a = min(b, len(self))


def text_lengths(documents: Sequence[Document]) -> np.ndarray:
    """Characters in each document's text (without reading a store's texts)."""
    if isinstance(documents, DocumentStore):
        return documents.lengths
    return np.fromiter((len(d.text) for d in documents), dtype=np.int64, count=len(documents))


def tag_path_counts(documents: Sequence[Document]) -> np.ndarray:
    """Each document's number of tag paths, -1 for none (without reading a store's texts)."""
    if isinstance(documents, DocumentStore):
        return documents.tag_counts
    return np.fromiter((-1 if d.tag_paths is None else len(d.tag_paths) for d in documents), dtype=np.int64, count=len(documents))


def ids(documents: Sequence[Document]) -> Sequence[str]:
    """Each document's id (without reading a store's texts)."""
    if isinstance(documents, DocumentStore):
        return documents.ids
    return [d.id for d in documents]


def urls(documents: Sequence[Document]) -> Sequence[Optional[str]]:
    """Each document's URL (without reading a store's texts)."""
    if isinstance(documents, DocumentStore):
        return documents.urls
    return [d.url for d in documents]


def records(documents: Sequence[Document]) -> list[tuple[str, Optional[int]]]:
    """Each document's ``(source, line)`` (without reading a store's texts)."""
    if isinstance(documents, DocumentStore):
        return list(zip(documents.sources, documents.lines))
    return [(d.source, d.line) for d in documents]


class _Texts(Sequence[str]):
    """A store's texts, each read when asked for."""

    def __init__(self, store: DocumentStore):
        self._store = store

    def __len__(self) -> int:
        return len(self._store)

    def __getitem__(self, i):
        if isinstance(i, slice):
            a, b, step = i.indices(len(self))
            return self._store.read_texts(a, b) if step == 1 else [self[j] for j in range(a, b, step)]
        n = len(self)
        if not -n <= i < n:
            raise IndexError("document index out of range")
        i = int(i) % n
        return self._store.read_texts(i, i + 1)[0]


def texts(documents: Sequence[Document]) -> Sequence[str]:
    """Each document's text: a store's read when asked for."""
    if isinstance(documents, DocumentStore):
        return _Texts(documents)
    return [d.text for d in documents]
