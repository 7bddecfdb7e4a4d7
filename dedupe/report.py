"""The run's report: what was removed, who shares text with whom, what was skipped.

The JSON field names are part of the interface (documented in the README):

``dedupe_version``, ``inputs``, ``config``
    What ran, on what, with which options.
``summary``
    Counters: ``documents_read``, ``documents_skipped`` (by reason),
    ``documents_unchanged`` / ``_cleaned`` / ``_emptied``, ``blocks_in``,
    ``blocks_out``, ``blocks_removed`` (by reason), ``chars_in``,
    ``chars_out``, ``templates``, ``syndication_clusters``, ``overlaps``.
``boilerplate``
    One entry per template: ``template`` (its number), ``text`` (first
    occurrence), ``variants`` (distinct texts, for near-duplicate
    templates), ``documents`` (ids it was removed from), ``removed``
    (blocks removed).
``syndication``
    One entry per cluster: ``documents`` (ids), ``centre``, and ``pairs``:
    ``documents`` (two ids), ``jaccard`` and ``containment`` (verified, over
    word shingles of the cleaned text), ``shared_words``, ``passages``
    (``words``, ``offsets`` ``[[start, end], [start, end]]`` as character
    offsets into each document's input text, and a ``preview``).
``overlaps``
    Pairs that are not near-duplicates but share long passages (same shape
    as a pair above).
``documents``
    One entry per document read: ``id``, ``source``, ``line``, ``url``,
    ``status`` (``unchanged``, ``cleaned``, ``emptied``), ``blocks_in``,
    ``blocks_out``, ``chars_in``, ``chars_out``, ``removed`` (blocks by
    reason), ``removed_lines`` (``line``, ``reason``, ``template``).
``skipped``
    One entry per input skipped: ``source``, ``line``, ``reason``, ``message``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from . import __version__
from .boilerplate import BOILERPLATE, KEEP, REASONS
from .io.writers import atomic_write
from .model import SKIP_REASONS

if TYPE_CHECKING:
    from .config import Config
    from .io.readers import Corpus
    from .pipeline import Analysis

__all__ = ["Report", "build_report"]

_PREVIEW = 160
# Characters of JSON encoded and written at once.
_WRITE_CHUNK = 1 << 20


class Report:
    """The machine report (``data``) and the exit code it implies.

    Exit code 0: every input was processed; 1: the run finished but some
    inputs were skipped (listed under ``skipped``).
    """

    def __init__(self, data: dict[str, Any]):
        self.data = data

    @property
    def exit_code(self) -> int:
        return 1 if self.data["skipped"] else 0

    def to_json(self) -> bytes:
        """The report as UTF-8 JSON (lone surrogates kept as JSON escapes)."""
        return (json.dumps(self.data, ensure_ascii=False, indent=2) + "\n").encode("utf-8", "backslashreplace")

    def write(self, path: Path) -> None:
        """Write the JSON report atomically: the bytes of :meth:`to_json`,
        encoded and written a piece at a time (a large corpus's report is
        hundreds of MB, and need not be held whole, twice, as text and bytes)."""
        with atomic_write(Path(path)) as f:
            pending: list[str] = []
            size = 0
            for chunk in json.JSONEncoder(ensure_ascii=False, indent=2).iterencode(self.data):
                pending.append(chunk)
                size += len(chunk)
                if size >= _WRITE_CHUNK:
                    f.write("".join(pending).encode("utf-8", "backslashreplace"))
                    pending, size = [], 0
            pending.append("\n")
            f.write("".join(pending).encode("utf-8", "backslashreplace"))


def _round(x: float) -> float:
    return round(float(x), 4)


def _pair(analysis: "Analysis", pair) -> dict[str, Any]:
    docs = analysis.documents
    a_text = docs[pair.a].text
    return {
        "documents": [docs[pair.a].id, docs[pair.b].id],
        "jaccard": _round(pair.jaccard),
        "containment": _round(pair.containment),
        "shared_words": pair.shared_words,
        "passages": [
            {
                "words": p.words,
                "offsets": [list(p.a), list(p.b)],
                "preview": a_text[p.a[0] : min(p.a[1], p.a[0] + _PREVIEW)],
            }
            for p in pair.passages
        ],
    }


def build_report(corpus: "Corpus", analysis: "Analysis", config: "Config", inputs: Sequence[str]) -> Report:
    """Assemble the report of a run."""
    docs = analysis.documents
    # Templates: boilerplate blocks grouped by cluster, most widespread first.
    occurrences: dict[int, list[tuple[int, int]]] = {}
    for d, (act, tpl) in enumerate(zip(analysis.action, analysis.template)):
        for b in np.flatnonzero(act != KEEP).tolist():
            if act[b] == BOILERPLATE:
                occurrences.setdefault(int(tpl[b]), []).append((d, b))

    def block_text(d: int, b: int) -> str:
        s, e = analysis.blocks[d][b, :2]
        return docs[d].text[s:e].strip()

    order = sorted(occurrences, key=lambda c: (-len({d for d, _ in occurrences[c]}), occurrences[c][0]))
    number = {c: i for i, c in enumerate(order)}
    templates = []
    for c in order:
        occ = occurrences[c]
        variants = list(dict.fromkeys(block_text(d, b) for d, b in occ))
        templates.append(
            {
                "template": number[c],
                "text": variants[0],
                "variants": variants[:10],
                "documents": list(dict.fromkeys(docs[d].id for d, _ in occ)),
                "removed": len(occ),
            }
        )

    documents = []
    totals = Counter()
    removed_total: Counter = Counter({r: 0 for r in REASONS.values()})
    for d, doc in enumerate(docs):
        act = analysis.action[d]
        blk = analysis.blocks[d]
        removed = Counter(REASONS[int(a)] for a in act[act != KEEP].tolist())
        removed_total.update(removed)
        chars_out = sum(b - a for a, b in analysis.spans[d])
        kept = int((act == KEEP).sum())
        status = "unchanged" if kept == len(act) else ("emptied" if kept == 0 else "cleaned")
        totals[status] += 1
        totals["blocks_in"] += len(act)
        totals["blocks_out"] += kept
        totals["chars_in"] += len(doc.text)
        totals["chars_out"] += chars_out
        documents.append(
            {
                "id": doc.id,
                "source": doc.source,
                "line": doc.line,
                "url": doc.url,
                "status": status,
                "blocks_in": len(act),
                "blocks_out": kept,
                "chars_in": len(doc.text),
                "chars_out": chars_out,
                "removed": dict(sorted(removed.items())),
                "removed_lines": [
                    {
                        "line": int(blk[b, 2]),
                        "reason": REASONS[int(act[b])],
                        "template": number.get(int(analysis.template[d][b])) if act[b] == BOILERPLATE else None,
                    }
                    for b in np.flatnonzero(act != KEEP).tolist()
                ],
            }
        )

    skipped = Counter(e.reason for e in corpus.skipped)
    synd = analysis.syndication
    data = {
        "dedupe_version": __version__,
        "inputs": list(inputs),
        "config": config.options(),
        "summary": {
            "documents_read": len(docs),
            "documents_skipped": {r: skipped.get(r, 0) for r in SKIP_REASONS},
            "documents_unchanged": totals["unchanged"],
            "documents_cleaned": totals["cleaned"],
            "documents_emptied": totals["emptied"],
            "blocks_in": totals["blocks_in"],
            "blocks_out": totals["blocks_out"],
            "blocks_removed": dict(removed_total),
            "chars_in": totals["chars_in"],
            "chars_out": totals["chars_out"],
            "templates": len(templates),
            "syndication_clusters": len(synd.clusters),
            "overlaps": len(synd.overlaps),
        },
        "boilerplate": templates,
        "syndication": [
            {
                "documents": [docs[m].id for m in c.members],
                "centre": docs[c.centre].id,
                "pairs": [_pair(analysis, p) for p in c.pairs],
            }
            for c in synd.clusters
        ],
        "overlaps": [_pair(analysis, p) for p in synd.overlaps],
        "documents": documents,
        "skipped": [e.as_dict() for e in corpus.skipped],
    }
    return Report(data)
