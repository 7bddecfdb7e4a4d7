"""Tests for dedupe.checkpoint: a run killed part way resumes with the stages it
finished and writes the same bytes; keys never mix runs; a bad file is recomputed."""

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import dedupe
from dedupe import blocks, boilerplate, syndication
from dedupe.checkpoint import (
    DEFAULT_NAME,
    CheckpointWarning,
    WorkDir,
    pack_strings,
    unpack_strings,
)
from dedupe.cli import main
from dedupe.document import UsageError
from dedupe.stages import clusters as clusters_stage
from dedupe.stages import read as read_stage
from dedupe.stages import write as write_stage
from dedupe.stages.syndication import from_tables, to_tables

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
# Sorted. The model stage keeps a checkpoint of its own when the block model
# is on (the default); with --block-model none it reads the rule's verdicts.
FIRST_STAGES = ["blocks", "boilerplate", "clusters", "model", "read"]


def tree(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def stages(work: Path) -> list:
    return sorted(p.name.split("-")[0] for p in work.glob("*.npz"))


@pytest.fixture
def corpus(tmp_path) -> Path:
    """The seeds and the JSONL sites in one folder."""
    root = tmp_path / "corpus"
    root.mkdir()
    for p in [*sorted((ROOT / "seeds").iterdir()), DATA / "three_sites.jsonl", DATA / "two_sites.jsonl"]:
        (root / p.name).write_bytes(p.read_bytes())
    return root


@pytest.fixture
def reference(corpus, tmp_path):
    """Output and report of one uninterrupted run without checkpoints."""
    out = tmp_path / "reference"
    dedupe.clean([corpus], out, report=tmp_path / "reference.json", jobs=1, checkpoint=False)
    return tree(out), (tmp_path / "reference.json").read_bytes()


@pytest.fixture
def calls(monkeypatch):
    """How often each stage's work ran."""
    counter = Counter()
    for module, name in [(read_stage, "read_file"), (blocks, "segment"), (clusters_stage, "cluster_keys"),
                         (boilerplate, "decide"), (syndication, "find")]:
        original = getattr(module, name)

        def spy(*args, _original=original, _name=name, **kwargs):
            counter[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)
    return counter


def killed_run(corpus: Path, out: Path, at: str = "syndication.find", **kwargs) -> subprocess.CompletedProcess:
    """``dedupe.clean`` in another process, killed with SIGKILL when ``at`` (module.name) is called."""
    module, name = at.rsplit(".", 1)
    script = textwrap.dedent(
        f"""
        import os, signal
        import dedupe
        from dedupe import copy_pairs, syndication

        def die(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)

        setattr({module}, {name!r}, die)
        dedupe.clean([{str(corpus)!r}], {str(out)!r}, report={str(out) + '.json'!r}, jobs=1, **{kwargs!r})
        """
    )
    return subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)


# --- resuming --------------------------------------------------------------------------


def test_a_killed_run_resumes_from_its_finished_stages_with_identical_output(corpus, reference, tmp_path, calls):
    out, work = tmp_path / "out", tmp_path / "work"
    killed = killed_run(corpus, out, work_dir=str(work))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert stages(work) == FIRST_STAGES
    assert not out.exists() or not any(out.iterdir())
    assert not [p for p in work.iterdir() if p.suffix not in (".npz", ".texts")]  # no half-written file left

    dedupe.clean([corpus], out, report=str(out) + ".json", jobs=1, work_dir=work)

    assert calls == {"find": 1}  # every stage before syndication came from the work folder
    assert (tree(out), Path(str(out) + ".json").read_bytes()) == reference
    assert stages(work) == FIRST_STAGES + ["syndication"]  # an explicit work folder is kept


def test_the_default_work_folder_resumes_a_killed_cli_run_and_goes_once_it_succeeds(corpus, reference, tmp_path):
    out = tmp_path / "out"
    killed = killed_run(corpus, out)
    assert killed.returncode == -signal.SIGKILL
    assert stages(out / DEFAULT_NAME) == FIRST_STAGES

    result = CliRunner().invoke(main, ["clean", str(corpus), "-o", str(out), "--report", str(out) + ".json", "-j", "1"])

    assert result.exit_code == 0, result.output
    for stage in FIRST_STAGES:
        assert f"dedupe: {stage} reused from the work folder" in result.stderr
    assert not (out / DEFAULT_NAME).exists()
    assert (tree(out), Path(str(out) + ".json").read_bytes()) == reference


