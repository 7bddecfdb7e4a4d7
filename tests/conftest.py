import os
from pathlib import Path

import pytest

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
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("WARN")
    session.sparkContext.setCheckpointDir(str(tmp_path_factory.mktemp("spark-checkpoints")))
    yield session
    session.stop()
