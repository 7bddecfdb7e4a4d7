"""The final verdict on each block: the repetition rule's, weighed by the
learned block model where it is on."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import boilerplate
from . import store as stores
from .own_content import numbered_rows, own_headlines, table_cells

if TYPE_CHECKING:
    from .stages.boilerplate import BlockTable

__all__ = ["apply_model"]


def apply_model(table: "BlockTable", config) -> np.ndarray:
    """Final action per block: the rule's, less what the learned model is sure
    is content, plus what it removes; a page's own headline kept on its page
    (:mod:`dedupe.own_content`)."""
    action = _judged(table, config)
    action[own_content_of(table, action)] = boilerplate.KEEP
    return action


def own_content_of(table: "BlockTable", action: np.ndarray) -> np.ndarray:
    """The blocks ``action`` removes that their page says are its own
    (:mod:`dedupe.own_content`): its headline; in tables (HTML input), rows
    that differ in their numbers and cells that repeat in their page. (Rows
    of numbers outside tables are left to the rule: measured on the public
    sets, dates and counts in sidebars and bylines outnumber them.)"""
    removed = (action == boilerplate.BOILERPLATE) | (action == boilerplate.LEARNED)
    repeats = action == boilerplate.REPEAT
    own = np.zeros(len(action), dtype=bool)
    if not (removed.any() or repeats.any()):
        return own
    # Texts and tag paths through the table: an executor that keeps the
    # texts elsewhere (Spark) answers these there.
    doc, paths_of = table.doc, table.paths_of
    if removed.any():
        own |= own_headlines(
            table.text_of, doc, table.cluster, stores.urls(table.documents), paths_of, removed, table.matches_slug
        )
        templates = action == boilerplate.BOILERPLATE
        cells = templates & table_cells(paths_of, doc, templates)
        own |= numbered_rows(table.texts_of(cells), doc, table.cluster, cells)
    if repeats.any():
        own |= table_cells(paths_of, doc, repeats)
    return own


def _judged(table: "BlockTable", config) -> np.ndarray:
    """The rule's verdicts weighed by the learned model, where it is on."""
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
