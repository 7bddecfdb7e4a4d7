"""Corpus files: which they are, what format and compression each is in, how
to open one, and how an output file is written atomically.

The format is read from the extension (``--format`` overrides it for every
file); compression from a last ``.gz``, ``.zst`` or ``.bz2``. Standard input
("-") is read once into memory, its compression told from its first bytes.
A URL (``s3://bucket/crawl/``) is a file or folder on an object store, read
through fsspec (:mod:`.remote`).
"""

from __future__ import annotations

import bz2
import dataclasses
import errno
import gzip
import hashlib
import io
import os
import stat
import sys
import tempfile
import zlib
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterator, Optional, Sequence, Union

import zstandard

from . import remote

__all__ = [
    "InputFile",
    "SUFFIXES",
    "STDIN",
    "discover",
    "load_stdin",
    "open_input",
    "atomic_write",
    "sweep_temporaries",
    "compression_of",
    "DECOMPRESSION_ERRORS",
    "real_path",
    "cannot_open",
    "TooLarge",
    "read_bounded",
]

PathLike = Union[str, os.PathLike]

#: Format -> the file name suffixes it is recognised by (compression suffix aside).
SUFFIXES = {
    "txt": (".txt",),
    "html": (".html", ".htm"),
    "jsonl": (".jsonl", ".ndjson"),
    "csv": (".csv",),
    "tsv": (".tsv",),
    "parquet": (".parquet",),
    "warc": (".warc",),
    "wet": (".warc.wet", ".wet"),
}
_COMPRESSIONS = {".gz": "gz", ".zst": "zst", ".bz2": "bz2"}
# What a format is written as when it is not written back in its own shape.
_OUTPUT_FORMAT = {"html": "txt", "warc": "jsonl", "wet": "jsonl"}
# First bytes of each compressed stream, for standard input (it has no name).
_MAGIC = {b"\x1f\x8b": "gz", b"\x28\xb5\x2f\xfd": "zst", b"BZh": "bz2"}

#: The argument that names standard input, and how messages name it.
STDIN = "-"
_STDIN_SOURCE = "<stdin>"

#: What a broken compressed stream raises part way through.
DECOMPRESSION_ERRORS = (OSError, EOFError, zlib.error, zstandard.ZstdError)


def compression_of(name: str) -> Optional[str]:
    """``gz``, ``zst`` or ``bz2`` from a file name's last suffix, else None."""
    return _COMPRESSIONS.get(os.path.splitext(name.lower())[1])


def _strip_compression(name: str) -> str:
    return name[: -len(os.path.splitext(name)[1])] if compression_of(name) else name


def real_path(path: PathLike) -> Path:
    """The absolute path with symbolic links resolved as far as they go.

    Unlike ``Path.resolve()``, never raises: a symbolic link loop (which
    Python 3.11 reports as RuntimeError) stays as the link's own path, and
    the reader reports the file as unreadable.
    """
    return Path(os.path.realpath(path))


_SPECIAL = {stat.S_IFIFO: "a named pipe", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
            stat.S_IFBLK: "a block device", stat.S_IFDIR: "a folder"}