def test_shards_a_killed_run_spilled_are_swept_by_the_next_run(corpus, reference, tmp_path):
    """Killed while the boilerplate decision's pairs are on disk (a budget
    of one byte spills every shard), a run leaves its spill folder; the
    next run removes it (its process is gone), keeps a live run's, and the
    default work folder still goes once the run succeeds."""
    from dedupe.executor.spill import PREFIX

    for work in (tmp_path / "work", None):
        out = tmp_path / f"out-{work is None}"
        kwargs = {"work_dir": str(work)} if work else {}
        killed = killed_run(corpus, out, at="copy_pairs.PairShards.build", memory=1, **kwargs)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        folder = work or out / DEFAULT_NAME
        left = list(folder.glob(PREFIX + "*"))
        assert left and any(p.rglob("*.npy") for p in left)
        live = folder / f"{PREFIX}{os.getpid()}-live"  # this test process's: alive
        live.mkdir()
        dedupe.clean([corpus], out, report=str(out) + ".json", jobs=1, memory=1, **kwargs)
        assert (tree(out), Path(str(out) + ".json").read_bytes()) == reference
        assert [p.name for p in folder.glob(PREFIX + "*")] == [live.name]
        live.rmdir()
        if work is None:
            dedupe.clean([corpus], out, report=str(out) + ".json", jobs=1)
            assert not folder.exists()


def test_a_run_that_fails_tells_where_its_finished_stages_are(corpus, tmp_path, monkeypatch):
    out = tmp_path / "out"

    def unwritable(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(out / "x"))

    monkeypatch.setattr(write_stage, "write_corpus", unwritable)
    result = CliRunner().invoke(main, ["clean", str(corpus), "-o", str(out), "-j", "1"])
    assert result.exit_code == 3
    assert f"finished stages are kept in {out / DEFAULT_NAME}: run the same command again to resume" in result.stderr
    assert stages(out / DEFAULT_NAME) == sorted(FIRST_STAGES + ["syndication"])


def test_no_checkpoint_keeps_nothing(corpus, tmp_path, monkeypatch):
    monkeypatch.setattr(WorkDir, "save", lambda *a, **k: pytest.fail("saved a checkpoint"))
    dedupe.clean([corpus], tmp_path / "out", jobs=1, checkpoint=False)
    assert not (tmp_path / "out" / DEFAULT_NAME).exists()


# --- keys ---------------------------------------------------------------------------------


def test_a_changed_option_reruns_only_the_stages_that_read_it(corpus, tmp_path, calls):
    work = tmp_path / "work"
    dedupe.scan([corpus], jobs=1, work_dir=work)
    calls.clear()

    dedupe.scan([corpus], jobs=1, work_dir=work, syndication_threshold=0.6)
    assert calls == {"find": 1}
    calls.clear()

    changed = dedupe.scan([corpus], jobs=1, work_dir=work, block_threshold=0.9)
    assert calls == {"cluster_keys": 1, "decide": 1, "find": 1}
    assert changed.report.data == dedupe.scan([corpus], jobs=1, block_threshold=0.9).report.data
    assert stages(work).count("clusters") == 2  # both keys kept side by side, never mixed


def test_jobs_are_no_part_of_the_key(corpus, tmp_path, calls):
    work = tmp_path / "work"
    dedupe.scan([corpus], jobs=1, work_dir=work)
    calls.clear()
    dedupe.scan([corpus], jobs=2, work_dir=work)
    assert calls == {}
    # The stage files and the read stage's texts, nothing else (no part left of the read).
    kept = sorted(p.name.split("-")[0] + p.suffix for p in work.iterdir())
    assert kept == sorted([f"{s}.npz" for s in [*FIRST_STAGES, "syndication"]] + ["read.texts"])


