"""The final verdict on each block: the repetition rule's, weighed by the
learned block model where it is on."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import boilerplate

if TYPE_CHECKING:
    from .stages.boilerplate import BlockTable

__all__ = ["apply_model"]


def apply_model(table: "BlockTable", config) -> np.ndarray:
    """Final action per block: the rule's, less what the learned model is sure
    is content, plus what it removes."""
    action = table.decision.action.copy()
    if config.block_model == "none" or len(action) == 0:
        return action
    from . import blockmodel  # scikit-learn: a second to import, for runs that use the model only

    model = blockmodel.load() if config.block_model == "builtin" else blockmodel.load(Path(config.block_model))
    content = model.content_probability(table)
    if config.model_min_site_pages > 0:
        known = table.host >= 0
        pages = np.bincount(table.host[known], minlength=int(table.host.max()) + 1 if known.any() else 0)
        judged = known & (pages[np.maximum(table.host, 0)] >= config.model_min_site_pages) if known.any() else known
    else:
        judged = np.ones(len(table.host), dtype=bool)
    learned = (
        (action == boilerplate.KEEP)
        & (content < config.content_threshold)
        & ~table.decision.syndicated
        & judged[table.doc]
    )
    # The model reads the rule's verdict as one piece of evidence among
    # many; where it is sure a removed line is content (a product's field
    # labels, a line several pages of a shop print), it keeps the line.
    restored = (action != boilerplate.KEEP) & (content >= config.restore_threshold) & judged[table.doc]
    if config.restore_threshold >= 1:
        restored[:] = False
    action[learned] = boilerplate.LEARNED
    action[restored] = boilerplate.KEEP
    return action
