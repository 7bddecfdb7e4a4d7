"""CSV and TSV files with a header row (stdlib :mod:`csv`, compressed or not).

A record is a data row; its ``line`` is its 1-based row number, the header
not counted (a quoted field may span several physical lines). Columns are
named by the header. The cleaned file has the header and every row read,
with the text column (or ``output_field``, added if missing) holding the
cleaned text; rows that were skipped are left out.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Iterator, Mapping, Optional, Union

from ..config import ReadConfig
from ..document import Document, InputError
from .files import DECOMPRESSION_ERRORS, InputFile, TooLarge, atomic_write, compression_of, open_input
from .records import FieldsSeen, record_document

__all__ = ["iter_rows", "read", "write"]

# Page text and HTML run far past the csv module's default 128 KiB field limit.
_FIELD_LIMIT = 2**31 - 1


def _dialect(f: InputFile) -> type[csv.Dialect]:
    return csv.excel_tab if f.format == "tsv" else csv.excel


def _lines(text: io.TextIOBase, limit: int) -> Iterator[str]:
    """The file's lines, none loaded past ``limit`` characters (a bomb of one
    endless line is stopped while it streams)."""
    while line := text.readline(limit + 1):
        if len(line) > limit and not line.endswith(("\n", "\r")):
            raise TooLarge("a line", limit, "max-document-bytes")
        yield line


def iter_rows(f: InputFile, config: Optional[ReadConfig] = None) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(row number, fields)``: row 0 is the header, then each data row.

    Blank rows are counted but not yielded. Bytes that are not UTF-8 come
    through as lone surrogates (``surrogateescape``), so a row is rejected
    only if a field that is used holds them, and the others are written back
    byte for byte.

    Raises
    ------
    InputError
        ``empty`` for a file without a header; ``unreadable`` when the file
        or its CSV breaks part way, ``too_large`` at a field longer than
        ``max_document_bytes`` (the csv module cannot go on past it) or past
        ``max_file_bytes`` (rows already yielded stand).
    """
    config = config or ReadConfig()
    # Characters, not bytes, but a bound all the same; past it csv raises, and the rest is unread.
    csv.field_size_limit(min(config.max_document_bytes, _FIELD_LIMIT))
    rowno = -1
    try:
        with open_input(f, config.max_file_bytes) as fh:
            text = io.TextIOWrapper(fh, encoding="utf-8-sig", errors="surrogateescape", newline="")
            # strict: an unclosed quote is an error, not the rest of the file in one field.
            for rowno, row in enumerate(csv.reader(_lines(text, config.max_document_bytes), _dialect(f), strict=True)):
                if row or rowno == 0:
                    yield rowno, row
    except TooLarge as exc:
        raise InputError(f.source, rowno + 1, "too_large", f"{exc}; the rest of the file is not read") from None
    except csv.Error as exc:
        if "field limit" not in str(exc):
            raise InputError(f.source, rowno + 1 if rowno >= 0 else None, "unreadable", str(exc)) from exc
        limit = config.max_document_bytes
        detail = f"a field is larger than {limit:,} characters (--max-document-bytes); the rest of the file is not read"
        raise InputError(f.source, rowno + 1, "too_large", detail) from None
    except DECOMPRESSION_ERRORS as exc:
        detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise InputError(f.source, rowno + 1 if rowno >= 0 else None, "unreadable", detail) from exc
    if rowno < 0:
        raise InputError(f.source, None, "empty", "no header row")


def _has_surrogates(value: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in value)


def _document(
    f: InputFile, rowno: int, header: list[str], row: list[str], config: ReadConfig, seen: Optional[FieldsSeen] = None
) -> Document:
    if len(row) != len(header):
        raise InputError(f.source, rowno, "invalid_record", f"{len(row)} fields, the header has {len(header)}")
    record = {name: value for name, value in zip(header, row)}
    for name in (config.text_field, config.html_field, config.id_field, config.url_field):
        value = record.get(name)
        if value is not None and _has_surrogates(value):
            raw = value.encode("utf-8", "surrogateescape")
            bad = next(i for i, c in enumerate(value) if "\udc80" <= c <= "\udcff")
            offset = len(value[:bad].encode("utf-8", "surrogateescape"))
            raise InputError(f.source, rowno, "invalid_utf8", f"column {name!r}: byte 0x{raw[offset]:02x} at offset {offset}")
    return record_document(record, f.name, f.source, rowno, config, seen)


def read(f: InputFile, config: ReadConfig, seen: Optional[FieldsSeen] = None) -> Iterator[Union[Document, InputError]]:
    """Yield the documents of a CSV/TSV file, and an :class:`InputError` for
    each bad row; ``seen`` is told which named fields the rows have."""
    header: list[str] = []
    try:
        for rowno, row in iter_rows(f, config):
            if rowno == 0:
                header = row
                if config.text_field not in header and config.html_field not in header:
                    yield InputError(
                        f.source, None, "invalid_record",
                        f"no {config.text_field!r} or {config.html_field!r} column; the header has {', '.join(map(repr, header))}",
                    )
                    return
                continue
            try:
                yield _document(f, rowno, header, row, config, seen)
            except InputError as err:
                yield err
    except InputError as err:
        yield err


def _columns(header: list[str], config: ReadConfig) -> list[int]:
    """The columns written: those ``keep_fields`` keeps or ``drop_fields``
    leaves (a CSV column name is matched whole, dots and all), with the
    text, output and id columns always."""
    always = set(config.always_kept)
    if config.kept is not None:
        wanted = set(config.kept) | always
        return [i for i, name in enumerate(header) if name in wanted]
    dropped = set(config.dropped) - always
    return [i for i, name in enumerate(header) if name not in dropped]


def write(f: InputFile, target: Path, cleaned: Mapping[tuple[str, Optional[int]], str], config: ReadConfig) -> None:
    """Write the header and every row read with its cleaned text (the
    columns ``keep_fields`` / ``drop_fields`` choose)."""
    field = config.output_field or config.text_field
    with atomic_write(target, compression_of(target.name)) as out:
        text = io.TextIOWrapper(out, encoding="utf-8", errors="surrogateescape", newline="")
        writer = csv.writer(text, _dialect(f), lineterminator="\n")
        column = -1
        chosen: list[int] = []
        try:
            for rowno, row in iter_rows(f, config):
                if rowno == 0:
                    column = row.index(field) if field in row else len(row)
                    header = row if column < len(row) else [*row, field]
                    chosen = _columns(header, config)
                    writer.writerow([header[i] for i in chosen])
                    continue
                value = cleaned.get((f.source, rowno))
                if value is None:  # a skipped row (listed in the report) or one past --limit: not copied
                    continue
                row = row if column < len(row) else [*row, ""]
                row[column] = value
                writer.writerow([row[i] for i in chosen])
        except InputError:
            pass  # the file breaks where reading it broke: that is in the report already
        text.flush()
        text.detach()
