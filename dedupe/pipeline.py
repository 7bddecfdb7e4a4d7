"""The engine: string the stages together, read -> blocks -> clusters ->
boilerplate -> model -> syndication, on the local executor (:class:`Run`).

:func:`analyse` works on documents in memory; :func:`read_and_analyse`
reads files first. The report, the written corpus and the HTML report are
made from what these return by :mod:`dedupe.api` (``dedupe.scan`` and
``dedupe.clean``), which the command line calls: nothing here imports them.

Three things only change how a run goes, never its result, and are no
part of the :class:`~dedupe.config.Config` a report records:

* ``jobs``: the work done per file, per document or per block (reading and
  parsing, segmenting and normalising, shingling and signing) runs in
  worker processes over contiguous chunks, put back together in order
  (:mod:`dedupe.executor.parallel`): the same bytes for any number of jobs.
* ``progress``: what the run tells as it goes (:mod:`dedupe.progress`);
  silent unless given.
* ``work_dir``: each finished stage (read, blocks, clusters, boilerplate,
  model, syndication) is kept there, keyed by its inputs, options and
  code, and a rerun reuses it (:mod:`dedupe.checkpoint`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Union

import numpy as np

from . import blocks as blocks_mod
from . import boilerplate
from . import checkpoint as checkpoints
from . import store as stores
from .config import BACKENDS, DEFAULT_MEMORY, Config
from .document import Document, UsageError
from .executor import lifeline, malloc, spill
from .executor.parallel import Workers
from .io import discover
from .io.files import InputFile, real_path
from .io.readers import Corpus
from .progress import Progress, as_progress
from .results import Analysis, CleanedTexts, Ragged, Spans
from .stages.blocks import run_blocks
from .stages.boilerplate import BlockTable, make_table, run_boilerplate
from .stages.clusters import block_clusters, run_clusters
from .stages.contract import Stage, Tables
from .stages.model import run_model
from .stages.read import run_read
from .stages.syndication import run_syndication

__all__ = ["Run", "running", "analyse", "analyse_in", "read_and_analyse", "block_table", "block_clusters", "Analysis", "CleanedTexts", "BlockTable"]

PathLike = Union[str, os.PathLike]
Jobs = Union[None, int, Workers]


# --- running a stage --------------------------------------------------------------


# A stage frees millions of small objects (line texts, tuples) that the C
# allocator keeps for itself unless told to give the free pages back; the
# next stage's arrays are fresh mappings that would never reuse them.
_release_memory = malloc.trim


class Run:
    """What the stages of one run share: the config, the workers, the progress
    reporter and the work folder."""

    def __init__(self, config: Config, workers: Workers, progress: Progress, work: checkpoints.WorkDir):
        self.config = config
        self.workers = workers
        self.progress = progress
        self.work = work
        #: Each stage's checkpoint key so far (None: not kept).
        self.keys: dict[str, Optional[str]] = {}
        #: How many rows of each kind ("document", "block") the run has: what a stage read back must fit.
        self.counts: dict[str, int] = {}
        #: Blocks known to be templates before the run (a saved model's, :mod:`dedupe.saved`), per block; None: none.
        self.known: Optional[np.ndarray] = None

    #: Which executor this is (the report never says: it changes no result).
    backend = "local"

    def execute(
        self, stage: Stage, compute: Callable[[], Tables], *extra: Any, check=None, inputs: Optional[dict] = None
    ) -> Tables:
        """A stage's tables, by its contract (:mod:`dedupe.stages.contract`):
        read back from the work folder when the stage is there under its
        key (the keys of the stages it reads, its config, ``extra``), else
        computed and kept. ``check(tables)`` vets what is read back beyond
        the declaration; a file that fails either is computed again.

        ``compute`` is the stage's work on this machine; ``inputs`` (its
        earlier stages' results by name) are what another executor computes
        the same tables from (:meth:`computing`)."""
        compute = self.computing(stage, compute, inputs or {})
        previous = [self.keys.get(name) for name in stage.reads]
        key = None
        if self.work.enabled and previous and all(k is not None for k in previous):
            key = checkpoints.digest(stage.name, *previous, *stage.key_parts(self.config), *extra)
        self.keys[stage.name] = key

        def decode(arrays: dict, _) -> Tables:
            tables = stage.decode(arrays, self.counts)
            if check is not None:
                check(tables)
            return tables

        return self.cached(stage.name, key, compute, lambda tables: (stage.encode(tables), None), decode)

    def computing(self, stage: Stage, compute: Callable[[], Any], inputs: dict) -> Callable[[], Any]:
        """How this executor does ``stage``'s work (its tables; the files
        the write stage writes): the local executor runs the stage's own
        ``compute``; the Spark executor
        (:class:`dedupe.backends.spark.run.SparkRun`) its stages on Spark."""
        return compute

    def source_key(self, stage: str, files: Sequence[InputFile], options: Any) -> Optional[str]:
        """The checkpoint key of a stage that reads files rather than an
        earlier stage (the read stage): the checkpoint format, the code,
        ``options`` and what identifies the files. None without a work folder."""
        if not self.work.enabled:
            return None
        return checkpoints.digest(
            stage, checkpoints.FORMAT_VERSION, checkpoints.code_fingerprint(), options,
            checkpoints.inputs_fingerprint(files),
        )

    def cached(
        self,
        stage: str,
        key: Optional[str],
        compute: Callable[[], Any],
        encode: Callable[[Any], tuple[dict, Any]],
        decode: Callable[[dict, Any], Any],
    ) -> Any:
        """The stage's result: loaded from the work folder when it is there, else computed (and kept)."""
        if key is not None:
            found = self.work.load(stage, key)
            if found is not None:
                try:
                    value = decode(*found)
                except (KeyError, ValueError, IndexError, TypeError, OSError) as exc:
                    self.work.damaged(stage, key, exc)
                else:
                    self.progress.end(stage, reused=True)
                    return value
        value = compute()
        self.release_memory()
        if key is not None:
            self.work.save(stage, key, *encode(value))
        return value

    def make_table(self, documents: Sequence[Document], b, labels, host, decision) -> BlockTable:
        """The corpus stage's view of every block (:func:`dedupe.stages.boilerplate.make_table`);
        the Spark executor's reads what it needs of the texts in its executors."""
        return make_table(documents, b, labels, host, decision, self.workers)

    def release_memory(self) -> None:
        """Give the pages freed so far back to the system (:func:`dedupe.executor.malloc.trim`)."""
        _release_memory()

    def exchange(self, n: int) -> spill.Shards:
        """A keyed exchange of ``n`` parts (:class:`dedupe.executor.Exchange`),
        spilled to the work folder past the run's memory budget."""
        return spill.Shards(n, self.work.path)

    def parked(self, obj: Any, *names: str):
        """Within the block, ``obj``'s arrays ``names`` wait on disk in the work
        folder when large (:func:`dedupe.executor.spill.parked`)."""
        return spill.parked(obj, self.work.path, *names)