def test_a_changed_input_file_is_read_again(corpus, tmp_path, calls):
    work = tmp_path / "work"
    before = dedupe.scan([corpus], jobs=1, work_dir=work)
    calls.clear()
    seed = sorted(corpus.glob("*.txt"))[0]
    seed.write_text(seed.read_text(encoding="utf-8") + "\nA line added after the first run.\n", encoding="utf-8")

    after = dedupe.scan([corpus], jobs=1, work_dir=work)

    assert calls["read_file"] > 0 and calls["segment"] > 0
    assert after.report.data["summary"]["chars_in"] > before.report.data["summary"]["chars_in"]
    assert after.report.data == dedupe.scan([corpus], jobs=1).report.data


def test_a_damaged_checkpoint_is_recomputed_with_a_warning(corpus, reference, tmp_path, calls):
    out, work = tmp_path / "out", tmp_path / "work"
    dedupe.clean([corpus], out, jobs=1, work_dir=work)
    blocks_file = next(work.glob("blocks-*.npz"))
    blocks_file.write_bytes(blocks_file.read_bytes()[:500])  # cut short
    next(work.glob("clusters-*.npz")).write_bytes(b"not a checkpoint")
    calls.clear()

    with pytest.warns(CheckpointWarning, match="damaged checkpoint ignored") as caught:
        dedupe.clean([corpus], out, report=str(out) + ".json", jobs=1, work_dir=work)

    assert [w.category for w in caught] == [CheckpointWarning, CheckpointWarning]
    assert calls == {"segment": calls["segment"], "cluster_keys": 1}  # boilerplate and the rest still reused
    assert (tree(out), Path(str(out) + ".json").read_bytes()) == reference


