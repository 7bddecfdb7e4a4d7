"""The run's report: what was removed, who shares text with whom, what was skipped.

The JSON field names are an interface, versioned by ``schema_version``
(:data:`SCHEMA_VERSION`; docs/report.md has the schema and its history):

``dedupe_version``, ``schema_version``, ``inputs``, ``config``
    What ran, on what, with which options.
``summary``
    Counters: ``documents_read``, ``documents_skipped`` (by reason),
    ``documents_unchanged`` / ``_cleaned`` / ``_emptied``, ``blocks_in``,
    ``blocks_out``, ``blocks_removed`` (by reason), ``chars_in``,
    ``chars_out``, ``templates``, ``syndication_clusters``, ``overlaps``,
    ``duplicate_ids`` (documents whose id another document has too: the
    lists of ids name them all alike, their ``documents`` entries tell them
    apart by ``source`` and ``line``), ``documents_dropped`` (by reason),
    ``sites``.
``sites``
    One entry per URL host (``null``: the pages without a URL):
    ``site``, ``pages``, ``chars_in``, ``chars_removed``, ``templates``,
    ``syndicated``, ``dropped`` (:func:`site_figures`).
``boilerplate``
    One entry per template: ``template`` (its number: most pages first,
    then first met, pages taken by id), ``text`` (its first occurrence, by
    page id), ``variants`` (distinct texts, for near-duplicate templates:
    the first ten met, by page id), ``documents`` (ids it was removed from,
    by id) and ``urls``
    (theirs), ``removed`` (blocks removed).
``syndication``
    One entry per cluster: ``documents`` (ids) and ``urls``, ``centre``
    and ``centre_url``, and ``pairs``, one per member besides the centre,
    pairing it with the centre (which every member is verified similar
    to): ``documents`` (two ids) and ``urls``, ``jaccard`` and
    ``containment`` (verified, over word shingles of the cleaned text),
    ``shared_words``, ``passages`` (``words``, ``offsets`` ``[[start,
    end], [start, end]]`` as character offsets into each document's input
    text, and a ``preview``).
``overlaps``
    Pairs that are not near-duplicates but share long passages (same shape
    as a pair above).
``dropped``
    One entry per document ``drop_duplicates`` left out, in input order:
    ``id``, ``url``, ``reason`` (``duplicate``), ``duplicate_of``,
    ``duplicate_of_url`` and ``jaccard`` (:mod:`dedupe.duplicates`).
``documents``
    One entry per document read: ``id``, ``source``, ``line``, ``url``,
    ``status`` (``unchanged``, ``cleaned``, ``emptied``), ``blocks_in``,
    ``blocks_out``, ``chars_in``, ``chars_out``, ``cluster`` (its
    syndication cluster's ``centre``, or ``null``), ``removed`` (blocks by
    reason), ``removed_lines`` (``line``, ``reason``, ``template``,
    ``text``: at most :data:`LINE_PREVIEW` characters).
``skipped``
    One entry per input skipped: ``source``, ``line``, ``reason``, ``message``.
``model``
    Only with a saved model (``--model``; :func:`dedupe.saved.apply.report_section`):
    ``path``, ``pages`` and ``blocks`` (the model's), ``earlier_pages_read``,
    ``templates`` (``template``, ``text``, ``earlier_pages``,
    ``earlier_documents``: the earlier pages carrying it, at most 20 ids),
    ``syndication`` (``documents``, ``earlier_documents``, ``pairs``) and
    ``overlaps``, pairs of a new page and an earlier one (``document``,
    ``earlier``, ``earlier_url``, ``jaccard``, ``containment``, ``shared_words``).
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from pathlib import Path
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Iterator, Optional

import numpy as np
import orjson

from ._version import __version__
from . import cluster as cluster_mod
from . import duplicates
from . import store as stores
from .arrays import argsort
from .boilerplate import BOILERPLATE, KEEP, REASONS
from .stages.boilerplate import host_of
from .io.writers import atomic_write
from .document import SKIP_REASONS, DuplicateIdWarning

if TYPE_CHECKING:
    from .config import Config
    from .io.readers import Corpus
    from .pipeline import Analysis

__all__ = ["Report", "DocumentEntries", "build_report", "site_figures", "SCHEMA_VERSION", "LINE_PREVIEW"]

#: The report's schema: bumped whenever a field is added, renamed or changes meaning (docs/report.md).
SCHEMA_VERSION = 3
_PREVIEW = 160
# Characters of a removed line's text in its entry (a longer line is cut
# there and ends in "…"): enough to tell a menu from a teaser, and a bound
# on what a million pages' report holds per line removed.
LINE_PREVIEW = 200
# Characters of JSON encoded and written at once.
WRITE_CHUNK = 1 << 20
# Distinct texts of a template in the report.
_VARIANTS = 10
# Documents read at once (at most) for the templates' texts.
_TEMPLATE_DOCS = 4096


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
        return ("".join(_json_chunks(self.data)) + "\n").encode("utf-8", "backslashreplace")

    def write_dropped(self, path: Path) -> None:
        """Write the ids of the documents dropped (``dropped``), one per line,
        in order, atomically: for a pipeline that filters elsewhere.

        An id holding a line break is written as a JSON string (quoted,
        escaped), so every line is one id; a warning says so.
        """
        lines = []
        for entry in self.data["dropped"]:
            doc_id = entry["id"]
            if "\n" in doc_id or "\r" in doc_id:
                warnings.warn(f"{path}: the id {doc_id!r} holds a line break: written as a JSON string", stacklevel=2)
                doc_id = json.dumps(doc_id)
            lines.append(doc_id + "\n")
        with atomic_write(Path(path)) as f:
            f.write("".join(lines).encode("utf-8", "backslashreplace"))  # lone surrogates as in the report

    def write(self, path: Path) -> None:
        """Write the JSON report atomically: the bytes of :meth:`to_json`,
        encoded and written a piece at a time (a large corpus's report is
        hundreds of MB, and need not be held whole, twice, as text and bytes)."""
        with atomic_write(Path(path)) as f:
            pending: list[str] = []
            size = 0
            for chunk in _json_chunks(self.data):
                pending.append(chunk)
                size += len(chunk)
                if size >= WRITE_CHUNK:
                    f.write("".join(pending).encode("utf-8", "backslashreplace"))
                    pending, size = [], 0
            pending.append("\n")
            f.write("".join(pending).encode("utf-8", "backslashreplace"))


def _round(x: float) -> float:
    return round(float(x), 4)


def _preview(text: str) -> str:
    """A removed line's text, stripped, cut at :data:`LINE_PREVIEW` characters."""
    text = text.strip()
    return text if len(text) <= LINE_PREVIEW else text[:LINE_PREVIEW] + "\u2026"


