"""Write the cleaned corpus in the input's own shape, atomically.

``-o OUT`` is always a folder: each input file has one output file at
``OUT/<name>`` (its path relative to the folder given, or its base name).
A text file gets the cleaned text; a JSONL file gets each record as it came
with its text field holding the cleaned text. Inputs that were skipped have
no output; the report lists them. Every file is written to a temporary file
beside its target and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping, Optional, Sequence

from ..config import ReadConfig
from ..model import InputError, UsageError
from .readers import InputFile, iter_jsonl_lines

__all__ = ["atomic_write", "check_output", "write_corpus", "dump_json"]


def dump_json(value) -> bytes:
    """JSON as UTF-8 bytes. A lone surrogate (JSON input may hold ``"\\ud83d"``)
    cannot be UTF-8: it is written back as the same JSON escape."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "backslashreplace")


def _new_file_mode() -> int:
    # mkstemp creates 0600 files; give the output the mode a new file gets.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_write(target: Path, compress: bool = False) -> Iterator:
    """Open a binary file that appears at ``target`` only once fully written.

    With ``compress`` the content is gzip-compressed with a fixed header
    (no name, no timestamp), so the same content gives the same bytes.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as raw:
            if compress:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
                    yield gz
            else:
                yield raw
            raw.flush()
            os.fchmod(raw.fileno(), _new_file_mode())
            os.fsync(raw.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def check_output(
    files: Sequence[InputFile],
    inputs: Sequence[os.PathLike],
    output: Optional[Path] = None,
    report: Optional[Path] = None,
) -> None:
    """Refuse outputs that would overwrite an input or feed back into it.

    Raises
    ------
    UsageError
        If ``output`` is a file or lies in (or is) an input folder, if an
        output file or the report would replace an input file or land in an
        input folder, or if two inputs would be written to one output name.
    """
    folders = [(Path(p).resolve(), p) for p in inputs if Path(p).is_dir()]
    sources = {f.path.resolve(): f.source for f in files}

    def refuse_inside(path: Path, what: str) -> None:
        resolved = path.resolve()
        if resolved in sources:
            raise UsageError(f"{path}: writing {what} would overwrite this input file ({sources[resolved]})")
        for folder, given in folders:
            if resolved == folder or folder in resolved.parents:
                raise UsageError(f"{path}: {what} must not be the input folder {given} or inside it")

    if report is not None:
        refuse_inside(Path(report), "the report")
    if output is None:
        return
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output}: -o must be a folder, and this is a file")
    refuse_inside(output, "the output folder")
    seen: dict[str, str] = {}
    for f in files:
        if f.name in seen:
            raise UsageError(
                f"{f.source} and {seen[f.name]} would both be written to {output / f.name}; "
                "give them in separate runs or put them in one folder"
            )
        seen[f.name] = f.source
        refuse_inside(output / f.name, "the output")


def _write_jsonl(f: InputFile, target: Path, cleaned: Mapping[tuple[str, Optional[int]], str], config: ReadConfig) -> None:
    with atomic_write(target, compress=f.path.name.lower().endswith(".gz")) as out:
        try:
            for lineno, raw in iter_jsonl_lines(f):
                text = cleaned.get((f.source, lineno))
                if text is None:  # a skipped line: listed in the report, not copied
                    continue
                record = json.loads(raw.decode("utf-8"))
                record[config.text_field] = text
                out.write(dump_json(record) + b"\n")
        except InputError:
            pass  # the file breaks where reading it broke: that is in the report already


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
        The corpus files, from :func:`dedupe.io.readers.discover`.
    cleaned : mapping
        ``(source, line)`` -> cleaned text (``line`` None for text files).
    output : Path
        The output folder.

    Returns
    -------
    list of Path
        The files written.
    """
    config = config or ReadConfig()
    sources = {source for source, _ in cleaned}
    written = []
    for f in files:
        target = output / f.name
        if f.format == "txt":
            text = cleaned.get((f.source, None))
            if text is None:
                continue
            with atomic_write(target) as out:
                out.write(text.encode("utf-8"))
        elif f.format == "jsonl":
            if f.source not in sources:
                continue
            _write_jsonl(f, target, cleaned, config)
        else:
            continue
        written.append(target)
    return written
