"""The read stage: every document of the inputs, into a document store.

Files are read a chunk at a time on the workers (:func:`read_files`), each
chunk into a store of its own that the run's store absorbs, in order; bad
inputs are kept as :class:`~dedupe.document.InputError` and listed in the
report. The store is kept beside the stage's checkpoint, so a rerun on
unchanged inputs reads nothing again. This stage reads files, not an
earlier stage's tables: its key (:meth:`dedupe.pipeline.Run.source_key`)
is its options and what identifies the files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

import numpy as np

from ..document import InputError
from ..io import discover
from ..io.files import InputFile, load_stdin
from ..io.readers import Corpus, Limited, absent_fields, read_file, read_limited, warn_absent
from ..io.records import FieldsSeen
from ..store import DocumentStore
from .contract import Stage, Step

if TYPE_CHECKING:  # the run is the pipeline's: stages only use what it offers
    from ..pipeline import Run

__all__ = ["run_read", "read_files", "read_weights", "READ_CHUNK"]

PathLike = Union[str, os.PathLike]


def read_files(files: Sequence[InputFile], config, folder: str) -> tuple[str, dict, list, list]:
    """Read a chunk of files into a store of their own (a texts file in
    ``folder``, which the caller absorbs): its file, its metadata,
    ``(path, line, reason, detail)`` for each bad input (an InputError does
    not cross processes), under ``strict`` up to the first bad input, and
    the named fields its records have (:meth:`FieldsSeen.as_list`)."""
    fd, path = tempfile.mkstemp(dir=folder, suffix=".texts")
    os.close(fd)
    part = DocumentStore(path)
    errors: list = []
    seen = FieldsSeen()
    try:
        for f in files:
            for item in read_file(f, config, seen):
                if isinstance(item, InputError):
                    errors.append((item.path, item.line, item.reason, item.detail))
                    if config.strict:
                        break
                else:
                    part.append(item)
            if errors and config.strict:
                break
        return path, part.metadata(), errors, seen.as_list()
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise
    finally:
        part.close()


#: The read stage's contract: it writes a document store (texts and their
#: metadata, :class:`dedupe.store.DocumentStore`) rather than tables, keyed
#: by its files (:meth:`dedupe.pipeline.Run.source_key`).
STAGE = Stage(
    "read", reads=(), config=("read",), writes=(),
    steps=(Step("parse", "map", "files", "each chunk of files parsed into documents, bad input listed"),),
)


def run_read(run: "Run", inputs: Sequence[PathLike]) -> Corpus:
    """Read every document of the inputs (as :func:`dedupe.io.read_corpus`, file by file in chunks)."""
    config = run.config.read
    files = [load_stdin(f) if f.is_stdin else f for f in discover(inputs, config.format)]
    sizes = np.array([_text_size(f) for f in files], dtype=np.float64)
    weights = read_weights(files, sizes)
    if run.workers.would_split(sizes.sum()):
        run.workers.warm_up()  # enough text that the blocks stage will share it out
    # These only change what is written, not what is read.
    written_only = ("output_field", "keep_fields", "drop_fields")
    key = run.source_key("read", files, {k: v for k, v in asdict(config).items() if k not in written_only})

    def read_limited_into(documents: DocumentStore, notes: dict) -> list[InputError]:
        """The first ``limit`` documents, in this process: a chunk read
        by a worker past the limit would be read for nothing."""
        skipped: list[InputError] = []
        seen = FieldsSeen()
        try:
            with run.progress.stage(STAGE.name, len(files), "files"):
                for item in read_limited(files, config, seen):
                    if isinstance(item, Limited):
                        notes["limited"] = item.as_dict()
                    elif isinstance(item, InputError):
                        if config.strict:
                            raise item
                        skipped.append(item)
                    else:
                        documents.append(item)
            documents.finish()
        except BaseException:
            documents.close()
            raise
        notes["absent_fields"] = absent_fields(config, seen)
        return skipped

    def read_into(documents: DocumentStore, notes: dict) -> list[InputError]:
        if config.limit is not None:
            return read_limited_into(documents, notes)
        skipped: list[InputError] = []
        seen = FieldsSeen()
        # The chunks' own stores, each removed once absorbed; what a failure leaves, at the end.
        base = documents.path.parent if documents.path is not None else None
        folder = None
        read = False
        try:
            folder = tempfile.mkdtemp(dir=base, prefix=".read-", suffix=".tmp")
            with run.progress.stage(STAGE.name, len(files), "files") as task:
                args = lambda a, b: (files[a:b], config, folder)  # noqa: E731
                for path, metadata, errors, fields in run.workers.imap(read_files, weights, args, task, READ_CHUNK):
                    documents.absorb(path, metadata)
                    seen |= FieldsSeen(*fields)
                    if errors and config.strict:
                        raise InputError(*errors[0])
                    skipped += [InputError(*e) for e in errors]
            documents.finish()
            read = True
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            if not read:
                documents.close()  # and the folders it made
        notes["absent_fields"] = absent_fields(config, seen)
        return skipped

    def compute() -> tuple[DocumentStore, list[InputError], dict]:
        documents, notes = _new_store(run, key), {}
        if documents.path is None:
            return documents, read_into(documents, notes), notes
        try:
            return documents, read_into(documents, notes), notes
        except OSError as exc:
            # The work folder's disk is full (or refuses writes): the run goes on
            # without checkpoints, the texts in a temporary file, read again.
            run.work.refused(exc)
            documents, notes = DocumentStore(), {}
            return documents, read_into(documents, notes), notes

    def encode(value):
        documents, skipped, *notes = value  # another executor's read has no notes
        errors = [[e.path, e.line, e.reason, e.detail] for e in skipped]
        return documents.metadata(), {"skipped": errors, "notes": notes[0] if notes else {}}

    def decode(arrays: dict, kept: dict):
        documents = DocumentStore.reopen(run.work.file("read", key, ".texts"), arrays)
        return documents, [InputError(*e) for e in kept["skipped"]], kept["notes"]

    # Another executor reads the files its own way into the store this one would.
    inputs_of = {"inputs": inputs, "store": lambda: _new_store(run, key)}
    documents, skipped, *notes = run.cached("read", key, run.computing(STAGE, compute, inputs_of), encode, decode)
    notes = notes[0] if notes else {}
    run.keys["read"] = key
    limited = notes.get("limited")
    absent = notes.get("absent_fields", {})
    warn_absent(absent)  # on a rerun from the checkpoint too: the run is still without those fields
    return Corpus(
        files=files, documents=documents, skipped=skipped, absent_fields=absent,
        limited=Limited(**limited) if limited else None,
    )


#: Most weight read in one chunk (:func:`read_weights`; a chunk's documents
#: are held until they are in the store): about 40 MB of JSONL or 10 MB of HTML.
READ_CHUNK = 1 << 22
# What reading a character of a file costs, in the unit chunks are measured
# in (a character through the blocks stage, about 15 MB/s): HTML pages (files,
# WARC responses) parse at about 35 MB/s, JSON, CSV and text at 150 MB/s.
_READ_COST = {"html": 0.4, "warc": 0.4}
_READ_COST_OTHER = 0.1
# Characters a compressed byte holds, about.
_COMPRESSED = 4


def read_weights(files: Sequence[InputFile], sizes: Optional[np.ndarray] = None) -> np.ndarray:
    """What reading each file costs, about (float64, shape (len(files),)), in
    the unit of :data:`READ_CHUNK`: its characters (``sizes`` when the caller
    has them already) times its format's cost."""
    if sizes is None:
        sizes = np.array([_text_size(f) for f in files], dtype=np.float64)
    return sizes * np.array([_READ_COST.get(f.format, _READ_COST_OTHER) for f in files], dtype=np.float64)


def _new_store(run: "Run", key: Optional[str]) -> DocumentStore:
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
    if f.url is not None:
        size = int((f.stat or (0,))[0] or 0)
    elif f.path is None:
        size = len(f.data or b"")
    else:
        try:
            size = f.path.stat().st_size
        except OSError:
            size = 0  # the reader says why it cannot be read
    return size * (_COMPRESSED if f.compression else 1)


