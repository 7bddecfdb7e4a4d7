"""Write the cleaned corpus in the input's own shape, atomically.

``-o OUT`` is always a folder: each input file has one output file at
``OUT/<output name>`` (its path relative to the folder given, or its base
name; see :attr:`InputFile.output_name`). A text file gets the cleaned text,
and so does an HTML file (``a.html`` -> ``a.txt``); a JSONL, CSV/TSV or
Parquet file gets each record as it came with its text field holding the
cleaned text; a WARC/WET file gets JSONL. Inputs that were skipped have no
output; the report lists them. Every file is written to a temporary file
beside its target and renamed into place, so a reader never sees half a file.
``OUT`` may be a URL (``s3://bucket/clean/``): each file is written locally
as above, then put on the store in one go (:mod:`.remote`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

from ..config import ReadConfig
from ..document import UsageError
from . import delimited, jsonl, parquet, plain, remote, warc
from .files import InputFile, atomic_write, real_path

__all__ = ["atomic_write", "check_output", "check_writable", "check_writable_file", "write_corpus"]

Place = Union[str, os.PathLike]

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
    output: Optional[Place] = None,
    report: Optional[Place] = None,
    html: Optional[Place] = None,
) -> None:
    """Refuse outputs that would overwrite an input or feed back into it.
    Any of them may be a URL, checked against the inputs given as URLs.

    Raises
    ------
    UsageError
        If ``output`` is a file or lies in (or is) an input folder, if an
        output file or a report would replace an input file or land in an
        input folder, or if two inputs would be written to one output name.
    """
    local = [p for p in inputs if not remote.is_remote(p)]
    folders = [(real_path(p), p) for p in local if os.fspath(p) != "-" and Path(p).is_dir()]
    sources = {real_path(f.path): f.source for f in files if f.path is not None}
    urls = [p for p in inputs if remote.is_remote(p)]

    def refuse_inside(path: Place, what: str) -> None:
        if remote.is_remote(path):
            for given in urls:
                if remote.inside(str(path), given):
                    raise UsageError(f"{path}: {what} must not be the input {given} or inside it")
            return
        resolved = real_path(path)
        if resolved in sources:
            raise UsageError(f"{path}: writing {what} would overwrite this input file ({sources[resolved]})")
        for folder, given in folders:
            if resolved == folder or folder in resolved.parents:
                raise UsageError(f"{path}: {what} must not be the input folder {given} or inside it")

    for path, what in ((report, "the report"), (html, "the HTML report")):
        if path is not None:
            refuse_inside(path, what)
    if output is None:
        return
    if not remote.is_remote(output):
        output = Path(output)
        if output.exists() and not output.is_dir():
            raise UsageError(f"{output}: -o must be a folder, and this is a file")
    refuse_inside(output, "the output folder")
    seen: dict[str, str] = {}
    for f in files:
        name = f.output_name
        target = remote.join(str(output), name) if remote.is_remote(output) else output / name
        if name in seen:
            raise UsageError(
                f"{f.source} and {seen[name]} would both be written to {target}; "
                "give them in separate runs or put them in one folder"
            )
        seen[name] = f.source
        refuse_inside(target, "the output")


def write_corpus(
    files: Sequence[InputFile],
    cleaned: Mapping[tuple[str, Optional[int]], str],
    output: Place,
    config: Optional[ReadConfig] = None,
) -> list:
    """Write every input file that yielded documents under ``output``.

    Parameters
    ----------
    files : sequence of InputFile
        The corpus files as read (:attr:`dedupe.io.readers.Corpus.files`:
        standard input is read once, and its bytes are there).
    cleaned : mapping
        ``(source, line)`` -> cleaned text (``line`` None for text and HTML files).
    output : path-like or str
        The output folder, or a URL (each file put there once written).
    config : ReadConfig, optional
        Field names.

    Returns
    -------
    list of Path, or of str for a URL
        The files written.
    """
    config = config or ReadConfig()
    if remote.is_remote(output):
        return _write_remote(files, cleaned, str(output), config)
    output = Path(output)
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


def _write_remote(files, cleaned, url: str, config: ReadConfig) -> list[str]:
    """Each file written to a local temporary folder, then put at the URL in
    one go: never a partial object under the final name."""
    written = []
    folder = Path(tempfile.mkdtemp(prefix="dedupe-upload-"))
    try:
        for f in files:
            for local in write_corpus([f], cleaned, folder, config):
                target = remote.join(url, local.relative_to(folder).as_posix())
                remote.upload(local, target)
                local.unlink()
                written.append(target)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return written


def check_writable_file(path: Place, what: str) -> None:
    """:func:`check_writable` for the folder of the file ``path`` (a report),
    or a probe object beside it for a URL."""
    if remote.is_remote(path):
        remote.check_writable(remote.parent(str(path)), what)
    else:
        check_writable(Path(path).parent, what)


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
