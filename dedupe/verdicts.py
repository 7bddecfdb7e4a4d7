"""The final verdict on each block: the repetition rule's, weighed by the
learned block model where it is on."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import numpy as np

from . import boilerplate
from . import store as stores
from .config import CONTENT_THRESHOLDS, RESTORE_THRESHOLDS
from .own_content import numbered_rows, own_headlines, table_cells

if TYPE_CHECKING:
    from .stages.boilerplate import BlockTable

__all__ = ["apply_model", "content_thresholds", "link_lines", "lone_pages", "restore_thresholds", "thin_pages"]


def apply_model(table: "BlockTable", config, extractor: str = "none", exchange=None) -> np.ndarray:
    """Final action per block: the rule's, less what the learned model is sure
    is content, plus what it removes; lines of link text where the page or
    its site says they are chrome (``link_lines``); lines the page extractor
    leaves out of the page's main text (``--page-extractor``, named by
    ``extractor``, :mod:`dedupe.io.main_text`); a page's own headline kept
    on its page (:mod:`dedupe.own_content`). ``exchange``: where the model
    keeps what waits (:func:`dedupe.blockmodel.feature_ranges`)."""
    action, says_slug = _judged(table, config, extractor, exchange)
    action[(action == boilerplate.KEEP) & link_lines(table, config, action)] = boilerplate.LINK_TEXT
    action[(action == boilerplate.KEEP) & table.aside_evidence()] = boilerplate.ASIDE
    action[own_content_of(table, action, says_slug)] = boilerplate.KEEP
    return action


def link_lines(table: "BlockTable", config, action: np.ndarray) -> np.ndarray:
    """The blocks that are lines of mostly link text (HTML input,
    :func:`dedupe.io.html.is_link_text`) to remove, by ``config.link_lines``:
    every one (``all``), none, or (``auto``) every one on a page without
    siblings (:func:`lone_pages`: the repetition rule has no evidence
    there; per-page extractors drop such lines by their link density),
    and on other pages those whose element path, on their site, mostly
    holds lines the rule calls templates (``action``): a "related stories"
    box whose links change from page to page, where a list of links that
    is the content keeps a path of content."""
    out = np.zeros(len(table.doc), dtype=bool)
    if config.link_lines == "none" or len(out) == 0:
        return out
    link, path = table.link_evidence()
    if config.link_lines == "all" or not link.any():
        return link
    # Each block's (site, elements) group: the site's characters under the
    # same elements, and of them the templates'.
    on = np.flatnonzero(path >= 0)
    _, group = np.unique(np.stack([table.host[table.doc[on]], path[on]]), axis=1, return_inverse=True)
    group = group.ravel()
    spans = table.blocks.flat
    chars = (spans[on, 1] - spans[on, 0]).astype(np.float64)
    template = np.bincount(group, weights=chars * (action[on] == boilerplate.BOILERPLATE))
    total = np.bincount(group, weights=chars)
    chrome = np.zeros(len(out), dtype=bool)
    chrome[on] = template[group] >= TEMPLATE_PATH_SHARE * total[group]
    lone = lone_pages(table.host, config.model_min_site_pages)
    return link & (lone[table.doc] | chrome)


#: The share of a site's characters under an element path that must be
#: templates for a line of link text under it to go (``link_lines="auto"``).
TEMPLATE_PATH_SHARE = 0.5


def lone_pages(host: np.ndarray, min_site_pages: int) -> np.ndarray:
    """The documents of sites with fewer than ``min_site_pages`` pages
    (documents without a host, -1, count as one site)."""
    if len(host) == 0:
        return np.zeros(0, dtype=bool)
    _, inverse, counts = np.unique(host, return_inverse=True, return_counts=True)
    return counts[inverse.ravel()] < min_site_pages


def own_content_of(table: "BlockTable", action: np.ndarray, says_slug: Optional[np.ndarray] = None) -> np.ndarray:
    """The blocks ``action`` removes that their page says are its own
    (:mod:`dedupe.own_content`): its headline; in tables (HTML input), rows
    that differ in their numbers and cells that repeat in their page. (Rows
    of numbers outside tables are left to the rule: measured on the public
    sets, dates and counts in sidebars and bylines outnumber them.)

    ``says_slug``: whether each block says its page's URL slug, where the
    learned model's pass has told it (:meth:`dedupe.blockmodel.BlockModel.score`);
    else the table tests the blocks that need it (``table.slug_matches``)."""
    removed = np.isin(action, (boilerplate.BOILERPLATE, boilerplate.LEARNED, boilerplate.LINK_TEXT, boilerplate.ASIDE))
    repeats = action == boilerplate.REPEAT
    own = np.zeros(len(action), dtype=bool)
    if not (removed.any() or repeats.any()):
        return own
    # Texts and tag paths through the table: an executor that keeps the
    # texts elsewhere (Spark) answers these there.
    doc, paths_of = table.doc, table.paths_of
    if removed.any():
        matches = table.slug_matches if says_slug is None else says_slug.__getitem__
        own |= own_headlines(table.text_of, doc, table.cluster, stores.urls(table.documents), paths_of, removed, matches)
        templates = action == boilerplate.BOILERPLATE
        cells = templates & table_cells(paths_of, doc, templates)
        own |= numbered_rows(table.texts_of(cells), doc, table.cluster, cells)
    if repeats.any():
        own |= table_cells(paths_of, doc, repeats)
    return own


def restore_thresholds(table: "BlockTable", config, extractor: str = "none") -> np.ndarray:
    """Each document's ``restore_threshold`` (float64, shape (n_docs,)):
    the config's where it is given; else (None)
    :data:`~dedupe.config.RESTORE_THRESHOLDS`, by whether the page has a
    page extractor's verdict (read from HTML, ``extractor`` not "none")."""
    return _by_page_kind(table, config.restore_threshold, RESTORE_THRESHOLDS, extractor)


