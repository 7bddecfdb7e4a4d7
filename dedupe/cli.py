"""The command line: thin over the library.

Each command parses options, calls one library function, renders the
result: the machine report as JSON (files, or standard output with
``--json``), the human summary as a table on stderr. Every
:class:`~dedupe.config.Config` field is an option of the same name in
kebab-case, with its help taken from the config's docstring; ``--config``
reads the same names from a TOML file, and an option given on the command
line wins over the file.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Optional

import click
from click.core import ParameterSource
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ._version import __version__
from .clihelp import GroupedCommand, examples
from .config import _STAGES, BACKENDS, DEFAULT_MEMORY, EXTRACTORS, FORMATS, LINK_LINES, WORK_DIR_NAME, Config
from .document import DuplicateIdWarning, InputError, MissingFieldWarning, UsageError
from .progress import for_stderr
from .summary import number as _n
from .summary import print_summary

# The engine (numpy, numba, scipy: seconds to import) is imported by the
# commands that run it, not to parse the options or show the help.

EXIT_CODES = """\b
Exit codes:
  0  every input was processed
  1  the run finished, but some inputs were skipped (listed in the report)
  2  usage error (bad option, missing input, output inside the input)
  3  stopped: a bad input under --strict, or an output could not be written
     (or a worker process died; see --jobs)
