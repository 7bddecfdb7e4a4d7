"""The model stage: the learned block model's verdicts over the rule's."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..verdicts import apply_model
from .boilerplate import BlockTable
from .contract import Stage, Step, Table, Tables

if TYPE_CHECKING:  # the run is the pipeline's: stages only use what it offers
    from ..pipeline import Run

__all__ = ["run_model", "STAGE"]


STAGE = Stage(
    "model",
    reads=("boilerplate",),
    config=(
        "boilerplate.block_model", "boilerplate.content_threshold", "boilerplate.restore_threshold",
        "boilerplate.model_min_site_pages", "boilerplate.link_lines",
        # Whether a page has an extractor's verdict sets its restore threshold.
        "read.page_extractor",
    ),
    writes=(Table("blocks", ("action",), rows="block"),),
    steps=(Step("score", "map", "pages", "each block's features scored by the learned model, weighed with the rule"),),
)


def run_model(run: "Run", table: BlockTable) -> np.ndarray:
    """Each block's final action: the rule's, weighed by the learned model
    when one is on (else the rule's alone, and no checkpoint of its own:
    what reads the model's verdicts reads the rule's)."""
    config, extractor = run.config.boilerplate, run.config.read.page_extractor
    if config.block_model == "none":
        run.keys[STAGE.name] = run.keys.get("boilerplate")
        with run.progress.stage("model"):  # the headline and link-text checks: seconds on a large corpus
            return apply_model(table, config, extractor)

    def compute() -> Tables:
        with run.progress.stage("model"):
            return {"blocks": {"action": apply_model(table, config, extractor, run.exchange)}}

    from .. import blockmodel  # numba and the model's trees: for runs that use the model only

    fingerprint = blockmodel.fingerprint(config.block_model)
    return run.execute(STAGE, compute, fingerprint)["blocks"]["action"]
