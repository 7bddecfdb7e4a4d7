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
import shutil
import tempfile
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Union

import numpy as np

from . import blocks as blocks_mod
from . import boilerplate
from . import checkpoint as checkpoints
from . import store as stores
from .config import Config
from .document import Document, InputError, UsageError
from .executor import lifeline, malloc, spill
from .executor.parallel import Workers
from .io import discover
from .io.files import InputFile, load_stdin, real_path
from .io.readers import Corpus, read_file
from .progress import Progress, as_progress
from .results import Analysis, CleanedTexts, Ragged, Spans
from .stages.blocks import run_blocks
from .stages.boilerplate import BlockTable, make_table, run_boilerplate
from .stages.clusters import block_clusters, run_clusters
from .stages.contract import Stage, Tables
from .stages.model import run_model
from .stages.syndication import run_syndication
from .store import DocumentStore

__all__ = ["Run", "running", "analyse", "read_and_analyse", "block_table", "block_clusters", "Analysis", "CleanedTexts", "BlockTable"]

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

    def execute(self, stage: Stage, compute: Callable[[], Tables], *extra: Any, check=None) -> Tables:
        """A stage's tables, by its contract (:mod:`dedupe.stages.contract`):
        read back from the work folder when the stage is there under its
        key (the keys of the stages it reads, its config, ``extra``), else
        computed and kept. ``check(tables)`` vets what is read back beyond
        the declaration; a file that fails either is computed again."""
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


#: The memory a run is given by default (``memory=``, ``--memory``), in bytes.
DEFAULT_MEMORY = 2 << 30
# The spill shards (band keys, n-grams, page pairs) hold at most this share
# of the budget in memory, all together (:func:`dedupe.executor.spill.budget`).
_SHARD_SHARE = 0.25


@contextmanager
def running(
    config: Config, jobs: Jobs, progress, work: Optional[checkpoints.WorkDir] = None, memory: Optional[int] = None
) -> Iterator[Run]:
    """A run; workers it starts are stopped at its end (at once, after an error or Ctrl-C).
    Workers given by the caller are the caller's to stop."""
    if memory is not None and memory <= 0:
        raise UsageError(f"memory must be a positive number of bytes, not {memory}")
    if work is not None:
        work.sweep()  # what a run killed with its shards on disk left
    lifeline.sweep_temp()  # and what killed runs left in the system's temporary folder
    malloc.lean()  # freed arrays go back to the system (dedupe.executor.malloc)
    with spill.budget(int((memory or DEFAULT_MEMORY) * _SHARD_SHARE)):
        if isinstance(jobs, Workers):
            yield Run(config, jobs, as_progress(progress), work or checkpoints.WorkDir(None))
            return
        with Workers(jobs) as workers:
            yield Run(config, workers, as_progress(progress), work or checkpoints.WorkDir(None))


# --- steps run on chunks (in worker processes) -------------------------------------


def _read_files(files: Sequence[InputFile], config, folder: str) -> tuple[str, dict, list]:
    """Read a chunk of files into a store of their own (a texts file in
    ``folder``, which the caller absorbs): its file, its metadata, and
    ``(path, line, reason, detail)`` for each bad input (an InputError does
    not cross processes); under ``strict``, up to the first bad input."""
    fd, path = tempfile.mkstemp(dir=folder, suffix=".texts")
    os.close(fd)
    part = DocumentStore(path)
    errors: list = []
    try:
        for f in files:
            for item in read_file(f, config):
                if isinstance(item, InputError):
                    errors.append((item.path, item.line, item.reason, item.detail))
                    if config.strict:
                        break
                else:
                    part.append(item)
            if errors and config.strict:
                break
        return path, part.metadata(), errors
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise
    finally:
        part.close()


def _corpus_stage(run: Run, documents: Sequence[Document]) -> BlockTable:
    """Blocks, clusters and the repetition rule's decisions, each a checkpointed stage."""
    run.counts["document"] = len(documents)
    b = run_blocks(run, documents)
    run.counts["block"] = len(b.key)
    labels = run_clusters(run, documents, b)
    vars(b).pop("first", None)  # the clusters stage's only: one per distinct block
    host, decision = run_boilerplate(run, documents, b, labels)
    return make_table(documents, b, labels, host, decision)


def block_table(documents: Sequence[Document], config: Config, *, jobs: Jobs = 1) -> BlockTable:
    """Segment, cluster repeated blocks and apply the repetition rule.

    ``jobs`` as for :func:`analyse`.
    """
    with running(config, jobs, None) as run:
        return _corpus_stage(run, list(documents))


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
    synd = run_syndication(run, stores.texts(documents), spans, shared)
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