"""



def _field_help(klass: type) -> dict[str, str]:
    """Option help from a numpydoc "Parameters" section."""
    helps: dict[str, str] = {}
    names: list[str] = []
    for line in (klass.__doc__ or "").splitlines():
        head = re.match(r"^    (\w+(?:, \w+)*) : ", line)
        if head:
            names = head.group(1).split(", ")
            for n in names:
                helps[n] = ""
        elif names and line.startswith("        "):
            for n in names:
                helps[n] = (helps[n] + " " + line.strip()).strip()
        elif line.strip() in ("Returns", "Examples"):
            names = []
    return helps


# Config fields that take one of a few words.
_CHOICES = {"format": FORMATS, "link_lines": LINK_LINES, "page_extractor": EXTRACTORS}


def config_options(command: Callable) -> Callable:
    """Add one option per Config field (defaults from the config)."""
    for stage, klass in reversed(list(_STAGES.items())):
        helps = _field_help(klass)
        for f in reversed(dataclasses.fields(klass)):
            flag = "--" + f.name.replace("_", "-")
            if f.type in (bool, "bool"):
                decl = f"{flag}/--no-{f.name.replace('_', '-')}"
                command = click.option(decl, f.name, default=f.default, show_default=True, help=helps.get(f.name))(command)
                continue
            if f.name in _CHOICES:
                kind: Any = click.Choice(_CHOICES[f.name])
            else:
                kind = {"int": int, "float": float, "str": str, "Optional[str]": str, "Optional[int]": click.IntRange(min=1), "Optional[float]": float}.get(str(f.type), type(f.default))
            command = click.option(
                flag, f.name, type=kind, default=f.default, show_default=f.default is not None, help=helps.get(f.name)
            )(command)
    return command


config_file_option = click.option(
    "--config", "config_file", type=click.Path(exists=True, dir_okay=False),
    help="TOML file of these options, by their names (block-threshold = 0.7); an option given here wins.",
)


def report_options(command: Callable) -> Callable:
    """The options every command that makes a report shares."""
    for decorator in reversed(
        [
            click.option("--report", "report_path", type=click.Path(dir_okay=False), help="Write the JSON report here."),
            click.option(
                "--html", "html_path", type=click.Path(dir_okay=False),
                help="Write the HTML report here: one self-contained page (no network) with every page's removed "
                "lines struck through and shared passages linked; past 200 documents, an index by site and template, "
                "with a folder beside it (FILE_files) of site and template pages.",
            ),
            click.option("--json", "as_json", is_flag=True, help="Print the JSON report on standard output."),
            click.option("-q", "--quiet", is_flag=True, help="No progress and no summary on stderr."),
            config_file_option,
        ]
    ):
        command = decorator(command)
    return command


dropped_option = click.option(
    "--dropped", "dropped_path", type=click.Path(dir_okay=False),
    help="With --drop-duplicates: write the ids of the documents left out here, one per line (the report's dropped "
    "list), for a pipeline that filters elsewhere.",
)


class CorpusPath(click.Path):
    """A corpus file or folder that must exist, "-", or a URL (s3://bucket/crawl/),
    which the library lists (and says clearly when it cannot)."""

    def convert(self, value, param, ctx):
        from .io.remote import is_remote

        if is_remote(value):
            return value
        return super().convert(value, param, ctx)


_CORPUS = CorpusPath(exists=True, allow_dash=True)


class ByteSize(click.ParamType):
    """A size in bytes: ``4G``, ``512M``, ``1.5GiB``, ``2000000`` (K, M, G, T are powers of 1024)."""

    name = "size"
    _UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", str(value), re.IGNORECASE)
        size = int(float(m.group(1)) * self._UNITS[m.group(2).lower()]) if m else 0
        if size <= 0:
            self.fail(f"{value!r} is not a size such as 4G, 512M or 2000000 (bytes)", param, ctx)
        return size


def _spark_conf(ctx, param, values) -> dict[str, str]:
    conf = {}
    for value in values:
        key, sep, setting = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{value!r} is not KEY=VALUE (spark.executor.memory=8g)")
        conf[key.strip()] = setting.strip()
    return conf


class _JobsOption(click.Option):
    """``--jobs``, whose help names the cores here, counted when the help is shown."""

    def get_help_record(self, ctx):
        from .executor.parallel import usable_cpus

        text = self.help
        self.help = f"{text}  [default: every usable core, {usable_cpus()} here]"
        try:
            return super().get_help_record(ctx)
        finally:
            self.help = text


def run_options(command: Callable) -> Callable:
    """How a run goes (never what it finds): worker processes and the work folder."""
    for decorator in reversed(
        [
            click.option(
                "-j", "--jobs", type=click.IntRange(min=0), default=None, cls=_JobsOption,
                help="Processes at work: dedupe and N-1 workers (0: every usable core). The output is the same "
                "for any number.",
            ),
            click.option(
                "--memory", type=ByteSize(), default=None, metavar="SIZE",
                help="The run's memory budget (4G, 512M): past a quarter of it, band keys, n-grams and page pairs "
                f"go to disk. The output is the same for any budget.  [default: {DEFAULT_MEMORY >> 30}G]",
            ),
            click.option(
                "--backend", type=click.Choice(BACKENDS), default="local", show_default=True,
                help="Where the stages run: this machine, or Apache Spark for those with a Spark form (pip install "
                "'crawl-dedupe[spark]'). The output is the same.",
            ),
            click.option(
                "--spark-master", metavar="URL",
                help="With --backend spark: the Spark master (spark://host:7077, yarn, local[4]).  [default: the "
                "one spark-submit gives, else local[*]]",
            ),
            click.option(
                "--spark-conf", multiple=True, metavar="KEY=VALUE", callback=_spark_conf,
                help="With --backend spark: a Spark setting for the session dedupe starts (repeatable): "
                "spark.executor.memory=8g, spark.sql.shuffle.partitions=400.",
            ),
            click.option(
                "--work-dir", type=click.Path(file_okay=False),
                help="Keep each finished stage here and reuse it: a stopped run resumes, and a changed late option "
                "(--syndication-threshold) reruns only the stages after it.",
            ),
        ]
    ):
        command = decorator(command)
    return command


def _config(options: dict[str, Any], config_file: Optional[str]) -> Config:
    """The run's config: defaults, then the config file, then the options given."""
    ctx = click.get_current_context()
    names = Config.option_names()
    given = {k: v for k, v in options.items() if k in names and ctx.get_parameter_source(k) is not ParameterSource.DEFAULT}
    try:
        if config_file is not None:
            return Config.from_file(config_file, **given)
        return Config.from_options(**given)
    except OSError as exc:
        raise click.UsageError(f"{config_file}: cannot read the config file ({exc.strerror or exc})") from None
    except (TypeError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None


def _run(fn: Callable, *args, **kwargs):
    from concurrent.futures.process import BrokenProcessPool

    try:
        return fn(*args, **kwargs)
    except InputError as exc:
        click.echo(f"error: {exc.message}; stopped (--strict)", err=True)
        sys.exit(3)
    except (FileNotFoundError, UsageError) as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        click.echo(f"error: {exc}; nothing was written in its place", err=True)
        sys.exit(3)
    except BrokenProcessPool:
        click.echo("error: a worker process died (out of memory?); run again with fewer --jobs", err=True)
        sys.exit(3)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"warning: {message}", err=True)


@contextmanager
def _running(quiet: bool, work_dir: Optional[Path] = None):
    """Progress on stderr while the run goes; checkpoint warnings as ``warning:`` lines; and
    after a failure, where the finished stages wait for the next run."""
    from .checkpoint import CheckpointWarning
    from .executor.parallel import JobsWarning
    from .executor.spill import SpillWarning

    with warnings.catch_warnings(), for_stderr(quiet) as progress:
        warnings.simplefilter("always", CheckpointWarning)
        warnings.simplefilter("always", SpillWarning)  # dedupe.executor.spill says it once per folder and reason
        warnings.simplefilter("always", JobsWarning)  # said once, when the run's workers are set up
        warnings.simplefilter("always", DuplicateIdWarning)  # the report says it once a run
        warnings.simplefilter("always", MissingFieldWarning)  # once per field a run
        warnings.showwarning = _show_warning
        try:
            yield progress
        except (SystemExit, KeyboardInterrupt) as exc:
            failed = not isinstance(exc, SystemExit) or exc.code not in (0, None)
            if failed and work_dir is not None and any(work_dir.glob("*.npz")):
                progress.close()
                click.echo(f"finished stages are kept in {work_dir}: run the same command again to resume", err=True)
            raise


model_option = click.option(
    "--model", type=click.Path(file_okay=False),
    help="A saved model (dedupe learn): templates learned from earlier crawls are stripped, blocks seen on earlier "
    "pages count with them, and pages syndicating earlier ones are reported by the earlier ids (the report's model "
    "section).",
)


def _finish(result, quiet: bool, as_json: bool) -> None:
    if as_json:
        click.echo(result.report.to_json(), nl=False)
    if not quiet:
        print_summary(result.report.data, Console(stderr=True, highlight=False))
    sys.exit(result.report.exit_code)


@click.group(epilog=EXIT_CODES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dedupe")
def main() -> None:
    """Strip cross-page boilerplate from a scraped corpus and report syndicated text.

    A corpus is any mix of files and folders (read recursively; a text or
    HTML file's id is its path inside the folder; hidden files are passed
    over).

    \b
    Formats, told from the extension (--format names one for every file):
      .txt  .html .htm           one document per file
      .jsonl .ndjson             one JSON object per line; "-" reads it on stdin
      .csv  .tsv                 a header row, then one record per row
      .parquet                   one record per row
      .warc  .warc.wet .wet      WARC HTML/text responses; WET text records
      + .gz .zst .bz2            compressed (all but Parquet)

    The output mirrors the input's format and name under -o, except that
    HTML files are written as .txt and WARC/WET files as JSONL (id, url,
    date, text).
    """


CLEAN_EXAMPLES = examples(
    "dedupe clean crawl/ -o clean/ --report report.json --html report.html",
    "dedupe clean shard.jsonl.gz -o clean/ --url-field meta_url  # JSONL fields",
    "dedupe clean crawl/ -o clean/ -j 8 --memory 8G --work-dir work/  # resumable",
    "dedupe clean crawl/ -o clean/ --config dedupe.toml --block-threshold 0.8",
)
REPORT_EXAMPLES = examples(
    "dedupe report crawl/ > report.json",
    "dedupe report crawl/ --report report.json --html report.html -q",
    "zcat shard.jsonl.gz | dedupe report - --html report.html > report.json",
)
LEARN_EXAMPLES = examples(
    "dedupe learn crawl-monday/ -o model/  # learn once",
    "dedupe clean crawl-tuesday/ -o clean/ --model model/  # apply to a new crawl",
    "dedupe learn crawl-tuesday/ --model model/ --update  # fold it in",
)
EXPLAIN_EXAMPLES = examples(
    "dedupe explain --block-threshold 0.8 --num-perm 256",
    "dedupe explain crawl/ --url-field meta_url   # and warn about the corpus",
)


@main.command(cls=GroupedCommand, epilog=EXIT_CODES + "\n" + CLEAN_EXAMPLES)
@click.argument("corpus", nargs=-1, required=True, type=_CORPUS)
@click.option(
    "-o", "--output", required=True, type=click.Path(file_okay=False),
    help="Output folder: one output file per input file, under the same relative name, in the same format "
    "(HTML files are written as .txt, WARC/WET files as JSONL).",
)
@report_options
@dropped_option
@model_option
@run_options
@click.option(
    "--checkpoint/--no-checkpoint", default=True,
    help=f"Without --work-dir, keep finished stages in the -o folder's {WORK_DIR_NAME} until the run succeeds (a "
    "stopped run resumes). --no-checkpoint keeps nothing.  [default: checkpoint]",
)
@config_options
def clean(
    corpus, output, report_path, html_path, as_json, quiet, config_file, dropped_path, model, jobs, memory, backend,
    spark_master, spark_conf, work_dir, checkpoint, **options
) -> None:
    """Strip boilerplate from CORPUS and write the cleaned corpus to the -o folder.

    Every document is kept (an emptied one too, with its reason in the
    report) unless --drop-duplicates leaves a near-duplicate out (listed
    in the report with the id it duplicates); inputs are never modified;
    files are written atomically. WARC/WET input is written as JSONL.
    """
    from .api import clean as clean_corpus
    from .io.remote import is_remote

    config = _config(options, config_file)
    if work_dir is not None and not checkpoint:
        raise click.UsageError("--work-dir and --no-checkpoint contradict each other; give one or the other")
    work = Path(work_dir) if work_dir else (Path(output) / WORK_DIR_NAME if checkpoint and not is_remote(output) else None)
    with _running(quiet, work) as progress:
        result = _run(
            clean_corpus, list(corpus), output, report=report_path, html=html_path, dropped=dropped_path, config=config,
            jobs=jobs, memory=memory, progress=progress, work_dir=work_dir, checkpoint=checkpoint, backend=backend,
            spark_master=spark_master, spark_conf=spark_conf, model=model,
        )
    _finish(result, quiet, as_json)


@main.command(cls=GroupedCommand, epilog=EXIT_CODES + "\n" + REPORT_EXAMPLES)
@click.argument("corpus", nargs=-1, required=True, type=_CORPUS)
@report_options
@dropped_option
@model_option
@run_options
@config_options
def report(
    corpus, report_path, html_path, as_json, quiet, config_file, dropped_path, model, jobs, memory, backend, spark_master,
    spark_conf, work_dir, **options
) -> None:
    """Report boilerplate and syndication in CORPUS; write nothing else.

    The JSON report goes to standard output (or --report FILE; --json
    prints it too), the summary to stderr.
    """
    from .api import check_dropped
    from .api import scan as scan_corpus
    from .htmlreport import write_html
    from .io import check_output, discover
    from .io.remote import is_remote, write_via
    from .io.writers import check_writable_file

    config = _config(options, config_file)
    if report_path or html_path or dropped_path:
        paths = [p if not p or is_remote(p) else Path(p) for p in (report_path, html_path)]
        files = _run(discover, corpus, config.read.format)
        _run(check_output, files, corpus, None, *paths)
        for path, what in zip(paths, ("the report", "the HTML report")):
            if path:  # before the run, not after it
                _run(check_writable_file, path, what)
        _run(check_dropped, Path(dropped_path) if dropped_path else None, config, files, corpus)
    with _running(quiet, Path(work_dir) if work_dir else None) as progress:
        result = _run(
            scan_corpus, list(corpus), config=config, jobs=jobs, memory=memory, progress=progress, work_dir=work_dir,
            backend=backend, spark_master=spark_master, spark_conf=spark_conf, model=model,
        )
    if report_path:
        _run(write_via, report_path, result.report.write)
    if html_path:
        _run(write_via, html_path, lambda path: write_html(result, path))
    if dropped_path:
        _run(result.report.write_dropped, Path(dropped_path))
    _finish(result, quiet, as_json or not report_path)


@main.command(cls=GroupedCommand, epilog=EXIT_CODES + "\n" + LEARN_EXAMPLES)
@click.argument("corpus", nargs=-1, required=True, type=_CORPUS)
@click.option(
    "-o", "--output", type=click.Path(file_okay=False),
    help="The model folder to save (replaced atomically).  [default with --update: the --model folder]",
)
@model_option
@click.option(
    "--update", is_flag=True,
    help="Fold CORPUS into the --model: run it with the model applied, then add its pages and evidence.",
)
@report_options
@run_options
@config_options
def learn(
    corpus, output, model, update, report_path, html_path, as_json, quiet, config_file, jobs, memory, backend,
    spark_master, spark_conf, work_dir, **options
) -> None:
    """Learn a model from CORPUS and save it in the -o folder.

    The model keeps the evidence, not only the verdicts: every distinct
    block with the pages and sites it was seen on, the templates found,
    and every page's signature bands. `dedupe clean NEW --model DIR`
    applies it to a later crawl; `dedupe learn NEW --model DIR --update`
    folds a later crawl in. See docs/learn.md.
    """
    from .api import learn as learn_model
    from .htmlreport import write_html
    from .io.remote import write_via
    from .io.writers import check_writable_file

    config = _config(options, config_file)
    if backend != "local" or spark_master or spark_conf:
        raise click.UsageError("a model is learned on the local backend (--backend local)")
    for path, what in zip((report_path, html_path), ("the report", "the HTML report")):
        if path:
            _run(check_writable_file, Path(path), what)
    with _running(quiet, Path(work_dir) if work_dir else None) as progress:
        result = _run(
            learn_model, list(corpus), output, model=model, update=update, config=config, jobs=jobs, memory=memory,
            progress=progress, work_dir=work_dir,
        )
    if report_path:
        _run(write_via, report_path, result.report.write)
    if html_path:
        _run(write_via, html_path, lambda path: write_html(result, path))
    if not quiet:
        m = result.learned
        click.echo(
            f"model saved to {output or model}: {_n(m.n_pages)} pages, {_n(len(m.hi))} distinct blocks, "
            f"{_n(int(m.template.sum()))} templates",
            err=True,
        )
    _finish(result, quiet, as_json)


@main.command(cls=GroupedCommand, epilog=EXPLAIN_EXAMPLES)
@click.argument("corpus", nargs=-1, type=_CORPUS)
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@config_file_option
@config_options
def explain(corpus, as_json, config_file, **options) -> None:
    """Explain --block-threshold, --lsh-threshold and --num-perm, and warn about CORPUS.

    Prints how LSH cuts the signatures (bands x rows) and the S-curve: the
    probability that a pair of a given Jaccard similarity is proposed for
    verification (pairs never proposed are never found). With a CORPUS,
    warns about documents the shingling suits badly (very short ones, text
    written without spaces) and pages that cannot tell their site (no URL,
    or the only page of their host).
    """
    from .explain import SIMILARITIES
    from .explain import explain as explain_corpus

    config = _config(options, config_file)
    explanation = _run(explain_corpus, list(corpus), config=config)
    if as_json:
        click.echo(json.dumps(explanation.as_dict(), indent=2))
        return
    console = Console(highlight=False)
    num_perm = explanation.plans[0].num_perm
    console.print(Text(f"MinHash-LSH with {num_perm} permutations (--num-perm):"))
    plans = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for head in ("index", "option", "threshold", "bands x rows", "P at threshold"):
        plans.add_column(head, justify="right" if head != "index" and head != "option" else "left")
    for p in explanation.plans:
        plans.add_row(
            p.name, f"--{p.option.replace('_', '-')}", str(p.threshold), f"{p.bands} x {p.rows}",
            f"{p.probability(p.threshold):.0%}",
        )
    console.print(plans)
    console.print(Text("Probability that a pair of Jaccard similarity s is a candidate, 1 - (1 - s^rows)^bands:"))
    curve = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    curve.add_column("s", justify="right")
    for p in explanation.plans:
        curve.add_column(p.name, justify="right")
    for s in SIMILARITIES:
        curve.add_row(f"{s:.2f}", *(f"{p.probability(s):.3f}" for p in explanation.plans))
    console.print(curve)
    for w in explanation.warnings:
        console.print(Text(f"warning: {w}"))
    if corpus and not explanation.warnings:
        console.print(Text(f"No warnings for the {explanation.documents} documents read."))
