"""Hostile runs, one section per defect found by running the CLI on a hostile
machine (issue #26): too many jobs, a killed run, spill shards and
checkpoints on a full disk, an output folder that cannot be written. Each
test that runs a corpus holds the accounting invariant (every input document
kept, cleaned, dropped with a reason, or listed as skipped)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import dedupe
from dedupe.executor import parallel
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


def _large_corpus(path: Path, pages: int = 4000) -> Path:
    """About 12 MB of JSONL: past the 8 MB from which a run shares its steps with workers."""
    rng = np.random.default_rng(0)
    vocab = np.array([f"w{i}" for i in range(5000)])
    with open(path, "w", encoding="utf-8") as f:
        for i in range(pages):
            words = vocab[rng.integers(0, len(vocab), 500)]
            body = [" ".join(words[k : k + 50]) for k in range(0, 500, 50)]
            text = "\n\n".join([HEADER, *body, FOOTER])
            f.write(json.dumps({"id": f"p{i}", "url": f"https://s{i % 5}.example/{i}", "text": text}) + "\n")
    return path


def _start(args: list, tmp: Path, cwd: Path) -> subprocess.Popen:
    """The CLI in a session of its own, with ``tmp`` as its system temporary folder
    and this test's dedupe on its path."""
    tmp.mkdir(exist_ok=True)
    source = str(Path(dedupe.__file__).resolve().parent.parent)
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-c", "from dedupe.cli import main; main()", *map(str, args)]
    return subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _session(sid: int) -> set:
    """Live (not zombie) processes of the session ``sid``, from /proc."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != b"Z":  # state, ppid, pgrp, session
            found.add(int(entry))
    return found


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def _kill_all(pids) -> None:
    for pid in pids:  # what a failed test leaves: only processes it started
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


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


# --- 2. A killed run left its fork server, resource tracker and a worker running, and a /tmp/pymp-* folder


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_a_killed_run_takes_its_processes_with_it_and_the_next_run_sweeps_its_temporary_folder(tmp_path):
    corpus = _large_corpus(tmp_path / "corpus.jsonl")
    tmp = tmp_path / "tmp"
    run = _start(["clean", corpus, "-o", tmp_path / "out", "-j", 2, "--no-checkpoint", "-q"], tmp, tmp_path)
    started = set()
    try:
        # The run, its resource tracker, its fork server and a worker forked from it.
        assert _wait_for(lambda: len(_session(run.pid)) >= 4, 30), run.stderr.read1().decode() if run.poll() is not None else ""
        started = _session(run.pid) - {run.pid}
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        assert _wait_for(lambda: not (_session(run.pid) & started), 10), f"still running: {_session(run.pid)}"
    finally:
        run.kill()
        _kill_all(_session(run.pid) | started)
    left = sorted(p.name for p in tmp.iterdir())  # multiprocessing's folder, marked as the dead run's
    assert len(left) == 2 and left[1].startswith("pymp-") and left[0] == f"dedupe-run-{run.pid}-{left[1]}", left

    small = _small_corpus(tmp_path / "small" / "pages.jsonl")
    later = _start(["clean", small, "-o", tmp_path / "out2", "--report", tmp_path / "report.json", "-q"], tmp, tmp_path)
    assert later.wait(60) == 0, later.stderr.read().decode()
    later.stderr.close()
    assert list(tmp.iterdir()) == []  # the dead run's folder swept, and the later run left none
    _accounted(json.loads((tmp_path / "report.json").read_text("utf-8")), 6)


def test_where_the_kernel_does_not_end_a_worker_its_watchdog_does(tmp_path):
    """The portable half (dedupe.executor.lifeline.watch): a process watching a run
    that is killed ends within about a second, with no signal of its own."""
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import os, time; from dedupe.executor import lifeline; "
        "lifeline.watch(os.getppid(), 0.1); time.sleep(60)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    source = str(Path(dedupe.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
    run = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, start_new_session=True)
    watcher = int(run.stdout.readline())
    try:
        assert _wait_for(lambda: watcher in _session(run.pid), 5)
        time.sleep(1)  # the watcher has imported dedupe and is watching
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        assert _wait_for(lambda: watcher not in _session(run.pid), 5)
    finally:
        run.stdout.close()
        _kill_all([run.pid, watcher])


# --- 3. Spill shards a killed run left in the system's temporary folder were never swept


def _dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


def test_a_run_sweeps_dead_runs_spill_folders_from_the_system_temporary_folder(tmp_path, monkeypatch):
    import tempfile

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))  # what TMPDIR sets
    dead = tmp / f"dedupe-shards-{_dead_pid()}-abc123"
    live = tmp / f"dedupe-shards-{os.getpid()}-def456"  # this process's: a live run's
    for folder in (dead, live):
        folder.mkdir()
        (folder / "part-0.key.npy").write_bytes(b"rows")
    corpus = _small_corpus(tmp_path / "in" / "pages.jsonl")

    result = dedupe.clean([corpus], tmp_path / "out", report=tmp_path / "report.json", checkpoint=False)

    assert not dead.exists()
    assert (live / "part-0.key.npy").read_bytes() == b"rows"
    assert result.report.exit_code == 0
    _accounted(json.loads((tmp_path / "report.json").read_text("utf-8")), 6)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_shards_of_a_killed_run_without_checkpoints_are_gone_after_the_next_run(tmp_path):
    corpus = _large_corpus(tmp_path / "corpus.jsonl", pages=1500)
    tmp = tmp_path / "tmp"
    args = ["clean", corpus, "-o", tmp_path / "out", "--report", tmp_path / "report.json", "--memory", "64K", "--no-checkpoint", "-j", 1, "-q"]
    run = _start(args, tmp, tmp_path)
    try:
        assert _wait_for(lambda: any(tmp.glob("dedupe-shards-*/*.npy")) or run.poll() is not None, 60)
        os.kill(run.pid, signal.SIGKILL)
        assert run.wait() == -signal.SIGKILL
    finally:
        run.kill()
        run.stderr.close()
    assert [p.name.split("-")[2] for p in tmp.glob("dedupe-shards-*")] == [str(run.pid)]

    later = _start(args, tmp, tmp_path)
    assert later.wait(120) == 0, later.stderr.read().decode()
    later.stderr.close()
    assert list(tmp.iterdir()) == []
    _accounted(json.loads((tmp_path / "report.json").read_text("utf-8")), 1500)


# --- 4. A full disk under the work folder stopped the run, though the README says it goes on without checkpoints


def _tree(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("where", ["work-dir", "default"])
def test_a_full_work_folder_warns_and_the_run_finishes_without_checkpoints(tmp_path, mount_tmpfs, where):
    corpus = _large_corpus(tmp_path / "corpus.jsonl", pages=300)  # 0.9 MB: its checkpoints need more than 256 KB
    reference = _cli("clean", corpus, "-o", tmp_path / "ref", "--report", tmp_path / "ref.json", "--no-checkpoint", "-j", 1, "-q")
    assert reference.exit_code == 0, reference.output
    out = tmp_path / "out"
    if where == "work-dir":
        work = mount_tmpfs(tmp_path / "full", "size=256k")
        extra = ["--work-dir", work]
    else:  # the default work folder, OUT/.dedupe-work, on a disk of its own
        work = mount_tmpfs(out / ".dedupe-work", "size=256k")
        extra = []

    result = _cli("clean", corpus, "-o", out, "--report", tmp_path / "out.json", *extra, "-j", 1, "-q")

    assert result.exit_code == 0, result.output
    told = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert told == [f"warning: {work}: cannot write checkpoints (No space left on device); going on without them"]
    assert {k: v for k, v in _tree(out).items() if not k.startswith(".dedupe-work/")} == _tree(tmp_path / "ref")
    assert (tmp_path / "out.json").read_bytes() == (tmp_path / "ref.json").read_bytes()
    assert [p.name for p in work.iterdir()] == []  # nothing half-written left on the full disk
    _accounted(json.loads((tmp_path / "out.json").read_text("utf-8")), 300)


# --- 5. A read-only output folder was found only after the whole pipeline had run


@pytest.mark.parametrize("where", ["read-only disk", "inside read-only disk", "under a file"])
def test_an_output_folder_that_cannot_be_written_stops_the_run_before_any_stage(tmp_path, mount_tmpfs, where):
    corpus = _small_corpus(tmp_path / "in" / "pages.jsonl")
    if where == "under a file":  # runs anywhere: no folder can be made under a regular file
        (tmp_path / "a-file").write_text("")
        out = tmp_path / "a-file" / "out"
        reason = "Not a directory"
    else:
        disk = mount_tmpfs(tmp_path / "ro", "ro,size=64k")
        out = disk if where == "read-only disk" else disk / "out"
        reason = "Read-only file system"
    work = tmp_path / "work"  # where stages would be kept, had any run

    result = _cli("clean", corpus, "-o", out, "--report", tmp_path / "report.json", "--work-dir", work, "-j", 1)

    assert result.exit_code == 3, result.output
    assert not work.exists() or not any(work.iterdir()), result.stderr  # no stage ran
    assert f"error: {out}: cannot write the output there ({reason}); nothing was written in its place" in result.stderr
    assert "documents read" not in result.stderr and not (tmp_path / "report.json").exists()


def test_from_python_an_unwritable_output_raises_before_any_stage(tmp_path):
    corpus = _small_corpus(tmp_path / "in" / "pages.jsonl")
    (tmp_path / "a-file").write_text("")
    stages = []
    with pytest.raises(OSError) as raised:
        dedupe.clean([corpus], tmp_path / "a-file" / "out", progress=lambda stage, done, total: stages.append(stage))
    assert stages == []
    assert str(raised.value) == f"{tmp_path / 'a-file' / 'out'}: cannot write the output there (Not a directory)"


def test_a_report_folder_that_cannot_be_written_stops_dedupe_report_before_the_run(tmp_path):
    corpus = _small_corpus(tmp_path / "in" / "pages.jsonl")
    (tmp_path / "a-file").write_text("")
    report = tmp_path / "a-file" / "report.json"

    result = _cli("report", corpus, "--report", report, "--work-dir", tmp_path / "work")

    assert result.exit_code == 3
    assert not (tmp_path / "work").exists()  # no stage ran
    assert f"error: {report.parent}: cannot write the report there (Not a directory)" in result.stderr
