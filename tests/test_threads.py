"""Calls made a few at a time in threads, their results in the calls' order."""

import threading
import time

import pytest

from dedupe.executor.threads import in_order


@pytest.mark.parametrize("threads", [1, 3])
def test_results_come_in_the_calls_order_with_at_most_threads_drawn_ahead(threads):
    drawn, running, most = [], [0], [0]
    lock = threading.Lock()

    def slow(x):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02 if x % 2 else 0.001)  # odd calls finish after the next ones start
        with lock:
            running[0] -= 1
        return x * x

    def calls():
        for x in range(10):
            drawn.append(x)
            yield (x, slow, (x,)) if x != 4 else (x, None, ())

    taken = []
    for tag, result in in_order(calls(), threads):
        taken.append((tag, result))
        assert len(drawn) - len(taken) < threads  # never more than `threads` drawn and not yet taken
    assert taken == [(x, None if x == 4 else x * x) for x in range(10)]
    assert most[0] <= threads and (threads == 1 or most[0] > 1)
