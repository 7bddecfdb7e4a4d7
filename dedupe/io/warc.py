"""WARC and WET files (warcio): crawl records in, JSONL out.

The documents of a WARC file are its HTTP ``response`` records with an HTML
body (each becomes its visible-text lines, as an ``.html`` file does) or a
plain-text one; those of a WET file are its ``conversion`` records (text
already extracted). A document's id is its WARC-Record-ID, its URL the
WARC-Target-URI, its ``line`` the record's 1-based number in the file.
Requests, metadata, warcinfo and other records are not documents and are
passed over; a response that is neither HTML nor text (an image, a PDF) is
skipped with its reason.

A WARC is not written back: its cleaned output is JSONL, one record per
document (id, url, WARC-Date as ``date``, and the cleaned text).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Iterator, Mapping, Optional, Union

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ..config import ReadConfig
from ..document import Document, InputError
from .fields import project, set_path
from .files import DECOMPRESSION_ERRORS, InputFile, TooLarge, atomic_write, compression_of, open_input, read_bounded
from .jsonl import dump_json
from .records import decode_html, decode_text, each_document, html_document

__all__ = ["iter_records", "read", "write"]

_HTML = {"text/html", "application/xhtml+xml"}
_TEXT = {"text/plain"}
_ERRORS = (ArchiveLoadFailed, ValueError, *DECOMPRESSION_ERRORS)


def _mime(content_type: Optional[str]) -> tuple[str, Optional[str]]:
    """``(media type, charset)`` of a Content-Type header."""
    if not content_type:
        return "", None
    media, *params = content_type.split(";")
    charset = next((p.split("=", 1)[1].strip() for p in params if p.strip().lower().startswith("charset=")), None)
    return media.strip().lower(), charset


class _Watched:
    """A stream that keeps the error that ended it, and hands over every byte
    decompressed before it.

    warcio takes an EOFError for the end of the archive, so a cut download
    must not pass for one. And a buffered ``read(n)`` that meets the break
    raises and drops what it had gathered, up to a whole read (16 KiB, a few
    records) of intact records before the cut; ``read1`` returns what one
    step of the decompressor gives, so the bytes before the break come out
    first and the error is raised on the read after them.
    """

    def __init__(self, stream):
        self.stream = stream
        self.error: Optional[BaseException] = None
        self.raised = False  # the error has reached a reader (it waits while bytes before it are read)
        self.count = 0  # bytes handed over

    def read(self, size: int = -1) -> bytes:
        if self.error is not None:
            self.raised = True
            raise self.error
        parts: list[bytes] = []
        got = 0
        while size is None or size < 0 or got < size:
            try:
                data = self.stream.read1(size - got if size is not None and size >= 0 else -1)
            except (*DECOMPRESSION_ERRORS, TooLarge) as exc:
                self.error = exc
                if parts:
                    break
                self.raised = True
                raise
            if not data:
                break
            parts.append(data)
            got += len(data)
        self.count += got
        return b"".join(parts)


def iter_records(f: InputFile, config: Optional[ReadConfig] = None) -> Iterator[tuple[int, object]]:
    """Yield ``(record number, warcio record)`` for the records that can be
    documents (responses and conversions).

    Raises
    ------
    InputError
        ``unreadable`` when the file breaks part way, ``too_large`` past
        ``max_file_bytes`` (records already yielded stand).
    """
    config = config or ReadConfig()
    where = 1  # the record a break is in: the one being read, else the next
    try:
        with open_input(f, config.max_file_bytes) as fh:
            stream = _Watched(fh)
            records = ArchiveIterator(stream)
            for index in itertools.count(1):
                where = index
                try:
                    record = next(records)
                except StopIteration:
                    # warcio takes the end of the file inside a header for the end of the archive;
                    # the first line it had read of the next record (or any byte, before the first) says otherwise.
                    if stream.error is None and (records.next_line or (index == 1 and stream.count)):
                        raise InputError(f.source, index, "unreadable", "the file ends inside the record's header")
                    break
                except AttributeError as exc:  # warcio, on a response header cut before its WARC-Target-URI
                    raise InputError(f.source, index, "unreadable", "the record's header is cut or malformed") from exc
                wanted = record.rec_type == "conversion" or (record.rec_type == "response" and record.http_headers is not None)
                if wanted or _header_cut(record):  # a cut header may have lost the record's type: it is reported
                    yield index, record
                if stream.raised:
                    return  # the break is inside this record, and reading it said so
                while record.raw_stream.read(1 << 16):  # the rest of the record, or the break inside it
                    pass
                if not wanted and getattr(record.raw_stream, "limit", 0) > 0:
                    # A request or metadata record is no document, but a cut file must not pass for a whole one.
                    raise InputError(f.source, index, "unreadable", f"the record ends {record.raw_stream.limit} bytes short")
                where = index + 1
            if stream.error is not None:
                raise stream.error
    except TooLarge as exc:
        raise InputError(f.source, where, "too_large", f"{exc}; the rest of the file is not read") from None
    except _ERRORS as exc:
        detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise InputError(f.source, where, "unreadable", detail) from exc


def _header_cut(record) -> bool:
    """Whether the record's header block was cut: every WARC record has a
    Content-Length, and warcio takes the end of the file for the end of
    the header."""
    return record.rec_headers.get_header("Content-Length") is None


def _id(f: InputFile, index: int, record) -> str:
    return record.rec_headers.get_header("WARC-Record-ID") or f"{f.name}:{index}"


def _document(f: InputFile, index: int, record, limit: int, extractor: str = "none") -> Document:
    if _header_cut(record):
        raise InputError(f.source, index, "unreadable", "the record's header is cut (it has no Content-Length)")
    if record.length > limit:  # passed over, not loaded (iter_records reads past it in chunks)
        raise InputError(f.source, index, "too_large", f"the record is larger than {limit:,} bytes (--max-document-bytes)")
    headers = record.rec_headers
    media, charset = _mime((record.http_headers or headers).get_header("Content-Type"))
    is_html = record.rec_type == "response" and media in _HTML
    supported = is_html or media in _TEXT or (record.rec_type == "conversion" and not media)
    try:
        # Bounded again once decoded: a gzip Content-Encoding can inflate a small record.
        body = read_bounded(record.content_stream(), limit, "the record's body") if supported else b""
        while record.raw_stream.read(1 << 16):  # what decoding left (a chunked body's trailer), or all of a skipped one
            pass
    except TooLarge as exc:
        raise InputError(f.source, index, "too_large", str(exc)) from None
    except _ERRORS as exc:  # a broken chunked or gzip-encoded body
        raise InputError(f.source, index, "unreadable", str(exc) or type(exc).__name__) from None
    # Before the type: a response cut inside its HTTP header has no type to speak of.
    if record.raw_stream.limit > 0:
        raise InputError(f.source, index, "unreadable", f"the record ends {record.raw_stream.limit} bytes short")
    if not supported:
        raise InputError(f.source, index, "unsupported_record", f"{record.rec_type} of type {media or 'unknown'}")
    doc_id, url = _id(f, index, record), headers.get_header("WARC-Target-URI") or None
    if is_html:
        page = decode_html(body, f.source, index, charset)
        return html_document(page, id=doc_id, source=f.source, line=index, url=url, extractor=extractor)
    text = decode_text(body, f.source, index, charset)
    if not text.strip():
        raise InputError(f.source, index, "empty")
    return Document(id=doc_id, text=text, source=f.source, line=index, url=url)


def read(f: InputFile, config: ReadConfig) -> Iterator[Union[Document, InputError]]:
    """Yield the documents of a WARC/WET file, and an :class:`InputError` for each bad record."""
    limit = config.max_document_bytes
    return each_document(iter_records(f, config), lambda index, record: _document(f, index, record, limit, config.page_extractor))


def write(f: InputFile, target: Path, cleaned: Mapping[tuple[str, Optional[int]], str], config: ReadConfig) -> None:
    """Write one JSONL record per document: id, url, date and cleaned text."""
    field = config.output_field or config.text_field
    with atomic_write(target, compression_of(target.name)) as out:
        try:
            for index, record in iter_records(f, config):
                text = cleaned.get((f.source, index))
                if text is None:
                    continue
                headers = record.rec_headers
                written: dict = {}
                # Dotted field names make nested objects, as a JSONL input's would be.
                set_path(written, config.id_field, _id(f, index, record))
                set_path(written, config.url_field, headers.get_header("WARC-Target-URI"))
                set_path(written, "date", headers.get_header("WARC-Date"))
                set_path(written, field, text)
                if config.kept is not None or config.dropped:
                    written = project(written, config.kept, config.dropped, config.always_kept)
                out.write(dump_json(written) + b"\n")
        except InputError:
            pass  # the file breaks where reading it broke: that is in the report already
