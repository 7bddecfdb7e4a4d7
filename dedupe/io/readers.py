"""Read a corpus: folders of ``.txt`` files and JSONL files (``.jsonl``, ``.jsonl.gz``).

Every input is accounted for: a document is read, or an :class:`InputError`
says which file (and line) was skipped and why. With ``strict`` the first
error is raised instead.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Sequence, Union

from ..config import ReadConfig
from ..model import Document, InputError

__all__ = ["InputFile", "Corpus", "discover", "read_corpus", "iter_jsonl_lines", "FORMATS"]

#: File name suffix -> format name.
FORMATS = {".txt": "txt", ".jsonl": "jsonl", ".jsonl.gz": "jsonl"}

PathLike = Union[str, os.PathLike]


def _format_of(name: str) -> Optional[str]:
    lower = name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if lower.endswith(suffix):
            return FORMATS[suffix]
    return None


@dataclass(frozen=True)
class InputFile:
    """One file of the corpus.

    ``source`` is how messages name it (the path as given, or inside the
    folder given); ``name`` is its path relative to the folder given (or its
    base name for a file given directly): the document id of a text file and
    the output file's path under ``-o``.
    """

    path: Path
    source: str
    name: str
    format: Optional[str]


@dataclass
class Corpus:
    """Documents read, in input order, and the inputs skipped."""

    files: list[InputFile] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    skipped: list[InputError] = field(default_factory=list)


def discover(inputs: Sequence[PathLike]) -> list[InputFile]:
    """List the files of the corpus, in a stable order.

    Folders are walked recursively in sorted order; hidden files and folders
    (names starting with ".") are not corpus files and are passed over.

    Raises
    ------
    FileNotFoundError
        If an input does not exist.
    """
    files: list[InputFile] = []
    for given in inputs:
        root = Path(given)
        if root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for fname in sorted(f for f in filenames if not f.startswith(".")):
                    path = Path(dirpath) / fname
                    rel = path.relative_to(root).as_posix()
                    files.append(InputFile(path, os.path.join(str(given), rel), rel, _format_of(fname)))
        elif root.exists():
            files.append(InputFile(root, str(given), root.name, _format_of(root.name)))
        else:
            raise FileNotFoundError(f"{given}: no such file or folder")
    return files


def _open_binary(path: Path):
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def iter_jsonl_lines(f: InputFile) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line number, raw line)`` of a JSONL file, blank lines left out.

    Raises
    ------
    InputError
        ``unreadable`` when the file (or its compression) breaks part way;
        lines already yielded stand.
    """
    lineno = 0
    try:
        with _open_binary(f.path) as fh:
            for lineno, raw in enumerate(fh, start=1):
                if raw.strip():
                    yield lineno, raw
    except (OSError, EOFError, zlib.error) as exc:
        where = lineno + 1 if lineno else None
        raise InputError(f.source, where, "unreadable", str(exc) or type(exc).__name__) from exc


def _decode(raw: bytes, f: InputFile, line: Optional[int]) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        detail = f"byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        raise InputError(f.source, line, "invalid_utf8", detail) from None


def _read_txt(f: InputFile) -> Iterator[Document]:
    try:
        raw = f.path.read_bytes()
    except OSError as exc:
        raise InputError(f.source, None, "unreadable", exc.strerror or str(exc)) from None
    text = _decode(raw, f, None)
    if not text.strip():
        raise InputError(f.source, None, "empty")
    yield Document(id=f.name, text=text, source=f.source)


def _record_document(f: InputFile, lineno: int, raw: bytes, config: ReadConfig) -> Document:
    text = _decode(raw, f, lineno)
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f.source, lineno, "invalid_json", f"{exc.msg.removesuffix(' at')} at column {exc.colno}") from None
    if not isinstance(record, dict):
        raise InputError(f.source, lineno, "invalid_record", f"a JSON {type(record).__name__}, not an object")
    body = record.get(config.text_field)
    if body is None:
        raise InputError(f.source, lineno, "invalid_record", f"no {config.text_field!r} field")
    if not isinstance(body, str):
        raise InputError(f.source, lineno, "invalid_record", f"{config.text_field!r} is not a string")
    if not body.strip():
        raise InputError(f.source, lineno, "empty")
    doc_id = record.get(config.id_field)
    doc_id = f"{f.name}:{lineno}" if doc_id is None or doc_id == "" else str(doc_id)
    url = record.get(config.url_field)
    return Document(
        id=doc_id, text=body, source=f.source, line=lineno, url=url if isinstance(url, str) and url else None
    )


def read_file(f: InputFile, config: ReadConfig) -> Iterator[Union[Document, InputError]]:
    """Yield the documents of one file, and an :class:`InputError` for each bad part."""
    if f.format is None:
        yield InputError(f.source, None, "unsupported_file", f"expected one of {', '.join(sorted(FORMATS))}")
        return
    if f.format == "txt":
        try:
            yield from _read_txt(f)
        except InputError as err:
            yield err
        return
    try:
        for lineno, raw in iter_jsonl_lines(f):
            try:
                yield _record_document(f, lineno, raw, config)
            except InputError as err:
                yield err
    except InputError as err:
        yield err


def read_corpus(inputs: Sequence[PathLike], config: Optional[ReadConfig] = None) -> Corpus:
    """Read every document of the inputs.

    Parameters
    ----------
    inputs : sequence of path-like
        Files and folders.
    config : ReadConfig, optional
        Field names and strictness.

    Returns
    -------
    Corpus
        The files, the documents in input order, and the skipped inputs.

    Raises
    ------
    InputError
        With ``config.strict``, at the first bad input.
    FileNotFoundError
        If an input does not exist.
    """
    config = config or ReadConfig()
    corpus = Corpus(files=discover(inputs))
    for f in corpus.files:
        for item in read_file(f, config):
            if isinstance(item, InputError):
                if config.strict:
                    raise item
                corpus.skipped.append(item)
            else:
                corpus.documents.append(item)
    return corpus