def _pair(
    analysis: "Analysis", pair, ids: Sequence[str], urls: Sequence[Optional[str]], rank: np.ndarray
) -> dict[str, Any]:
    """A pair's entry, its first document the first by id (``rank``:
    :func:`dedupe.cluster.id_ranks`); ``ids`` and ``urls`` are the
    documents' (a store's columns: reading a document from a store reads its
    text too)."""
    a, b, swap = (pair.b, pair.a, True) if rank[pair.a] > rank[pair.b] else (pair.a, pair.b, False)
    a_text = analysis.documents[a].text
    spans = [(p.b, p.a) if swap else (p.a, p.b) for p in pair.passages]
    return {
        "documents": [ids[a], ids[b]],
        "urls": [urls[a], urls[b]],
        "jaccard": _round(pair.jaccard),
        "containment": _round(pair.containment),
        "shared_words": pair.shared_words,
        "passages": [
            {
                "words": p.words,
                "offsets": [list(on_a), list(on_b)],
                "preview": a_text[on_a[0] : min(on_a[1], on_a[0] + _PREVIEW)],
            }
            for p, (on_a, on_b) in zip(pair.passages, spans)
        ],
    }


def _by_id(rank: np.ndarray, docs) -> list[int]:
    """``docs`` (indices) in the order of their ids."""
    return sorted(docs, key=lambda d: rank[d])