def content_thresholds(table: "BlockTable", config, extractor: str = "none") -> np.ndarray:
    """Each document's ``content_threshold``, as :func:`restore_thresholds`
    (:data:`~dedupe.config.CONTENT_THRESHOLDS` where not given)."""
    return _by_page_kind(table, config.content_threshold, CONTENT_THRESHOLDS, extractor)


def _by_page_kind(table: "BlockTable", given, defaults: dict, extractor: str) -> np.ndarray:
    n_docs = len(table.blocks.bounds) - 1
    if given is not None:
        return np.full(n_docs, float(given))
    html = stores.tag_path_counts(table.documents) == np.diff(table.blocks.bounds)
    judged = html & (extractor != "none")
    return np.where(judged, defaults["extractor"], defaults["other"])


def _judged(table: "BlockTable", config, extractor: str = "none", exchange=None) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """The rule's verdicts weighed by the learned model, where it is on; and
    whether each block says its page's URL slug, where the model's pass
    told it (:meth:`dedupe.blockmodel.BlockModel.score`; else None)."""
    action = table.decision.action.copy()
    if config.block_model == "none" or len(action) == 0:
        return action, None
    from . import blockmodel  # numba and the model's trees: for runs that use the model only

    model = blockmodel.load() if config.block_model == "builtin" else blockmodel.load(Path(config.block_model))
    content, says_slug = model.score(table, exchange)
    if config.model_min_site_pages > 0:
        known = table.host >= 0
        pages = np.bincount(table.host[known], minlength=int(table.host.max()) + 1 if known.any() else 0)
        judged = known & (pages[np.maximum(table.host, 0)] >= config.model_min_site_pages) if known.any() else known
    else:
        judged = np.ones(len(table.host), dtype=bool)
    learned = (
        (action == boilerplate.KEEP)
        & (content < content_thresholds(table, config, extractor)[table.doc])
        & ~table.decision.syndicated
        & judged[table.doc]
    )
    # The model reads the rule's verdict as one piece of evidence among
    # many; where it is sure a removed line is content (a product's field
    # labels, a line several pages of a shop print), it keeps the line.
    restore = restore_thresholds(table, config, extractor)[table.doc]
    restored = (action != boilerplate.KEEP) & (content >= restore) & (restore < 1) & judged[table.doc]
    spans = table.blocks.flat
    chars = (spans[:, 1] - spans[:, 0]).astype(np.float64)
    learned &= ~thin_pages(action, learned, restored, table.doc, chars, len(table.host))[table.doc]
    action[learned] = boilerplate.LEARNED
    action[restored] = boilerplate.KEEP
    return action, says_slug


def thin_pages(action: np.ndarray, learned: np.ndarray, restored: np.ndarray, doc: np.ndarray,
               chars: np.ndarray, n_docs: int) -> np.ndarray:
    """The documents (bool, shape (n_docs,)) the model would leave with fewer
    than :data:`MIN_KEPT_CHARS` characters of text: of the blocks the rule
    keeps, those not ``learned`` away, and those ``restored``. There the
    model's judgement gives way to the rule's, as a per-page extractor falls
    back to another when its extraction comes out too short: a page the
    model has little evidence for (a short page, a kind it was not trained
    on) keeps what the rule keeps rather than next to nothing.

    ``chars``: each block's length in characters."""
    kept = (action == boilerplate.KEEP) & ~learned | restored
    return np.bincount(doc, weights=chars * kept, minlength=n_docs) < MIN_KEPT_CHARS


#: Fewer characters than this left by the model on a page, and the page
#: keeps the rule's verdicts (:func:`thin_pages`): trafilatura's default
#: for an extraction too short to trust (``MIN_EXTRACTED_SIZE``).
MIN_KEPT_CHARS = 250
