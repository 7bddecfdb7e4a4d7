"""The stages of a run, in data-flow order: read -> blocks -> clusters ->
boilerplate -> model -> syndication -> report -> write (their contracts
in that order: :data:`dedupe.api.STAGES`).

Each module declares its contract, ``STAGE`` (:mod:`.contract`: the stages
it reads, the config it depends on, the tables it writes), and does its
work in ``run_<stage>(run, ...)``, which hands the run a function that
computes the tables: the run (:class:`dedupe.pipeline.Run`) keys, keeps,
reads back and checks them by the contract, and owns the workers, the
progress, the work folder and memory.
"""

