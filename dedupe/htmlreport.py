"""The HTML report: one self-contained page showing what a run removed and
which pages share text.

It holds a summary (documents, blocks and characters removed by reason, the
top boilerplate templates with their page counts, syndication clusters), a
chart of how much each site lost to boilerplate, and every page's text with
its removed lines struck through and its shared passages highlighted, each
linked to the same passage on the other page.

The page needs nothing but itself: styles are inline, the chart is inline
SVG, there is no script, and its Content-Security-Policy forbids scripts and
every fetch. All crawled text is escaped, so a page whose text holds
``<script>`` shows it as text; the policy is the second lock on that door.

That is the report of a corpus of up to :data:`SINGLE_FILE_MAX` documents;
:func:`write_html` writes a larger one's as an index and a folder of site
and template pages (:mod:`dedupe.htmlsite`), built from the pieces here.
"""

from __future__ import annotations

import html
import shutil
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Optional, Sequence
from urllib.parse import urlsplit

from .blocks import segment
from .io.files import atomic_write

if TYPE_CHECKING:
    from .document import Document
    from .api import Result

__all__ = ["Links", "SINGLE_FILE_MAX", "render_html", "write_html"]

#: Templates and sites listed before "... and N more".
TOP = 20
#: Documents past which the report is a folder (:mod:`dedupe.htmlsite`)
#: rather than one page holding every page's text: at 200 of the median
#: web page, one file of a few MB still opens quickly.
SINGLE_FILE_MAX = 200
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

_STYLE = """
:root { --ink: #1f2328; --muted: #656d76; --line: #d0d7de; --cut: #b42318; --cut-bg: #fdecea;
        --rep: #8250df; --rep-bg: #f3eefe; --mark: #fff1a8; --link: #0a58ca; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); margin: 0; background: #f6f8fa; }
header.top { background: #24292f; color: #fff; padding: 14px 28px; }
header.top h1 { margin: 0; font-size: 20px; }
header.top p { margin: 2px 0 0; color: #c9d1d9; font-size: 13px; }
main { max-width: 1180px; margin: 0 auto; padding: 18px 28px 60px; }
h2 { font-size: 17px; margin: 28px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 130px; }
.card b { display: block; font-size: 22px; }
.card span { color: var(--muted); font-size: 12px; }
.grid { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 3fr); gap: 24px; }
svg.chart { width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 13.5px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f3f6; font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
a { color: var(--link); }
.muted { color: var(--muted); }
.legend span { margin-right: 14px; }
del.removed { color: #7d4e00; background: #fff4d6; text-decoration: line-through 1.5px; }
del.boilerplate { color: var(--cut); background: var(--cut-bg); }
del.repeated_in_document { color: var(--rep); background: var(--rep-bg); }
.tag { font-size: 11px; color: var(--muted); margin-left: 6px; white-space: nowrap; }
mark { background: var(--mark); color: inherit; padding: 0 1px; }
a.shared { color: inherit; text-decoration: underline dotted var(--link); text-underline-offset: 3px; }
a.shared:hover mark, :target mark, mark:target { background: #ffd33d; }
section.page { background: #fff; border: 1px solid var(--line); border-radius: 6px; margin: 16px 0; padding: 10px 18px; }
section.page h3 { margin: 4px 0; font-size: 15px; word-break: break-all; }
section.page .meta { color: var(--muted); font-size: 12.5px; margin-bottom: 6px; word-break: break-all; }
section.page .text p { margin: 0 0 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
svg text { font: 12px system-ui, "DejaVu Sans", sans-serif; fill: var(--ink); }
"""


def _head(title: str, policy: str, style: str) -> str:
    """A report page up to its ``<body>``: its Content-Security-Policy, its title (escaped here) and style."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{style}</style>
</head>
"""


