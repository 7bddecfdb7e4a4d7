"""Checkpoints: each finished stage of a run kept in a work folder, so a rerun resumes.

One file per stage, ``<work>/<stage>-<key>.npz``: the stage's arrays
(numpy ``.npz``, read back with ``allow_pickle=False``, so loading never
runs code from the file) and a small JSON header holding the stage name,
its full key and :data:`FORMAT_VERSION`. A stage's file is written to a
temporary file and renamed into place, so a run killed at any moment leaves
whole stages or none.

A stage's key is a SHA-256 over everything its result depends on: the key
of the stage before it, the config sections it reads, and for the first
stage the inputs (each file's path as given and resolved, size and
modification time; the bytes of standard input) and the code (every source
file of the package). Options that only change how a run goes (``jobs``,
the work folder, progress) are in no key. Changing a syndication option
therefore reuses every block stage; changing an input or upgrading dedupe
reuses nothing. Files of other keys are left alone and never read.

A file that cannot be read back (damaged, or not ours) is reported with a
:class:`CheckpointWarning` and its stage computed again; so is a work folder
that cannot be written, and the run goes on without checkpoints.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from ._version import __version__
from .config import WORK_DIR_NAME
from .executor import spill
from .io.files import hash_files

__all__ = [
    "FORMAT_VERSION",
    "STAGES",
    "DEFAULT_NAME",
    "CheckpointWarning",
    "WorkDir",
    "digest",
    "code_fingerprint",
    "inputs_fingerprint",
    "pack_strings",
    "unpack_strings",
]

#: Bumped whenever what a stage file holds changes shape.
FORMAT_VERSION = 2
#: The stages that are checkpointed, in run order.
STAGES = ("read", "blocks", "clusters", "boilerplate", "model", "syndication")
#: The work folder ``clean`` uses under its output folder unless told otherwise.
DEFAULT_NAME = WORK_DIR_NAME
# What a stage keeps: its arrays, and the read stage's document texts.
_SUFFIXES = (".npz", ".texts")
_KEY_CHARS = 24
_META = "meta_json"
_LOAD_ERRORS = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)


class CheckpointWarning(UserWarning):
    """A checkpoint could not be read or written; the run goes on without it."""


def digest(*parts: Any) -> str:
    """SHA-256 (hex) of JSON-able parts, independent of dict order."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the package's source: a changed dedupe never reuses a checkpoint of another."""
    root = Path(__file__).resolve().parent
    return hash_files(root, [p for p in root.rglob("*.py") if "__pycache__" not in p.parts])


def inputs_fingerprint(files) -> list:
    """What identifies the inputs: each file's names, format, resolved path, size and mtime.

    Standard input is identified by its bytes; a remote file by its URL, size and ETag.
    """
    out = []
    for f in files:
        head = [f.source, f.name, f.format, f.compression]
        if getattr(f, "url", None) is not None:  # a remote file: its size and ETag, as listed
            out.append(head + [f.url, *(f.stat or ())])
        elif f.path is None:
            out.append(head + [hashlib.sha256(f.data or b"").hexdigest()])
        else:
            try:
                st = os.stat(f.path)
            except OSError as exc:  # the reader reports it; the key only has to differ
                out.append(head + [os.path.realpath(f.path), "unreadable", exc.errno])
                continue
            out.append(head + [os.path.realpath(f.path), st.st_size, st.st_mtime_ns])
    return out


