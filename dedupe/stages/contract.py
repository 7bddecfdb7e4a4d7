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

A stage also declares its work as :class:`Step` s: *map* steps, each a
function over a part of its rows (a chunk of files, documents, blocks or
pairs) that needs nothing of the others, and *reduce* steps, where rows of
the whole corpus meet on a key (a block digest, an LSH band key, an
n-gram, a document pair, a block cluster). The local executor runs a map
step on its worker processes and a reduce step over its spill shards; the
Spark executor (:mod:`dedupe.backends.spark`) runs them as
``mapPartitions`` and as a shuffle on the key. The progress a stage
reports is its steps' (``"syndication · signatures"``), which the tests
hold to the declaration.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, is_dataclass
from typing import Any, Mapping, Optional

import numpy as np

__all__ = ["Table", "Step", "Stage", "Tables"]

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
class Step:
    """A step of a stage's work.

    Attributes
    ----------
    name : str
        As the progress names it, after the stage's name
        (``"syndication · signatures"``); a step that repeats is numbered
        (``"boilerplate · round 2"``).
    kind : str
        ``"map"``: each part of ``over`` on its own; ``"reduce"``: the rows
        with one ``over`` (a key) together.
    over : str
        What a map step's parts hold ("documents", "distinct blocks"), or
        the key a reduce step's rows meet on ("LSH band key").
    does : str
        What it computes, in a line.
    """

    name: str
    kind: str
    over: str
    does: str

    def __post_init__(self):
        if self.kind not in ("map", "reduce"):
            raise ValueError(f"step {self.name}: kind is map or reduce, not {self.kind!r}")


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
    steps : tuple of Step
        Its work, in order. A stage of one step reports progress under its
        own name.
    """

    name: str
    reads: tuple[str, ...]
    config: tuple[str, ...]
    writes: tuple[Table, ...]
    steps: tuple[Step, ...] = ()

    def progress_names(self) -> tuple[str, ...]:
        """The names its progress goes by: its own, and each step's after it."""
        return (self.name, *(f"{self.name} · {s.name}" for s in self.steps))

    def declares(self, progress_name: str) -> bool:
        """Whether ``progress_name`` (a step's number aside) is one of :meth:`progress_names`."""
        base = progress_name.rsplit(" ", 1)[0] if progress_name.rsplit(" ", 1)[-1].isdigit() else progress_name
        return base in self.progress_names()

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
