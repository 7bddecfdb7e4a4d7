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
from .readers import InputFile, iter_jsonl_lines

__all__ = ["atomic_write", "check_output", "write_corpus"]


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
            os.fsync(raw.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def check_output(files: Sequence[InputFile], inputs: Sequence[os.PathLike], output: Path) -> None:
    """Refuse an output folder that would overwrite or feed back into the input.

    Raises
    ------
    ValueError
        If ``output`` is an input file, lies inside an input folder, or two
        inputs would be written to the same output name.
    """
    out = output.resolve()
    if out.exists() and not out.is_dir():
        raise ValueError(f"{output}: -o must be a folder, and this is a file")
    for given in inputs:
        src = Path(given).resolve()
        if src.is_dir() and (out == src or src in out.parents):
            raise ValueError(f"{output}: the output folder must not be the input folder {given} or inside it")
    seen: dict[str, str] = {}
    for f in files:
        if f.name in seen:
            raise ValueError(
                f"{f.source} and {seen[f.name]} would both be written to {output / f.name}; "
                "give them in separate runs or put them in one folder"
            )
        seen[f.name] = f.source
        if (out / f.name).resolve() == f.path.resolve():
            raise ValueError(f"{f.source}: writing the output would overwrite this input file")


def _write_jsonl(f: InputFile, target: Path, cleaned: Mapping[tuple[str, Optional[int]], str], config: ReadConfig) -> None:
    with atomic_write(target, compress=f.path.name.lower().endswith(".gz")) as out:
        for lineno, raw in iter_jsonl_lines(f):
            text = cleaned.get((f.source, lineno))
            if text is None:  # a skipped line: listed in the report, not copied
                continue
            record = json.loads(raw.decode("utf-8"))
            record[config.text_field] = text
            out.write(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")


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
