"""What the workers' fork server imports before it forks them
(:class:`dedupe.executor.parallel.Workers`): the engine, and numba ready
to run compiled code. A process's first compiled call takes most of a
second (numba builds its typing and lowering tables first); made here,
once, every worker is forked with them built, rather than each building
them at its first chunk while the run waits for that chunk's result."""

from numba import njit

from . import pipeline  # noqa: F401  (the engine, imported once for every worker)


@njit(cache=True)
def _ready(x):  # pragma: no cover - numba
    return x


_ready(0)
