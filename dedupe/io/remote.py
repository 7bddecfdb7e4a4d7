"""Corpus files and outputs on object stores and other file systems that
fsspec reaches: ``s3://``, ``gs://``, ``az://``, ``https://``,
``memory://`` (``pip install 'crawl-dedupe[cloud]'`` brings fsspec and s3fs;
gcsfs or adlfs for Google Cloud or Azure).

Local paths never come here and never need fsspec. A remote folder is every
object under its prefix, in the order a local folder is walked in (its own
files by name, then each subfolder), hidden names passed over. An output is
written to a local temporary file first and put in one go once whole: an
object store has no rename, and a reader must never find half an object
under the final name (S3 shows a multipart upload only once it completes).
Credentials and endpoints are the file system's own: for S3,
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` or ``AWS_PROFILE``, and
``AWS_ENDPOINT_URL`` for an S3-compatible store.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator, Union

from ..document import UsageError

__all__ = [
    "is_remote", "filesystem", "list_files", "open_binary", "join", "parent", "inside",
    "check_writable", "upload", "write_via", "RemoteError",
]

PathLike = Union[str, os.PathLike]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# What fsspec needs for a protocol, for the message when it is missing.
_PACKAGES = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs", "http": "aiohttp", "https": "aiohttp"}


class RemoteError(UsageError):
    """A remote input or output that cannot be used before the run starts:
    no such bucket, no credentials, fsspec or its driver not installed."""


def is_remote(path: Any) -> bool:
    """Whether ``path`` is a URL (``s3://bucket/key``) rather than a local path."""
    return isinstance(path, str) and bool(_URL.match(path))


def filesystem(url: str):
    """The fsspec file system of ``url`` and the path on it.

    Raises
    ------
    RemoteError
        When fsspec, or the package for the URL's protocol, is missing.
    """
    protocol = url.split("://", 1)[0].lower()
    try:
        import fsspec
    except ImportError:
        raise RemoteError(f"{url}: reading and writing URLs needs fsspec: pip install 'crawl-dedupe[cloud]'") from None
    try:
        return fsspec.core.url_to_fs(url)
    except ImportError:
        package = _PACKAGES.get(protocol, f"the fsspec driver for {protocol}://")
        raise RemoteError(f"{url}: {protocol}:// needs {package}: pip install 'crawl-dedupe[cloud]' (or {package})") from None
    except ValueError as exc:  # an unknown protocol
        raise RemoteError(f"{url}: {exc}") from None


def _why(exc: BaseException) -> str:
    """What went wrong, for a person: the store's own words, and what to do
    about missing credentials (which botocore reports as no OSError)."""
    name = type(exc).__name__
    if "Credential" in name:
        return (
            "no credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE; "
            "AWS_ENDPOINT_URL for an S3-compatible store)"
        )
    if isinstance(exc, PermissionError):
        return f"access denied ({exc})"
    return str(exc) or name


def _order(rel: str) -> tuple:
    """A local folder's walk order: its files by name, then each subfolder."""
    parts = rel.split("/")
    return (*((1, p) for p in parts[:-1]), (0, parts[-1]))


def _stat(info: dict) -> tuple:
    """What identifies a remote file's content for a checkpoint key, and
    its size: its size and its ETag (S3, GCS) or modification time."""
    tag = next((info[k] for k in ("ETag", "etag", "md5Hash", "LastModified", "mtime", "created") if info.get(k)), None)
    return (info.get("size"), str(tag))


def list_files(url: str) -> list[tuple[str, str, tuple]]:
    """``(url, name, stat)`` of each file at ``url``: the object itself, or
    every object under it as a folder, ``name`` relative to it; ``stat`` is
    its size and ETag, as the listing gave them (no request per file).

    Raises
    ------
    FileNotFoundError
        When nothing is there (no such bucket, key or prefix).
    RemoteError
        When the store cannot be asked (no credentials, access denied).
    """
    fs, root = filesystem(url)
    try:
        if fs.isfile(root):
            return [(url, posixpath.basename(root.rstrip("/")), _stat(fs.info(root)))]
        found = fs.find(root, detail=True) if fs.isdir(root) else {}
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{url}: no such file or folder ({exc})") from None
    except Exception as exc:  # the store's own errors (botocore's, aiohttp's) are no OSError
        raise RemoteError(f"{url}: cannot list it: {_why(exc)}") from None
    if not found:
        raise FileNotFoundError(f"{url}: no such file or folder")
    prefix = root.rstrip("/") + "/"
    named = {p[len(prefix):]: info for p, info in found.items() if p.startswith(prefix)}
    names = [n for n in named if n and not any(part.startswith(".") for part in n.split("/"))]
    return [(join(url, n), n, _stat(named[n])) for n in sorted(names, key=_order)]


@contextmanager
def open_binary(url: str) -> Iterator[BinaryIO]:
    """A remote file opened for reading.

    Raises
    ------
    OSError
        When it cannot be opened (the reader reports it as unreadable).
    """
    try:
        fs, path = filesystem(url)
        fh = fs.open(path, "rb")
    except OSError:
        raise
    except Exception as exc:
        raise OSError(f"cannot open {url}: {_why(exc)}") from None
    with fh:
        yield fh


def join(url: str, name: str) -> str:
    """``name`` (relative, with /) under the remote folder ``url``."""
    return posixpath.join(url, name)


def parent(url: str) -> str:
    """The folder of the file at ``url`` (``s3://b/r/x.json`` -> ``s3://b/r``)."""
    protocol, rest = url.split("://", 1)
    return f"{protocol}://{posixpath.dirname(rest.rstrip('/'))}"


def inside(url: str, folder: str) -> bool:
    """Whether ``url`` is ``folder`` or lies under it."""
    a, b = url.rstrip("/"), folder.rstrip("/")
    return a == b or a.startswith(b + "/")


def check_writable(url: str, what: str) -> None:
    """Refuse an output place that cannot be written, before any work is
    done: a small object is put there and removed.

    Raises
    ------
    RemoteError
        ``"<url>: cannot write <what> there (<reason>)"``.
    """
    fs, path = filesystem(url)
    probe = posixpath.join(path.rstrip("/"), f".dedupe-{uuid.uuid4().hex}.probe")
    try:
        fs.pipe_file(probe, b"")
        fs.rm_file(probe)
    except Exception as exc:
        raise RemoteError(f"{url}: cannot write {what} there ({_why(exc)})") from None


def upload(local: Path, url: str) -> None:
    """Put the local file at ``url`` in one go.

    Raises
    ------
    OSError
        Naming ``url``, when the store refuses it.
    """
    fs, path = filesystem(url)
    try:
        fs.put_file(os.fspath(local), path)
    except Exception as exc:
        raise OSError(f"{url}: cannot write it ({_why(exc)})") from None


def write_via(target: PathLike, write: Callable[[Path], Any]) -> Any:
    """``write(path)`` to ``target``: itself when local, else a local
    temporary file put at the URL once ``write`` has finished."""
    if not is_remote(target):
        return write(Path(target))
    folder = tempfile.mkdtemp(prefix="dedupe-upload-")
    try:
        local = Path(folder) / posixpath.basename(str(target).rstrip("/"))
        value = write(local)
        upload(local, str(target))
        return value
    finally:
        shutil.rmtree(folder, ignore_errors=True)
