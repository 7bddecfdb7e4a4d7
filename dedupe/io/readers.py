"""Read a corpus: any mix of text and HTML files (alone or in folders), JSONL,
CSV/TSV, Parquet and WARC/WET files, and standard input.

Every input is accounted for: a document is read, or an :class:`InputError`
says which file (and line, row or record) was skipped and why. With
``strict`` the first error is raised instead. Each format has its module
(:mod:`~dedupe.io.plain`, :mod:`~dedupe.io.jsonl`, :mod:`~dedupe.io.delimited`,
:mod:`~dedupe.io.parquet`, :mod:`~dedupe.io.warc`); this one dispatches.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional, Sequence, Union

from ..config import ReadConfig
from ..document import Document, InputError
from . import delimited, jsonl, parquet, plain, warc
from .files import SUFFIXES, InputFile, cannot_open, discover, load_stdin

__all__ = ["InputFile", "Corpus", "discover", "read_file", "read_corpus"]

PathLike = Union[str, os.PathLike]

_READERS: dict[str, Callable[[InputFile, ReadConfig], Iterator[Union[Document, InputError]]]] = {
    "jsonl": jsonl.read,
    "csv": delimited.read,
    "tsv": delimited.read,
    "parquet": parquet.read,
    "warc": warc.read,
    "wet": warc.read,
}
_ONE_DOCUMENT = {"txt": plain.read_txt, "html": plain.read_html}


@dataclass
class Corpus:
    """Documents read, in input order, and the inputs skipped."""

    files: list[InputFile] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    skipped: list[InputError] = field(default_factory=list)


def read_file(f: InputFile, config: ReadConfig) -> Iterator[Union[Document, InputError]]:
    """Yield the documents of one file, and an :class:`InputError` for each bad part."""
    problem = cannot_open(f)
    if problem is not None:
        # Before the format: a loop or a dangling link named "a" is unreadable, not of an unknown kind.
        yield InputError(f.source, None, "unreadable", problem)
    elif f.format is None:
        known = sorted(s for suffixes in SUFFIXES.values() for s in suffixes)
        detail = f"expected one of {', '.join(known)}, optionally compressed (.gz, .zst, .bz2), or a --format"
        yield InputError(f.source, None, "unsupported_file", detail)
    elif f.format in _ONE_DOCUMENT:
        try:
            yield from _ONE_DOCUMENT[f.format](f, config)
        except InputError as err:
            yield err
    else:
        yield from _READERS[f.format](f, config)


def read_corpus(inputs: Sequence[PathLike], config: Optional[ReadConfig] = None) -> Corpus:
    """Read every document of the inputs.

    Parameters
    ----------
    inputs : sequence of path-like
        Files, folders, and "-" for standard input.
    config : ReadConfig, optional
        Format, field names and strictness.

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
    corpus = Corpus(files=[load_stdin(f) if f.path is None else f for f in discover(inputs, config.format)])
    for f in corpus.files:
        for item in read_file(f, config):
            if isinstance(item, InputError):
                if config.strict:
                    raise item
                corpus.skipped.append(item)
            else:
                corpus.documents.append(item)
    return corpus
