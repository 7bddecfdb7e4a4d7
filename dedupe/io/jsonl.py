"""JSONL: one JSON object per line (``.jsonl``, ``.ndjson``, compressed or not,
or standard input).

A record's line number is its ``line``. The cleaned file holds every record
read, as it came, with its text field (or ``output_field``) holding the
cleaned text; a record cleaning left unchanged is written byte for byte.
Lines that were skipped are left out (the report lists them).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator, Mapping, Optional, Union

from ..config import ReadConfig
from ..document import Document, InputError
from .fields import get_path, project, set_path
from .files import DECOMPRESSION_ERRORS, InputFile, TooLarge, atomic_write, compression_of, open_input
from .records import FieldsSeen, decode_utf8, each_document, record_document

__all__ = ["iter_lines", "read", "write", "dump_json"]


def dump_json(value) -> bytes:
    """JSON as UTF-8 bytes. A lone surrogate (JSON input may hold ``"\\ud83d"``)
    cannot be UTF-8: it is written back as the same JSON escape."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "backslashreplace")


# A line ends at LF, CRLF or a lone CR (old Mac files): JSON holds no raw CR
# inside a string, so a lone CR can only end a line.
_LINE_END = re.compile(rb"\r\n|\r|\n")
_CHUNK = 1 << 16


def _line_ends(data: bytes) -> Iterator[tuple[int, int]]:
    """Where each line of ``data`` ends: (its ending's start, its end)."""
    if b"\r" in data:
        for end in _LINE_END.finditer(data):
            yield end.start(), end.end()
        return
    # LF only, as nearly every file is: found at memchr's speed, not the regex's.
    at = data.find(b"\n")
    while at >= 0:
        yield at, at + 1
        at = data.find(b"\n", at + 1)


def _lines(fh, limit: int) -> Iterator[Optional[bytes]]:
    """The file's lines with their endings; None for a line longer than
    ``limit`` bytes, which is passed over without being held."""
    parts: list[bytes] = []
    size, over, carry = 0, False, b""
    while True:
        chunk = fh.read1(_CHUNK)
        data, carry = carry + chunk, b""
        if chunk and data.endswith(b"\r"):  # half of a CRLF, perhaps: wait for the next byte
            data, carry = data[:-1], b"\r"
        start = 0
        for cut, after in _line_ends(data):
            piece = data[start:after]
            too_long = over or size + cut - start > limit
            yield None if too_long else (b"".join([*parts, piece]) if parts else piece)
            parts, size, over, start = [], 0, False, after
        if start < len(data) and not over:
            size += len(data) - start
            over = size > limit
            parts = [] if over else [*parts, data[start:]]
        if not chunk:
            break
    if over:
        yield None
    elif parts:
        yield b"".join(parts)  # the last line, without an ending


def iter_lines(f: InputFile, config: Optional[ReadConfig] = None) -> Iterator[tuple[int, Optional[bytes]]]:
    """Yield ``(line number, raw line)`` of a JSONL file, blank lines left out.

    The raw line keeps its ending (LF, CRLF or a lone CR); it is None for a
    line longer than ``max_document_bytes``, which is passed over, not loaded.

    Raises
    ------
    InputError
        ``unreadable`` when the file (or its compression) breaks part way,
        ``too_large`` past ``max_file_bytes``; lines already yielded stand.
    """
    config = config or ReadConfig()
    lineno = 0
    try:
        with open_input(f, config.max_file_bytes) as fh:
            for raw in _lines(fh, config.max_document_bytes):
                lineno += 1
                if raw is None or raw.strip():
                    yield lineno, raw
    except TooLarge as exc:
        raise InputError(f.source, lineno + 1, "too_large", f"{exc}; the rest of the file is not read") from None
    except DECOMPRESSION_ERRORS as exc:
        where = lineno + 1 if lineno else None
        detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise InputError(f.source, where, "unreadable", detail) from exc
def _document(f: InputFile, lineno: int, raw: Optional[bytes], config: ReadConfig, seen: Optional[FieldsSeen]) -> Document:
    if raw is None:
        limit = config.max_document_bytes
        raise InputError(f.source, lineno, "too_large", f"the line is larger than {limit:,} bytes (--max-document-bytes)")
    # Without its ending: a string the line ends inside is "unterminated", not an "invalid control character".
    text = decode_utf8(raw, f.source, lineno).rstrip("\r\n")
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        detail = f"{exc.msg.removesuffix(' at')} at column {exc.colno}"
        if exc.msg.startswith("Unterminated string"):
            detail += "; the line ends inside the string: cut short?"
        raise InputError(f.source, lineno, "invalid_json", detail) from None
    if not isinstance(record, dict):
        raise InputError(f.source, lineno, "invalid_record", f"a JSON {type(record).__name__}, not an object")
    return record_document(record, f.name, f.source, lineno, config, seen)


def read(f: InputFile, config: ReadConfig, seen: Optional[FieldsSeen] = None) -> Iterator[Union[Document, InputError]]:
    """Yield the documents of a JSONL file, and an :class:`InputError` for
    each bad line; ``seen`` is told which named fields the records have."""
    return each_document(iter_lines(f, config), lambda lineno, raw: _document(f, lineno, raw, config, seen))


def write(f: InputFile, target: Path, cleaned: Mapping[tuple[str, Optional[int]], str], config: ReadConfig) -> None:
    """Write every record read with its cleaned text: an unchanged record as
    it came, byte for byte; a cleaned one re-encoded, with its line's ending.
    ``keep_fields`` / ``drop_fields`` choose the fields written (any record
    they change is re-encoded)."""
    field = config.output_field or config.text_field
    chooses = config.kept is not None or bool(config.dropped)
    with atomic_write(target, compression_of(target.name)) as out:
        try:
            for lineno, raw in iter_lines(f, config):
                text = cleaned.get((f.source, lineno))
                if text is None:  # a skipped line (listed in the report) or one past --limit: not copied
                    continue
                record = json.loads(raw.decode("utf-8"))
                chosen = project(record, config.kept, config.dropped, config.always_kept) if chooses else record
                if config.output_field is None and get_path(record, field) == text and chosen == record:
                    out.write(raw)  # unchanged: byte for byte, its line ending too
                    continue
                set_path(chosen, field, text)
                out.write(dump_json(chosen) + (raw[len(raw.rstrip(b"\r\n")) :] or b"\n"))
        except InputError:
            pass  # the file breaks where reading it broke: that is in the report already
