"""The executor: where a run's work happens, kept apart from what the work is.

The stages (:mod:`dedupe.stages`) and the algorithms they call say what to
compute; the executor says where and how: in which processes a map step
over chunks runs (:mod:`.parallel`), where the rows of a keyed exchange
wait until their key's rows are all there (:mod:`.spill`, memory up to a
budget and disk past it), when freed memory goes back to the system
(:mod:`.malloc`), and that a killed run leaves nothing behind
(:mod:`.lifeline`). :class:`dedupe.pipeline.Run` is the local executor the
stages are handed; a distributed engine offers the same three things (map
steps, keyed exchanges, stage checkpoints) over a cluster.

Algorithms that group rows of the whole corpus take an *exchange factory*
(:data:`Exchange`): called with a number of parts, it gives an object with
``add(key, **columns)`` / ``put(part, **columns)``, ``load(part)``,
``replace(part, **columns)``, ``n`` and ``close()`` (a context manager),
the interface of :class:`.spill.Shards`. :func:`in_memory` is the default
when none is given; a run passes :meth:`dedupe.pipeline.Run.exchange`,
which spills to its work folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from .parallel import Workers, plan
from .spill import Shards

__all__ = ["Exchange", "Shards", "Workers", "plan", "in_memory", "spilling_to"]

#: Makes a keyed exchange of ``n`` parts (see the module's docstring).
Exchange = Callable[[int], Shards]


def spilling_to(folder: Optional[Path]) -> Exchange:
    """Exchanges that spill to ``folder`` (the system's temporary folder
    when None) past the run's memory budget (:func:`.spill.budget`)."""

    def exchange(n: int) -> Shards:
        return Shards(n, folder)

    return exchange


#: The default exchange: spilled past the budget to the system's temporary folder.
in_memory: Exchange = spilling_to(None)