class DocumentEntries(Sequence[dict]):
    """The report's entry for each document, made when asked for: held all
    at once they are several times the corpus's own size.

    Compares equal to any sequence of the same entries.
    """

    def __init__(self, analysis: "Analysis", number: dict[int, int]):
        self._analysis = analysis
        self._number = number
        docs = analysis.documents
        self._lengths = stores.text_lengths(docs)
        self._ids = stores.ids(docs)
        # Each document's syndication cluster, by its centre (-1: none).
        self._centre = np.full(len(docs), -1, dtype=np.int64)
        for c in analysis.syndication.clusters:
            self._centre[c.members] = c.centre
        if isinstance(docs, stores.DocumentStore):
            self._meta = lambda d: (docs.ids[d], docs.sources[d], docs.lines[d], docs.urls[d])
        else:
            self._meta = lambda d: (docs[d].id, docs[d].source, docs[d].line, docs[d].url)

    def __len__(self) -> int:
        return len(self._analysis.action)

    def __getitem__(self, d):
        if isinstance(d, slice):
            return [self[i] for i in range(*d.indices(len(self)))]
        if not -len(self) <= d < len(self):
            raise IndexError("document index out of range")
        d %= len(self)
        a = self._analysis
        # As Python ints, read once: a numpy scalar per field of every removed line was most of the report's time.
        act = a.action[d].tolist()
        dropped = [b for b, x in enumerate(act) if x != KEEP]
        kept = len(act) - len(dropped)
        doc_id, source, line, url = self._meta(d)
        text = self._analysis.documents[d].text if dropped else ""
        blk = a.blocks[d].tolist() if dropped else []
        template = a.template[d].tolist() if dropped else []
        centre = int(self._centre[d])
        return {
            "id": doc_id,
            "source": source,
            "line": line,
            "url": url,
            "status": "unchanged" if kept == len(act) else ("emptied" if kept == 0 else "cleaned"),
            "blocks_in": len(act),
            "blocks_out": kept,
            "chars_in": int(self._lengths[d]),
            "chars_out": sum(e - s for s, e in a.spans[d]),
            "cluster": self._ids[centre] if centre >= 0 else None,
            "removed": dict(sorted(Counter(REASONS[act[b]] for b in dropped).items())),
            "removed_lines": [
                {
                    "line": blk[b][2],
                    "reason": REASONS[act[b]],
                    "template": self._number.get(template[b]) if act[b] == BOILERPLATE else None,
                    "text": _preview(text[blk[b][0] : blk[b][1]]),
                }
                for b in dropped
            ],
        }

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and len(other) == len(self) and all(x == y for x, y in zip(self, other))

    def __repr__(self) -> str:
        return f"DocumentEntries({len(self)} documents)"

    def totals(self) -> tuple[Counter, Counter]:
        """The summary's counts over every document: by status, blocks and
        characters in and out; and blocks removed by reason."""
        a = self._analysis
        act, bounds = a.action.flat, a.action.bounds
        blocks_in = np.diff(bounds)
        kept_so_far = np.concatenate([[0], np.cumsum(act == KEEP)])
        kept = kept_so_far[bounds[1:]] - kept_so_far[bounds[:-1]]
        totals: Counter = Counter()
        for status, docs in (
            ("unchanged", kept == blocks_in), ("emptied", (kept == 0) & (blocks_in > 0)), ("cleaned", (kept > 0) & (kept < blocks_in))
        ):
            if docs.any():
                totals[status] = int(docs.sum())
        totals["blocks_in"], totals["blocks_out"] = int(blocks_in.sum()), int(kept.sum())
        totals["chars_out"] = int((a.spans.flat[:, 1] - a.spans.flat[:, 0]).sum())
        totals["chars_in"] = int(self._lengths.sum())
        by_action = np.bincount(act[act != KEEP].astype(np.int64), minlength=max(REASONS) + 1)
        removed: Counter = Counter({r: int(by_action[k]) for k, r in REASONS.items()})
        return totals, removed


def _entry_json(entry: dict, encoder: json.JSONEncoder) -> str:
    """A document entry as ``encoder`` (indent 2, UTF-8 kept) writes it.

    orjson writes the same bytes for what an entry holds (strings, ints,
    lists and dicts of them), twenty times faster. It writes small floats
    (``1e-05``) otherwise and refuses ints past 64 bits and lone
    surrogates: an entry holding a float, or one orjson refuses, goes
    through ``encoder``.
    """
    try:
        text = orjson.dumps(entry, option=orjson.OPT_INDENT_2).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError
        return encoder.encode(entry)
    return encoder.encode(entry) if _has_float(entry) else text


