"""The library's front: read a corpus, clean it, write what comes out.

:func:`scan` reads and analyses (:mod:`dedupe.pipeline`, the engine) and
builds the report; :func:`clean` also writes the cleaned corpus, the JSON
report and the HTML report. The engine imports none of the presentation
code (the report, the HTML report, the terminal summary): this module and
the command line (:mod:`dedupe.cli`) bring the two together.

Three things only change how a run goes, never its result, and are no
part of the :class:`~dedupe.config.Config` a report records: ``jobs``,
``progress`` and ``work_dir`` (see :mod:`dedupe.pipeline`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from . import checkpoint as checkpoints
from .config import Config
from .document import UsageError
from .htmlreport import write_html
from .io import check_output, discover, remote
from .io.readers import Corpus
from .io.writers import check_writable, check_writable_file
from .pipeline import (
    Jobs,
    PathLike,
    Run,
    check_work_dir,
    read_and_analyse,
    resolve,
    running,
    work_dir_for,
)
from .report import Report
from .results import Analysis
from .stages import blocks, boilerplate, clusters, model, read, report, syndication, write
from .stages.report import run_report
from .stages.write import run_write

__all__ = ["scan", "clean", "check_dropped", "check_backend", "Result", "STAGES"]

#: Every stage's contract, in the order a run goes (:mod:`dedupe.stages.contract`).
STAGES = tuple(m.STAGE for m in (read, blocks, clusters, boilerplate, model, syndication, report, write))


@dataclass
class Result:
    """What :func:`scan` and :func:`clean` return: the corpus read, what was
    found in it, the report, and the files written (none for :func:`scan`;
    URLs, as str, for a URL output)."""

    corpus: Corpus
    analysis: Analysis
    report: Report
    written: list[Union[Path, str]]


def check_backend(backend: str, places: Sequence, config: Config) -> None:
    """Refuse what only the local backend does: ``limit`` (read in this
    process, in order) and ``memory://`` URLs (this process's own file
    system). Other URLs are read and written on either: on Spark, by the
    executors, through the same fsspec code (:mod:`dedupe.io.remote`).

    Raises
    ------
    UsageError
    """
    if backend == "local":
        return
    if config.read.limit is not None:
        raise UsageError(f"--limit runs on the local backend, not {backend}")
    url = next((p for p in places if remote.is_remote(p) and str(p).lower().startswith("memory://")), None)
    if url is not None:
        raise UsageError(f"{url}: memory:// is this process's own file system, which {backend}'s executors cannot reach")


def _scan(run: Run, inputs: Sequence[PathLike]) -> Result:
    corpus, analysis = read_and_analyse(run, inputs)
    report = run_report(run, corpus, analysis, inputs)
    return Result(corpus=corpus, analysis=analysis, report=report, written=[])


def check_dropped(dropped: Optional[Path], config: Config, files, inputs: Sequence[PathLike]) -> None:
    """Refuse, before any work, a dropped-ids file with nothing to drop, one
    that would overwrite an input or land in an input folder, or one whose
    folder cannot be written in (:class:`UsageError`, :class:`OSError`)."""
    if dropped is None:
        return
    if not config.duplicates.drop_duplicates:
        raise UsageError(f"{dropped}: the dropped ids are those drop_duplicates (--drop-duplicates) leaves out; give it too")
    try:
        check_output(files, inputs, None, dropped)
    except UsageError as exc:  # check_output calls its second path "the report"
        raise UsageError(str(exc).replace("the report", "the dropped ids")) from None
    check_writable(dropped.parent, "the dropped ids")


def scan(
    inputs: Sequence[PathLike],
    *,
    config: Optional[Config] = None,
    jobs: Jobs = 1,
    progress=None,
    memory: Optional[int] = None,
    work_dir: Optional[PathLike] = None,
    backend: str = "local",
    spark_master: Optional[str] = None,
    spark_conf: Optional[Mapping[str, str]] = None,
    **options,
) -> Result:
    """Read a corpus and find its boilerplate and syndication; write nothing.

    Parameters
    ----------
    inputs : sequence of path-like
        Files and folders of any supported format (text, HTML, JSONL,
        CSV/TSV, Parquet, WARC/WET; see :mod:`dedupe.io`), and "-" for
        JSONL on standard input.
    config : Config, optional
        Defaults, changed by ``options``.
    jobs, progress, memory
        As for :func:`analyse`.
    work_dir : path-like, optional
        Keep each finished stage there and reuse what an earlier run with
        the same inputs, options and dedupe kept (:mod:`dedupe.checkpoint`);
        by default nothing is kept.
    backend : {"local", "spark"}
        Where the stages run: on this machine, or those with a Spark form
        on Apache Spark (``pip install 'crawl-dedupe[spark]'``) at
        ``spark_master`` (default: the active session's, else
        ``local[*]``), with the settings ``spark_conf`` for a session it
        starts. The result is the same.
    **options
        Any :class:`Config` option by its flat name (``block_threshold=0.7``).

    Returns
    -------
    Result
        ``result.report`` holds the machine report and the exit code.

    Raises
    ------
    InputError
        With ``strict=True``, at the first bad input.
    FileNotFoundError
        If an input does not exist.
    UsageError
        If ``work_dir`` is a file, or an input folder or inside one.
    """
    config = resolve(config, options)
    check_backend(backend, inputs, config)
    work = work_dir_for(work_dir, inputs, config.read.format)
    with running(config, jobs, progress, work, memory, backend, spark_master, spark_conf) as run:
        return _scan(run, inputs)


def clean(
    inputs: Sequence[PathLike],
    output: PathLike,
    *,
    report: Optional[PathLike] = None,
    html: Optional[PathLike] = None,
    dropped: Optional[PathLike] = None,
    config: Optional[Config] = None,
    jobs: Jobs = 1,
    progress=None,
    memory: Optional[int] = None,
    work_dir: Optional[PathLike] = None,
    checkpoint: bool = True,
    backend: str = "local",
    spark_master: Optional[str] = None,
    spark_conf: Optional[Mapping[str, str]] = None,
    **options,
) -> Result:
    """Strip boilerplate and write the cleaned corpus under the folder ``output``.

    Every input file that yielded documents gets one output file at
    ``output/<name>`` in its own format (text for HTML, JSONL for WARC/WET);
    ``report`` (optional) gets the JSON report, ``html`` the HTML report.
    Inputs are never modified.

    Parameters
    ----------
    inputs : sequence of path-like
    output : path-like or str
        The output folder (created if missing), or a URL
        (``s3://bucket/clean/``: :mod:`dedupe.io.remote`), where each file
        is put in one go once written.
    report : path-like or str, optional
        Where to write the JSON report (a path or a URL).
    html : path-like or str, optional
        Where to write the HTML report (:func:`dedupe.htmlreport.write_html`).
    dropped : path-like, optional
        Where to write the ids of the documents ``drop_duplicates=True``
        left out, one per line (the report's ``dropped`` list, in order).
    config, jobs, progress, memory, backend, spark_master, spark_conf
        As for :func:`scan`.
    work_dir : path-like, optional
        Where finished stages are kept (and kept after the run), as for
        :func:`scan`. By default they are kept in ``output/.dedupe-work``
        while the run goes, so a run that is stopped or crashes resumes
        where it was when run again, and that folder is removed once the
        run succeeds. With a URL output, nothing is kept unless
        ``work_dir`` is given.
    checkpoint : bool
        False keeps no stage anywhere.
    **options
        As for :func:`scan`; ``drop_duplicates=True`` leaves near-duplicates
        out of the output (:mod:`dedupe.duplicates`).

    Raises
    ------
    UsageError
        If an output would overwrite an input or lie inside an input folder,
        if ``work_dir`` is a file or lies in an input folder, or if it is
        given with ``checkpoint=False``; if ``dropped`` is given without
        ``drop_duplicates``.
    OSError
        If the output folder (or the reports' folders) cannot be made or
        written in: found before any work is done.
    """
    on_store = remote.is_remote(output)
    output = str(output) if on_store else Path(output)
    config = resolve(config, options)
    paths = [None if p is None else p if remote.is_remote(p) else Path(p) for p in (report, html)]
    paths.append(None if dropped is None else Path(dropped))
    check_backend(backend, [*inputs, output, *paths], config)
    files = discover(inputs, config.read.format)
    check_output(files, inputs, output, *paths[:2])
    check_dropped(paths[2], config, files, inputs)
    if work_dir is not None and not checkpoint:
        raise UsageError(f"{work_dir}: a work folder was given with checkpoints turned off; give one or the other")
    if on_store:
        remote.check_writable(output, "the output")
    else:
        check_writable(output, "the output")
    for path, what in zip(paths, ("the report", "the HTML report")):
        if path is not None:
            check_writable_file(path, what)
    if not checkpoint or (on_store and work_dir is None):  # a URL has no local folder to keep stages in
        work = checkpoints.WorkDir(None)
    elif work_dir is None:
        work = checkpoints.WorkDir(output / checkpoints.DEFAULT_NAME, temporary=True)
    else:
        check_work_dir(Path(work_dir), files, inputs)
        work = checkpoints.WorkDir(Path(work_dir))
    with running(config, jobs, progress, work, memory, backend, spark_master, spark_conf) as run:
        result = _scan(run, inputs)
        run.workers.close()  # idle from here on: what they hold goes back to the system
        result.written = run_write(
            run, result.corpus, result.analysis, output, result.report, paths[0],
            (lambda: remote.write_via(paths[1], lambda p: write_html(result, p))) if html is not None else None,
            paths[2],
        )
    work.discard()
    return result