def cannot_open(f: InputFile) -> Optional[str]:
    """Why a corpus file cannot be opened (a dangling link, a link loop, no
    permission, not a regular file), checked before its format is: None when it can be."""
    if f.path is None:  # standard input, or a remote file: opening it says why it cannot be
        return None
    try:
        mode = os.stat(f.path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"a symbolic link loop ({exc.strerror})"
        return exc.strerror or str(exc)
    if not stat.S_ISREG(mode):
        # Opening a named pipe waits for a writer: one in a corpus folder hung
        # the run. And a file is read twice (to read it, then to write it
        # cleaned), which a stream cannot be: standard input ("-") is read once.
        kind = _SPECIAL.get(stat.S_IFMT(mode), "a special file")
        return f"not a regular file ({kind}); a stream can be given as standard input, '-'"
    return None


def _format_of(name: str) -> Optional[str]:
    lower = _strip_compression(name).lower()
    found = [(len(s), fmt) for fmt, suffixes in SUFFIXES.items() for s in suffixes if lower.endswith(s)]
    return max(found)[1] if found else None


@dataclass(frozen=True)
class InputFile:
    """One file of the corpus.

    Attributes
    ----------
    path : Path or None
        Where it is; None for standard input.
    source : str
        How messages and the report name it: the path as given, or inside
        the folder given; ``<stdin>`` for standard input.
    name : str
        Its path relative to the folder given (or its base name for a file
        given directly): the document id of a text or HTML file, and where
        its output goes under ``-o`` (see :attr:`output_name`).
    format : str or None
        One of :data:`SUFFIXES`' keys; None when the file is of no known kind.
    compression : str or None
        ``gz``, ``zst``, ``bz2`` or None.
    data : bytes or None
        The bytes of standard input once read (:func:`load_stdin`).
    url : str or None
        Where a remote file is (``s3://bucket/crawl/a.jsonl``; ``path`` is
        then None), read through fsspec (:mod:`.remote`).
    stat : tuple or None
        A remote file's size and ETag (or modification time), as listed.
    """

    path: Optional[Path]
    source: str
    name: str
    format: Optional[str]
    compression: Optional[str] = None
    data: Optional[bytes] = field(default=None, repr=False, compare=False)
    url: Optional[str] = None
    stat: Optional[tuple] = field(default=None, compare=False)

    @property
    def is_stdin(self) -> bool:
        """Whether this is standard input (no path, no URL)."""
        return self.path is None and self.url is None

    @property
    def output_format(self) -> Optional[str]:
        """The format its cleaned output is written in: its own, but text for
        HTML and JSONL for WARC/WET."""
        return _OUTPUT_FORMAT.get(self.format, self.format)

    @property
    def output_name(self) -> str:
        """Its output path under ``-o``: its name, with the suffix of the
        output format when that differs (``a.html`` -> ``a.txt``,
        ``crawl.warc.gz`` -> ``crawl.warc.jsonl.gz``); compression is kept."""
        if self.output_format == self.format:
            return self.name
        stem = _strip_compression(self.name)
        compressed = self.name[len(stem) :]
        if self.format == "html":  # a page becomes text: a.html -> a.txt, not a.html.txt
            stem = next((stem[: -len(s)] for s in SUFFIXES["html"] if stem.lower().endswith(s)), stem)
        return stem + SUFFIXES[self.output_format][0] + compressed


def _file(
    path: Optional[Path], source: str, name: str, format: str, url: Optional[str] = None, stat: Optional[tuple] = None
) -> InputFile:
    detected = _format_of(name)
    fmt = detected if format == "auto" else format
    compression = compression_of(name)
    if fmt == "parquet" and compression:
        fmt = None  # Parquet compresses inside; an outer layer is no Parquet file
    return InputFile(path, source, name, fmt, compression, url=url, stat=stat)


def discover(inputs: Sequence[PathLike], format: str = "auto") -> list[InputFile]:
    """List the files of the corpus, in a stable order.

    Folders are walked recursively in sorted order; hidden files and folders
    (names starting with ".") are not corpus files and are passed over.
    "-" stands for standard input, which is not read here (see
    :func:`load_stdin`). A URL is a remote file or folder (:mod:`.remote`).

    Parameters
    ----------
    inputs : sequence of path-like
        Files, folders, and "-".
    format : str, default "auto"
        "auto" tells each file's format from its extension; any other
        format name (:data:`dedupe.config.FORMATS`) applies to every file.

    Raises
    ------
    FileNotFoundError
        If an input does not exist.
    UsageError
        If a remote input cannot be listed (no credentials, no fsspec).
    """
    files: list[InputFile] = []
    for given in inputs:
        if remote.is_remote(given):
            files += [_file(None, url, name, format, url, stat) for url, name, stat in remote.list_files(given)]
            continue
        if os.fspath(given) == STDIN:
            fmt = "jsonl" if format == "auto" else format
            files.append(InputFile(None, _STDIN_SOURCE, "stdin" + SUFFIXES[fmt][0], fmt))
            continue
        root = Path(given)
        if root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for fname in sorted(f for f in filenames if not f.startswith(".")):
                    path = Path(dirpath) / fname
                    rel = path.relative_to(root).as_posix()
                    files.append(_file(path, os.path.join(str(given), rel), rel, format))
        elif root.exists() or root.is_symlink():  # a link that leads nowhere is reported by the reader
            files.append(_file(root, str(given), root.name, format))
        else:
            raise FileNotFoundError(f"{given}: no such file or folder")
    return files


def load_stdin(f: InputFile, stream: Optional[BinaryIO] = None) -> InputFile:
    """Read standard input into the file (once: it cannot be read again to
    write the output), telling its compression from its first bytes."""
    data = (stream or sys.stdin.buffer).read()
    compression = next((c for magic, c in _MAGIC.items() if data.startswith(magic)), None)
    return dataclasses.replace(f, data=data, compression=compression)


class _ZstdReader(io.RawIOBase):
    """Zstandard frames one after another (pzstd output, appended shards),
    decompressed. A stream that stops inside a frame raises EOFError, as gzip
    does: zstandard's own stream reader returns what it has, and a cut file
    would pass for a whole one."""

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self._frame = None
        self._pending = b""
        self._out = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not len(self._out):
            data = self._pending or self._raw.read(1 << 17)
            self._pending = b""
            if not data:
                if self._frame is not None and not self._frame.eof:
                    raise EOFError("Compressed file ended before the end-of-stream marker was reached")
                return 0
            if self._frame is None or self._frame.eof:
                self._frame = zstandard.ZstdDecompressor().decompressobj()
            self._out = memoryview(self._frame.decompress(data))
            if self._frame.eof:
                self._pending = self._frame.unused_data
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n


class TooLarge(Exception):
    """More decompressed bytes than a bound allows (``max_document_bytes``,
    ``max_file_bytes``): the part is skipped as ``too_large``, not loaded."""

    def __init__(self, what: str, limit: int, option: str):
        self.limit = limit
        super().__init__(f"{what} is larger than {limit:,} bytes decompressed (--{option})")


class _Bounded(io.BufferedIOBase):
    """A decompressed stream that counts what it hands over and raises
    :class:`TooLarge` once past ``limit``: a compression bomb is stopped
    while it streams, never read whole. The read that crosses the bound
    still returns its bytes (the records before the bound are whole ones);
    the next one raises."""

    def __init__(self, stream: BinaryIO, limit: int):
        self._stream = stream
        self._limit = limit
        self._count = 0

    def readable(self) -> bool:
        return True

    def _size(self, size: Optional[int]) -> int:
        """What may be read now: never more than a byte past the bound."""
        if self._count > self._limit:
            raise TooLarge("the file", self._limit, "max-file-bytes")
        room = self._limit - self._count + 1
        return room if size is None or size < 0 else min(size, room)

    def _counted(self, data: bytes) -> bytes:
        self._count += len(data)
        return data

    def read(self, size: Optional[int] = -1) -> bytes:
        data = self._counted(self._stream.read(self._size(size)))
        if size is None or size < 0:  # all of it was asked for: all or nothing
            self._size(None)
        return data

    def read1(self, size: int = -1) -> bytes:
        return self._counted(self._stream.read1(self._size(size)))

    def readline(self, size: Optional[int] = -1) -> bytes:
        return self._counted(self._stream.readline(self._size(size)))


def read_bounded(stream: BinaryIO, limit: int, what: str = "the document") -> bytes:
    """All of ``stream``, or :class:`TooLarge` once it passes ``limit``
    bytes (``max_document_bytes``); at most ``limit + 1`` bytes are read."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(what, limit, "max-document-bytes")
    return data


@contextmanager
def open_input(f: InputFile, max_bytes: Optional[int] = None) -> Iterator[BinaryIO]:
    """Open a corpus file for reading, decompressed.

    Parameters
    ----------
    f : InputFile
    max_bytes : int, optional
        Reading past this many decompressed bytes raises :class:`TooLarge`.

    Raises
    ------
    OSError
        If the file cannot be opened.
    """
    if f.is_stdin and f.data is None:
        raise ValueError("standard input is read by load_stdin() first")
    with ExitStack() as stack:
        if f.url is not None:
            raw: BinaryIO = stack.enter_context(remote.open_binary(f.url))
        else:
            raw = stack.enter_context(io.BytesIO(f.data) if f.path is None else open(f.path, "rb"))
        yield stack.enter_context(_decompressed(f, raw, max_bytes))


@contextmanager
def _decompressed(f: InputFile, raw: BinaryIO, max_bytes: Optional[int]) -> Iterator[BinaryIO]:
    """``raw`` decompressed (the caller closes ``raw``)."""
    if f.compression == "gz":
        stream: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb")
    elif f.compression == "bz2":
        stream = bz2.BZ2File(raw, "rb")
    elif f.compression == "zst":
        stream = io.BufferedReader(_ZstdReader(raw))
    elif f.url is not None:
        stream = io.BufferedReader(raw)  # read1, which the JSONL reader uses, is not every file system's
    else:
        stream = raw
    with stream:
        yield stream if max_bytes is None else _Bounded(stream, max_bytes)


def _new_file_mode() -> int:
    # mkstemp creates 0600 files; give the output the mode a new file gets.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def sweep_temporaries(targets: Sequence[Path]) -> list[Path]:
    """Remove the temporary files :func:`atomic_write` left beside these
    targets when a run writing them was killed (SIGKILL leaves no time to
    clean up); return them. A rerun writes the same names, so what it finds
    under theirs is a dead run's: two runs writing one output at once would
    overwrite each other's files anyway. Each folder is listed once."""
    prefixes: dict[Path, set[str]] = {}
    for target in targets:
        prefixes.setdefault(target.parent, set()).add(f".{target.name}.")
    swept = []
    for folder, names in prefixes.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue  # not made yet: nothing was left there
        for entry in entries:
            name = entry.name
            if not (name.startswith(".") and name.endswith(".tmp")) or not entry.is_file(follow_symlinks=False):
                continue
            head, _, middle = name[: -len(".tmp")].rpartition(".")
            # mkstemp's eight random characters between the prefix and the suffix,
            # so that ".a.jsonl." never takes ".a.jsonl.gz.x1y2z3w4.tmp", another target's.
            if f"{head}." in names and len(middle) == 8:
                try:
                    os.unlink(entry.path)
                    swept.append(Path(entry.path))
                except FileNotFoundError:
                    pass
    return swept


@contextmanager
def atomic_write(target: Path, compression: Optional[str] = None) -> Iterator[BinaryIO]:
    """Open a binary file that appears at ``target`` only once fully written.

    Parameters
    ----------
    target : Path
    compression : {"gz", "zst", "bz2"} or None
        Compress what is written. Each gives the same bytes for the same
        content: gzip with a fixed header (no name, no timestamp), zstd and
        bzip2 at a fixed level.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise _naming(exc, target) from exc
    try:
        with os.fdopen(fd, "wb") as raw:
            if compression == "gz":
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
                    yield gz
            elif compression == "zst":
                with zstandard.ZstdCompressor(level=3).stream_writer(raw, closefd=False) as zst:
                    yield zst
            elif compression == "bz2":
                with bz2.BZ2File(raw, "wb", compresslevel=9) as bz:
                    yield bz
            else:
                yield raw
            raw.flush()
            os.fchmod(raw.fileno(), _new_file_mode())
            os.fsync(raw.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise _naming(exc, target) from exc
        raise


def _naming(exc: OSError, target: Path) -> OSError:
    """The error, naming the output it was writing: a full disk (ENOSPC) is
    raised by a write or a flush that names no file, or names the temporary one."""
    if exc.filename == os.fspath(target):
        return exc
    return type(exc)(exc.errno, exc.strerror or str(exc), os.fspath(target))


def hash_files(root: Path, paths: Sequence[Path]) -> str:
    """SHA-256 of the files ``paths`` under ``root``, names and bytes, in
    sorted order: what a checkpoint key or a model's fingerprint takes from
    files on disk."""
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.relative_to(root).as_posix().encode("utf-8") + b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()
