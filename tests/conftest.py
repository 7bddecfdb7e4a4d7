import os
import random
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator, Optional, Sequence

import numpy as np
import pytest

from dedupe import Config, Document
from dedupe.checkpoint import WorkDir, digest
from dedupe.pipeline import BlockTable, Run, running
from dedupe.progress import Progress
from dedupe.stages.blocks import run_blocks
from dedupe.stages.boilerplate import make_table, run_boilerplate
from dedupe.stages.clusters import run_clusters
from dedupe.stages.contract import Stage

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return ROOT / "seeds"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def formats_dir() -> Path:
    """The real crawl files of ``shared/benchdata/formats`` (found through
    DEDUPE_BENCHDATA, default ``../shared/benchdata`` beside the repository)."""
    root = Path(os.environ.get("DEDUPE_BENCHDATA", ROOT.parent / "shared" / "benchdata"))
    folder = root / "formats"
    if not folder.is_dir():
        pytest.skip(f"no benchmark data at {folder} (set DEDUPE_BENCHDATA to the benchdata folder)")
    return folder


@pytest.fixture
def mount_tmpfs():
    """``mount_tmpfs(folder, options)``: a real small (or read-only) file system
    there, unmounted at the end; the test skips where mounting is not allowed."""
    mounted = []

    def mount(folder: Path, options: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (root only): {done.stderr.decode().strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in reversed(mounted):
        subprocess.run(["umount", str(folder)], check=True)


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``make test`` runs ``-n auto --dist loadgroup``)
    the tests of a module that use the Spark session run in one worker, a
    module at a time: each worker starts its JVM once (the session fixture),
    and the Spark modules, most of the suite's time, are shared among the
    workers, so that neither is left with all of them (measured: about as
    fast as one group; the suite is bound by the two cores)."""
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group(f"spark-{item.module.__name__}"))


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local Spark session for every Spark test (starting one takes seconds).

    Two cores as on CI, few shuffle partitions for small data, no UI, and a
    checkpoint folder under pytest's temporary folder (the Spark backend
    checkpoints between rounds). Skipped only when pyspark is not installed;
    ``make test`` installs it.
    """
    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install -e '.[spark]' (make test installs it)")
    from pyspark.sql import SparkSession

    # The executors' Python is this one, with dedupe and its packages (PySpark reads it from the environment).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("dedupe-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # The loopback address, so that a container whose hostname does not resolve still runs.
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        # Delete a round's checkpoint once nothing refers to it.
        .config("spark.cleaner.referenceTracking.cleanCheckpoints", "true")
        # Keep few finished jobs, stages and SQL executions in the status store:
        # the suite runs hundreds of pipelines in this one JVM (each boilerplate
        # decision a few SQL executions a round), and with Spark's defaults
        # (1000 each) their plans and metrics filled the 1 GB driver heap until
        # it spent its time in GC and a collect never returned.
        .config("spark.sql.ui.retainedExecutions", "20")
        .config("spark.ui.retainedJobs", "50")
        .config("spark.ui.retainedStages", "50")
        .config("spark.ui.retainedTasks", "1000")
        # As in a session dedupe starts: workers forked with dedupe imported.
        .config("spark.python.daemon.module", "dedupe.backends.spark.daemon")
        # The JVM's quick compiler only: the suite's runs are small, and the
        # optimising compiler's work never paid back (a five-page run: 63 s
        # of CPU with it, 41 s without).
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("WARN")
    session.sparkContext.setCheckpointDir(str(tmp_path_factory.mktemp("spark-checkpoints")))
    yield session
    session.stop()


def generated_corpus(folder: Path, pages: int, shard_pages: int, seed: int) -> Path:
    """A generated corpus (benchmarks/corpus.py) of JSONL shards: sites with
    templates, and syndicated copies."""
    import subprocess

    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "corpus.py"), "--pages", str(pages), "--out", str(folder),
         "--shard-pages", str(shard_pages), "--seed", str(seed)],
        check=True, capture_output=True,
    )
    return folder


# --- driving one stage through its contract (tests/test_stage_*.py) -------------------


class Told(Progress):
    """A progress reporter that notes the stages a run computed and those it reused."""

    def __init__(self):
        self.computed: list[str] = []
        self.reused: list[str] = []

    def end(self, stage: str, reused: bool = False) -> None:
        (self.reused if reused else self.computed).append(stage)