def _has_float(value) -> bool:
    """Whether a float is anywhere in ``value`` (dicts' values and lists
    looked into), walked without recursion: the strings and ints that make
    up nearly all of an entry are passed over at the cost of a type test."""
    todo = [value]
    while todo:
        v = todo.pop()
        t = type(v)
        if t is str or t is int or v is None:
            continue
        if t is dict:
            todo.extend(v.values())
        elif t is list:
            todo.extend(v)
        elif isinstance(v, float):
            return True
        elif isinstance(v, dict):
            todo.extend(v.values())
        elif isinstance(v, (list, tuple)):
            todo.extend(v)
    return False


def _json_chunks(data: dict[str, Any]) -> Iterator[str]:
    """``json.dumps(data, ensure_ascii=False, indent=2)`` a piece at a time,
    :class:`DocumentEntries` and lists (the templates) written entry by
    entry (:func:`_entry_json`)."""
    encoder = json.JSONEncoder(ensure_ascii=False, indent=2)
    if not data:
        yield "{}"
        return
    for k, (key, value) in enumerate(data.items()):
        yield ("{\n  " if k == 0 else ",\n  ") + encoder.encode(key) + ": "
        if isinstance(value, (DocumentEntries, list)):
            if len(value) == 0:
                yield "[]"
                continue
            for i, entry in enumerate(value):
                yield ("[\n    " if i == 0 else ",\n    ") + _entry_json(entry, encoder).replace("\n", "\n    ")
            yield "\n  ]"
        else:
            for chunk in encoder.iterencode(value):
                yield chunk.replace("\n", "\n  ")
    yield "\n}"


def _templates(analysis: "Analysis", rank: np.ndarray) -> tuple[list[dict[str, Any]], dict[int, int]]:
    """The report's templates, most widespread first, and each template's
    number by block cluster: the blocks removed as boilerplate, grouped by
    cluster, with up to ten of their distinct texts, first met first (the
    first is the template's ``text``); templates on as many pages, first met
    first. Met in the order of the ids (``rank``:
    :func:`dedupe.cluster.id_ranks`): by page id, then in the page, the same
    for any order of the input. A template's documents are listed by id."""
    docs = analysis.documents
    at = np.flatnonzero(analysis.action.flat == BOILERPLATE)  # in (document, block) order
    doc = np.searchsorted(analysis.action.bounds, at, side="right") - 1
    cluster = analysis.template.flat[at]
    group = argsort(cluster)  # a cluster's occurrences stay in order
    at, doc, cluster = at[group], doc[group], cluster[group]
    opens = np.ones(len(at), dtype=bool)
    opens[1:] = cluster[1:] != cluster[:-1]
    first_of_doc = opens.copy()  # first occurrence of its cluster in a document
    first_of_doc[1:] |= doc[1:] != doc[:-1]
    starts = np.flatnonzero(opens)
    ends = np.append(starts[1:], len(at))
    pages = np.add.reduceat(first_of_doc, starts) if len(starts) else np.zeros(0, dtype=np.int64)
    clusters = cluster[starts].tolist()
    ids = stores.ids(docs)
    # Occurrences in the order of the ids (``rank``): by page id, then in
    # the page. The first ten distinct texts of each cluster in that order,
    # whatever the order of the input: the documents read a slice at a time
    # in input order, each cluster holding the ten texts first met by id so
    # far (a text's place: its first occurrence by id); a block placed after
    # all ten of its full cluster's is passed over (its slice not read when
    # all its blocks are).
    variants: list[dict[str, tuple[int, int]]] = [{} for _ in starts]
    worst = [(-1, -1)] * len(starts)  # the last place held by a cluster holding ten
    full = np.zeros(len(starts), dtype=bool)
    worst_rank, worst_at = np.zeros(len(starts), np.int64), np.zeros(len(starts), np.int64)
    owner = np.repeat(np.arange(len(starts)), ends - starts)
    by_place = argsort(at)
    place_doc = doc[by_place]
    spans = analysis.blocks.flat
    for a in range(0, len(docs), _TEMPLATE_DOCS):
        lo, hi = np.searchsorted(place_doc, [a, a + _TEMPLATE_DOCS])
        rows = by_place[lo:hi]
        grp, r = owner[rows], rank[doc[rows]]
        late = full[grp] & ((r > worst_rank[grp]) | ((r == worst_rank[grp]) & (at[rows] > worst_at[grp])))
        rows = rows[~late]
        if not len(rows):
            continue
        first, last = int(doc[rows[0]]), int(doc[rows[-1]])
        texts = stores.texts(docs)[first : last + 1]
        places = zip(rank[doc[rows]].tolist(), at[rows].tolist())
        for g, d, (s, e), place in zip(owner[rows].tolist(), doc[rows].tolist(), spans[at[rows], :2].tolist(), places):
            held = variants[g]
            if len(held) == _VARIANTS and place > worst[g]:
                continue
            text = texts[d - first][s:e].strip()
            if text in held:
                held[text] = min(held[text], place)
            else:
                held[text] = place
                if len(held) > _VARIANTS:
                    del held[max(held, key=held.__getitem__)]
            if len(held) == _VARIANTS:
                worst[g] = max(held.values())
                full[g] = True
                worst_rank[g], worst_at[g] = worst[g]
    # Most documents first, then first met (by id).
    first_seen = [min(held.values()) for held in variants]
    order = sorted(range(len(starts)), key=lambda g: (-pages[g], first_seen[g]))
    number = {clusters[g]: k for k, g in enumerate(order)}
    # Lists: a template's documents are looked up by the hundred thousand.
    ids, urls = list(ids), list(stores.urls(docs))
    templates = []
    for k, g in enumerate(order):
        texts = sorted(variants[g], key=variants[g].__getitem__)
        in_docs = _by_id(rank, doc[starts[g] : ends[g]][first_of_doc[starts[g] : ends[g]]].tolist())
        templates.append(
            {
                "template": k,
                "text": texts[0],
                "variants": texts,
                "documents": [ids[d] for d in in_docs],
                "urls": [urls[d] for d in in_docs],
                "removed": int(ends[g] - starts[g]),
            }
        )
    return templates, number


