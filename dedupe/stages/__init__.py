"""The stages of a run, in data-flow order: blocks -> clusters ->
boilerplate -> model -> syndication. Each is ``run_<stage>(run, ...)``:
it computes its result, or has the run load it from a checkpoint, through
``run.cached``; the run (:mod:`dedupe.pipeline`) owns the workers, the
progress, the work folder and memory.
"""
