"""The Apache Spark backend (optional: ``pip install 'crawl-dedupe[spark]'``).

Importing this package does not import pyspark; its modules do, through
:func:`require_pyspark`, so a missing pyspark is reported with what to
install rather than as a bare ``ModuleNotFoundError``. Spark also needs a
Java runtime (17 or later for pyspark 4).

>>> from dedupe.backends.spark.components import components  # doctest: +SKIP
"""

from __future__ import annotations

from types import ModuleType

from ...document import UsageError

__all__ = ["SparkNotInstalled", "require_pyspark", "INSTALL"]

INSTALL = "pip install 'crawl-dedupe[spark]' (from a checkout: pip install -e '.[spark]')"


class SparkNotInstalled(ImportError, UsageError):
    """pyspark is not installed. An ``ImportError``, as callers of an optional
    dependency expect, and a ``UsageError``, so the CLI reports it as one."""


def require_pyspark() -> ModuleType:
    """Import pyspark, or raise :class:`SparkNotInstalled` saying what to install.

    Raises
    ------
    SparkNotInstalled
        When ``import pyspark`` fails.
    """
    try:
        import pyspark
    except ImportError as exc:
        raise SparkNotInstalled(
            f"the Spark backend needs pyspark: {INSTALL}. (import pyspark failed: {exc})",
            name="pyspark",
        ) from exc
    return pyspark

