"""``--backend spark``: the cleaned corpus and the report equal the local backend's, byte for byte.

Every run here joins the one local Spark session of the ``spark`` fixture
(two cores), as ``dedupe clean --backend spark`` joins the session that
spark-submit or a notebook started.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import generated_corpus
from click.testing import CliRunner

import dedupe
from dedupe.cli import main



def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def generated(folder: Path, pages: int, shard_pages: int) -> Path:
    return generated_corpus(folder, pages, shard_pages, seed=3)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return generated(tmp_path_factory.mktemp("corpus") / "one", 600, 600)


def test_seeds_from_the_library_and_the_command_line(spark, seeds_dir, tmp_path):
    """The seeds cleaned locally from the library, and on Spark from the
    command line (``--backend spark``): the same files, the report among them."""
    dedupe.clean([seeds_dir], tmp_path / "local" / "out", report=tmp_path / "local" / "report.json")
    done = CliRunner().invoke(main, ["clean", str(seeds_dir), "-o", str(tmp_path / "spark" / "out"), "-q",
                                     "--report", str(tmp_path / "spark" / "report.json"), "--backend", "spark"])
    assert done.exit_code == 0, done.output
    local = files_of(tmp_path / "local")
    assert len(local) == 6 and files_of(tmp_path / "spark") == local


def in_executors(monkeypatch) -> list:
    """A list that gets an item each time the boilerplate decision runs in Spark's executors."""
    from dedupe.backends.spark import decide as on_spark

    calls, real = [], on_spark.decide
    monkeypatch.setattr(on_spark, "decide", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def test_generated_corpus_with_syndication_and_templates(spark, corpus, tmp_path, monkeypatch):
    """The defaults (the block model among them), the same bytes as locally,
    and the corpus kept in Spark: until the report, no stage brings a text
    to the driver (the model's text features are computed in the
    executors), and no local store of documents is written; the report
    fetches what it quotes."""
    from dedupe import store as stores
    from dedupe.backends.spark.documents import SparkDocuments

    local = tmp_path / "local"
    dedupe.clean([corpus], local / "out", report=local / "report.json", backend="local")
    calls = in_executors(monkeypatch)
    stage, fetched_in, appended = ["?"], [], []
    fetch = SparkDocuments.fetch
    monkeypatch.setattr(SparkDocuments, "fetch", lambda self, frame: fetched_in.append(stage[0]) or fetch(self, frame))
    append = stores.DocumentStore.append
    monkeypatch.setattr(stores.DocumentStore, "append", lambda self, d: appended.append(1) or append(self, d))
    folder = tmp_path / "spark"
    result = dedupe.clean([corpus], folder / "out", report=folder / "report.json", backend="spark",
                          progress=lambda name, *_: stage.__setitem__(0, name))
    assert files_of(folder) == files_of(local)
    assert not calls  # a small decision: on the driver (spark.dedupe.driverDecisionPairs)
    documents = result.analysis.documents
    assert isinstance(documents, SparkDocuments) and documents.path is None  # no texts file on the driver
    assert not appended
    # Only the report reads texts (its JSON is written after the write stage, under its name).
    assert "report" in fetched_in and set(fetched_in) <= {"report", "write"}
    # What the corpus plants is found (else equal outputs would prove little).
    summary = json.loads((local / "report.json").read_bytes())["summary"]
    assert summary["templates"] > 10 and summary["syndication_clusters"] > 10 and summary["documents_cleaned"] > 500
    dedupe.clean([corpus], tmp_path / "rule" / "out", report=tmp_path / "rule" / "report.json", block_model="none")
    assert (tmp_path / "rule" / "report.json").read_bytes() != (local / "report.json").read_bytes()  # the model changed something


@pytest.fixture(scope="module")
def seven(tmp_path_factory) -> tuple[Path, Path]:
    """The same 600 pages in seven files, and the local (rule-only) run's folder:
    ``out`` and ``report.json``."""
    corpus = generated(tmp_path_factory.mktemp("seven") / "in", 600, 90)
    assert len(list(corpus.glob("*.jsonl"))) == 7
    folder = tmp_path_factory.mktemp("seven-local")
    dedupe.clean([corpus], folder / "out", report=folder / "report.json", backend="local", block_model="none")
    return corpus, folder


def test_seven_files_in_another_order_with_the_decision_in_the_executors(spark, seven, tmp_path, monkeypatch):
    """The seven files (seven input partitions; ids from file and row)
    renamed, so that a folder lists them in reverse, and
    ``spark.dedupe.driverDecisionPairs=0``: the boilerplate decision's pairs
    and rounds in the executors. Each record the same bytes (by id), and the
    report the same as the local run's on the first order, but for what is
    in input order by design (:func:`test_properties._in_its_own_order`):
    ties go by id on Spark too. (One Spark run for both: a run costs a
    minute here whatever its size; the same bytes from several files:
    ``test_spark_remote``.)"""
    from test_properties import _in_its_own_order, _records_by_id

    from dedupe.backends.spark.decide import DRIVER_PAIRS

    corpus, local = seven
    files = sorted(corpus.glob("*.jsonl"))
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    for i, path in enumerate(files):
        (renamed / f"part-{len(files) - i}.jsonl").write_bytes(path.read_bytes())
    calls = in_executors(monkeypatch)
    spark.conf.set(DRIVER_PAIRS, "0")
    try:
        on_spark = dedupe.clean([renamed], tmp_path / "out", report=tmp_path / "report.json", backend="spark",
                                block_model="none")
    finally:
        spark.conf.unset(DRIVER_PAIRS)
    assert calls == [1]
    assert _records_by_id(local / "out") == _records_by_id(tmp_path / "out")
    reports = [json.loads((folder / "report.json").read_bytes()) for folder in (local, tmp_path)]
    assert [d["id"] for d in reports[0]["documents"]] != [d["id"] for d in reports[1]["documents"]]
    assert _in_its_own_order(reports[0]) == _in_its_own_order(reports[1])
    summary = on_spark.report.data["summary"]
    assert summary["syndication_clusters"] > 10 and summary["templates"] > 10


def test_a_master_without_the_spark_backend_is_a_usage_error(seeds_dir, tmp_path):
    done = CliRunner().invoke(main, ["clean", str(seeds_dir), "-o", str(tmp_path), "--spark-master", "local[2]"])
    assert done.exit_code == 2 and "--backend spark" in done.output


def test_a_session_started_on_a_local_master_shuffles_into_three_partitions_a_core():
    pytest.importorskip("pyspark")
    from dedupe.backends.spark.run import local_cores

    assert [local_cores(m) for m in ("local", "local[7]", "local[3,2]", "local[x]")] == [1, 7, 3, 1]
    assert local_cores("local[*]") >= 1


def test_the_worker_daemon_imports_the_executor_modules_before_it_forks():
    pytest.importorskip("pyspark")
    from dedupe.backends.spark.run import DAEMON_MODULE

    key, module = DAEMON_MODULE
    assert key == "spark.python.daemon.module"
    # In a fresh interpreter (this one imported them already): preload()
    # imports every module whose functions the stages send to the executors.
    # (Every Spark test's session forks its workers from this daemon.)
    probe = (
        "import sys; from dedupe.backends.spark.daemon import EXECUTOR_MODULES, preload; preload(); "
        "print(sorted(set(EXECUTOR_MODULES) - set(sys.modules)), 'pandas' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[] True"
    # A module the executors' Python cannot import (None in sys.modules:
    # import raises ImportError) is left to the task that needs it; the
    # daemon still starts with the others imported.
    broken = "import sys; sys.modules['dedupe.backends.spark.write'] = None; " + probe
    done = subprocess.run([sys.executable, "-c", broken], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[] True"
    sent = {p.stem for p in (Path(__file__).parents[1] / "dedupe" / "backends" / "spark").glob("*.py")
            if "mapIn" in p.read_text() or "applyIn" in p.read_text()}
    from dedupe.backends.spark.daemon import EXECUTOR_MODULES

    assert {f"dedupe.backends.spark.{name}" for name in sent} <= set(EXECUTOR_MODULES)
