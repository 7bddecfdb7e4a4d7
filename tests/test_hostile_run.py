"""Hostile runs, one section per defect found by running the CLI on a hostile
machine (issue #26): too many jobs, a killed run, spill shards and
checkpoints on a full disk, an output folder that cannot be written. Each
test that runs a corpus holds the accounting invariant (every input document
kept, cleaned, dropped with a reason, or listed as skipped)."""

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import dedupe
from dedupe import parallel
from dedupe.cli import main

HEADER = "Site Menu Home About Contact"
FOOTER = "Copyright 2024 Example Site"


def _accounted(report: dict, inputs: int) -> None:
    s = report["summary"]
    assert s["documents_read"] + sum(s["documents_skipped"].values()) == inputs
    assert s["documents_unchanged"] + s["documents_cleaned"] + s["documents_emptied"] == s["documents_read"]
    assert len(report["documents"]) == s["documents_read"]


def _small_corpus(path: Path, pages: int = 6) -> Path:
    """A JSONL file of pages of one site: a header and a footer around a body of its own."""
    lines = []
    for i in range(pages):
        body = " ".join(f"word{i}-{k}" for k in range(40))
        text = "\n".join([HEADER, f"Story {i}", body, FOOTER])
        lines.append(json.dumps({"id": f"p{i}", "url": f"https://site.example/{i}", "text": text}))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="dedupe")


# --- 1. --jobs had no upper bound: -j 1000 on two cores took 4.5 GB in three seconds


def test_jobs_past_the_usable_cores_are_cut_to_them_with_a_warning():
    cores = parallel.usable_cpus()
    with pytest.warns(UserWarning, match=rf"^1000 jobs asked for, but this process may use {cores} cores: running {cores}$") as told:
        workers = parallel.Workers(jobs=1000)
    assert workers.jobs == cores
    assert [w.category.__name__ for w in told] == ["JobsWarning"]
    with parallel.Workers(jobs=cores) as workers:  # as many as the cores: no warning
        assert workers.jobs == cores


def test_cli_jobs_past_the_cores_run_with_one_warning_naming_the_cap(tmp_path):
    corpus = _small_corpus(tmp_path / "in" / "pages.jsonl")
    out, report = tmp_path / "out", tmp_path / "report.json"
    cores = parallel.usable_cpus()

    result = _cli("clean", corpus, "-o", out, "--report", report, "-j", 1000, "-q")

    assert result.exit_code == 0, result.output
    told = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert told == [f"warning: 1000 jobs asked for, but this process may use {cores} cores: running {cores}"]
    _accounted(json.loads(report.read_text("utf-8")), 6)