# The spill shards (band keys, n-grams, page pairs) hold at most this share
# of the budget in memory, all together (:func:`dedupe.executor.spill.budget`).
_SHARD_SHARE = 0.25


@contextmanager
def running(
    config: Config, jobs: Jobs, progress, work: Optional[checkpoints.WorkDir] = None, memory: Optional[int] = None,
    backend: str = "local", spark_master: Optional[str] = None, spark_conf: Optional[dict] = None,
) -> Iterator[Run]:
    """A run; workers it starts are stopped at its end (at once, after an error or Ctrl-C).
    Workers given by the caller are the caller's to stop.

    ``backend`` "spark" runs the stages that have a Spark form on Spark
    (:mod:`dedupe.backends.spark.run`; ``spark_master``, default the
    session's, else ``local[*]``; ``spark_conf``, settings of a session it
    starts): the same result."""
    if memory is not None and memory <= 0:
        raise UsageError(f"memory must be a positive number of bytes, not {memory}")
    if backend not in BACKENDS:
        raise UsageError(f"unknown backend {backend!r}: one of {', '.join(BACKENDS)}")
    if (spark_master is not None or spark_conf) and backend != "spark":
        raise UsageError("a Spark master or setting was given without the Spark backend (--backend spark)")
    if work is not None:
        work.sweep()  # what a run killed with its shards on disk left
    lifeline.sweep_temp()  # and what killed runs left in the system's temporary folder
    malloc.lean()  # freed arrays go back to the system (dedupe.executor.malloc)
    with spill.budget(int((memory or DEFAULT_MEMORY) * _SHARD_SHARE)):
        with ExitStack() as stack:
            workers = jobs if isinstance(jobs, Workers) else stack.enter_context(Workers(jobs))
            args = (config, workers, as_progress(progress), work or checkpoints.WorkDir(None))
            if backend == "spark":
                from .backends.spark.run import spark_run

                yield stack.enter_context(spark_run(*args, master=spark_master, conf=spark_conf))
            else:
                yield Run(*args)


def _corpus_stage(run: Run, documents: Sequence[Document]) -> BlockTable:
    """Blocks, clusters and the repetition rule's decisions, each a checkpointed stage."""
    run.counts["document"] = len(documents)
    b = run_blocks(run, documents)
    run.counts["block"] = len(b.key)
    labels = run_clusters(run, documents, b)
    vars(b).pop("first", None)  # the clusters stage's only: one per distinct block
    host, decision = run_boilerplate(run, documents, b, labels)
    return run.make_table(documents, b, labels, host, decision)