def site_figures(analysis: "Analysis", dups: "duplicates.Duplicates") -> list[dict[str, Any]]:
    """The report's ``sites``: per URL host (``www.`` dropped, as the
    boilerplate stage compares hosts; ``None`` for pages without a URL),
    its pages, characters in and removed, templates removed from its pages,
    pages in a syndication cluster and pages dropped as near-duplicates.
    Most pages first; among equals, hosts by name, then the pages without a URL."""
    docs = analysis.documents
    hosts = [host_of(u) for u in stores.urls(docs)]
    names = sorted({h for h in hosts if h is not None}) + ([None] if None in hosts else [])
    code = {h: k for k, h in enumerate(names)}
    site = np.fromiter((code[h] for h in hosts), dtype=np.int64, count=len(hosts))
    n = len(names)

    def per_site(of_docs: np.ndarray, weights=None) -> list[int]:
        return np.bincount(site[of_docs], weights=weights, minlength=n).astype(np.int64).tolist()

    every = np.arange(len(docs))
    lengths = np.diff(analysis.spans.flat, axis=1).ravel() if len(analysis.spans.flat) else np.zeros(0, np.int64)
    kept_so_far = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
    bounds = analysis.spans.bounds
    chars_out = kept_so_far[bounds[1:]] - kept_so_far[bounds[:-1]]
    removed = stores.text_lengths(docs) - chars_out
    at = np.flatnonzero(analysis.action.flat == BOILERPLATE)
    owner = np.searchsorted(analysis.action.bounds, at, side="right") - 1
    # A template counted once per site: distinct (site, block cluster) pairs.
    pairs = np.unique(np.stack([site[owner], analysis.template.flat[at].astype(np.int64)], axis=1), axis=0)
    members = np.array(sorted({m for c in analysis.syndication.clusters for m in c.members}), dtype=np.int64)
    columns = {
        "pages": per_site(every),
        # float64 weights are exact below 2**53 characters a site
        "chars_in": per_site(every, stores.text_lengths(docs)),
        "chars_removed": per_site(every, removed),
        "templates": np.bincount(pairs[:, 0], minlength=n).tolist(),
        "syndicated": per_site(members),
        "dropped": per_site(dups.dropped),
    }
    rows = [{"site": h, **{k: v[i] for k, v in columns.items()}} for i, h in enumerate(names)]
    return sorted(rows, key=lambda r: (-r["pages"], r["site"] is None, r["site"] or ""))


