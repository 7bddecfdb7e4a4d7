"""JSONL: one JSON object per line (``.jsonl``, ``.ndjson``, compressed or not,
or standard input).

A record's line number is its ``line``. The cleaned file holds every record
read, as it came, with its text field (or ``output_field``) holding the
cleaned text; lines that were skipped are left out (the report lists them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, Mapping, Optional, Union

from ..config import ReadConfig
from ..model import Document, InputError
from .files import DECOMPRESSION_ERRORS, InputFile, TooLarge, atomic_write, compression_of, open_input
from .records import decode_utf8, each_document, record_document

__all__ = ["iter_lines", "read", "write", "dump_json"]


def dump_json(value) -> bytes:
    """JSON as UTF-8 bytes. A lone surrogate (JSON input may hold ``"\\ud83d"``)
    cannot be UTF-8: it is written back as the same JSON escape."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "backslashreplace")


def iter_lines(f: InputFile, config: Optional[ReadConfig] = None) -> Iterator[tuple[int, Optional[bytes]]]:
    """Yield ``(line number, raw line)`` of a JSONL file, blank lines left out;
    the raw line is None for a line longer than ``max_document_bytes``,
    which is passed over, not loaded.

    Raises
    ------
    InputError
        ``unreadable`` when the file (or its compression) breaks part way,
        ``too_large`` past ``max_file_bytes``; lines already yielded stand.
    """
    config = config or ReadConfig()
    limit = config.max_document_bytes
    lineno, inside = 0, False
    try:
        with open_input(f, config.max_file_bytes) as fh:
            while raw := fh.readline(limit + 1):
                lineno += 1
                if len(raw) > limit and not raw.endswith(b"\n"):
                    inside = True  # a bound met in here is this line's, not the next one's
                    while raw and not raw.endswith(b"\n"):  # the rest of the line, a chunk at a time
                        raw = fh.readline(1 << 20)
                    inside = False
                    yield lineno, None
                elif raw.strip():
                    yield lineno, raw
    except TooLarge as exc:
        where = lineno if inside else lineno + 1
        raise InputError(f.source, where, "too_large", f"{exc}; the rest of the file is not read") from None
    except DECOMPRESSION_ERRORS as exc:
        where = lineno + 1 if lineno else None
        detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise InputError(f.source, where, "unreadable", detail) from exc


def _document(f: InputFile, lineno: int, raw: Optional[bytes], config: ReadConfig) -> Document:
    if raw is None:
        limit = config.max_document_bytes
        raise InputError(f.source, lineno, "too_large", f"the line is larger than {limit:,} bytes (--max-document-bytes)")
    text = decode_utf8(raw, f.source, lineno)
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f.source, lineno, "invalid_json", f"{exc.msg.removesuffix(' at')} at column {exc.colno}") from None
    if not isinstance(record, dict):
        raise InputError(f.source, lineno, "invalid_record", f"a JSON {type(record).__name__}, not an object")
    return record_document(record, f.name, f.source, lineno, config)


def read(f: InputFile, config: ReadConfig) -> Iterator[Union[Document, InputError]]:
    """Yield the documents of a JSONL file, and an :class:`InputError` for each bad line."""
    return each_document(iter_lines(f, config), lambda lineno, raw: _document(f, lineno, raw, config))


def write(f: InputFile, target: Path, cleaned: Mapping[tuple[str, Optional[int]], str], config: ReadConfig) -> None:
    """Write every record read with its cleaned text."""
    field = config.output_field or config.text_field
    with atomic_write(target, compression_of(target.name)) as out:
        try:
            for lineno, raw in iter_lines(f, config):
                text = cleaned.get((f.source, lineno))
                if text is None:  # a skipped line: listed in the report, not copied
                    continue
                record = json.loads(raw.decode("utf-8"))
                record[field] = text
                out.write(dump_json(record) + b"\n")
        except InputError:
            pass  # the file breaks where reading it broke: that is in the report already