def _read_stage(run: Run, inputs: Sequence[PathLike]) -> Corpus:
    """Read every document of the inputs (as :func:`dedupe.io.read_corpus`, file by file in chunks)."""
    config = run.config.read
    files = [load_stdin(f) if f.path is None else f for f in discover(inputs, config.format)]
    sizes = np.array([_text_size(f) for f in files], dtype=np.float64)
    weights = sizes * np.array([_READ_COST.get(f.format, _READ_COST_OTHER) for f in files])
    if run.workers.would_split(sizes.sum()):
        run.workers.warm_up()  # enough text that the blocks stage will share it out
    key = None
    if run.work.enabled:
        # The output field only changes what is written, not what is read.
        read_options = {k: v for k, v in asdict(config).items() if k != "output_field"}
        key = checkpoints.digest(
            "read", checkpoints.FORMAT_VERSION, checkpoints.code_fingerprint(), read_options,
            checkpoints.inputs_fingerprint(files),
        )

    def read_into(documents: DocumentStore) -> list[InputError]:
        skipped: list[InputError] = []
        # The chunks' own stores, each removed once absorbed; what a failure leaves, at the end.
        base = documents.path.parent if documents.path is not None else None
        folder = None
        read = False
        try:
            folder = tempfile.mkdtemp(dir=base, prefix=".read-", suffix=".tmp")
            with run.progress.stage("read", len(files), "files") as task:
                args = lambda a, b: (files[a:b], config, folder)  # noqa: E731
                for path, metadata, errors in run.workers.imap(_read_files, weights, args, task, _READ_CHUNK):
                    documents.absorb(path, metadata)
                    if errors and config.strict:
                        raise InputError(*errors[0])
                    skipped += [InputError(*e) for e in errors]
            documents.finish()
            read = True
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            if not read:
                documents.close()  # and the folders it made
        return skipped

    def compute() -> tuple[DocumentStore, list[InputError]]:
        documents = _new_store(run, key)
        if documents.path is None:
            return documents, read_into(documents)
        try:
            return documents, read_into(documents)
        except OSError as exc:
            # The work folder's disk is full (or refuses writes): the run goes on
            # without checkpoints, the texts in a temporary file, read again.
            run.work.refused(exc)
            documents = DocumentStore()
            return documents, read_into(documents)

    def encode(value):
        documents, skipped = value
        return documents.metadata(), [[e.path, e.line, e.reason, e.detail] for e in skipped]

    def decode(arrays: dict, errors: list):
        return DocumentStore.reopen(run.work.file("read", key, ".texts"), arrays), [InputError(*e) for e in errors]

    documents, skipped = run.cached("read", key, compute, encode, decode)
    run.keys["read"] = key
    return Corpus(files=files, documents=documents, skipped=skipped)


# Most weight read in one chunk (a chunk's documents are held until they are
# in the store): about 40 MB of JSONL or 10 MB of HTML.
_READ_CHUNK = 1 << 22
# What reading a character of a file costs, in the unit chunks are measured
# in (a character through the blocks stage, about 15 MB/s): HTML pages (files,
# WARC responses) parse at about 35 MB/s, JSON, CSV and text at 150 MB/s.
_READ_COST = {"html": 0.4, "warc": 0.4}
_READ_COST_OTHER = 0.1
# Characters a compressed byte holds, about.
_COMPRESSED = 4


def _new_store(run: Run, key: Optional[str]) -> DocumentStore:
    """Where the read stage keeps the texts: beside its checkpoint, else (no
    work folder, or one that cannot be written) in a temporary file."""
    if key is not None:
        try:
            return DocumentStore(run.work.file("read", key, ".texts"))
        except OSError:
            pass
    return DocumentStore()


def _text_size(f: InputFile) -> int:
    """About how many characters the file holds."""
    if f.path is None:
        size = len(f.data or b"")
    else:
        try:
            size = f.path.stat().st_size
        except OSError:
            size = 0  # the reader says why it cannot be read
    return size * (_COMPRESSED if f.compression else 1)


def read_and_analyse(run: Run, inputs: Sequence[PathLike]) -> tuple[Corpus, Analysis]:
    """The read stage and every stage of :func:`analyse` after it: the corpus
    read, and what was found in it (the report and the outputs are the
    caller's: :mod:`dedupe.api`)."""
    corpus = _read_stage(run, inputs)
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
