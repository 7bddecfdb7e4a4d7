"""The package's shape: one version, and an engine loaded only when asked for."""

import subprocess
import sys
from pathlib import Path

import dedupe
from dedupe._version import __version__

ROOT = Path(__file__).resolve().parent.parent


def test_the_version_is_written_once():
    assert dedupe.__version__ == __version__
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert __version__ not in pyproject and 'attr = "dedupe._version.__version__"' in pyproject


def test_the_config_imports_no_engine():
    code = (
        "import sys, dedupe.config; "
        "print(sorted(m for m in ('numba', 'scipy', 'dedupe.pipeline') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_engine_comes_when_asked_for():
    assert callable(dedupe.clean) and dedupe.Analysis.__name__ == "Analysis"
    assert set(dedupe.__all__) <= set(dir(dedupe))
