"""Tests for dedupe.progress: plain lines off a terminal, bars on one, silence by default and with --quiet."""

import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

import dedupe
from dedupe import progress
from dedupe.cli import main
from dedupe.progress import Callback, LogProgress, Progress, RichProgress, as_progress, for_stderr

DATA = Path(__file__).resolve().parent / "data"
STAGES = ["read", "blocks", "clusters", "boilerplate", "model", "syndication", "report"]


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def log(**kw):
    clock, stream = Clock(), io.StringIO()
    return LogProgress(stream, clock=clock, **kw), clock, stream


# --- plain lines ------------------------------------------------------------------


def test_a_run_that_ends_within_a_second_prints_nothing():
    p, clock, stream = log()
    with p.stage("blocks", 10, "documents") as task:
        clock.now += 0.5
        task.advance(10)
    assert stream.getvalue() == ""


def test_lines_every_interval_with_eta_and_at_the_end():
    p, clock, stream = log(interval=5.0, quiet_for=1.0)
    clock.now += 2.0  # the run is no longer "small"
    p.start("blocks", 50_000, "documents")
    clock.now += 1.0
    p.advance("blocks", 1_000)  # within the interval: no line
    clock.now += 5.0
    p.advance("blocks", 11_000)
    clock.now += 1.0
    p.advance("blocks", 1_000)  # within the interval again
    clock.now += 6.0
    p.end("blocks")
    assert stream.getvalue().splitlines() == [
        "dedupe: blocks 12,000/50,000 documents (24%) 6.0s, ETA 19.0s",
        "dedupe: blocks done: 50,000 documents in 13.0s",
    ]


def test_at_most_one_line_per_stage_every_ten_seconds():
    assert progress.INTERVAL == 10.0
    p, clock, stream = log()
    clock.now += 2.0
    # A stage of 35 s told of every tenth of a second: lines at 10, 20 and 30 s, and its end.
    p.start("blocks", 350, "documents")
    for _ in range(350):
        clock.now += 0.1
        p.advance("blocks", 1)
    p.end("blocks")
    # Short stages and steps, as a six-second run has them: their ends only, steps silent.
    for parent, steps in [("clusters", ["signatures", "line pairs"]), ("boilerplate", ["pairs"])]:
        p.start(parent, 10, "")
        for stage in [f"{parent} · {step}" for step in steps] + [parent]:
            if stage != parent:
                p.start(stage, 10, "")
            for _ in range(10):
                clock.now += 0.2
                p.advance(stage, 1)
            p.end(stage)
    lines = stream.getvalue().splitlines()
    assert [l.split(" ")[1] for l in lines] == ["blocks"] * 4 + ["clusters", "boilerplate"]
    elapsed = [float(re.search(r"\) (\d+\.\d)s, ETA", l).group(1)) for l in lines[:3]]
    assert all(10.0 <= b - a < 10.2 for a, b in zip([0.0] + elapsed, elapsed)), elapsed
    assert lines[3] == "dedupe: blocks done: 350 documents in 35.0s"
    assert lines[4:] == ["dedupe: clusters done: 10 in 6.0s", "dedupe: boilerplate done: 10 in 4.0s"]


def test_a_long_step_reports_like_a_stage():
    p, clock, stream = log()
    p.start("syndication · passages", 30, "pairs")
    for _ in range(30):
        clock.now += 0.5
        p.advance("syndication · passages", 1)
    p.end("syndication · passages")
    assert stream.getvalue().splitlines() == [
        "dedupe: syndication · passages 20/30 pairs (67%) 10.0s, ETA 5.0s",
        "dedupe: syndication · passages done: 30 pairs in 15.0s",
    ]


def test_a_long_first_stage_reports_without_a_start_line():
    p, clock, stream = log()
    p.start("read", 3, "files")
    clock.now += 12.0
    p.advance("read", 1)
    clock.now += 1.0
    p.end("read")
    assert stream.getvalue().splitlines() == [
        "dedupe: read 1/3 files (33%) 12.0s, ETA 24.0s",
        "dedupe: read done: 3 files in 13.0s",
    ]


def test_a_stage_without_counts_and_a_reused_stage():
    p, clock, stream = log()
    clock.now += 3.0
    p.start("syndication", None, "")
    clock.now += 62.0
    p.end("syndication")
    p.end("blocks", reused=True)
    assert stream.getvalue().splitlines() == [
        "dedupe: syndication done in 1m02s",
        "dedupe: blocks reused from the work folder",
    ]


def test_a_reused_stage_is_told_even_in_a_small_run():
    p, _, stream = log()
    p.end("clusters", reused=True)
    assert stream.getvalue() == "dedupe: clusters reused from the work folder\n"


# --- callbacks and the library ------------------------------------------------------


def test_callback_gets_stage_done_total():
    seen = []
    p = as_progress(lambda stage, done, total: seen.append((stage, done, total)))
    assert isinstance(p, Callback)
    with p.stage("blocks", 3, "documents") as task:
        task.advance(2)
        task.advance(1)
    with p.stage("syndication"):
        pass
    assert seen == [("blocks", 0, 3), ("blocks", 2, 3), ("blocks", 3, 3), ("blocks", 3, 3),
                    ("syndication", 0, None), ("syndication", 0, None)]


def test_as_progress_refuses_what_is_neither_a_reporter_nor_callable():
    assert type(as_progress(None)) is Progress
    with pytest.raises(TypeError, match="'progress' parameter"):
        as_progress(42)