def _e(value: Any) -> str:
    """Escape any text for HTML, quotes too (it may land in an attribute)."""
    return html.escape(str(value), quote=True)


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _site(doc: "Document") -> str:
    """A page's site: its URL's host, else the file it came from."""
    if doc.url:
        try:
            host = urlsplit(doc.url if "//" in doc.url else "//" + doc.url).hostname
        except ValueError:
            host = None
        if host:
            return host[4:] if host.startswith("www.") else host
    if doc.line is None:  # a text or HTML file: its folder stands for its site
        parent = str(Path(doc.source).parent)
        return parent if parent != "." else doc.source
    return doc.source


def _owned_spans(text: str) -> list[tuple[int, int, int, int]]:
    """``(line, start, end, owns_to)`` per block: the line, and the text it
    takes with it when removed (its line break and the blank lines after)."""
    blocks = segment(text).tolist()
    ends = [b[0] for b in blocks[1:]] + [len(text)]
    return [(line, start, end, owns) for (start, end, line), owns in zip(blocks, ends)]


class _Passages:
    """Every shared passage, by document: spans to highlight and their links."""

    def __init__(self, result: "Result"):
        synd = result.analysis.syndication
        self.by_doc: dict[int, list[tuple[int, int, int, str, str]]] = defaultdict(list)
        self.partners: dict[int, dict[int, tuple[str, float]]] = defaultdict(dict)
        pairs = [(p, "copy") for c in synd.clusters for p in c.pairs] + [(p, "overlap") for p in synd.overlaps]
        for n, (pair, kind) in enumerate(pairs):
            self.partners[pair.a][pair.b] = (kind, pair.containment)
            self.partners[pair.b][pair.a] = (kind, pair.containment)
            for k, p in enumerate(pair.passages):
                here, there = f"s{n}-{k}-a", f"s{n}-{k}-b"
                self.by_doc[pair.a].append((p.a[0], p.a[1], pair.b, here, there))
                self.by_doc[pair.b].append((p.b[0], p.b[1], pair.a, there, here))


class Links:
    """Where a page links to: another page (by document index) and a template
    (by number). The one-file report holds every page and links none of its
    template tags; the report folder overrides both (:mod:`dedupe.htmlsite`)."""

    def page(self, j: int) -> Optional[str]:
        """The file holding page ``j`` ("" for this one), or None when the report leaves it out."""
        return ""

    def template(self, k: Optional[int]) -> Optional[str]:
        """The address of template ``k``'s entry, or None for an unlinked tag."""
        return None


def _render_line(
    text: str, start: int, end: int, spans: Sequence[tuple], docs: Sequence["Document"], placed: set, links: Links
) -> str:
    """A kept line with its shared passages highlighted and linked."""
    cuts = {start, end}
    for a, b, *_ in spans:
        if a < end and b > start:
            cuts.update((max(a, start), min(b, end)))
    points = sorted(cuts)
    out = []
    for a, b in zip(points, points[1:]):
        piece = _e(text[a:b])
        over = [s for s in spans if s[0] <= a and s[1] >= b]
        if not over:
            out.append(piece)
            continue
        _, _, partner, here, there = over[0]
        anchors = "".join(f'<span id="{s[3]}"></span>' for s in over if s[3] not in placed)
        placed.update(s[3] for s in over)
        also = ", ".join(dict.fromkeys(docs[s[2]].id for s in over))
        where = links.page(partner)
        if where is None:  # the partner is not in the report: the passage is marked, not linked
            out.append(f'{anchors}<mark title="also in {_e(also)} (not in this report)">{piece}</mark>')
            continue
        out.append(
            f'{anchors}<a class="shared" href="{where}#{there}" title="also in {_e(also)}" data-partner="doc-{partner}">'
            f"<mark>{piece}</mark></a>"
        )
    return "".join(out)


def _doc_link(j: int, docs: Sequence["Document"], links: Links) -> str:
    """Page ``j``'s id, linked to it where the report holds it."""
    where = links.page(j)
    return _e(docs[j].id) if where is None else f'<a href="{where}#doc-{j}">{_e(docs[j].id)}</a>'


