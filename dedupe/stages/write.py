"""The write stage: the cleaned corpus under the output folder, a file for
each input file in its own format (:func:`dedupe.io.write_corpus`), each
written atomically, without the near-duplicates ``drop_duplicates`` leaves
out (:mod:`dedupe.duplicates`); then the JSON and HTML reports, and the
dropped ids.

A front stage, like :mod:`.report`: it runs after the engine, on what the
engine returned, and the engine never imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from .. import duplicates
from ..io import remote, write_corpus
from ..io.files import sweep_temporaries
from ..io.readers import Corpus
from ..report import Report
from ..results import Analysis, CleanedByRecord
from .contract import Stage, Step

if TYPE_CHECKING:  # the run is the pipeline's: stages only use what it offers
    from ..pipeline import Run

__all__ = ["run_write", "STAGE"]

#: The write stage's contract: it writes the cleaned files and the reports.
STAGE = Stage(
    "write", reads=("syndication",), writes=(),
    config=("read.output_field", "read.keep_fields", "read.drop_fields", "duplicates"),
    steps=(Step("files", "map", "input files", "each input file's cleaned documents written, atomically"),),
)


def run_write(
    run: "Run", corpus: Corpus, analysis: Analysis, output, report: Report, report_path,
    html: Optional[Callable[[], None]] = None, dropped_path: Optional[Path] = None,
) -> list:
    """Write the cleaned corpus under ``output`` (a folder, made if missing,
    or a URL), less the near-duplicates dropped, then the report to
    ``report_path`` (a path or a URL), the HTML report (``html()``) and the
    dropped ids to ``dropped_path`` if asked; the files written for the
    corpus, in input order (URLs for a URL output; a file whose every
    document was dropped is not written, as one whose every document was
    skipped)."""
    if not remote.is_remote(output):
        Path(output).mkdir(parents=True, exist_ok=True)
        # A run killed while writing left a temporary file beside its target:
        # the run that resumes it removes it, so no half-written file stays.
        local = [p for p in (report_path, dropped_path) if p is not None and not remote.is_remote(p)]
        sweep_temporaries([Path(output) / f.output_name for f in corpus.files] + [Path(p) for p in local])

    def compute() -> list[Path]:
        dropped = duplicates.find(analysis.syndication, run.config.duplicates).dropped.tolist()
        cleaned = CleanedByRecord(analysis.documents, analysis.cleaned, dropped)
        written: list = []
        with run.progress.stage(STAGE.name, len(corpus.files), "files") as task:
            for f in corpus.files:
                written += write_corpus([f], cleaned, output, run.config.read)
                task.advance(1)
        return written

    written = run.computing(STAGE, compute, {"corpus": corpus, "analysis": analysis, "output": output})()
    if report_path is not None:
        remote.write_via(report_path, report.write)
    if html is not None:
        html()
    if dropped_path is not None:
        report.write_dropped(dropped_path)
    return written
