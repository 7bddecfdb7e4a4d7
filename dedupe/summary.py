"""The human summary of a run on stderr: a headline, tables of blocks and
characters, the templates, sites and clusters found, what was skipped, and
what a saved model brought (:func:`print_summary`, from the report's data)."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = ["print_summary", "print_model", "print_sites", "number"]

_SUMMARY_TEMPLATES = 10
_SUMMARY_SITES = 10
_SUMMARY_LINES = 20
# Ids shown of one syndication cluster (a cluster of copies can hold thousands).
_SUMMARY_IDS = 10


def number(value: int) -> str:
    return f"{value:,}"


def print_model(data: dict[str, Any], console: Console) -> None:
    """What a saved model brought to the run, in a line."""
    m = data.get("model")
    if m is not None:
        console.print(Text(
            f"model {m['path']}: {m['earlier_pages_read']} of its {number(m['pages'])} pages read again; "
            f"{len(m['templates'])} templates matched earlier pages; {len(m['syndication'])} syndication clusters "
            "and " f"{len(m['overlaps'])} overlaps with earlier pages"
        ))


def print_summary(data: dict[str, Any], console: Console) -> None:
    """The human summary of a report: a headline, tables, then skipped inputs."""
    print_model(data, console)
    s = data["summary"]
    skipped = sum(s["documents_skipped"].values())
    dropped = sum(s["documents_dropped"].values())
    console.print(
        Text(
            f"dedupe: {s['documents_read']} documents read, {skipped} skipped; {s['documents_cleaned']} cleaned, "
            f"{s['documents_emptied']} emptied, {s['documents_unchanged']} unchanged"
            + (f"; {dropped} dropped as near-duplicates (listed in the report)" if dropped else "")
        )
    )
    table = Table(box=box.SIMPLE_HEAD, show_header=True, pad_edge=False)
    table.add_column("", style="bold")
    table.add_column("in", justify="right")
    table.add_column("out", justify="right")
    table.add_column("removed", justify="right")
    table.add_column("by reason")
    removed = ", ".join(f"{r.replace('_', ' ')} {number(n)}" for r, n in s["blocks_removed"].items() if n)
    table.add_row("blocks", number(s["blocks_in"]), number(s["blocks_out"]), number(s["blocks_in"] - s["blocks_out"]), Text(removed or "-"))
    table.add_row("characters", number(s["chars_in"]), number(s["chars_out"]), number(s["chars_in"] - s["chars_out"]), "")
    console.print(table)
    if skipped:
        by_reason = ", ".join(f"{r.replace('_', ' ')} {n}" for r, n in s["documents_skipped"].items() if n)
        console.print(Text(f"skipped inputs by reason: {by_reason}"))
    console.print(
        Text(
            f"{s['templates']} boilerplate templates, {s['syndication_clusters']} syndication clusters, "
            f"{s['overlaps']} partial overlaps"
        )
    )
    if data["boilerplate"]:
        templates = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        shown = data["boilerplate"][:_SUMMARY_TEMPLATES]
        number_w = max(len(str(t["template"])) for t in shown)
        pages_w = max(len("pages"), *(len(number(len(t["documents"]))) for t in shown))
        # The text gets what the numbers and the table's edges and padding
        # (7 columns, measured) leave: left to itself, rich shrinks the
        # numbers to nothing to fit a long unwrapped text, at any width.
        text_w = max(10, console.width - number_w - pages_w - 7)
        templates.add_column("#", justify="right", no_wrap=True)
        templates.add_column("pages", justify="right", no_wrap=True)
        templates.add_column("template (first occurrence)", no_wrap=True, overflow="ellipsis", max_width=text_w)
        for t in shown:
            templates.add_row(str(t["template"]), number(len(t["documents"])), Text(t["text"]))
        console.print(templates)
        if len(data["boilerplate"]) > _SUMMARY_TEMPLATES:
            console.print(Text(f"... and {len(data['boilerplate']) - _SUMMARY_TEMPLATES} more templates (see the report)"))
    print_sites(data, console)
    for c in data["syndication"][:_SUMMARY_LINES]:
        ids, more = c["documents"][:_SUMMARY_IDS], len(c["documents"]) - _SUMMARY_IDS
        console.print(Text(f"syndicated: {', '.join(ids)}" + (f" and {more} more" if more > 0 else "")), soft_wrap=True)
    if len(data["syndication"]) > _SUMMARY_LINES:
        console.print(Text(f"... and {len(data['syndication']) - _SUMMARY_LINES} more clusters (see the report)"))
    for item in data["skipped"][:_SUMMARY_LINES]:
        console.print(Text(f"skipped: {item['message']}"), soft_wrap=True)
    if len(data["skipped"]) > _SUMMARY_LINES:
        console.print(Text(f"... and {len(data['skipped']) - _SUMMARY_LINES} more skipped (see the report)"))


def print_sites(data: dict[str, Any], console: Console) -> None:
    """The sites with most pages: pages, characters in and removed, templates,
    syndicated pages. Not for a corpus without URLs (one row of it all)."""
    sites = data["sites"]
    if not any(row["site"] is not None for row in sites):
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("site", no_wrap=True, overflow="ellipsis", min_width=12)
    for head in ("pages", "chars in", "removed", "templates", "syndicated"):
        table.add_column(head, justify="right", no_wrap=True)
    for row in sites[:_SUMMARY_SITES]:
        removed = f"{row['chars_removed'] / row['chars_in']:.0%}" if row["chars_in"] else "-"
        table.add_row(
            Text(row["site"] if row["site"] is not None else "(no URL)"), number(row["pages"]), number(row["chars_in"]),
            removed, number(row["templates"]), number(row["syndicated"]),
        )
    console.print(table)
    if len(sites) > _SUMMARY_SITES:
        console.print(Text(f"... and {len(sites) - _SUMMARY_SITES} more sites (see the report)"))
