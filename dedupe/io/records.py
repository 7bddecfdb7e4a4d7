"""From raw bytes and records to documents, the same way for every format.

A record (a JSONL object, a CSV row, a Parquet row) gives its text from the
text field, or, when that is absent or empty, from the HTML field: the page
becomes its visible-text lines (:mod:`dedupe.io.html`), one per block
element, joined by blank lines, with each line's tag path kept.
"""

from __future__ import annotations

import codecs
import re
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Union

from ..config import ReadConfig
from ..document import Document, InputError
from .fields import get_path
from .html import OUTSIDE_MAIN_TEXT, html_to_blocks, mark
from .main_text import outside_main_text

__all__ = [
    "decode_utf8", "decode_text", "decode_html", "html_document", "record_document", "each_document",
    "FieldsSeen", "FIELD_OPTIONS",
]

#: The options that name a record field.
FIELD_OPTIONS = ("id_field", "text_field", "url_field", "html_field")


class FieldsSeen:
    """Which named fields (:data:`FIELD_OPTIONS`) at least one record had a
    value for, and how many records were looked at: a field named by an
    option that no record of the corpus has is warned of (a misspelt or
    nested ``--url-field`` otherwise silently loses the site evidence).

    Crosses processes (a worker's chunk of files) and adds up with ``|=``."""

    def __init__(self, records: int = 0, names: tuple = ()):
        self.records = records
        self.names = set(names)

    def see(self, record: Mapping[str, Any], config: ReadConfig) -> None:
        self.records += 1
        for option in FIELD_OPTIONS:
            if option not in self.names and get_path(record, getattr(config, option)) is not None:
                self.names.add(option)

    def __ior__(self, other: "FieldsSeen") -> "FieldsSeen":
        self.records += other.records
        self.names |= other.names
        return self

    def as_list(self) -> list:
        return [self.records, sorted(self.names)]

# <meta charset="x"> and <meta http-equiv="Content-Type" content="text/html; charset=x">,
# looked for in the first 1024 bytes as the HTML standard's prescan does.
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_utf8(raw: bytes, source: str, line: Optional[int]) -> str:
    """Decode UTF-8 strictly.

    Raises
    ------
    InputError
        ``invalid_utf8``, naming the first bad byte and its offset.
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        detail = f"byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        raise InputError(source, line, "invalid_utf8", detail) from None


def _codec(label: Optional[str]) -> Optional[str]:
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None


def decode_text(raw: bytes, source: str, line: Optional[int], declared: Optional[str] = None) -> str:
    """Decode text: a byte order mark, else the declared charset, else UTF-8.

    Raises
    ------
    InputError
        ``invalid_utf8`` (or ``invalid_encoding`` for another charset) when
        the bytes are not valid in it.
    """
    codec = next((c for bom, c in _BOMS if raw.startswith(bom)), None) or _codec(declared) or "utf-8"
    if codec == "utf-8":
        return decode_utf8(raw, source, line)
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        detail = f"{codec}: byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        raise InputError(source, line, "invalid_encoding", detail) from None


def decode_html(raw: bytes, source: str, line: Optional[int], declared: Optional[str] = None) -> str:
    """Decode a page as :func:`decode_text` does, with the charset of a
    ``<meta>`` tag when the HTTP header declared none."""
    if not _codec(declared):
        meta = _META_CHARSET.search(raw[:1024])
        declared = meta.group(1).decode("ascii") if meta else None
    return decode_text(raw, source, line, declared)


def html_document(
    html: str, *, id: str, source: str, line: Optional[int], url: Optional[str] = None, extractor: str = "none"
) -> Document:
    """A document from a page's HTML: its visible-text lines and their tag
    paths, those the page ``extractor`` leaves out of the main text marked
    (:mod:`dedupe.io.main_text`).

    Raises
    ------
    InputError
        ``empty`` when the page shows no text.
    """
    blocks = html_to_blocks(html)
    if not blocks:
        raise InputError(source, line, "empty", "no visible text in the HTML")
    if extractor != "none":
        aside = outside_main_text(extractor, html, [text for text, _ in blocks], url)
        blocks = [(text, mark(path, OUTSIDE_MAIN_TEXT) if out else path) for (text, path), out in zip(blocks, aside)]
    return Document(
        id=id,
        text="\n\n".join(text for text, _ in blocks),
        source=source,
        line=line,
        url=url,
        tag_paths=tuple(path for _, path in blocks),
    )


def _string(value: Any, name: str, source: str, line: int, limit: int, html: bool = False) -> str:
    if isinstance(value, (bytes, str)) and len(value) > limit:  # a Parquet cell, loaded but not taken further
        raise InputError(source, line, "too_large", f"{name!r} is larger than {limit:,} bytes (--max-document-bytes)")
    if isinstance(value, bytes):  # a binary Parquet column
        return decode_html(value, source, line) if html else decode_utf8(value, source, line)
    if not isinstance(value, str):
        raise InputError(source, line, "invalid_record", f"{name!r} is not a string")
    return value


def record_document(
    record: Mapping[str, Any], file_name: str, source: str, line: int, config: ReadConfig,
    seen: Optional[FieldsSeen] = None,
) -> Document:
    """The document a record holds.

    Parameters
    ----------
    record : mapping
        Field name -> value (missing values absent or None).
    file_name : str
        The file's name under its folder, for the id of a record without one
        (``file_name:line``).
    source : str
        The file, for messages.
    line : int
        1-based line, row or record number.
    config : ReadConfig
        The field names: keys, or dotted paths (``metadata.url``).
    seen : FieldsSeen, optional
        Told which named fields the record has.

    Raises
    ------
    InputError
        ``invalid_record`` without a usable text or HTML field, ``empty``
        when the text is blank, ``invalid_utf8`` for bad bytes.
    """
    if seen is not None:
        seen.see(record, config)
    text, html = get_path(record, config.text_field), get_path(record, config.html_field)
    if text is None and html is None:
        raise InputError(source, line, "invalid_record", f"no {config.text_field!r} or {config.html_field!r} field")
    doc_id = get_path(record, config.id_field)
    doc_id = f"{file_name}:{line}" if doc_id is None or doc_id == "" else str(doc_id)
    url = get_path(record, config.url_field)
    url = url if isinstance(url, str) and url else None
    if text is not None:
        text = _string(text, config.text_field, source, line, config.max_document_bytes)
        if text.strip():
            return Document(id=doc_id, text=text, source=source, line=line, url=url)
    if html is not None:
        page = _string(html, config.html_field, source, line, config.max_document_bytes, html=True)
        if page.strip():
            return html_document(page, id=doc_id, source=source, line=line, url=url, extractor=config.page_extractor)
    raise InputError(source, line, "empty")


def each_document(
    items: Iterable[tuple[int, Any]], make: Callable[[int, Any], Document]
) -> Iterator[Union[Document, InputError]]:
    """``make(number, item)`` for each numbered item of a file, yielding the
    :class:`InputError` of a bad item in its place and stopping, with its
    error, where the file itself cannot be read further."""
    try:
        for number, item in items:
            try:
                yield make(number, item)
            except InputError as err:
                yield err
    except InputError as err:
        yield err
