"""Text and HTML files: one document per file, its id the file's name.

A text file is read byte for byte; an HTML file becomes its visible-text
lines. Both are written back as the cleaned text (``a.html`` -> ``a.txt``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Mapping, Optional

from ..config import ReadConfig
from ..document import Document, InputError
from .files import DECOMPRESSION_ERRORS, InputFile, TooLarge, atomic_write, compression_of, open_input, read_bounded
from .records import decode_html, decode_utf8, html_document

__all__ = ["read_txt", "read_html", "write_text"]


def _read_bytes(f: InputFile, config: Optional[ReadConfig]) -> bytes:
    limit = (config or ReadConfig()).max_document_bytes
    try:
        with open_input(f) as fh:
            return read_bounded(fh, limit)  # the file is the document
    except TooLarge as exc:
        raise InputError(f.source, None, "too_large", str(exc)) from None
    except DECOMPRESSION_ERRORS as exc:
        detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise InputError(f.source, None, "unreadable", detail) from None


def read_txt(f: InputFile, config: Optional[ReadConfig] = None) -> Iterator[Document]:
    """The document of a text file (UTF-8).

    Raises
    ------
    InputError
        ``unreadable``, ``too_large``, ``invalid_utf8`` or ``empty``.
    """
    text = decode_utf8(_read_bytes(f, config), f.source, None)
    if not text.strip():
        raise InputError(f.source, None, "empty")
    yield Document(id=f.name, text=text, source=f.source)


def read_html(f: InputFile, config: Optional[ReadConfig] = None) -> Iterator[Document]:
    """The document of an HTML file: its visible-text lines, with tag paths.

    Raises
    ------
    InputError
        ``unreadable``, ``too_large``, ``invalid_utf8`` / ``invalid_encoding``
        (for the charset a ``<meta>`` declares) or ``empty``.
    """
    yield html_document(
        decode_html(_read_bytes(f, config), f.source, None), id=f.name, source=f.source, line=None,
        extractor=(config or ReadConfig()).page_extractor,
    )


def write_text(f: InputFile, target: Path, cleaned: Mapping[tuple[str, Optional[int]], str]) -> bool:
    """Write a text or HTML file's cleaned text; False when it has none (skipped)."""
    text = cleaned.get((f.source, None))
    if text is None:
        return False
    with atomic_write(target, compression_of(target.name)) as out:
        out.write(text.encode("utf-8"))
    return True