def _shared_ids(docs, dropped: Sequence[int] = ()) -> int:
    """How many documents have an id another one has too; warned of once
    (:class:`DuplicateIdWarning`) with an example, none of them dropped for
    it. Warned of too: documents ``dropped`` as near-duplicates whose id
    another document has, which a filter by id would drop with them."""
    if isinstance(docs, stores.DocumentStore):
        ids, location = list(docs.ids), lambda d: f"{docs.sources[d]}:{docs.lines[d]}"
    else:
        ids, location = [d.id for d in docs], lambda d: docs[d].location
    shared = {i: n for i, n in Counter(ids).items() if n > 1}
    if not shared:
        return 0
    example = next(iter(shared))
    where = [location(d) for d, i in enumerate(ids) if i == example][:2]
    total = sum(shared.values())
    warnings.warn(
        DuplicateIdWarning(
            f"{total} documents share {len(shared)} id(s) with another document (e.g. {example!r}, at "
            f"{' and '.join(where)}); all are kept, and the report's document entries tell them apart by source and line"
        ),
        stacklevel=2,
    )
    ambiguous = [ids[d] for d in dropped if ids[d] in shared]
    if ambiguous:
        warnings.warn(
            DuplicateIdWarning(
                f"{len(ambiguous)} of the documents dropped as near-duplicates share their id with another document "
                f"(e.g. {ambiguous[0]!r}): a pipeline that filters by the dropped ids drops those too; the report's "
                "dropped entries are in input order, as its document entries, which tell them apart"
            ),
            stacklevel=2,
        )
    return total


def build_report(corpus: "Corpus", analysis: "Analysis", config: "Config", inputs: Sequence[str]) -> Report:
    """Assemble the report of a run."""
    docs = analysis.documents
    ids, urls = stores.ids(docs), stores.urls(docs)
    rank = cluster_mod.id_ranks(ids)  # lists and ties by id: the same for any order of the input
    templates, number = _templates(analysis, rank)
    entries = DocumentEntries(analysis, number)
    totals, removed_total = entries.totals()

    skipped = Counter(e.reason for e in corpus.skipped)
    synd = analysis.syndication
    dups = duplicates.find(synd, config.duplicates)
    sites = site_figures(analysis, dups)
    data = {
        "dedupe_version": __version__,
        "schema_version": SCHEMA_VERSION,
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
            "duplicate_ids": _shared_ids(docs, dups.dropped.tolist()),
            "documents_dropped": {"duplicate": len(dups)},
            "sites": len(sites),
        },
        "sites": sites,
        "boilerplate": templates,
        "syndication": [
            {
                "documents": [ids[m] for m in members],
                "urls": [urls[m] for m in members],
                "centre": ids[c.centre],
                "centre_url": urls[c.centre],
                "pairs": [
                    _pair(analysis, p, ids, urls, rank)
                    for p in sorted(c.pairs, key=lambda p: rank[p.b if p.a == c.centre else p.a])
                ],
            }
            for c in sorted(synd.clusters, key=lambda c: rank[c.centre])
            for members in [_by_id(rank, c.members)]
        ],
        "overlaps": [
            _pair(analysis, p, ids, urls, rank)
            for p in sorted(synd.overlaps, key=lambda p: sorted((rank[p.a], rank[p.b])))
        ],
        "dropped": [
            {
                "id": ids[d], "url": urls[d], "reason": "duplicate", "duplicate_of": ids[k],
                "duplicate_of_url": urls[k], "jaccard": _round(j),
            }
            for d, k, j in zip(dups.dropped.tolist(), dups.kept.tolist(), dups.jaccard.tolist())
        ],
        "documents": entries,
        "skipped": [e.as_dict() for e in corpus.skipped],
    }
    return Report(data)
