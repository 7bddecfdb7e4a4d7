"""What a stage declares: the stages whose tables it reads, the config it
depends on, and the tables it writes.

A stage's result is a set of named columnar tables (numpy arrays of one
length per table, a row being a document, a block, a pair …). From the
declaration alone the run (:meth:`dedupe.pipeline.Run.execute`) makes the
stage's checkpoint key (the keys of the stages it reads, its config, the
code), writes and reads its tables (``.npz``, one array per column, named
``table.column``), checks what it reads back (every column there, one
length per table, as many rows of a kind as the run knows of), and tells
the progress that a stage was reused. No stage writes that code itself.

The tables are the unit a distributed executor moves: ``partition`` names
the column whose equal values must meet in one place when the table is
grouped (None: rows stay in the order of the rows they come from).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, is_dataclass
from typing import Any, Mapping, Optional

import numpy as np

__all__ = ["Table", "Stage", "Tables"]

#: A stage's result: table name -> column name -> array.
Tables = dict[str, dict[str, np.ndarray]]


@dataclass(frozen=True)
class Table:
    """A table a stage writes.

    Attributes
    ----------
    name : str
    columns : tuple of str
        Its columns, each an array with one row per table row (2-d columns
        hold a fixed number of values a row).
    rows : str
        What a row is ("document", "block", "pair", …): tables whose rows
        are of one kind have as many rows.
    partition : str, optional
        The column rows are grouped by when they meet (a reduce step), if any.
    """

    name: str
    columns: tuple[str, ...]
    rows: str
    partition: Optional[str] = None


@dataclass(frozen=True)
class Stage:
    """A stage's contract.

    Attributes
    ----------
    name : str
    reads : tuple of str
        The stages whose tables it reads (their keys are part of its key).
    config : tuple of str
        What of the :class:`~dedupe.config.Config` it depends on: a section
        (``"shingle"``) or one field of one (``"boilerplate.block_threshold"``).
    writes : tuple of Table
    """

    name: str
    reads: tuple[str, ...]
    config: tuple[str, ...]
    writes: tuple[Table, ...]

    def key_parts(self, config: Any) -> list:
        """The config values the stage depends on, JSON-able, in declared order."""
        parts = []
        for path in self.config:
            value = config
            for name in path.split("."):
                value = getattr(value, name)
            parts.append(asdict(value) if is_dataclass(value) else value)
        return parts

    def encode(self, tables: Tables) -> dict[str, np.ndarray]:
        """The tables as flat arrays ``table.column``, checked against the declaration."""
        self.check(tables)
        return {f"{t.name}.{c}": np.asarray(tables[t.name][c]) for t in self.writes for c in t.columns}

    def decode(self, arrays: Mapping[str, np.ndarray], counts: Optional[Mapping[str, int]] = None) -> Tables:
        """Tables back from :meth:`encode`'s arrays; ``ValueError`` when they do not fit the declaration."""
        tables: Tables = {}
        for t in self.writes:
            missing = [c for c in t.columns if f"{t.name}.{c}" not in arrays]
            if missing:
                raise ValueError(f"table {t.name} has no column {missing[0]}")
            tables[t.name] = {c: arrays[f"{t.name}.{c}"] for c in t.columns}
        self.check(tables, counts)
        return tables

    def check(self, tables: Tables, counts: Optional[Mapping[str, int]] = None) -> None:
        """Every declared column there, one length per table, and as many
        rows of each kind as ``counts`` (the run's) says."""
        for t in self.writes:
            columns = tables.get(t.name)
            if columns is None or any(c not in columns for c in t.columns):
                raise ValueError(f"{self.name}: table {t.name} lacks a declared column")
            lengths = {len(columns[c]) for c in t.columns}
            if len(lengths) > 1:
                raise ValueError(f"{self.name}: columns of table {t.name} of different lengths")
            if counts and t.rows in counts and lengths and lengths != {counts[t.rows]}:
                raise ValueError(f"{self.name}: table {t.name} is for another number of {t.rows}s")
