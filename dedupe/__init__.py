"""dedupe: strip cross-page boilerplate from scraped corpora and report syndicated text.

>>> import dedupe
>>> result = dedupe.clean(["seeds/"], "out/", report="report.json")  # doctest: +SKIP
>>> result.report.exit_code  # doctest: +SKIP
0
"""

from importlib import import_module

from ._version import __version__
from .config import Config
from .document import Document, InputError, UsageError

# The engine (numpy, numba, scipy) is imported when first asked for, so that
# ``import dedupe.config`` or ``dedupe --help`` does not load it.
_LAZY = {
    "Analysis": "results", "Result": "api", "Report": "report",
    "analyse": "tables", "report_of": "tables", "scan": "api", "clean": "api", "learn": "api",
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

__all__ = [
    "__version__",
    "Config",
    "Document",
    "UsageError",
    "InputError",
    "Analysis",
    "Result",
    "Report",
    "analyse",
    "report_of",
    "scan",
    "clean",
    "learn",
]
