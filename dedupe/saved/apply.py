"""A new crawl meets a saved model.

Before the run (:func:`prepare`), every block of the new pages is looked
up in the model: by its digest (the same normalised key), and by its
MinHash band keys in the block index (a near-identical line), and every
new page's text, less the known templates, in the page index. What that
finds decides what joins the run:

* a block the model knows as a template is a template again: it is
  marked *known*, and :func:`dedupe.boilerplate.decide` makes every block
  of its cluster a template (a near-identical variant joins it through a
  one-line-a-template page of the model's texts added to the run);
* an earlier page that carries a block a new page has (and not as a known
  template), or whose article a new page may carry, is rebuilt from the
  model and joins the run: the repetition rule counts it (a teaser seen
  once before and once now is a template), copies of it are content, and
  the syndication stage verifies it with the new pages.

After the run, the pages that joined are taken out again (:func:`restrict`):
the report and the written corpus are the new pages', and the report's
``model`` section (:func:`report_section`) names the earlier pages each
template and each syndicated page matched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..blocks import segment
from ..boilerplate import BOILERPLATE
from ..config import Config
from ..document import Document
from ..executor import Workers
from ..results import Analysis, CleanedTexts, Ragged, Spans
from ..syndication import Cluster, Syndication
from .evidence import NEW, TEMPLATES, block_band_keys, block_digests, doc_band_keys
from .files import Model

__all__ = ["Applied", "prepare", "restrict", "report_section", "SOURCE"]

#: The source the model's pages are read from, as documents of a run.
SOURCE = "<model>"
TEMPLATES_ID = "<model templates>"


@dataclass
class Applied:
    """A model applied to a run's new documents.

    Attributes
    ----------
    documents : list of Document
        The run's documents: the new ones, then the page of near-matched
        model templates (if any), then the earlier pages rebuilt.
    n_new : int
    page_of : ndarray of int64, shape (n_documents,)
        Each document's model page, :data:`~.evidence.NEW` or :data:`~.evidence.TEMPLATES`.
    known : ndarray of bool, shape (n_blocks,)
        Blocks that are templates the model knows.
    rows : ndarray of int64, shape (n_blocks,)
        Each block's row in the model, -1 where it has none.
    """

    model: Model
    documents: list
    n_new: int
    page_of: np.ndarray
    known: np.ndarray
    rows: np.ndarray


def _blocks_of(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Every text's blocks' texts, flat, and how many each has (as the blocks stage cuts them)."""
    flat, counts = [], []
    for t in texts:
        spans = segment(t)
        flat += [t[s:e] for s, e in spans[:, :2].tolist()]
        counts.append(len(spans))
    return flat, np.array(counts, dtype=np.int64)


def prepare(model: Model, documents: Sequence[Document], config: Config, workers: Workers) -> Applied:
    """The run of ``documents`` with ``model``: the documents it reads and the blocks known (the module's docstring)."""
    new_docs = list(documents)
    texts, counts = _blocks_of([d.text for d in new_docs])
    hi, lo = block_digests(texts)
    rows = model.rows_of(hi, lo)
    known_new = (rows >= 0) & model.template[np.maximum(rows, 0)] if len(model.hi) else np.zeros(len(rows), bool)

    # Near-identical lines: the distinct new keys' band keys in the block index (same kind of shingles).
    codes = np.stack([hi, lo], axis=1) if len(hi) else np.zeros((0, 2), np.uint64)
    _, firsts = np.unique(codes, axis=0, return_index=True)
    firsts = np.sort(firsts)
    short, keys = block_band_keys([texts[i] for i in firsts.tolist()], config, workers)
    q, r = model.block_index().lookup(keys)
    q, r = q[short[q] == model.short[r]], r[short[q] == model.short[r]]
    matched = np.unique(np.concatenate([rows[rows >= 0], r]))
    exact = np.unique(rows[rows >= 0])
    near_templates = np.setdiff1d(matched[model.template[matched]], exact)
    evidence = matched[~model.template[matched]]

    # Pages whose article a new page may carry: its text less the known templates, in the page index.
    ends = np.cumsum(counts)
    approx = [
        "\n".join(t for t, k in zip(texts[e - c : e], known_new[e - c : e].tolist()) if not k)
        for c, e in zip(counts.tolist(), ends.tolist())
    ]
    doc_keys, has = doc_band_keys(approx, config, workers)
    pq, pr = model.doc_index().lookup(doc_keys)
    earlier = np.union1d(model.pages_of(evidence), pr[has[pq]]).astype(np.int64)

    extra: list[Document] = []
    page_of = [NEW] * len(new_docs)
    if len(near_templates):
        extra.append(Document(id=TEMPLATES_ID, text="\n".join(model.text[i] for i in near_templates.tolist()), source=SOURCE))
        page_of.append(TEMPLATES)
    for p in earlier.tolist():
        extra.append(Document(id=model.page_id[p], text=model.page_text(p), source=SOURCE, url=model.page_url[p]))
        page_of.append(p)
    more, _ = _blocks_of([d.text for d in extra])
    more_rows = model.rows_of(*block_digests(more))
    all_rows = np.concatenate([rows, more_rows])
    known = (all_rows >= 0) & (model.template[np.maximum(all_rows, 0)] if len(model.hi) else False)
    if len(near_templates):  # the templates' page: every line a known template
        known[len(rows) : len(rows) + len(segment(extra[0].text))] = True
    return Applied(model, new_docs + extra, len(new_docs), np.array(page_of, dtype=np.int64), known, all_rows)


