"""The command line: thin over :mod:`dedupe.pipeline`.

Each command parses options, calls one library function, renders the
result. Every :class:`~dedupe.config.Config` field is an option of the same
name in kebab-case, with its help taken from the config's docstring.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path
from typing import Any, Callable

import click

from . import __version__
from .config import Config, _STAGES
from .io import check_output, discover
from .model import InputError, UsageError
from .pipeline import clean as clean_corpus
from .pipeline import scan as scan_corpus

EXIT_CODES = """\b
Exit codes:
  0  every input was processed
  1  the run finished, but some inputs were skipped (listed in the report)
  2  usage error (bad option, missing input, output inside the input)
  3  stopped: a bad input under --strict, or an output could not be written
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


def config_options(command: Callable) -> Callable:
    """Add one option per Config field (defaults from the config)."""
    for stage, klass in reversed(list(_STAGES.items())):
        helps = _field_help(klass)
        for f in reversed(dataclasses.fields(klass)):
            flag = "--" + f.name.replace("_", "-")
            if f.type in (bool, "bool"):
                decl = f"{flag}/--no-{f.name.replace('_', '-')}"
                command = click.option(decl, f.name, default=f.default, show_default=True, help=helps.get(f.name))(command)
            else:
                kind = {"int": int, "float": float, "str": str}.get(str(f.type), type(f.default))
                command = click.option(flag, f.name, type=kind, default=f.default, show_default=True, help=helps.get(f.name))(command)
    return command


def _config(options: dict[str, Any]) -> Config:
    names = Config.option_names()
    try:
        return Config.from_options(**{k: v for k, v in options.items() if k in names})
    except (TypeError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None


def _run(fn: Callable, *args, **kwargs):
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


def _finish(result, quiet: bool) -> None:
    if not quiet:
        for line in result.report.summary_lines():
            click.echo(line, err=True)
    sys.exit(result.report.exit_code)


@click.group(epilog=EXIT_CODES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dedupe")
def main() -> None:
    """Strip cross-page boilerplate from a scraped corpus and report syndicated text.

    A corpus is any mix of folders of .txt files (read recursively; a
    document's id is its path inside the folder; hidden files are passed
    over) and JSONL files (.jsonl, .jsonl.gz; one JSON object per line).
    """


@main.command(epilog=EXIT_CODES)
@click.argument("corpus", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Output folder: one output file per input file, under the same relative name, in the same format.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), help="Write the JSON report here.")
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
@config_options
def clean(corpus, output, report_path, quiet, **options) -> None:
    """Strip boilerplate from CORPUS and write the cleaned corpus to OUTPUT.

    Every document is kept (an emptied one too, with its reason in the
    report); inputs are never modified; files are written atomically.
    """
    result = _run(clean_corpus, list(corpus), output, report=report_path, config=_config(options))
    _finish(result, quiet)


@main.command(epilog=EXIT_CODES)
@click.argument("corpus", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--report", "report_path", type=click.Path(dir_okay=False), help="Write the JSON report here instead of standard output.")
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
@config_options
def report(corpus, report_path, quiet, **options) -> None:
    """Report boilerplate and syndication in CORPUS; write nothing else.

    The JSON report goes to standard output (or --report FILE), the
    summary to stderr.
    """
    config = _config(options)
    if report_path:
        _run(check_output, discover(corpus), corpus, None, Path(report_path))
    result = _run(scan_corpus, list(corpus), config=config)
    if report_path:
        _run(result.report.write, Path(report_path))
    else:
        click.echo(result.report.to_json(), nl=False)
    _finish(result, quiet)
