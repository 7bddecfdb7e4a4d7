"""dedupe: strip cross-page boilerplate from scraped corpora and report syndicated text.

>>> import dedupe
>>> result = dedupe.clean(["seeds/"], "out/", report="report.json")  # doctest: +SKIP
>>> result.report.exit_code  # doctest: +SKIP
0
"""

__version__ = "0.1.0"

from .config import Config  # noqa: E402
from .model import Document, InputError, UsageError  # noqa: E402
from .pipeline import Analysis, Result, analyse, clean, scan  # noqa: E402
from .report import Report  # noqa: E402

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
    "scan",
    "clean",
]
