"""The data model at the edges: documents and bad inputs.

Blocks are arrays of offsets in the core (:func:`dedupe.blocks.segment`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

__all__ = ["Document", "InputError", "UsageError", "DuplicateIdWarning", "MissingFieldWarning", "SKIP_REASONS"]

#: Why an input was skipped; the keys of ``documents_skipped`` in a report.
SKIP_REASONS = {
    "invalid_utf8": "not valid UTF-8",
    "empty": "empty document",
    "unreadable": "file cannot be read",
    "invalid_json": "invalid JSON",
    "invalid_record": "record has no usable text field",
    "invalid_encoding": "not valid in its declared character encoding",
    "unsupported_record": "not an HTML or text page",
    "unsupported_file": "not a supported corpus file",
    "too_large": "too large",
}


@dataclass(frozen=True)
class Document:
    """One input document.

    Parameters
    ----------
    id : str
        Its id: the path relative to the input folder for a text or HTML
        file, the record's id field (JSONL, CSV, Parquet), the
        WARC-Record-ID of a WARC record, or ``file:line`` when a record has
        none.
    text : str
        The text as read; for an HTML page, its visible-text lines
        (:func:`dedupe.io.html.html_to_blocks`) joined by blank lines.
    source : str
        The input file it came from, as given on the command line (or inside
        the folder given); ``<stdin>`` for standard input.
    line : int or None
        Where in its file: the 1-based line of a JSONL record, the 1-based
        row of a CSV/TSV or Parquet record (header not counted), the 1-based
        record number in a WARC/WET file; None for a text or HTML file.
    url : str or None
        The page URL where known; its host is evidence for templates.
    tag_paths : tuple of str, or None
        For a document converted from HTML, the tag path of the block
        element each non-blank line of ``text`` came from
        (``"html>body>div>p"``), one per line in order; None otherwise.
    """

    id: str
    text: str
    source: str
    line: Optional[int] = None
    url: Optional[str] = None
    tag_paths: Optional[tuple[str, ...]] = None

    @property
    def location(self) -> str:
        """``file`` or ``file:line``, for messages."""
        return self.source if self.line is None else f"{self.source}:{self.line}"


class InputError(Exception):
    """A bad input: a file or a line that cannot be turned into a document.

    Parameters
    ----------
    path : str
        The file.
    line : int or None
        1-based line (JSONL), row (CSV/TSV, Parquet) or record (WARC/WET)
        number; None for a whole file.
    reason : str
        One of :data:`SKIP_REASONS`.
    detail : str
        What exactly is wrong, for a person.
    """

    def __init__(self, path: str, line: Optional[int], reason: str, detail: str = ""):
        if reason not in SKIP_REASONS:
            raise ValueError(f"unknown skip reason {reason!r}")
        self.path = path
        self.line = line
        self.reason = reason
        self.detail = detail
        super().__init__(self.message)

    @property
    def location(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"

    @property
    def message(self) -> str:
        what = SKIP_REASONS[self.reason]
        return f"{self.location}: {what}" + (f" ({self.detail})" if self.detail else "")

    def as_dict(self) -> dict:
        return {"source": self.path, "line": self.line, "reason": self.reason, "message": self.message}


class UsageError(ValueError):
    """The run was asked for something it must refuse (an output that would
    overwrite an input, two inputs with one output name, ...)."""


class DuplicateIdWarning(UserWarning):
    """Two or more input documents have the same id (a JSONL ``--id-field``
    that repeats, two WARC records with one WARC-Record-ID). Both are kept;
    the report's document entries tell them apart by ``source`` and ``line``."""


class MissingFieldWarning(UserWarning):
    """A record field named by an option (``--url-field metadata.url``) that
    no record of the corpus has: misspelt, or nested where a flat name was
    given. The run goes on without it (no URLs: no site evidence)."""
