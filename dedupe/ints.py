"""The integer type for ids and offsets: int32 where they fit.

At a million pages there are tens of millions of blocks, entries and
n-grams; each int64 per row of them is hundreds of megabytes where int32
holds every value. Arithmetic that may pass 2**31 (pair keys such as
``a * n + b``) is still done in int64 by the caller.
"""

from __future__ import annotations

import numpy as np

__all__ = ["index_type", "compact"]


def index_type(*bounds) -> type:
    """``np.int32`` when every one of ``bounds`` (an int, or an array whose
    largest value counts) is below 2**31 - 1, else ``np.int64``."""
    for b in bounds:
        top = (int(b.max()) if b.size else 0) if isinstance(b, np.ndarray) else int(b)
        if top >= 2**31 - 1:
            return np.int64
    return np.int32


def compact(a: np.ndarray) -> np.ndarray:
    """``a`` as int32 when its values fit (half the memory for a corpus's
    lines), else as it is: concatenated with a part that does not fit, it is
    int64 again, so the dtype depends on the corpus only, never on chunks."""
    if a.size == 0 or (a.min() >= np.iinfo(np.int32).min and a.max() <= np.iinfo(np.int32).max):
        return a.astype(np.int32)
    return a


# --- the corpus stage: blocks, clusters, boilerplate ---------------------------------
