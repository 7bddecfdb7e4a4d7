"""Command help in sections: the options of a command grouped by what they
set (input, output, boilerplate, ...), each group a short list, with
examples at the end.

Click lists every option under one "Options" heading; forty of them, I/O
and algorithm thresholds mixed, read as a wall. :class:`GroupedCommand`
renders the same help records under the headings of :data:`GROUPS`, a
mapping from heading to option names (click's parameter names) shared by
every command: a command shows the groups it has options of. An option in
no group is still shown, under "Other options", and
``tests/test_clihelp.py`` fails until it is given one.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import click

__all__ = ["GROUPS", "GroupedCommand", "examples"]

#: Option names by help section, in the order shown.
GROUPS: Mapping[str, Sequence[str]] = {
    "Input": (
        "format", "id_field", "text_field", "url_field", "html_field", "limit", "strict", "max_document_bytes",
        "max_file_bytes",
    ),
    "Output": (
        "output", "output_field", "keep_fields", "drop_fields", "report_path", "html_path", "as_json",
        "quiet",
    ),
    "Boilerplate": (
        "block_threshold", "min_documents", "copy_containment", "same_site_copy_containment", "cross_site_min_sites",
        "copy_check_limit", "strip_repeats", "link_lines", "page_extractor",
    ),
    "Block model": ("block_model", "content_threshold", "restore_threshold", "model_min_site_pages"),
    "Syndication": (
        "syndication_threshold", "lsh_threshold", "min_passage_words", "overlap_min_words", "drop_duplicates",
        "duplicate_threshold", "dropped_path",
    ),
    "Shingles and signatures": ("short_block_words", "char_ngram", "word_ngram", "doc_ngram", "num_perm", "seed"),
    "Saved model": ("model", "update"),
    "Resources": ("jobs", "memory", "work_dir", "checkpoint", "backend", "spark_master", "spark_conf"),
    "General": ("config_file", "help"),
}


def examples(*lines: str) -> str:
    """An "Examples" epilog section: ``command  # what it does`` lines, kept as written."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines) + "\n"


class GroupedCommand(click.Command):
    """A :class:`click.Command` whose help lists its options by :data:`GROUPS`."""

    def options(self, ctx: click.Context) -> dict[str, click.Parameter]:
        """The command's options by the names :data:`GROUPS` uses: click's
        parameter name, and ``help`` for the help option (whatever click calls it)."""
        help_option = self.get_help_option(ctx)
        return {
            "help" if p is help_option else p.name: p for p in self.get_params(ctx) if not isinstance(p, click.Argument)
        }

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        records = {name: p.get_help_record(ctx) for name, p in self.options(ctx).items()}
        for title, names in GROUPS.items():
            rows = [records[n] for n in names if records.get(n) is not None]
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)
        grouped = {n for names in GROUPS.values() for n in names}
        rest = [r for n, r in records.items() if r is not None and n not in grouped]
        if rest:
            with formatter.section("Other options"):
                formatter.write_dl(rest)
