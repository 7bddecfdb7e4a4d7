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
