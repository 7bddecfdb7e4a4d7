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
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import numpy as np

from . import checkpoint as checkpoints
from .config import Config
from .document import UsageError
from .htmlreport import write_html
from .io import check_output, discover, remote
from .io.readers import Corpus
from .io.writers import check_writable, check_writable_file
from .pipeline import (
    analyse_in,
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
from .saved import Model, apply, evidence, load, save
from .saved import check_writable as check_model_folder

__all__ = ["scan", "clean", "learn", "check_dropped", "check_backend", "Result", "STAGES"]

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
    #: With a saved model: how it was applied, and the analysis of the
    #: run with the earlier pages it brought back (``analysis`` is the new pages').
    applied: Optional["apply.Applied"] = None
    whole: Optional[Analysis] = None
    #: What :func:`learn` saved.
    learned: Optional[Model] = None


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


def _scan(run: Run, inputs: Sequence[PathLike], model: Optional[Model] = None, model_path: Optional[PathLike] = None) -> Result:
    if model is None:
        corpus, analysis = read_and_analyse(run, inputs)
        report = run_report(run, corpus, analysis, inputs)
        return Result(corpus=corpus, analysis=analysis, report=report, written=[])
    corpus = read.run_read(run, inputs)
    applied, whole = _applied_run(run, corpus, model)
    analysis = apply.restrict(whole, applied.n_new)
    report = run_report(run, corpus, analysis, inputs)
    report.data["model"] = apply.report_section(applied, whole, report.data, str(model_path))
    return Result(corpus=corpus, analysis=analysis, report=report, written=[], applied=applied, whole=whole)


def _applied_run(run: Run, corpus: Corpus, model: Model) -> tuple[apply.Applied, Analysis]:
    """The run of ``corpus`` with the earlier pages ``model`` brings back (:mod:`dedupe.saved.apply`)."""
    applied = apply.prepare(model, corpus.documents, run.config, run.workers)
    run.known = applied.known
    if run.keys.get("read") is not None:  # the stages after reading hold the model's pages too
        run.keys["read"] = checkpoints.digest("model", run.keys["read"], model_fingerprint(model))
    return applied, analyse_in(run, applied.documents)


def model_fingerprint(model: Model) -> str:
    """What tells saved models apart in a checkpoint key."""
    h = hashlib.sha256()
    for part in (model.hi, model.lo, model.template, model.page_bounds, model.page_blocks):
        h.update(np.ascontiguousarray(part).tobytes())
    return h.hexdigest()


def _load_model(model: Optional[PathLike], config: Config, backend: str, inputs: Sequence[PathLike]) -> Optional[Model]:
    """The saved model at ``model`` checked against ``config`` (None: none
    given); refused inside an input folder (its Parquet files would be read
    as corpus files)."""
    if model is None:
        return None
    if backend != "local":
        raise UsageError(f"a saved model (--model) is applied on the local backend, not {backend}")
    try:
        check_work_dir(Path(model), [], inputs)
    except UsageError as exc:
        raise UsageError(str(exc).replace("the work folder", "the model folder")) from None
    return load(model, config)


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
    model: Optional[PathLike] = None,
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
    model : path-like, optional
        A saved model's folder (:func:`learn`): templates learned from
        earlier crawls are stripped, blocks seen on earlier pages count
        with them, and pages syndicating earlier ones are reported by the
        earlier ids (the report's ``model`` section; docs/learn.md).
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
    saved = _load_model(model, config, backend, inputs)
    work = work_dir_for(work_dir, inputs, config.read.format)
    with running(config, jobs, progress, work, memory, backend, spark_master, spark_conf) as run:
        return _scan(run, inputs, saved, model)


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
    model: Optional[PathLike] = None,
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
    config, jobs, progress, memory, backend, spark_master, spark_conf, model
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
    saved = _load_model(model, config, backend, inputs)
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
        result = _scan(run, inputs, saved, model)
        run.workers.close()  # idle from here on: what they hold goes back to the system
        result.written = run_write(
            run, result.corpus, result.analysis, output, result.report, paths[0],
            (lambda: remote.write_via(paths[1], lambda p: write_html(result, p))) if html is not None else None,
            paths[2],
        )
    work.discard()
    return result



def learn(
    inputs: Sequence[PathLike],
    output: Optional[PathLike] = None,
    *,
    model: Optional[PathLike] = None,
    update: bool = False,
    config: Optional[Config] = None,
    jobs: Jobs = 1,
    progress=None,
    memory: Optional[int] = None,
    work_dir: Optional[PathLike] = None,
    **options,
) -> Result:
    """Learn a model from a corpus and save it in the folder ``output``
    (:mod:`dedupe.saved`; docs/learn.md): every distinct block with the
    pages and sites it was seen on, the templates found, and every page's
    signature bands, for :func:`clean` and :func:`scan` (``model=``) to
    apply to later crawls.

    With ``model`` and ``update``, the corpus is run with that model
    applied and folded into it, saved to ``output`` (by default over the
    model, atomically).

    Returns
    -------
    Result
        The run's (of the corpus alone, or with the model applied), with
        ``learned`` the model saved.

    Raises
    ------
    UsageError
        Without a folder to save to, with ``update`` but no ``model`` (or
        ``model`` without ``update``), with an output folder inside an
        input folder; :class:`dedupe.saved.ModelError` for a model that is
        damaged, of a newer format or of another config.
    """
    config = resolve(config, options)
    if update and model is None:
        raise UsageError("--update folds a corpus into a saved model: name it with --model")
    if model is not None and not update:
        raise UsageError("learning with --model folds the corpus into that model: add --update (and -o to save it elsewhere)")
    output = Path(model if output is None and update else output) if (output is not None or update) else None
    if output is None:
        raise UsageError("name the folder to save the model in (-o)")
    files = discover(inputs, config.read.format)
    try:
        check_work_dir(output, files, inputs)
    except UsageError as exc:
        raise UsageError(str(exc).replace("the work folder", "the model folder")) from None
    check_model_folder(output)  # before the run, not after it
    saved = _load_model(model, config, "local", inputs)
    work = work_dir_for(work_dir, inputs, config.read.format)
    with running(config, jobs, progress, work, memory) as run:
        result = _scan(run, inputs, saved, model)
        if saved is None:
            docs, whole = result.analysis.documents, result.analysis
            page_of = np.full(len(docs), evidence.NEW, dtype=np.int64)
        else:
            docs, whole, page_of = result.applied.documents, result.whole, result.applied.page_of
        result.learned = evidence.build(saved, docs, whole, page_of, config, run.workers)
    save(result.learned, output)
    return result
