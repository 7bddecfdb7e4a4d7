"""Write the cleaned corpus in the input's own shape, atomically.

``-o OUT`` is always a folder: each input file has one output file at
``OUT/<output name>`` (its path relative to the folder given, or its base
name; see :attr:`InputFile.output_name`). A text file gets the cleaned text,
and so does an HTML file (``a.html`` -> ``a.txt``); a JSONL, CSV/TSV or
Parquet file gets each record as it came with its text field holding the
cleaned text; a WARC/WET file gets JSONL. Inputs that were skipped have no
output; the report lists them. Every file is written to a temporary file
beside its target and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Mapping, Optional, Sequence

from ..config import ReadConfig
from ..document import UsageError
from . import delimited, jsonl, parquet, plain, warc
from .files import InputFile, atomic_write, real_path

__all__ = ["atomic_write", "check_output", "check_writable", "write_corpus"]

_WRITERS = {
    "jsonl": jsonl.write,
    "csv": delimited.write,
    "tsv": delimited.write,
    "parquet": parquet.write,
    "warc": warc.write,
    "wet": warc.write,
}


def check_output(
    files: Sequence[InputFile],
    inputs: Sequence[os.PathLike],
    output: Optional[Path] = None,
    report: Optional[Path] = None,
    html: Optional[Path] = None,
) -> None:
    """Refuse outputs that would overwrite an input or feed back into it.

    Raises
    ------
    UsageError
        If ``output`` is a file or lies in (or is) an input folder, if an
        output file or a report would replace an input file or land in an
        input folder, or if two inputs would be written to one output name.
    """
    folders = [(real_path(p), p) for p in inputs if os.fspath(p) != "-" and Path(p).is_dir()]
    sources = {real_path(f.path): f.source for f in files if f.path is not None}

    def refuse_inside(path: Path, what: str) -> None:
        resolved = real_path(path)
        if resolved in sources:
            raise UsageError(f"{path}: writing {what} would overwrite this input file ({sources[resolved]})")
        for folder, given in folders:
            if resolved == folder or folder in resolved.parents:
                raise UsageError(f"{path}: {what} must not be the input folder {given} or inside it")

    for path, what in ((report, "the report"), (html, "the HTML report")):
        if path is not None:
            refuse_inside(Path(path), what)
    if output is None:
        return
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output}: -o must be a folder, and this is a file")
    refuse_inside(output, "the output folder")
    seen: dict[str, str] = {}
    for f in files:
        name = f.output_name
        if name in seen:
            raise UsageError(
                f"{f.source} and {seen[name]} would both be written to {output / name}; "
                "give them in separate runs or put them in one folder"
            )
        seen[name] = f.source
        refuse_inside(output / name, "the output")


def write_corpus(
    files: Sequence[InputFile],
    cleaned: Mapping[tuple[str, Optional[int]], str],
    output: Path,
    config: Optional[ReadConfig] = None,
) -> list[Path]:
    """Write every input file that yielded documents under ``output``.

    Parameters
    ----------
    files : sequence of InputFile
        The corpus files as read (:attr:`dedupe.io.readers.Corpus.files`:
        standard input is read once, and its bytes are there).
    cleaned : mapping
        ``(source, line)`` -> cleaned text (``line`` None for text and HTML files).
    output : Path
        The output folder.
    config : ReadConfig, optional
        Field names.

    Returns
    -------
    list of Path
        The files written.
    """
    config = config or ReadConfig()
    sources = {source for source, _ in cleaned}
    written = []
    for f in files:
        target = output / f.output_name
        if f.format in ("txt", "html"):
            if not plain.write_text(f, target, cleaned):
                continue
        elif f.format in _WRITERS and f.source in sources:
            _WRITERS[f.format](f, target, cleaned, config)
        else:
            continue
        written.append(target)
    return written


def check_writable(folder: Path, what: str) -> None:
    """Refuse a folder that cannot be made or written in, before any work is
    done (a read-only disk found once the whole pipeline has run costs the
    whole run). Folders made to find out are removed again.

    Raises
    ------
    OSError
        ``"<folder>: cannot write <what> there (<reason>)"``.
    """
    made: list[Path] = []
    try:
        for parent in [*reversed(folder.parents), folder]:
            if not os.path.lexists(parent):
                parent.mkdir()
                made.append(parent)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".dedupe-", suffix=".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OSError(f"{folder}: cannot write {what} there ({exc.strerror or exc})") from exc
    finally:
        for parent in reversed(made):
            try:
                parent.rmdir()
            except OSError:
                pass
