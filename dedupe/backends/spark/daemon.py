"""PySpark's worker daemon with dedupe's executor-side modules already imported.

A Spark executor runs Python tasks in workers forked from one daemon per
executor. PySpark's own daemon imports only pyspark, so every worker it
forks imported dedupe's modules (numpy, pyarrow, pandas, numba and the
compiled kernels' dispatchers) when its first task unpickled a function of
them: about 4 s of CPU a worker, and a run forks several workers an executor
(a five-page run on ``local[2]`` forked four, 16 s of CPU for imports).
Here they are imported once, before the daemon forks, and each worker
inherits them.

:func:`.run.session` names this module as ``spark.python.daemon.module``
in a session it starts (unless that setting is given): the executors'
Python needs dedupe installed, which it does anyway to run dedupe's tasks.
"""

from __future__ import annotations

import importlib

#: The modules whose functions dedupe's Spark stages send to the executors.
EXECUTOR_MODULES = tuple(
    f"dedupe.backends.spark.{name}"
    for name in ("read", "documents", "blocks", "clusters", "boilerplate", "decide", "model", "syndication", "write")
)


def preload() -> None:
    """Import :data:`EXECUTOR_MODULES` (and pandas, which the grouped maps
    use). One that fails to import is left for the task that needs it,
    which then fails with the import's error as it would under PySpark's
    daemon, rather than the daemon failing every task."""
    for name in ("pandas", *EXECUTOR_MODULES):
        try:
            importlib.import_module(name)
        except ImportError:
            continue


if __name__ == "__main__":
    preload()
    from pyspark import daemon

    daemon.manager()