# --- after the run ----------------------------------------------------------------------


def _cut(r: Ragged, n: int, kind=Ragged) -> Ragged:
    return kind(r.flat[: r.bounds[n]], r.bounds[: n + 1])


def restrict(analysis: Analysis, n: int) -> Analysis:
    """The analysis of the first ``n`` documents only (the new pages): the
    syndication clusters and overlaps among them."""
    docs = list(analysis.documents[:n])
    spans = _cut(analysis.spans, n, Spans)
    clusters = []
    for c in analysis.syndication.clusters:
        members = [m for m in c.members if m < n]
        if len(members) >= 2:
            # An earlier centre: the first new member by id stands for it (any order of the input).
            centre = c.centre if c.centre < n else min(members, key=lambda m: (docs[m].id, m))
            clusters.append(Cluster(centre, members, [p for p in c.pairs if p.a < n and p.b < n]))
    overlaps = [p for p in analysis.syndication.overlaps if p.a < n and p.b < n]
    return Analysis(
        docs, _cut(analysis.blocks, n), _cut(analysis.action, n), _cut(analysis.template, n), spans,
        CleanedTexts(docs, spans), Syndication(clusters, overlaps), analysis.config,
    )


def _round(x: float) -> float:
    return round(float(x), 4)


def earlier_template_pages(applied: Applied, analysis: Analysis) -> dict[int, np.ndarray]:
    """The earlier pages (model rows) of each template cluster removed from a
    new page: the pages that carry any of the cluster's blocks the model knows."""
    n_blocks_new = int(analysis.action.bounds[applied.n_new])
    flat_act, flat_tpl = analysis.action.flat, analysis.template.flat
    clusters = np.unique(flat_tpl[:n_blocks_new][flat_act[:n_blocks_new] == BOILERPLATE])
    # The model rows of every block, grouped by cluster.
    has = applied.rows >= 0
    label, rows = flat_tpl[has], applied.rows[has]
    order = np.argsort(label, kind="stable")
    label, rows = label[order], rows[order]
    start, end = np.searchsorted(label, clusters, "left"), np.searchsorted(label, clusters, "right")
    return {
        int(c): applied.model.pages_of(np.unique(rows[a:e])) for c, a, e in zip(clusters.tolist(), start.tolist(), end.tolist())
    }


def report_section(applied: Applied, analysis: Analysis, report: dict, path: str) -> dict[str, Any]:
    """The report's ``model`` section: the model used, each template removed
    that the model knew the evidence of, with the earlier pages that carry
    it, and the new pages syndicating earlier ones (by the earlier ids)."""
    model, n = applied.model, applied.n_new
    ids = [d.id for d in analysis.documents]
    # Each template's report entry by its first text, as the report numbers them.
    first_text: dict[int, str] = {}
    flat_act, flat_tpl = analysis.action.flat, analysis.template.flat
    for d in range(n):
        a, e = analysis.action.bounds[d], analysis.action.bounds[d + 1]
        for b in np.flatnonzero(flat_act[a:e] == BOILERPLATE).tolist():
            c = int(flat_tpl[a + b])
            if c not in first_text:
                s, t = analysis.blocks.flat[a + b, :2].tolist()
                first_text[c] = analysis.documents[d].text[s:t].strip()
    number = {entry["text"]: entry["template"] for entry in report.get("boilerplate", [])}
    templates = []
    for c, pages in earlier_template_pages(applied, analysis).items():
        if len(pages) and first_text.get(c) in number:
            templates.append({
                "template": number[first_text[c]], "text": first_text[c], "earlier_pages": int(len(pages)),
                "earlier_documents": [model.page_id[p] for p in pages[:20].tolist()],
            })
    templates.sort(key=lambda t: t["template"])

    def earlier(i: int) -> bool:
        return applied.page_of[i] >= 0

    def pair(p) -> dict:
        new, old = (p.a, p.b) if p.a < n else (p.b, p.a)
        return {
            "document": ids[new], "earlier": ids[old], "earlier_url": analysis.documents[old].url,
            "jaccard": _round(p.jaccard), "containment": _round(p.containment), "shared_words": p.shared_words,
        }

    syndicated = []
    for c in analysis.syndication.clusters:
        new = [m for m in c.members if m < n]
        old = [m for m in c.members if earlier(m)]
        if new and old:
            syndicated.append({
                "documents": [ids[m] for m in new], "earlier_documents": [ids[m] for m in old],
                "pairs": [pair(p) for p in c.pairs if (p.a < n) != (p.b < n) and (earlier(p.a) or earlier(p.b))],
            })
    overlaps = [pair(p) for p in analysis.syndication.overlaps if (p.a < n) != (p.b < n) and (earlier(p.a) or earlier(p.b))]
    return {
        "path": path,
        "pages": model.n_pages,
        "blocks": len(model.hi),
        "earlier_pages_read": int((applied.page_of >= 0).sum()),
        "templates": templates,
        "syndication": syndicated,
        "overlaps": overlaps,
    }
