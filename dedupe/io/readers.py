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
import warnings
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional, Sequence, Union

from ..config import ReadConfig
from ..document import Document, InputError, MissingFieldWarning
from . import delimited, jsonl, parquet, plain, warc
from .files import SUFFIXES, InputFile, cannot_open, discover, load_stdin
from .records import FIELD_OPTIONS, FieldsSeen

__all__ = [
    "InputFile", "Corpus", "Limited", "discover", "read_file", "read_corpus", "read_limited", "absent_fields",
    "warn_absent",
]

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
# The formats whose records have named fields (the WARC reader takes none).
_RECORDS = {"jsonl", "csv", "tsv", "parquet"}


@dataclass
class Limited:
    """Where a run under ``limit`` stopped reading: after its ``limit``-th
    document, at ``stopped_after`` (``file:line``), the rest of that file
    and the ``files_not_read`` never opened. What a report states of the
    documents a limited run did not read."""

    limit: int
    stopped_after: Optional[str] = None
    files_not_read: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"limit": self.limit, "stopped_after": self.stopped_after, "files_not_read": list(self.files_not_read)}


@dataclass
class Corpus:
    """Documents read, in input order, and the inputs skipped; with a
    ``limit``, where reading stopped (``limited``); and the named record
    fields no record had (``absent_fields``, option -> field)."""

    files: list[InputFile] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    skipped: list[InputError] = field(default_factory=list)
    limited: Optional[Limited] = None
    absent_fields: dict[str, str] = field(default_factory=dict)


def absent_fields(config: ReadConfig, seen: FieldsSeen) -> dict[str, str]:
    """The fields named by an option (other than its default) that no
    record read has: option -> field. Empty when no record was read."""
    if not seen.records:
        return {}
    default = ReadConfig()
    return {
        option: getattr(config, option)
        for option in FIELD_OPTIONS
        if option not in seen.names and getattr(config, option) != getattr(default, option)
    }


def warn_absent(absent: dict[str, str]) -> None:
    """Warn (:class:`MissingFieldWarning`) of each named field no record has."""
    for option, name in absent.items():
        warnings.warn(
            MissingFieldWarning(
                f"no record has the field {name!r} (--{option.replace('_', '-')}); "
                "a dotted name (metadata.url) reaches into nested objects and struct columns"
            ),
            stacklevel=2,
        )


def read_file(f: InputFile, config: ReadConfig, seen: Optional[FieldsSeen] = None) -> Iterator[Union[Document, InputError]]:
    """Yield the documents of one file, and an :class:`InputError` for each
    bad part; ``seen`` (records only) is told which named fields they have."""
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
    elif f.format in _RECORDS:
        yield from _READERS[f.format](f, config, seen)
    else:
        yield from _READERS[f.format](f, config)


def read_limited(
    files: Sequence[InputFile], config: ReadConfig, seen: Optional[FieldsSeen] = None
) -> Iterator[Union[Document, InputError, Limited]]:
    """What :func:`read_file` yields for each file in turn, up to the
    ``config.limit``-th document (every document without a limit); then,
    under a limit, the :class:`Limited` that says where reading stopped."""
    count = 0
    for index, f in enumerate(files):
        for item in read_file(f, config, seen):
            yield item
            if isinstance(item, Document):
                count += 1
                if config.limit is not None and count >= config.limit:
                    yield Limited(config.limit, item.location, [g.source for g in files[index + 1 :]])
                    return
    if config.limit is not None:
        yield Limited(config.limit)


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
        The files, the documents in input order (the first
        ``config.limit`` of them), and the skipped inputs.

    Warns
    -----
    MissingFieldWarning
        For a field named by an option that no record has.

    Raises
    ------
    InputError
        With ``config.strict``, at the first bad input.
    FileNotFoundError
        If an input does not exist.
    """
    config = config or ReadConfig()
    corpus = Corpus(files=[load_stdin(f) if f.is_stdin else f for f in discover(inputs, config.format)])
    seen = FieldsSeen()
    for item in read_limited(corpus.files, config, seen):
        if isinstance(item, InputError):
            if config.strict:
                raise item
            corpus.skipped.append(item)
        elif isinstance(item, Limited):
            corpus.limited = item
        else:
            corpus.documents.append(item)
    corpus.absent_fields = absent_fields(config, seen)
    warn_absent(corpus.absent_fields)
    return corpus