def _page(
    i: int, doc: "Document", entry: dict, passages: _Passages, docs: Sequence["Document"], templates: dict,
    links: Links = Links(),
) -> str:
    removed = {r["line"]: r for r in entry["removed_lines"]}
    spans = sorted(passages.by_doc.get(i, []))
    placed: set = set()
    lines = []
    for line, start, end, _ in _owned_spans(doc.text):
        text = doc.text[start:end]
        gone = removed.get(line)
        if gone is None:
            lines.append(f"<p>{_render_line(doc.text, start, end, spans, docs, placed, links)}</p>")
            continue
        reason = gone["reason"]
        label = reason.replace("_", " ")
        tag = _e(f"template {gone['template']}" if gone.get("template") is not None else label)
        href = links.template(gone.get("template"))
        if href is not None:
            tag = f'<a href="{href}">{tag}</a>'
        title = f"{label}: {templates.get(gone.get('template'), '')}" if gone.get("template") is not None else label
        lines.append(
            f'<p><del class="removed {_e(reason)}" title="{_e(_short(title, 200))}">{_e(text)}</del>'
            f'<span class="tag">{tag}</span></p>'
        )
    # A passage whose start fell outside a kept line still needs its anchor.
    orphans = "".join(f'<span id="{s[3]}"></span>' for s in spans if s[3] not in placed)
    partners = passages.partners.get(i, {})
    shares = ""
    if partners:
        listed = ", ".join(
            f"{_doc_link(j, docs, links)} ({kind}, containment {c:.2f})" for j, (kind, c) in sorted(partners.items())
        )
        shares = f'<div class="meta shares">shares text with {listed}</div>'
    used = sorted({r["template"] for r in entry["removed_lines"] if r.get("template") is not None})
    hrefs = [(k, links.template(k)) for k in used]
    carried = ""
    if any(h is not None for _, h in hrefs):
        carried = '<div class="meta templates">templates: ' + ", ".join(
            f'<a href="{h}">#{k}</a>' if h is not None else f"#{k}" for k, h in hrefs
        ) + "</div>"
    where = doc.source if doc.line is None else f"{doc.source}:{doc.line}"
    url = f" \u00b7 {_e(doc.url)}" if doc.url else ""
    stats = (
        f"{entry['status']} \u00b7 {entry['blocks_in'] - entry['blocks_out']} of {entry['blocks_in']} blocks removed"
        f" \u00b7 {entry['chars_in'] - entry['chars_out']:,} of {entry['chars_in']:,} characters"
    )
    return (
        f'<section class="page" id="doc-{i}" data-doc="{_e(doc.id)}">{orphans}'
        f"<h3>{_e(doc.id)}</h3>"
        f'<div class="meta">{_e(where)}{url} \u00b7 {stats}</div>{carried}{shares}'
        f'<div class="text">{"".join(lines)}</div></section>'
    )


def _chars_removed(docs: Sequence["Document"], entries: Sequence[dict]) -> tuple[Counter, dict[str, list[int]]]:
    """Characters removed by reason; and per site ``[boilerplate chars, chars in]``."""
    by_reason: Counter = Counter()
    sites: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for doc, entry in zip(docs, entries):
        reasons = {r["line"]: r["reason"] for r in entry["removed_lines"]}
        site = sites[_site(doc)]
        site[1] += len(doc.text)
        for line, start, _, owns in _owned_spans(doc.text):
            if line in reasons:
                by_reason[reasons[line]] += owns - start
                if reasons[line] == "boilerplate":
                    site[0] += owns - start
    return by_reason, sites