def block_table(documents: Sequence[Document], config: Config, *, jobs: Jobs = 1) -> BlockTable:
    """Segment, cluster repeated blocks and apply the repetition rule.

    ``jobs`` as for :func:`analyse`.
    """
    with running(config, jobs, None) as run:
        table = _corpus_stage(run, list(documents))
    if not isinstance(jobs, Workers):
        table.workers = None  # stopped with the run: what the table computes later, it computes here
    return table


def _analyse(run: Run, documents: Sequence[Document]) -> Analysis:
    lengths = stores.text_lengths(documents)
    if run.workers.would_split(int(lengths.sum())):
        run.workers.warm_up()
    table = _corpus_stage(run, documents)
    action_flat = run_model(run, table)
    blocks, shared = table.blocks, table.decision.shared
    action = Ragged(action_flat, blocks.bounds)
    template = Ragged(table.cluster, blocks.bounds)
    # The rest of the table (document, key and repeat per block, the rule's
    # verdicts) was the model's: not held through syndication and the report.
    del table
    kept, per_doc = blocks_mod.kept_spans_all(lengths, np.diff(blocks.bounds), blocks.flat[:, 0], action_flat == boilerplate.KEEP)
    spans = Spans.of_counts(kept, per_doc)
    cleaned = CleanedTexts(documents, spans)
    synd = run_syndication(run, stores.texts(documents), spans, shared, stores.ids(documents))
    return Analysis(documents, blocks, action, template, spans, cleaned, synd)


def analyse(
    documents: Sequence[Document], config: Optional[Config] = None, *, jobs: Jobs = 1, progress=None,
    memory: Optional[int] = None,
) -> Analysis:
    """Find boilerplate and syndication in documents held in memory.

    Parameters
    ----------
    documents : sequence of Document
    config : Config, optional
    jobs : int or dedupe.executor.parallel.Workers, default 1
        Processes at work: this one and ``jobs - 1`` workers
        (:mod:`dedupe.executor.parallel`); 0 or None for every usable core. The
        result is the same for any. A script that asks for workers runs
        its work under ``if __name__ == "__main__":`` (they import the
        script). A :class:`~dedupe.executor.parallel.Workers` is used as it is and
        left open, so several calls can share its workers.
    progress : dedupe.progress.Progress or callable, optional
        Told of every stage as it goes (a callable gets ``(stage, done,
        total)``); silent by default.
    memory : int, optional
        The run's memory budget in bytes (:data:`DEFAULT_MEMORY` by
        default): a quarter of it is what the shards of band keys, n-grams
        and page pairs may hold in memory, all together, before they go to
        disk (the work folder, else the system's temporary folder). It
        never changes the result.

    Returns
    -------
    Analysis
    """
    with running(config or Config(), jobs, progress, memory=memory) as run:
        return _analyse(run, list(documents))


# --- files in, files out ------------------------------------------------------------


def analyse_in(run: Run, documents: Sequence[Document]) -> Analysis:
    """Every stage of :func:`analyse` after reading, in ``run`` (whose
    ``known`` templates, if any, count: :mod:`dedupe.saved`)."""
    return _analyse(run, documents)


def read_and_analyse(run: Run, inputs: Sequence[PathLike]) -> tuple[Corpus, Analysis]:
    """The read stage and every stage of :func:`analyse` after it: the corpus
    read, and what was found in it (the report and the outputs are the
    caller's: :mod:`dedupe.api`)."""
    corpus = run_read(run, inputs)
    return corpus, _analyse(run, corpus.documents)


def resolve(config: Optional[Config], options: dict) -> Config:
    config = config or Config()
    return config.replace(**options) if options else config


def check_work_dir(path: Path, files: Sequence[InputFile], inputs: Sequence[PathLike]) -> None:
    """Refuse a work folder that is a file, an input, or inside an input folder
    (its files would be read as corpus files by the next run)."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path}: the work folder must be a folder, and this is a file")
    resolved = real_path(path)
    for given in inputs:
        if os.fspath(given) != "-" and Path(given).is_dir():
            folder = real_path(given)
            if resolved == folder or folder in resolved.parents:
                raise UsageError(f"{path}: the work folder must not be the input folder {given} or inside it")
    for f in files:
        if f.path is not None and real_path(f.path) == resolved:
            raise UsageError(f"{path}: the work folder would replace this input file ({f.source})")


def work_dir_for(work_dir: Optional[PathLike], inputs: Sequence[PathLike], format: str) -> checkpoints.WorkDir:
    if work_dir is None:
        return checkpoints.WorkDir(None)
    check_work_dir(Path(work_dir), discover(inputs, format), inputs)
    return checkpoints.WorkDir(Path(work_dir))
