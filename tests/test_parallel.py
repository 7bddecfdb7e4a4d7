"""Tests for dedupe.executor.parallel: chunks in order, worker processes really used, and the
same bytes whatever the number of jobs."""

import hashlib
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dedupe
from dedupe.cli import main
from dedupe.document import Document, InputError
from dedupe.executor.parallel import Workers, plan, resolve_jobs, usable_cpus

#: Workers beside this process, as many as the cores allow (more would be cut, with a warning).
SEVERAL = min(3, max(2, usable_cpus()))

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


def _pid_and_range(a, b, pause=0.0):
    time.sleep(pause)
    return os.getpid(), list(range(a, b))


def _fail_at(a, b, bad):
    if a <= bad < b:
        raise ValueError(f"item {bad}")
    return b - a


def tree(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


# --- planning chunks -------------------------------------------------------------


@given(st.lists(st.integers(0, 1000), max_size=60), st.integers(1, 20))
def test_plan_cuts_contiguous_non_empty_ranges_covering_every_item(weights, parts):
    chunks = plan(np.array(weights), parts)
    assert [i for a, b in chunks for i in range(a, b)] == list(range(len(weights)))
    assert all(b > a for a, b in chunks)
    assert len(chunks) <= max(1, min(parts, len(weights))) or not weights


def test_plan_balances_weight():
    chunks = plan(np.ones(100), 4)
    assert chunks == [(0, 25), (25, 50), (50, 75), (75, 100)]


def test_jobs_default_to_every_usable_core_and_are_checked():
    assert resolve_jobs(None) == resolve_jobs(0) == usable_cpus() >= 1
    assert resolve_jobs(1) == 1 and resolve_jobs(usable_cpus()) == usable_cpus()
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="The 'jobs' parameter must be an int >= 1"):
            resolve_jobs(bad)


# --- running chunks ----------------------------------------------------------------


def test_small_steps_stay_in_this_process():
    with Workers(jobs=2) as workers:
        results = workers.map(_pid_and_range, np.ones(10), lambda a, b: (a, b))
    assert [pid for pid, _ in results] == [os.getpid()]
    assert workers.chunks_sent == 0


def test_workers_and_this_process_share_chunks_and_results_come_back_in_order():
    with Workers(jobs=SEVERAL, min_chunk=1) as workers:
        workers.warm_up(wait=True)
        results = workers.map(_pid_and_range, np.ones(48), lambda a, b: (a, b, 0.02))
        assert len(results) > 2 and workers.chunks_sent > 0
    assert [i for _, items in results for i in items] == list(range(48))
    pids = [pid for pid, _ in results]
    assert len(set(pids) - {os.getpid()}) >= 1  # workers took chunks from the front ...
    assert pids[-1] == os.getpid()  # ... while this process took them from the back


def test_this_process_does_not_wait_for_workers_to_start():
    with Workers(jobs=2, min_chunk=1) as workers:
        results = workers.map(_pid_and_range, np.ones(8), lambda a, b: (a, b))
    assert [i for _, items in results for i in items] == list(range(8))


def test_a_worker_error_reaches_the_caller():
    with Workers(jobs=2, min_chunk=1) as workers:
        with pytest.raises(ValueError, match="item 17"):
            workers.map(_fail_at, np.ones(40), lambda a, b: (a, b, 17))


def _mark_and_range(a, b, folder):
    Path(folder, f"{a:04d}").touch()
    time.sleep(0.01)
    return os.getpid(), list(range(a, b))


@pytest.mark.parametrize("jobs", [1, "several"])
def test_imap_yields_in_order_and_runs_ahead_by_a_few_chunks_only(jobs, tmp_path):
    jobs = SEVERAL if jobs == "several" else jobs
    with Workers(jobs=jobs, min_chunk=1) as workers:
        workers.warm_up(wait=True)
        results = workers.imap(_mark_and_range, np.ones(64), lambda a, b: (a, b, tmp_path), max_chunk=1)
        pid, first = next(results)
        assert first == [0]
        assert len(list(tmp_path.iterdir())) <= 2 * jobs + 1  # not the whole map
        rest = list(results)
    assert [i for _, items in [(pid, first), *rest] for i in items] == list(range(64))
    assert len(list(tmp_path.iterdir())) == 64
    if jobs > 1:
        pids = {p for p, _ in rest}
        assert workers.chunks_sent > 0 and len(pids - {os.getpid()}) >= 1 and os.getpid() in pids


