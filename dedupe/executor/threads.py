"""Calls made a few at a time in threads, their results taken in order.

For compiled steps and sparse products that let go of the GIL: the rows a
call needs are read in the calling thread (a keyed exchange is not shared
between threads), the calls run in ``threads`` threads, and the results
come back in the order the calls were made, so whatever they are added to
is added in the same order as one at a time.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable, Iterator, Optional

__all__ = ["in_order"]

#: A call: a tag passed through, and the function and its arguments (None:
#: nothing to call, the tag comes back with None).
Call = tuple[Any, Optional[Callable[..., Any]], tuple]


def in_order(calls: Iterable[Call], threads: int) -> Iterator[tuple[Any, Any]]:
    """``(tag, fn(*args))`` of each call, in the calls' order, at most
    ``threads`` of them made or waiting at once; the next call is drawn from
    ``calls`` (in this thread) only when one is taken. With one thread the
    calls are made here, one at a time."""
    if threads <= 1:
        for tag, fn, args in calls:
            yield tag, (fn(*args) if fn is not None else None)
        return
    with ThreadPoolExecutor(threads) as pool:
        pending: deque = deque()

        def taken() -> tuple[Any, Any]:
            tag, done = pending.popleft()
            return tag, (done.result() if done is not None else None)

        for tag, fn, args in calls:
            pending.append((tag, pool.submit(fn, *args) if fn is not None else None))
            if len(pending) >= threads:
                # Nothing here holds a result once taken: the next call's
                # rows are read beside the calls still running, not beside it.
                yield taken()
        while pending:
            yield taken()