def _chart(sites: dict[str, list[int]]) -> str:
    """Horizontal bars: the share of each site's characters removed as boilerplate."""
    rows = sorted(sites.items(), key=lambda kv: (-kv[1][0] / max(kv[1][1], 1), kv[0]))
    shown = rows[:TOP]
    label_w, bar_w, row_h = 200, 260, 24
    width, height = label_w + bar_w + 190, row_h * len(shown) + 8
    parts = [
        f'<svg class="chart" role="img" aria-label="Share of each site\u2019s characters removed as boilerplate" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for n, (site, (lost, total)) in enumerate(shown):
        share = lost / total if total else 0.0
        y = 4 + n * row_h
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{_e(_short(site, 30))}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="16" fill="#eaeef2"/>'
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{bar_w * share:.1f}" height="16" fill="#cf222e"/>'
            f'<text x="{label_w + bar_w + 8}" y="{y + 15}">{share:.0%} ({lost:,} of {total:,} chars)</text>'
        )
    parts.append("</svg>")
    more = f'<p class="muted">\u2026 and {len(rows) - TOP} more sites</p>' if len(rows) > TOP else ""
    return "".join(parts) + more


def _table(head: Iterable[str], rows: Iterable[Iterable[str]], numeric: Iterable[int] = ()) -> str:
    numeric = set(numeric)
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{c}</td>' if k in numeric else f"<td>{c}</td>" for k, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _overview(data: dict, by_reason: Counter, sites: dict[str, list[int]]) -> str:
    """The summary cards, the table of what was removed by reason, and the chart per site."""
    summary = data["summary"]
    skipped = sum(summary["documents_skipped"].values())
    removed_chars = summary["chars_in"] - summary["chars_out"]
    cards = [
        (f"{summary['documents_read']:,}", "documents read"),
        (f"{skipped:,}", "inputs skipped"),
        (f"{summary['documents_cleaned']:,} / {summary['documents_emptied']:,} / {summary['documents_unchanged']:,}", "cleaned / emptied / unchanged"),
        (f"{summary['blocks_in'] - summary['blocks_out']:,} of {summary['blocks_in']:,}", "blocks removed"),
        (f"{removed_chars:,} ({removed_chars / max(summary['chars_in'], 1):.0%})", "characters removed"),
        (f"{summary['templates']:,}", "boilerplate templates"),
        (f"{summary['syndication_clusters']:,}", "syndication clusters"),
        (f"{summary['overlaps']:,}", "partial overlaps"),
    ]
    reasons = _table(
        ["removed as", "blocks", "characters"],
        [[_e(r.replace("_", " ")), f"{n:,}", f"{by_reason.get(r, 0):,}"] for r, n in summary["blocks_removed"].items()],
        numeric=(1, 2),
    )
    shown = "".join(f"<div class='card'><b>{v}</b><span>{label}</span></div>" for v, label in cards)
    return (
        f'<div class="cards">{shown}</div>'
        f'<div class="grid"><div><h2>Removed, by reason</h2>{reasons}</div>'
        f"<div><h2>Boilerplate lost per site</h2>{_chart(sites)}</div></div>"
    )