def test_imap_takes_the_chunks_here_until_the_workers_have_started():
    # Not started before the step: its quick chunks are all done here, in
    # order, rather than the first waiting for a worker to start.
    with Workers(jobs=2, min_chunk=1) as workers:
        results = list(workers.imap(_pid_and_range, np.ones(32), lambda a, b: (a, b), max_chunk=1))
        assert workers.chunks_sent == 0
    assert [i for _, items in results for i in items] == list(range(32))
    assert {pid for pid, _ in results} == {os.getpid()}


def _pid_and_preloaded(a, b, pause):
    time.sleep(pause)
    return os.getpid(), "dedupe.preload" in sys.modules


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server here")
def test_workers_are_forked_with_the_engine_and_numba_ready():
    with Workers(jobs=2, min_chunk=1) as workers:
        workers.warm_up(wait=True)
        results = workers.map(_pid_and_preloaded, np.ones(48), lambda a, b: (a, b, 0.02))
        assert workers.chunks_sent > 0
    theirs = [ready for pid, ready in results if pid != os.getpid()]
    assert theirs and all(theirs)


def test_an_imap_worker_error_reaches_the_caller():
    with Workers(jobs=2, min_chunk=1) as workers:
        with pytest.raises(ValueError, match="item 17"):
            list(workers.imap(_fail_at, np.ones(40), lambda a, b: (a, b, 17)))


# --- the same output for any number of jobs --------------------------------------------

TEMPLATE = ["Daily Planet | Home | World | Sport", "Sign up for the newsletter", "Copyright Daily Planet"]