def pack_strings(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Strings as one UTF-8 buffer (uint8) and offsets (int64, shape (n + 1,)); lone surrogates kept."""
    encoded = [s.encode("utf-8", "surrogatepass") for s in strings]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    offsets = np.concatenate([np.zeros(1, np.int64), np.cumsum(lengths)])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def unpack_strings(buffer: np.ndarray, offsets: np.ndarray) -> list[str]:
    """The strings :func:`pack_strings` packed."""
    data = buffer.tobytes()
    bounds = offsets.tolist()
    return [data[a:b].decode("utf-8", "surrogatepass") for a, b in zip(bounds[:-1], bounds[1:])]


def _replace_atomically(target: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write an ``.npz`` to a temporary file beside ``target`` and rename it into place.

    No fsync, unlike the outputs: a killed run leaves the old file or the
    new one, and a file a power cut damages fails its zip checksums when
    read back, so its stage runs again.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class WorkDir:
    """The work folder of a run; ``WorkDir(None)`` keeps nothing.

    Parameters
    ----------
    path : path-like or None
        The folder (created when the first stage is saved).
    temporary : bool
        Remove the folder once the run has succeeded (:meth:`discard`).
    """

    def __init__(self, path: Optional[os.PathLike], temporary: bool = False):
        self.path = Path(path) if path is not None else None
        self.temporary = temporary

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def file(self, stage: str, key: str, suffix: str = ".npz") -> Path:
        """The stage's file; a stage may keep files beside its ``.npz`` (other suffixes)."""
        return self.path / f"{stage}-{key[:_KEY_CHARS]}{suffix}"

    def load(self, stage: str, key: str) -> Optional[tuple[dict[str, np.ndarray], Any]]:
        """The arrays and JSON data of a finished stage, or None when there is none to reuse."""
        if not self.enabled:
            return None
        path = self.file(stage, key)
        if not path.is_file():
            return None
        try:
            with open(path, "rb") as f:
                z = np.load(f, allow_pickle=False)
                if not isinstance(z, np.lib.npyio.NpzFile):
                    raise ValueError("not an .npz file")
                with z:
                    arrays = {name: z[name] for name in z.files}
            meta = json.loads(arrays.pop(_META).tobytes().decode("utf-8"))
            if not isinstance(meta, dict) or (meta.get("format"), meta.get("stage"), meta.get("key")) != (
                FORMAT_VERSION, stage, key
            ):
                raise ValueError("written for another stage, key or format")
        except _LOAD_ERRORS as exc:
            self.damaged(stage, key, exc)
            return None
        return arrays, meta.get("data")

    def damaged(self, stage: str, key: str, reason: object) -> None:
        """Warn that a stage's file cannot be used: the stage runs again."""
        message = f"{self.file(stage, key)}: damaged checkpoint ignored ({reason}); the {stage} stage runs again"
        warnings.warn(message, CheckpointWarning, stacklevel=3)

    def save(self, stage: str, key: str, arrays: dict[str, np.ndarray], data: Any = None) -> None:
        """Keep a finished stage (atomically). A folder that cannot be written turns checkpoints off."""
        if not self.enabled:
            return
        meta = {"format": FORMAT_VERSION, "stage": stage, "key": key, "dedupe_version": __version__, "data": data}
        header = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
        try:
            _replace_atomically(self.file(stage, key), {_META: header, **arrays})
        except OSError as exc:
            self.refused(exc)

    def refused(self, exc: OSError) -> None:
        """Warn that the folder cannot be written (full, read-only, a file in the
        way) and keep no more checkpoints: the run goes on without them."""
        warnings.warn(
            f"{self.path}: cannot write checkpoints ({exc.strerror or exc}); going on without them",
            CheckpointWarning,
            stacklevel=3,
        )
        self.path = None

    def sweep(self) -> None:
        """Remove the spill folders a killed run left here (:func:`dedupe.executor.spill.sweep`)."""
        if self.enabled:
            spill.sweep(self.path)

    def discard(self) -> None:
        """Remove a temporary work folder: the stage files in it, then the folder if that empties it."""
        if not self.enabled or not self.temporary or not self.path.is_dir():
            return
        self.sweep()
        for p in self.path.iterdir():
            ours = p.suffix in _SUFFIXES and p.name.split("-", 1)[0] in STAGES
            if ours or (p.name.startswith(".") and p.name.endswith(".tmp")):
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p, ignore_errors=True)  # a killed read stage's parts
                else:
                    p.unlink(missing_ok=True)
        try:
            self.path.rmdir()
        except OSError:
            pass  # something else lives there: leave it