def test_library_is_silent_by_default(capsys):
    dedupe.scan([DATA / "three_sites.jsonl"], jobs=1)
    assert capsys.readouterr() == ("", "")


def test_library_reports_every_stage_to_a_callback():
    seen = []
    dedupe.scan([DATA / "three_sites.jsonl"], jobs=1, progress=lambda *a: seen.append(a))
    assert list(dict.fromkeys(s for s, _, _ in seen if " · " not in s)) == STAGES
    blocks = [(done, total) for s, done, total in seen if s == "blocks"]
    assert blocks[0] == (0, 9) and blocks[-1] == (9, 9)


def test_long_stages_tell_their_steps_inside_them_with_counts():
    seen = []
    dedupe.scan([DATA / "three_sites.jsonl"], jobs=1, progress=lambda *a: seen.append(a))
    names = [s for s, _, _ in seen]
    steps = list(dict.fromkeys(s for s in names if " · " in s))
    assert steps[:2] == ["clusters · signatures", "clusters · line pairs"]
    assert steps[2:8] == [
        "boilerplate · n-grams", "boilerplate · n-gram index", "boilerplate · pairs", "boilerplate · document pairs",
        "boilerplate · copy evidence", "boilerplate · round 1",
    ]
    assert steps[-4:] == [
        "boilerplate · verdicts", "syndication · signatures", "syndication · candidates", "syndication · passages",
    ]
    for step in steps:
        # Told after its stage started and before it ended.
        parent = step.split(" · ")[0]
        first = names.index(step)
        last = len(names) - 1 - names[::-1].index(step)
        assert names.index(parent) < first and last < len(names) - 1 - names[::-1].index(parent), step
    for step in ("boilerplate · n-grams", "boilerplate · n-gram index", "boilerplate · pairs", "syndication · signatures",
                 "syndication · passages"):
        calls = [(done, total) for s, done, total in seen if s == step]
        total = calls[0][1]
        # Counted as the work was done: the last advance (before the end) reaches the total, never beyond.
        assert total > 0 and calls[0][0] == 0, step
        assert calls[-2] == (total, total), step
        assert all(a <= b <= total for (a, _), (b, _) in zip(calls, calls[1:])), step
    rounds = [s for s in steps if s.startswith("boilerplate · round ")]
    assert rounds == [f"boilerplate · round {k}" for k in range(1, len(rounds) + 1)]


def test_rich_bars_on_a_terminal():
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=120, color_system=None)
    with RichProgress(console) as bars:
        dedupe.scan([DATA / "three_sites.jsonl"], jobs=1, progress=bars)
    text = buf.getvalue()
    for stage in STAGES:
        assert stage in text
    assert "9/9" in text and "documents" in text


def test_for_stderr_picks_lines_off_a_terminal_and_nothing_when_quiet():
    assert isinstance(for_stderr(stream=io.StringIO()), LogProgress)
    assert type(for_stderr(quiet=True)) is Progress


# --- the command line ------------------------------------------------------------------


def test_cli_prints_plain_stage_lines_on_stderr_and_keeps_json_on_stdout(monkeypatch):
    monkeypatch.setattr(progress, "QUIET_FOR", 0.0)
    result = CliRunner().invoke(main, ["report", str(DATA / "three_sites.jsonl"), "--json", "-j", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"]["documents_read"] == 9
    lines = [l for l in result.stderr.splitlines() if l.startswith("dedupe: ") and " documents read" not in l]
    # A short run: one line per stage, when it ends, and none for its steps.
    assert [l.split(" ")[1] for l in lines] == STAGES
    assert all(" done" in l for l in lines)
    assert "dedupe:" not in result.stdout


class SlowClock:
    """Time that passes a second each time it is read: a run of minutes."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        self.now += 1.0
        return self.now


def test_cli_log_of_a_long_run_writes_a_stage_at_most_once_every_ten_seconds(monkeypatch):
    monkeypatch.setattr(progress, "monotonic", SlowClock())
    result = CliRunner().invoke(main, ["report", str(DATA / "three_sites.jsonl"), "--json", "-j", "1"])
    assert result.exit_code == 0, result.output
    lines = [l[len("dedupe: "):] for l in result.stderr.splitlines() if l.startswith("dedupe: ") and " documents read" not in l]
    ended = {m.group(1): m.group(2) for m in (re.match(r"(.+?) done(?:: [^ ]+(?: \w+)?)? in (\S+)$", l) for l in lines) if m}
    assert set(STAGES) <= set(ended)
    for stage, took in ended.items():
        told = [l for l in lines if l.startswith(stage + " ") and not any(
            len(other) > len(stage) and l.startswith(other + " ") for other in ended)]
        # It wrote at most one line per ten seconds it took, and the line that it is done.
        minutes, _, seconds = took.rstrip("s").rpartition("m")
        assert len(told) <= 1 + (60 * int(minutes or 0) + float(seconds)) / progress.INTERVAL, (stage, told)
    # Every line belongs to a stage that said it was done.
    assert all(any(l.startswith(s + " ") for s in ended) for l in lines)


def test_cli_quiet_prints_no_progress(monkeypatch):
    monkeypatch.setattr(progress, "QUIET_FOR", 0.0)
    result = CliRunner().invoke(main, ["report", str(DATA / "three_sites.jsonl"), "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    json.loads(result.stdout)
