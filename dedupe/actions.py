"""What becomes of a block: kept, or removed for a reason.

The codes are the values of a run's per-block ``action`` arrays (int8), from
the repetition rule (:mod:`dedupe.boilerplate`) and the final verdicts
(:mod:`dedupe.verdicts`); :data:`REASONS` names them as reports do.
"""

__all__ = ["KEEP", "BOILERPLATE", "REPEAT", "LEARNED", "LINK_TEXT", "ASIDE", "REASONS"]

KEEP, BOILERPLATE, REPEAT, LEARNED, LINK_TEXT, ASIDE = 0, 1, 2, 3, 4, 5
#: Removal reasons by code, as reports name them: a cross-page template, a
#: repeat inside the page, a block the learned model scores as boilerplate,
#: a line of link text on a page without siblings, or a line the page
#: extractor leaves out of the page's main text (:mod:`dedupe.verdicts`).
REASONS = {
    BOILERPLATE: "boilerplate", REPEAT: "repeated_in_document", LEARNED: "learned_boilerplate",
    LINK_TEXT: "link_text", ASIDE: "outside_main_text",
}
