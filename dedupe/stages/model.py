"""The model stage: the learned block model's verdicts over the rule's."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Optional

import numpy as np

from .. import checkpoint as checkpoints
from ..verdicts import apply_model
from .boilerplate import BlockTable

if TYPE_CHECKING:  # the run is the pipeline's: stages only use what it offers
    from ..pipeline import Run

__all__ = ["run_model"]


def run_model(run: "Run", table: BlockTable, previous: Optional[str]) -> tuple[np.ndarray, Optional[str]]:
    config = run.config.boilerplate
    if config.block_model == "none":
        return apply_model(table, config), previous
    key = run.key("model", previous, asdict(config), checkpoints.model_fingerprint(config.block_model))

    def compute() -> np.ndarray:
        with run.progress.stage("model"):
            return apply_model(table, config)

    def decode(a: dict, _) -> np.ndarray:
        if len(a["action"]) != len(table.doc):
            raise ValueError("actions for another number of blocks")
        return a["action"]

    return run.cached("model", key, compute, lambda action: ({"action": action}, None), decode), key