def make_corpus(root: Path) -> Path:
    """Several files of three formats, with templates, copies and a bad record."""
    rng = np.random.default_rng(7)
    words = [f"w{i}" for i in range(400)]

    def para(n):
        return " ".join(rng.choice(words, n))

    stories = [[para(30) for _ in range(4)] for _ in range(12)]
    for shard in range(3):
        lines = []
        for k in range(8):
            i = shard * 8 + k
            body = stories[i % 12] if i % 5 else stories[(i + 3) % 12][:3]  # some pages carry a copy
            text = "\n\n".join([TEMPLATE[0], f"Story {i}: {para(6)}", *body, TEMPLATE[1], TEMPLATE[2]])
            lines.append(json.dumps({"id": f"s{shard}-{k}", "url": f"https://site{shard % 2}.example/{k}", "text": text}))
        if shard == 1:
            lines.insert(3, "{broken json")
        (root / "jsonl").mkdir(parents=True, exist_ok=True)
        (root / "jsonl" / f"part-{shard}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "html").mkdir()
    for i in range(6):
        body = "".join(f"<p>{p}</p>" for p in stories[i])
        page = f"<html><body><nav>{TEMPLATE[0]}</nav><h1>Page {i}</h1>{body}<footer>{TEMPLATE[2]}</footer></body></html>"
        (root / "html" / f"page{i}.html").write_text(page, encoding="utf-8")
    (root / "txt").mkdir()
    for i, seed in enumerate(sorted((ROOT / "seeds").iterdir())):
        (root / "txt" / seed.name).write_bytes(seed.read_bytes())
    return root


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus"))


def test_clean_is_byte_identical_with_one_job_and_with_worker_processes(corpus, tmp_path):
    one = dedupe.clean([corpus, DATA / "three_sites.jsonl"], tmp_path / "one", report=tmp_path / "one.json", jobs=1)
    with Workers(jobs=2, min_chunk=64) as workers:
        workers.warm_up(wait=True)
        two = dedupe.clean(
            [corpus, DATA / "three_sites.jsonl"], tmp_path / "two", report=tmp_path / "two.json", jobs=workers
        )
        assert [p.name for p in two.written] == [p.name for p in one.written]
        assert workers.chunks_sent > 0  # a worker process did some of the chunks
    assert one.report.data["summary"]["templates"] > 0 and one.report.data["syndication"]
    assert one.report.exit_code == 1  # the broken record is reported, in order, either way
    assert tree(tmp_path / "one") == tree(tmp_path / "two") != {}
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()


def test_cli_jobs_give_the_same_bytes(corpus, tmp_path):
    runs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        result = CliRunner().invoke(main, ["clean", str(corpus), "-o", str(out), "--report", str(out) + ".json", "-j", jobs, "-q"])
        assert result.exit_code == 1, result.output
        runs[jobs] = (tree(out), Path(str(out) + ".json").read_bytes())
    assert runs["1"] == runs["2"]
    assert json.loads(runs["1"][1])["config"] == dedupe.Config().options()  # jobs is no part of the config


def test_cli_memory_budget_gives_the_same_bytes_and_spills_under_a_small_one(corpus, tmp_path, monkeypatch):
    """--memory only says where shards are kept: under a budget of a few
    kilobytes they all go to disk, and the output is the same bytes."""
    from dedupe.executor import spill

    runs = {}
    for memory in ("4G", "16K"):
        before = len(spill.spilled())
        out = tmp_path / f"out{memory}"
        args = ["clean", str(corpus), "-o", str(out), "--report", str(out) + ".json", "--memory", memory, "-q"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, result.output
        runs[memory] = (tree(out), Path(str(out) + ".json").read_bytes(), len(spill.spilled()) - before)
    assert runs["4G"][:2] == runs["16K"][:2]
    assert runs["4G"][2] == 0 and runs["16K"][2] > 0
    assert spill.held() == 0 and spill.SPILL_BYTES == 1 << 30  # nothing left held, the budget ended with the run
    bad = CliRunner().invoke(main, ["clean", str(corpus), "-o", str(tmp_path / "x"), "--memory", "lots"])
    assert bad.exit_code == 2 and "'lots' is not a size" in bad.output


def test_cli_says_once_when_shards_cannot_go_to_disk_and_gives_the_same_bytes(corpus, tmp_path, monkeypatch):
    """A full disk under the shards keeps their rows in memory: one warning
    line, and the same output as a run that could spill."""
    import tempfile
    from types import SimpleNamespace

    from dedupe.executor import spill

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    runs = {}
    for name in ("spills", "full"):
        if name == "full":  # the shards' folders only (the outputs are written beside their targets)
            monkeypatch.setattr(spill, "tempfile", SimpleNamespace(mkdtemp=full, gettempdir=tempfile.gettempdir))
        out = tmp_path / name
        args = ["clean", str(corpus), "-o", str(out), "--report", str(out) + ".json", "--memory", "16K", "-q"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, result.output
        runs[name] = (tree(out), Path(str(out) + ".json").read_bytes(), result.output)
    assert runs["spills"][:2] == runs["full"][:2]
    assert "spill shards" not in runs["spills"][2]
    told = [line for line in runs["full"][2].splitlines() if "cannot write spill shards" in line]
    assert len(told) == 1, told
    assert told[0].startswith("warning: ") and "No space left on device" in told[0]


def test_strict_stops_at_the_first_bad_record_in_input_order(corpus, tmp_path):
    bad = tmp_path / "in"
    bad.mkdir()
    for shard in range(4):
        lines = [json.dumps({"id": f"{shard}-{k}", "text": f"line {k} of {shard}"}) for k in range(5)]
        if shard in (1, 3):
            lines[2] = "{broken"
        (bad / f"part-{shard}.jsonl").write_text("\n".join(lines) + "\n")
    with Workers(jobs=2, min_chunk=1) as workers:
        with pytest.raises(InputError) as exc:
            dedupe.scan([bad], jobs=workers, strict=True)
    assert exc.value.path.endswith("part-1.jsonl") and exc.value.line == 3


def test_cli_refuses_negative_jobs(tmp_path):
    result = CliRunner().invoke(main, ["report", str(DATA / "two_sites.jsonl"), "-j", "-1"])
    assert result.exit_code == 2
    assert "-1 is not in the range x>=0" in result.stderr


# Chunking never changes a result: any number of chunks, here run in this process.
line = st.sampled_from(
    ["Home | News | Sport", "Comments", "Share this article on social media and tell your friends about it today",
     "The council voted on Tuesday to fund new flood barriers along the river bank near the old mill.",
     "Posted on 3 May 2021 by the editor", "Posted on 14 June 2022 by the editor", "\u6771\u4eac\u3067\u65b0"]
) | st.text(min_size=1, max_size=30)
document = st.lists(line, min_size=1, max_size=10).map("\n".join)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(document, min_size=1, max_size=10))
def test_any_chunking_gives_the_same_analysis(texts):
    docs = [Document(id=f"d{i}", text=t, source="mem", url=f"https://s{i % 3}.example/{i}") for i, t in enumerate(texts)]
    whole = dedupe.analyse(docs, jobs=1)
    chunked = dedupe.analyse(docs, jobs=Workers(jobs=1, min_chunk=1))
    assert whole.cleaned == chunked.cleaned
    for a, b in zip([*whole.action, *whole.template, *whole.blocks], [*chunked.action, *chunked.template, *chunked.blocks]):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert whole.syndication == chunked.syndication
