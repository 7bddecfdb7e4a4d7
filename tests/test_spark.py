"""dedupe.backends.spark without pyspark: the package imports, its engine says what to install.

Each case runs in a fresh interpreter where ``sys.modules['pyspark'] = None``
makes ``import pyspark`` fail as it does when pyspark is not installed, so
it holds whether or not this environment has pyspark.
"""

import subprocess
import sys

import pytest

NO_PYSPARK = "import sys; sys.modules['pyspark'] = None; "


def run(code: str, hide_pyspark: bool = True) -> str:
    done = subprocess.run([sys.executable, "-c", (NO_PYSPARK if hide_pyspark else "") + code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_package_imports_without_pyspark():
    assert run("import dedupe.backends, dedupe.backends.spark; print('ok')") == "ok"
    # And, pyspark installed or not, importing the package does not load it.
    assert run("import sys, dedupe.backends.spark; print('pyspark' in sys.modules)", hide_pyspark=False) == "False"


@pytest.mark.parametrize("engine", ["require_pyspark()", "import dedupe.backends.spark.components"])
def test_the_engine_says_what_to_install_without_pyspark(engine):
    out = run(
        "from dedupe.document import UsageError\n"
        "from dedupe.backends.spark import SparkNotInstalled, require_pyspark\n"
        "try:\n"
        f"    {engine}\n"
        "except SparkNotInstalled as exc:\n"
        "    print(isinstance(exc, ImportError), isinstance(exc, UsageError), exc.name)\n"
        "    print(exc)\n"
    )
    kinds, message = out.split("\n", 1)
    assert kinds == "True True pyspark"
    assert message.startswith("the Spark backend needs pyspark: pip install 'crawl-dedupe[spark]'")
    assert "pip install -e '.[spark]'" in message
