"""The write stage on Spark: each input file's cleaned documents written by an executor.

The documents' texts and kept spans go to Spark as a DataFrame
(:func:`.frames.kept_frame`), grouped by the file they came from; each
group is one call of the local writer (:func:`dedupe.io.write_corpus`) for
that one file, in the executor that holds its rows, so the cleaned corpus
never passes through the driver. The output folder (and, for formats whose
writer copies the input's records, the input files) must be where the
executors can reach them by the same path: this machine for ``local[*]``,
a shared file system on a cluster; or the output is a URL
(``s3://bucket/clean/``), each file written by its executor through the
local writer's own fsspec code (:mod:`dedupe.io.remote`).

Each file is written atomically by the writer (a temporary file renamed
into place; for a URL, put in one go once whole), as on one machine; a
task Spark runs twice writes the same bytes twice.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Sequence, Union

import pandas as pd

from . import require_pyspark

require_pyspark()

from pyspark.sql import DataFrame  # noqa: E402

from ...config import ReadConfig  # noqa: E402
from ...io import remote, write_corpus  # noqa: E402
from ...io.files import InputFile  # noqa: E402

__all__ = ["write_files"]


def write_files(
    kept: DataFrame, files: Sequence[InputFile], output: Union[Path, str], config: ReadConfig
) -> list[Union[Path, str]]:
    """Write the cleaned corpus under ``output``, each file by an executor.

    Parameters
    ----------
    kept : DataFrame
        ``source``, ``line`` (null for text and HTML files), ``text``,
        ``spans`` (the kept spans) of every document.
    files : sequence of InputFile
        The corpus files as read, in input order.
    output : Path or str
        A folder, or a URL.
    config : ReadConfig

    Returns
    -------
    list of Path or str
        The files written, in input order (as :func:`dedupe.io.write_corpus`:
        URLs for a URL output).
    """
    on_store = remote.is_remote(output)
    given, output = (str(output), str(output)) if on_store else (Path(output), Path(output).resolve())
    # The executors' copies name the files absolutely: their working folder is not the driver's.
    by_source = {f.source: (f if f.path is None else replace(f, path=f.path.resolve())) for f in files}

    def write(rows: pd.DataFrame) -> pd.DataFrame:
        source = rows["source"].iloc[0]
        cleaned = {
            (source, None if pd.isna(line) else int(line)): "".join(text[a:b] for a, b in spans)
            for line, text, spans in zip(rows["line"], rows["text"], rows["spans"])
        }
        written = write_corpus([by_source[source]], cleaned, output, config)
        return pd.DataFrame({"source": [source] * len(written), "path": [str(p) for p in written]})

    done = kept.groupBy("source").applyInPandas(write, "source string, path string").collect()
    order = {f.source: i for i, f in enumerate(files)}
    done = sorted(done, key=lambda r: order[r["source"]])
    if on_store:
        return [r["path"] for r in done]
    # Named under the output folder as given, as the local writer names them.
    return [given / Path(r["path"]).relative_to(output) for r in done]
