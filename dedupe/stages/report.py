"""The report stage: the machine report of a run (:mod:`dedupe.report`),
from the corpus read and what the earlier stages found.

It is the first of the front's stages (this one and :mod:`.write`): they
turn a run's result into what people and programs read, and run after the
engine (:mod:`dedupe.pipeline`), which never imports them. Nothing of it
is checkpointed: it is made again from the kept stages in a second or so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..io.readers import Corpus
from ..report import Report, build_report
from ..results import Analysis
from .contract import Stage, Step

if TYPE_CHECKING:  # the run is the pipeline's: stages only use what it offers
    from ..pipeline import Run

__all__ = ["run_report", "read_notes", "STAGE"]

#: The report stage's contract: it writes the report, kept by no checkpoint.
STAGE = Stage(
    "report", reads=("syndication",), config=(), writes=(),
    steps=(Step("documents", "map", "documents", "each page's entry: removed lines, templates, shared passages"),),
)


def run_report(run: "Run", corpus: Corpus, analysis: Analysis, inputs: Sequence) -> Report:
    """The report of ``analysis`` of ``corpus``, read from ``inputs`` (named in it as given)."""

    def compute() -> Report:
        with run.progress.stage(STAGE.name):
            return read_notes(build_report(corpus, analysis, run.config, [str(p) for p in inputs]), corpus)

    # Another executor first fetches the few texts the report quotes (``compute()`` then).
    return run.computing(STAGE, compute, {"analysis": analysis, "compute": compute})()


def read_notes(report: Report, corpus: Corpus) -> Report:
    """The report with what reading left out, when it left anything out
    (so the report of a run without either is as it was): ``limit``, where
    a run under ``--limit`` stopped reading (:class:`dedupe.io.readers.Limited`),
    and ``absent_fields``, each field named by an option that no record had."""
    if corpus.limited is not None:
        report.data["limit"] = corpus.limited.as_dict()
    if corpus.absent_fields:
        report.data["absent_fields"] = dict(corpus.absent_fields)
    return report
