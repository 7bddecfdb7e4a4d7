"""The HTML report as a folder, for a corpus too large for one page.

``write_html(result, "report.html")`` writes one self-contained page when
the corpus has at most :data:`dedupe.htmlreport.SINGLE_FILE_MAX` documents;
past that it writes ``report.html`` as an index and, beside it, the folder
``report_files/``:

``report.html``
    The summary, the chart per site, a filter box, the index by site (its
    pages, share lost to boilerplate, templates, syndicated pages) and by
    template, the syndication clusters and partial overlaps.
``report_files/templates.html``
    Each template: its text, variants, counts, and links to the pages that
    carry it (those the report shows first).
``report_files/site-N.html``
    One site: its figures, its most widespread templates, a sample of its
    pages in full (removed lines struck through and linked to their
    template, shared passages linked to the partner page), and the names of
    more of its pages.

Every list is bounded, so the report stays small at any corpus size: at
most :data:`MAX_SITES` site files, :data:`PAGES_PER_SITE` pages shown per
site (pages in syndication clusters first, whole clusters where they fit,
so that partner links lead somewhere), :data:`PAGES_PER_TEMPLATE` pages
linked per template, :data:`MAX_TEMPLATES` templates and
:data:`MAX_CLUSTERS` clusters, overlaps and skipped inputs listed. The rest
is in the JSON report. The pages are as safe as the one-file report: text
escaped, nothing fetched; the index's one script (the filter) is allowed by
its SHA-256 hash in the Content-Security-Policy, and no other script can run.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import os
import shutil
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Optional
from urllib.parse import quote

from .htmlreport import _STYLE, Links, _doc_link, _e, _head, _owned_spans, _overview, _page, _Passages, _short, _site, _table
from .io.files import atomic_write

if TYPE_CHECKING:
    from .api import Result

__all__ = [
    "PAGES_PER_SITE", "LISTED_PER_SITE", "PAGES_PER_TEMPLATE", "MAX_SITES", "MAX_TEMPLATES", "MAX_CLUSTERS",
    "MARKER", "files_folder", "render_folder", "write_folder",
]

#: Pages of a site shown in full, and more of its pages named.
PAGES_PER_SITE = 10
LISTED_PER_SITE = 100
#: Pages linked from a template.
PAGES_PER_TEMPLATE = 10
#: Sites with a file of their own (the most pages first), templates listed,
#: and syndication clusters, overlaps and skipped inputs listed.
MAX_SITES = 500
MAX_TEMPLATES = 1000
MAX_CLUSTERS = 200
#: The file that marks a folder as one this module wrote (and may replace).
MARKER = ".dedupe-html-report"

# The index's filter: hides the rows of the site and template tables whose
# text does not hold what is typed. Its hash goes in the page's policy.
_FILTER = (
    'const box = document.getElementById("filter");\n'
    'box.addEventListener("input", () => {\n'
    "  const q = box.value.trim().toLowerCase();\n"
    '  for (const row of document.querySelectorAll("[data-search]")) {\n'
    '    row.hidden = q !== "" && !row.dataset.search.includes(q);\n'
    "  }\n"
    "});\n"
)
_FILTER_HASH = base64.b64encode(hashlib.sha256(_FILTER.encode("utf-8")).digest()).decode("ascii")
_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
_INDEX_POLICY = f"default-src 'none'; script-src 'sha256-{_FILTER_HASH}'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
_MORE_STYLE = """
nav.crumbs { font-size: 13px; margin: 0 0 8px; }
nav.crumbs a { color: #c9d1d9; }
.search input { font: inherit; padding: 4px 8px; width: 320px; max-width: 100%; }
section.template { background: #fff; border: 1px solid var(--line); border-radius: 6px; margin: 12px 0; padding: 8px 16px; }
section.template h3 { margin: 4px 0; font-size: 15px; }
section.template .text { white-space: pre-wrap; overflow-wrap: anywhere; }
section.template:target { border-color: var(--link); box-shadow: 0 0 0 2px #cfe2ff; }
section.page:target { border-color: var(--link); box-shadow: 0 0 0 2px #cfe2ff; }
"""


def files_folder(index_name: str) -> str:
    """The folder beside the index ``index_name`` that holds the other files: ``report.html`` → ``report_files``."""
    stem = index_name[: -len(".html")] if index_name.endswith(".html") else index_name
    return f"{stem}_files"


class _Plan:
    """What the report shows: each page's site, the sites with a file, the
    pages shown in full, and the figures of sites and templates."""

    def __init__(self, result: "Result"):
        docs = result.analysis.documents
        data = result.report.data
        synd = result.analysis.syndication
        names = [_site(d) for d in docs]
        pages = Counter(names)
        order = sorted(pages, key=lambda s: (-pages[s], s))
        self.sites = order  # site number -> name
        number = {s: k for k, s in enumerate(order)}
        self.site_of = [number[s] for s in names]
        self.pages = [pages[s] for s in order]

        # Whole clusters (and overlapping pairs) first, where every member's
        # site still has room in half its sample; then each site's pages in
        # input order.
        groups = [list(c.members) for c in synd.clusters] + [[p.a, p.b] for p in synd.overlaps]
        self.syndicated = {m for g in groups for m in g}
        shown: set[int] = set()
        count: Counter = Counter()
        for group in groups:
            new = [m for m in group if m not in shown]
            need = Counter(self.site_of[m] for m in new)
            if all(s < MAX_SITES and count[s] + n <= PAGES_PER_SITE // 2 for s, n in need.items()):
                shown.update(new)
                count.update(need)
        for i, s in enumerate(self.site_of):
            if s < MAX_SITES and count[s] < PAGES_PER_SITE and i not in shown:
                shown.add(i)
                count[s] += 1
        self.shown = shown
        self.shown_of: dict[int, list[int]] = defaultdict(list)  # per site, in input order
        for i in sorted(shown):
            self.shown_of[self.site_of[i]].append(i)

        # One pass over the documents: figures per site, pages per template.
        n_sites = len(order)
        self.chars = [[0, 0] for _ in range(n_sites)]  # [boilerplate chars, chars in]
        self.site_templates: list[Counter] = [Counter() for _ in range(n_sites)]
        self.site_syndicated = Counter(self.site_of[m] for m in self.syndicated)
        self.by_reason: Counter = Counter()
        self.template_pages: dict[int, list[int]] = defaultdict(list)  # shown pages first, then others, bounded
        self.template_others: dict[int, list[int]] = defaultdict(list)
        self.entries: dict[int, dict] = {}
        self.listed: dict[int, list[int]] = defaultdict(list)  # per site: pages named, not shown
        for i, (doc, entry) in enumerate(zip(docs, data["documents"])):
            s = self.site_of[i]
            reasons = {r["line"]: r["reason"] for r in entry["removed_lines"]}
            self.chars[s][1] += len(doc.text)
            if reasons:
                for line, start, _, owns in _owned_spans(doc.text):
                    if line in reasons:
                        self.by_reason[reasons[line]] += owns - start
                        if reasons[line] == "boilerplate":
                            self.chars[s][0] += owns - start
            carried = {r["template"] for r in entry["removed_lines"] if r.get("template") is not None}
            self.site_templates[s].update(carried)
            for k in carried:
                target = self.template_pages if i in shown else self.template_others
                if len(target[k]) < PAGES_PER_TEMPLATE:
                    target[k].append(i)
            if i in shown:
                self.entries[i] = entry
            elif len(self.listed[s]) < LISTED_PER_SITE:
                self.listed[s].append(i)

    def linked_pages(self, k: int) -> list[int]:
        """Up to :data:`PAGES_PER_TEMPLATE` pages carrying template ``k``, those shown first."""
        return (self.template_pages.get(k, []) + self.template_others.get(k, []))[:PAGES_PER_TEMPLATE]


class _FolderLinks(Links):
    """Links from a file of the report folder (``prefix`` "") or from the index beside it (the folder's name + "/")."""

    def __init__(self, plan: _Plan, prefix: str, templates: int):
        self._plan, self._prefix, self._templates = plan, prefix, templates

    def page(self, j: int) -> Optional[str]:
        return f"{self._prefix}site-{self._plan.site_of[j]}.html" if j in self._plan.shown else None

    def site(self, s: int) -> Optional[str]:
        return f"{self._prefix}site-{s}.html" if s < MAX_SITES else None

    def template(self, k: Optional[int]) -> Optional[str]:
        return f"{self._prefix}templates.html#t-{k}" if k is not None and k < self._templates else None


def _document(title: str, policy: str, crumbs: str, body: str, script: str = "") -> str:
    return _head(title, policy, _STYLE + _MORE_STYLE) + f"""<body>
<header class="top"><h1>{_e(title)}</h1>{crumbs}</header>
<main>
{body}
</main>
{script}</body>
</html>
"""


def _more(shown: int, total: int, what: str) -> str:
    return f'<p class="muted">\u2026 and {total - shown:,} more {what} in the JSON report</p>' if total > shown else ""


def _index(result: "Result", plan: _Plan, links: _FolderLinks, name: str) -> str:
    data = result.report.data
    docs = result.analysis.documents
    chart = {plan.sites[s]: plan.chars[s] for s in range(len(plan.sites))}
    site_rows = []
    for s, site in enumerate(plan.sites[:MAX_SITES]):
        href = links.site(s)
        lost, total = plan.chars[s]
        label = f'<a href="{href}">{_e(site)}</a>' if href else _e(site)
        site_rows.append(
            (site.lower(), [label, f"{plan.pages[s]:,}", f"{lost / total if total else 0:.0%}",
                            f"{len(plan.site_templates[s]):,}", f"{plan.site_syndicated.get(s, 0):,}"])
        )
    templates = data["boilerplate"][:MAX_TEMPLATES]
    template_rows = [
        (t["text"].lower()[:300], [f'<a href="{links.template(t["template"])}">{t["template"]}</a>', _e(_short(t["text"])),
                                   f"{len(t['documents']):,}", f"{t['removed']:,}"])
        for t in templates
    ]
    clusters = []
    for n, c in enumerate(result.analysis.syndication.clusters[:MAX_CLUSTERS]):
        members = list(c.members)
        named = ", ".join(_doc_link(m, docs, links) for m in members[:PAGES_PER_TEMPLATE])
        clusters.append([str(n), named + (f" and {len(members) - PAGES_PER_TEMPLATE:,} more" if len(members) > PAGES_PER_TEMPLATE else "")])
    overlaps = [
        [f"{_doc_link(p.a, docs, links)}, {_doc_link(p.b, docs, links)}", f"{p.shared_words:,}", f"{p.containment:.2f}"]
        for p in result.analysis.syndication.overlaps[:MAX_CLUSTERS]
    ]
    skipped = "".join(f"<li>{_e(s['message'])}</li>" for s in data["skipped"][:MAX_CLUSTERS])
    config_rows = [[_e(k.replace("_", "-")), _e(v)] for k, v in data["config"].items()]
    body = (
        f"<h2>Summary</h2>{_overview(data, plan.by_reason, chart)}"
        '<p class="search"><label>Filter sites and templates: <input id="filter" type="search" '
        'placeholder="a host or a line of text" autocomplete="off"></label></p>'
        f"<h2>Sites</h2>{_searchable(['site', 'pages', 'lost to boilerplate', 'templates', 'syndicated pages'], site_rows, (1, 2, 3, 4))}"
        + (f'<p class="muted">\u2026 and {len(plan.sites) - MAX_SITES:,} more sites, of fewer pages each</p>'
           if len(plan.sites) > MAX_SITES else "")
        + "<h2>Boilerplate templates</h2>"
        + (_searchable(["#", "template (first occurrence)", "pages", "blocks removed"], template_rows, (0, 2, 3))
           if template_rows else '<p class="muted">No boilerplate found.</p>')
        + _more(len(templates), len(data["boilerplate"]), "templates")
        + "<h2>Syndication</h2>"
        + (_table(["cluster", "pages"], clusters, numeric=(0,)) if clusters else '<p class="muted">No syndication found.</p>')
        + _more(len(clusters), len(result.analysis.syndication.clusters), "clusters")
        + ("<h3>Partial overlaps</h3>" + _table(["pages", "shared words", "containment"], overlaps, numeric=(1, 2)) if overlaps else "")
        + _more(len(overlaps), len(result.analysis.syndication.overlaps), "overlaps")
        + (f"<h2>Skipped inputs</h2><ul>{skipped}</ul>" + _more(min(len(data['skipped']), MAX_CLUSTERS), len(data['skipped']), 'skipped inputs')
           if skipped else "")
        + f"<details><summary>Configuration, as run</summary>{_table(['option', 'value'], config_rows)}</details>"
    )
    inputs = ", ".join(data["inputs"])
    crumbs = f"<p>{_e(inputs)} \u00b7 dedupe {_e(data['dedupe_version'])}</p>"
    return _document("dedupe report", _INDEX_POLICY, crumbs, body, f"<script>{_FILTER}</script>\n")


def _searchable(head: list[str], rows: list[tuple[str, list[str]]], numeric: tuple[int, ...]) -> str:
    """A table whose rows the index's filter can hide, each by its ``data-search`` text."""
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join(
        f'<tr data-search="{_e(key)}">'
        + "".join(f'<td class="n">{c}</td>' if k in numeric else f"<td>{c}</td>" for k, c in enumerate(cells))
        + "</tr>"
        for key, cells in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _templates_file(result: "Result", plan: _Plan, links: _FolderLinks, back: str) -> str:
    docs = result.analysis.documents
    sections = []
    for t in result.report.data["boilerplate"][:MAX_TEMPLATES]:
        k = t["template"]
        pages = plan.linked_pages(k)
        variants = "".join(f"<li>{_e(_short(v, 300))}</li>" for v in t["variants"][1:4])
        listed = ", ".join(
            f'{_doc_link(j, docs, links)} <span class="muted">({_e(plan.sites[plan.site_of[j]])})</span>' for j in pages
        )
        sections.append(
            f'<section class="template" id="t-{k}"><h3>Template {k}</h3>'
            f'<div class="text">{_e(_short(t["text"], 600))}</div>'
            + (f'<div class="meta">variants:</div><ul>{variants}</ul>' if variants else "")
            + f'<div class="meta">on {len(t["documents"]):,} pages \u00b7 {t["removed"]:,} blocks removed</div>'
            f'<div class="pages">pages: {listed}'
            + (f" and {len(t['documents']) - len(pages):,} more" if len(t["documents"]) > len(pages) else "")
            + "</div></section>"
        )
    body = "".join(sections) + _more(len(sections), len(result.report.data["boilerplate"]), "templates")
    return _document("Boilerplate templates", _POLICY, f'<nav class="crumbs"><a href="{back}">\u2190 the report</a></nav>', body)


def _site_file(result: "Result", plan: _Plan, links: _FolderLinks, s: int, passages: _Passages, back: str) -> str:
    docs = result.analysis.documents
    texts = {t["template"]: t["text"] for t in result.report.data["boilerplate"][:MAX_TEMPLATES]}
    shown = plan.shown_of.get(s, [])
    lost, total = plan.chars[s]
    cards = [
        (f"{plan.pages[s]:,}", "pages"),
        (f"{len(shown):,}", "shown here in full"),
        (f"{lost / total if total else 0:.0%}", "lost to boilerplate"),
        (f"{len(plan.site_templates[s]):,}", "templates"),
        (f"{plan.site_syndicated.get(s, 0):,}", "syndicated pages"),
    ]
    top = sorted(plan.site_templates[s].items(), key=lambda kv: (-kv[1], kv[0]))[:PAGES_PER_TEMPLATE]
    template_rows = [
        [f'<a href="{links.template(k)}">{k}</a>' if links.template(k) else str(k), _e(_short(texts.get(k, ""))), f"{n:,}"]
        for k, n in top
    ]
    others = plan.listed.get(s, [])
    listed = "".join(
        f"<li>{_e(docs[i].id)} <span class=\"muted\">{_e(docs[i].url or '')}</span></li>" for i in others
    )
    body = (
        '<div class="cards">' + "".join(f"<div class='card'><b>{v}</b><span>{label}</span></div>" for v, label in cards)
        + "</div>"
        + ("<h2>Its most widespread templates</h2>" + _table(["#", "template (first occurrence)", "its pages"], template_rows, numeric=(0, 2))
           if template_rows else "")
        + "<h2>Pages</h2>"
        + "".join(_page(i, docs[i], plan.entries[i], passages, docs, texts, links) for i in shown)
        + (f"<h2>More pages of this site</h2><ul>{listed}</ul>" if listed else "")
        + _more(len(shown) + len(others), plan.pages[s], "pages of this site")
    )
    crumbs = f'<nav class="crumbs"><a href="{back}">\u2190 the report</a></nav>'
    return _document(plan.sites[s], _POLICY, crumbs, body)


def render_folder(result: "Result", index_name: str = "report.html") -> dict[str, str]:
    """The report folder's files as text, by path relative to the index's
    folder: the index ``index_name``, and ``templates.html`` and
    ``site-N.html`` under :func:`files_folder` (deterministic: sorted, no clock)."""
    plan = _Plan(result)
    folder = files_folder(index_name)
    n_templates = min(len(result.report.data["boilerplate"]), MAX_TEMPLATES)
    inside = _FolderLinks(plan, "", n_templates)
    back = "../" + quote(index_name)
    files = {index_name: _index(result, plan, _FolderLinks(plan, quote(folder) + "/", n_templates), index_name)}
    files[f"{folder}/templates.html"] = _templates_file(result, plan, inside, back)
    passages = _Passages(result)
    for s in range(min(len(plan.sites), MAX_SITES)):
        files[f"{folder}/site-{s}.html"] = _site_file(result, plan, inside, s, passages, back)
    return files


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "xmlcharrefreplace")


def write_folder(result: "Result", path: Path) -> None:
    """Write the report folder: the files under a temporary name first,
    swapped in whole for an earlier report's folder, then the index
    atomically. A folder of that name that this module did not write is
    left alone (:class:`FileExistsError`)."""
    path = Path(path)
    files = render_folder(result, path.name)
    folder = path.parent / files_folder(path.name)
    if folder.exists() and not (folder / MARKER).exists():
        raise FileExistsError(errno.EEXIST, "exists and is not a dedupe HTML report's folder; not replaced", str(folder))
    staging = path.parent / f".{folder.name}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        (staging / MARKER).write_bytes(b"")
        for rel, text in files.items():
            if rel != path.name:
                (staging / Path(rel).name).write_bytes(_encode(text))
        if folder.exists():
            old = path.parent / f".{folder.name}.old-{os.getpid()}"
            folder.rename(old)
            try:
                staging.rename(folder)
            except OSError:
                old.rename(folder)  # the earlier report stays whole
                raise
            shutil.rmtree(old)
        else:
            staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    with atomic_write(path) as f:
        f.write(_encode(files[path.name]))