def test_an_unwritable_work_folder_warns_and_the_run_goes_on(corpus, reference, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    out = tmp_path / "out"
    with pytest.warns(CheckpointWarning, match="cannot write checkpoints"):
        dedupe.clean([corpus], out, report=str(out) + ".json", jobs=1, work_dir=blocker / "work")
    assert (tree(out), Path(str(out) + ".json").read_bytes()) == reference


@pytest.mark.parametrize("where", ["input", "inside", "file"])
def test_a_work_folder_in_the_input_or_on_a_file_is_refused(corpus, tmp_path, where):
    work = {"input": corpus, "inside": corpus / "work", "file": corpus / "two_sites.jsonl"}[where]
    with pytest.raises(UsageError, match="work folder"):
        dedupe.scan([corpus], work_dir=work)
    result = CliRunner().invoke(main, ["clean", str(corpus), "-o", str(tmp_path / "out"), "--work-dir", str(work)])
    assert result.exit_code == 2
    assert ("is a file" if where == "file" else "the work folder must not be the input folder") in result.stderr


def test_work_dir_and_no_checkpoint_contradict(corpus, tmp_path):
    result = CliRunner().invoke(
        main, ["clean", str(corpus), "-o", str(tmp_path / "out"), "--work-dir", str(tmp_path / "w"), "--no-checkpoint"]
    )
    assert result.exit_code == 2 and "contradict" in result.stderr
    with pytest.raises(UsageError):
        dedupe.clean([corpus], tmp_path / "out", work_dir=tmp_path / "w", checkpoint=False)


# --- what a stage file holds ----------------------------------------------------------------


def test_strings_round_trip_with_lone_surrogates():
    strings = ["", "plain", "caf\u00e9 \u6771\u4eac", "lone \ud800 surrogate", ""]
    assert unpack_strings(*pack_strings(strings)) == strings
    assert unpack_strings(*pack_strings([])) == []


def test_syndication_round_trips(corpus):
    synd = dedupe.scan([corpus], jobs=1).analysis.syndication
    assert synd.clusters
    assert from_tables(to_tables(synd), 10**6) == synd


def test_a_stage_file_round_trips_and_one_of_another_key_is_never_read(tmp_path):
    work = WorkDir(tmp_path)
    work.save("blocks", "a" * 64, {"x": np.arange(3)}, data={"n": 3})
    arrays, data = work.load("blocks", "a" * 64)
    assert np.array_equal(arrays["x"], np.arange(3)) and data == {"n": 3}
    assert work.load("blocks", "c" * 64) is None  # no file: nothing to say
    os.replace(work.file("blocks", "a" * 64), work.file("blocks", "b" * 64))
    with pytest.warns(CheckpointWarning, match="another stage, key or format"):
        assert work.load("blocks", "b" * 64) is None


def test_a_flipped_byte_inside_a_stage_file_is_caught_by_its_checksum(tmp_path):
    # Stage files are not fsynced: what a power cut could damage must be seen on reading.
    work = WorkDir(tmp_path)
    work.save("blocks", "k" * 64, {"x": np.arange(100_000)})
    path = work.file("blocks", "k" * 64)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.warns(CheckpointWarning, match="CRC"):
        assert work.load("blocks", "k" * 64) is None


# --- killed from outside, once at every stage (issue #7, item 3) -------------------------------


def _stage_files(work: Path) -> dict:
    """The stage files in the work folder, with their mtimes: a stage's .npz
    is renamed into place last (the read stage's texts come before it)."""
    return {p.name: p.stat().st_mtime_ns for p in work.glob("*.npz")} if work.exists() else {}


def _cli_process(args: list, stderr: Path) -> subprocess.Popen:
    """``dedupe`` ARGS in a process of its own (this test's dedupe first on its path)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    with open(stderr, "wb") as err:
        return subprocess.Popen([sys.executable, "-m", "dedupe", *map(str, args)], env=env, stdout=subprocess.DEVNULL, stderr=err)


def _temporaries(out) -> set:
    """The temporary files in ``out``, none while the run has not made it
    (or is moving it: a glob of a folder that goes away raises)."""
    try:
        return set(out.glob(".*.tmp"))
    except FileNotFoundError:
        return set()


def test_a_cli_run_killed_at_each_stage_in_turn_redoes_no_finished_stage_and_writes_what_one_run_writes(tmp_path):
    """The same ``dedupe clean`` command, killed with SIGKILL as soon as a stage
    file appears (and once part way through writing the output), is run again
    each time: the stages finished before are reused (it says so, and their
    files are not rewritten), and the last run writes the bytes one
    uninterrupted run writes. The report holds no timestamp, so it is compared whole."""
    from conftest import generated_corpus

    corpus = generated_corpus(tmp_path / "corpus", 800, 200, seed=7)
    ref = CliRunner().invoke(main, ["clean", str(corpus), "-o", str(tmp_path / "ref"), "--report", str(tmp_path / "ref.json"),
                                    "--no-checkpoint", "-j", "1", "-q"])
    assert ref.exit_code == 0, ref.output
    out, work, report = tmp_path / "out", tmp_path / "work", tmp_path / "out.json"
    command = ["clean", corpus, "-o", out, "--report", report, "--work-dir", work, "-j", "1"]

    killed_after: list[str] = []  # where each killed run was, by the last thing it finished
    kept: dict = {}
    for attempt in range(10):
        left = _temporaries(out)  # what the run before, killed while writing, left
        run = _cli_process(command, tmp_path / f"stderr-{attempt}")
        try:
            def progressed() -> bool:
                half_written = "write" not in killed_after and bool(_temporaries(out) - left)
                return set(_stage_files(work)) - set(kept) != set() or half_written

            while run.poll() is None and not progressed():
                time.sleep(0.002)
            if run.poll() is None:
                os.kill(run.pid, signal.SIGKILL)
            code = run.wait(120)
        finally:
            run.kill()
        told = (tmp_path / f"stderr-{attempt}").read_text(encoding="utf-8")
        for name in kept:  # finished before: reused, its file not written again
            assert f"dedupe: {name.split('-')[0]} reused from the work folder" in told, (attempt, told)
        now = _stage_files(work)
        assert {name: now[name] for name in kept} == kept, attempt
        if code != -signal.SIGKILL:
            assert code == 0, told
            break
        new = sorted(set(now) - set(kept), key=now.get)
        killed_after.append(new[-1].split("-")[0] if new else "write")
        kept = now
    # Killed after every stage in turn, then part way through writing (the stages are slow enough to be caught between).
    assert killed_after == ["read", "blocks", "clusters", "boilerplate", "model", "syndication", "write"], killed_after
    assert tree(out) == tree(tmp_path / "ref")  # no temporary file a killed write left, and the same bytes
    assert report.read_bytes() == (tmp_path / "ref.json").read_bytes()