class StageRuns:
    """Runs of the stages on documents held in memory, all kept in one work folder."""

    def __init__(self, work: Path):
        self.work = work

    @contextmanager
    def run(self, documents: Optional[Sequence[Document]] = None, **options) -> Iterator[Run]:
        """A run of ``options`` whose stages are kept in the work folder, over
        ``documents`` when given (else over files it reads); ``run.progress`` is a :class:`Told`."""
        with running(Config.from_options(**options), 1, Told(), WorkDir(self.work)) as run:
            if documents is not None:
                # The stages after the read stage are keyed on its key, which
                # only the read stage sets, from input files: documents built
                # in a test stand for a read stage keyed by what they hold.
                run.keys["read"] = digest("read", [(d.id, d.text, d.source, d.url) for d in documents])
                run.counts["document"] = len(documents)
            yield run

    @staticmethod
    def through_boilerplate(run: Run, documents: Sequence[Document]) -> BlockTable:
        """The blocks, clusters and boilerplate stages in the order dedupe.pipeline runs them."""
        b = run_blocks(run, documents)
        run.counts["block"] = len(b.key)
        labels = run_clusters(run, documents, b)
        host, decision = run_boilerplate(run, documents, b, labels)
        return make_table(documents, b, labels, host, decision)

    def kept(self, stage: str) -> list[dict[str, np.ndarray]]:
        """The arrays (``table.column``) of each file the stage keeps in the
        work folder, without the checkpoint's own header."""
        found = []
        for path in sorted(self.work.glob(f"{stage}-*.npz")):
            with np.load(path, allow_pickle=False) as z:
                found.append({name: z[name] for name in z.files if name != "meta_json"})
        return found

    @staticmethod
    def rows(arrays: dict[str, np.ndarray], stage: Stage) -> dict[str, int]:
        """Rows of each table the stage declares, in ``arrays``; every column of a table has as many."""
        rows = {}
        for t in stage.writes:
            lengths = {len(arrays[f"{t.name}.{c}"]) for c in t.columns}
            assert len(lengths) == 1, f"{stage.name}: columns of table {t.name} of different lengths"
            rows[t.name] = lengths.pop()
        return rows


def count_calls(monkeypatch, module, name: str) -> list:
    """A list that grows by one each time ``module.name`` is called (it still runs)."""
    calls: list = []
    original = getattr(module, name)

    def spy(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


@pytest.fixture
def stage_runs(tmp_path) -> StageRuns:
    return StageRuns(tmp_path / "work")


_SYLLABLES = [c + v for c in "bdklmn" for v in "aeiou"]


def prose(seed: str, lines: int = 3, words: int = 18) -> list[str]:
    """Lines of made-up words, the same for a seed. Words are drawn from hundreds
    of thousands, so lines of different seeds share no run of three words
    (the shingles blocks and pages are compared by): they are neither
    repeats nor near-repeats of each other."""
    rng = random.Random(seed)
    made = []
    for _ in range(lines):
        line = " ".join("".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4))) for _ in range(words))
        made.append(line.capitalize() + ".")
    return made


#: The line every page of every site ends with.
FOOTER = "Follow us on social media and sign up for our weekly newsletter"


def site_pages(bodies: dict[str, list[str]]) -> list[Document]:
    """Three sites (alpha, beta, gamma) of three pages each (story, one, two):
    each page is its site's masthead, its body, and the footer all sites
    share. A page's body is ``bodies[page id]`` (``"alpha/story"``), else
    prose of its own. Then a page with no URL and prose alone (``loose``)."""
    documents = []
    for site in ("alpha", "beta", "gamma"):
        for page in ("story", "one", "two"):
            name = f"{site}/{page}"
            lines = [f"The {site.title()} Daily", *bodies.get(name, prose(name)), FOOTER]
            url = f"https://www.{site}.example/{page}"
            documents.append(Document(id=name, text="\n\n".join(lines) + "\n", source="test", url=url))
    documents.append(Document(id="loose", text="\n".join(prose("loose")) + "\n", source="test"))
    return documents


@pytest.fixture(scope="session")
def made_up():
    """:func:`prose` and :func:`site_pages`, for tests to build corpora whose answers are known."""
    return SimpleNamespace(prose=prose, site_pages=site_pages, FOOTER=FOOTER)
