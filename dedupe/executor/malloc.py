"""Asking glibc's allocator to give freed memory back to the system.

A run frees millions of small objects and many arrays of some megabytes
(a shard's rows, a slice's shingles). glibc keeps what is freed for later
allocations, and by default it raises the size above which an allocation
is its own mapping each time such a mapping is freed, up to 32 MB: past the
first stages, arrays of a few MB come from the heap, and the holes they
leave are resident memory nothing uses. On 200k pages, this was a third
of the heap while the boilerplate decision ran.

:func:`lean` fixes that size at 1 MB (arrays above it are mapped on their
own and unmapped when freed), and :func:`trim` returns the free pages of
the heap. Both are no-ops where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Callable

__all__ = ["lean", "trim", "MMAP_THRESHOLD"]

#: Allocations of this many bytes or more get a mapping of their own.
MMAP_THRESHOLD = 1 << 20
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


def _libc():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


_LIBC = _libc()


def _function(name: str) -> Callable[..., int]:
    f = getattr(_LIBC, name, None)
    return f if f is not None else (lambda *_: 0)


#: glibc's ``mallopt`` (a no-op returning 0 elsewhere); a test may stand in for it.
mallopt = _function("mallopt")
_malloc_trim = _function("malloc_trim")
_leaned = False


def lean() -> bool:
    """Fix glibc's mmap threshold at :data:`MMAP_THRESHOLD` for this process
    (once; its dynamic threshold is off from then on). Returns whether the
    allocator took it."""
    global _leaned
    if not _leaned:
        _leaned = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    return _leaned


def leaned() -> bool:
    """Whether :func:`lean` has taken in this process."""
    return _leaned


def forget() -> None:
    """Forget that :func:`lean` has run in this process, so the next call
    asks the allocator again (for tests)."""
    global _leaned
    _leaned = False


def trim() -> None:
    """glibc's ``malloc_trim(0)``: the heap's free pages back to the system."""
    _malloc_trim(0)