def render_html(result: "Result") -> str:
    """The HTML report of a run, as one string (deterministic: no clock, no randomness).

    Parameters
    ----------
    result : dedupe.Result
        What :func:`dedupe.scan` or :func:`dedupe.clean` returned.

    Returns
    -------
    str
        A complete HTML document.
    """
    data = result.report.data
    summary = data["summary"]
    docs = result.analysis.documents
    entries = data["documents"]
    first_doc = {}
    for i, d in enumerate(docs):
        first_doc.setdefault(d.id, i)
    passages = _Passages(result)
    by_reason, sites = _chars_removed(docs, entries)
    templates = {t["template"]: t["text"] for t in data["boilerplate"]}

    def doc_link(doc_id: str) -> str:
        i = first_doc.get(doc_id)
        return _e(doc_id) if i is None else f'<a href="#doc-{i}">{_e(doc_id)}</a>'

    top = data["boilerplate"][:TOP]
    template_rows = [
        [
            str(t["template"]),
            _e(_short(t["text"])) + (f' <span class="muted">(+{len(t["variants"]) - 1} variants)</span>' if len(t["variants"]) > 1 else ""),
            f"{len(t['documents']):,}",
            f"{t['removed']:,}",
        ]
        for t in top
    ]
    more_templates = len(data["boilerplate"]) - len(top)
    template_table = (
        _table(["#", "template (first occurrence)", "pages", "blocks removed"], template_rows, numeric=(0, 2, 3))
        + (f'<p class="muted">\u2026 and {more_templates} more in the JSON report</p>' if more_templates > 0 else "")
        if template_rows
        else '<p class="muted">No boilerplate found.</p>'
    )
    clusters = [
        [
            str(n),
            ", ".join(doc_link(d) for d in c["documents"]),
            "; ".join(
                f"{_e(p['documents'][0])} \u2194 {_e(p['documents'][1])}: containment {p['containment']:.2f}, "
                f"{p['shared_words']:,} shared words"
                for p in c["pairs"]
            ),
        ]
        for n, c in enumerate(data["syndication"])
    ]
    overlaps = [
        [", ".join(doc_link(d) for d in p["documents"]), f"{p['shared_words']:,}", f"{p['containment']:.2f}"]
        for p in data["overlaps"]
    ]
    synd_html = (
        _table(["cluster", "pages", "pairs"], clusters, numeric=(0,)) if clusters else '<p class="muted">No syndication found.</p>'
    ) + (
        "<h3>Partial overlaps</h3>" + _table(["pages", "shared words", "containment"], overlaps, numeric=(1, 2)) if overlaps else ""
    )
    skipped_html = (
        "<h2>Skipped inputs</h2><ul>" + "".join(f"<li>{_e(s['message'])}</li>" for s in data["skipped"]) + "</ul>"
        if data["skipped"]
        else ""
    )
    config_rows = [[_e(k.replace("_", "-")), _e(v)] for k, v in data["config"].items()]
    legend = "".join(
        f'<span><del class="removed {_e(r)}">removed: {_e(r.replace("_", " "))}</del></span>' for r in summary["blocks_removed"]
    )
    pages = "".join(_page(i, d, e, passages, docs, templates) for i, (d, e) in enumerate(zip(docs, entries)))
    inputs = ", ".join(data["inputs"])
    return _head(f"dedupe report: {_short(inputs, 80)}", _CSP, _STYLE) + f"""<body>
<header class="top"><h1>dedupe report</h1><p>{_e(inputs)} \u00b7 dedupe {_e(data["dedupe_version"])}</p></header>
<main>
<h2>Summary</h2>
{_overview(data, by_reason, sites)}
<h2>Top boilerplate templates</h2>{template_table}
<h2>Syndication</h2>{synd_html}
{skipped_html}
<details><summary>Configuration, as run</summary>{_table(["option", "value"], config_rows)}</details>
<h2>Pages</h2>
<p class="legend muted">{legend}<span><mark>shared with another page</mark> (links to it)</span></p>
{pages}
</main>
</body>
</html>
"""


def write_html(result: "Result", path: Path, *, single_file_max: Optional[int] = None) -> None:
    """Write the HTML report atomically: one page for a corpus of at most
    ``single_file_max`` documents (:data:`SINGLE_FILE_MAX`), else the page
    as an index and a folder beside it (:mod:`dedupe.htmlsite`). UTF-8; a
    lone surrogate from JSON input becomes a character reference, shown as
    a replacement character."""
    from . import htmlsite  # it builds on this module

    path = Path(path)
    limit = SINGLE_FILE_MAX if single_file_max is None else single_file_max
    if len(result.analysis.documents) > limit:
        htmlsite.write_folder(result, path)
        return
    with atomic_write(path) as f:
        f.write(render_html(result).encode("utf-8", "xmlcharrefreplace"))
    # A folder an earlier, larger run wrote beside it would now be stale.
    stale = path.parent / htmlsite.files_folder(path.name)
    if (stale / htmlsite.MARKER).exists():
        shutil.rmtree(stale)
