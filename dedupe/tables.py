"""Tables in, tables out: :func:`analyse` on a pyarrow Table or a pandas
DataFrame, and :func:`report_of` the report of any result. A front, like
:mod:`dedupe.api`: it brings the engine and the report together, and the
engine never imports it.

A table has a row per document: its text (``text_field``, default
``text``), and optionally its id (``id_field``; the row number, from 1,
where absent) and URL (``url_field``), by the same names and dotted paths
(struct columns) as a file's records. What comes back is a table of the
same kind and rows, in the same order, with:

* the cleaned text in the text column (or in ``output_field``, added);
* ``removed_lines``: each removed line's ``line`` (1-based, as in the
  report), ``reason``, ``template`` (the report's template number, for
  boilerplate) and ``text``;
* ``cluster``: the number of the row's syndication cluster (its place in
  the report's ``syndication`` list), null when it is in none.
"""

from __future__ import annotations

import weakref
from typing import Any, Optional

import numpy as np

from .boilerplate import BOILERPLATE, KEEP, REASONS
from .config import Config
from .document import Document
from .io.fields import get_path

__all__ = ["analyse", "report_of", "RESULT_COLUMNS"]

#: The columns a table result gains, besides the cleaned text.
RESULT_COLUMNS = ("removed_lines", "cluster")

# The report of each table analyse returned, while that table lives: a
# pyarrow Table cannot carry Python objects, and a DataFrame's attrs are
# deep-copied by pandas operations. Keyed by id, cleared when the table goes.
_REPORTS: dict[int, tuple[weakref.ref, Any]] = {}


def _is_pandas(data: Any) -> bool:
    return type(data).__module__.startswith("pandas") and type(data).__name__ == "DataFrame"


def _is_arrow(data: Any) -> bool:
    import pyarrow as pa

    return isinstance(data, pa.Table)


def _column(data: Any, path: str, arrow: bool) -> Optional[list]:
    """The values of the field ``path`` per row, or None when there is no such column."""
    names = data.column_names if arrow else [str(c) for c in data.columns]
    if path in names:
        return data.column(path).to_pylist() if arrow else data[path].tolist()
    top = path.split(".", 1)[0]
    if not arrow or "." not in path or top not in names:
        return None
    return [get_path({top: value}, path) for value in data.column(top).to_pylist()]


def _documents(data: Any, config: Config, arrow: bool) -> list[Document]:
    read = config.read
    texts = _column(data, read.text_field, arrow)
    if texts is None:
        raise ValueError(
            f"The table has no {read.text_field!r} column (text_field); its columns are "
            f"{', '.join(map(repr, data.column_names if arrow else map(str, data.columns)))}."
        )
    ids = _column(data, read.id_field, arrow) or [None] * len(texts)
    urls = _column(data, read.url_field, arrow) or [None] * len(texts)
    docs = []
    for row, (doc_id, text, url) in enumerate(zip(ids, texts, urls), start=1):
        if text is not None and not isinstance(text, str):
            raise ValueError(f"Row {row}: the {read.text_field!r} value is not a string (a {type(text).__name__}).")
        docs.append(
            Document(
                id=str(row) if doc_id is None or doc_id == "" else str(doc_id),
                text=text or "",
                source="<table>",
                line=row,
                url=url if isinstance(url, str) and url else None,
            )
        )
    return docs


def _removed(analysis, report) -> list[list[dict]]:
    """Each row's removed lines, with the report's template numbers and the line's text."""
    out = []
    for d, entry in enumerate(report.data["documents"]):
        act, blk, text = analysis.action[d], analysis.blocks[d], analysis.documents[d].text
        dropped = np.flatnonzero(act != KEEP).tolist()
        numbers = [line["template"] for line in entry["removed_lines"]]
        out.append(
            [
                {
                    "line": int(blk[b, 2]),
                    "reason": REASONS[int(act[b])],
                    "template": numbers[k] if act[b] == BOILERPLATE else None,
                    "text": text[int(blk[b, 0]) : int(blk[b, 1])].strip("\r\n"),
                }
                for k, b in enumerate(dropped)
            ]
        )
    return out


def _clusters(analysis) -> list[Optional[int]]:
    cluster: list[Optional[int]] = [None] * len(analysis.documents)
    for number, c in enumerate(analysis.syndication.clusters):
        for m in c.members:
            cluster[m] = number
    return cluster


def _table_result(data: Any, analysis, report, config: Config, arrow: bool) -> Any:
    read = config.read
    field = read.output_field or read.text_field
    names = data.column_names if arrow else [str(c) for c in data.columns]
    taken = [c for c in RESULT_COLUMNS if c in names]
    if taken:
        raise ValueError(f"The table has a {taken[0]!r} column already, which the result adds; rename it first.")
    missing = _column(data, read.text_field, arrow)
    # A row without a text comes back without one (analysed as an empty document).
    cleaned = [None if was is None else text for was, text in zip(missing, analysis.cleaned)]
    removed, clusters = _removed(analysis, report), _clusters(analysis)
    if arrow:
        import pyarrow as pa

        line = pa.struct([("line", pa.int64()), ("reason", pa.string()), ("template", pa.int64()), ("text", pa.string())])
        values = pa.array(cleaned, type=pa.string())
        out = data.set_column(names.index(field), field, values) if field in names else data.append_column(field, values)
        out = out.append_column("removed_lines", pa.array(removed, type=pa.list_(line)))
        return out.append_column("cluster", pa.array(clusters, type=pa.int64()))
    import pandas as pd

    out = data.copy()
    out[field] = cleaned
    out["removed_lines"] = removed
    out["cluster"] = pd.array(clusters, dtype="Int64")
    return out


def _remember(table: Any, report) -> None:
    key = id(table)
    _REPORTS[key] = (weakref.ref(table, lambda _: _REPORTS.pop(key, None)), report)


def analyse(data: Any, config: Optional[Config] = None, *, jobs=1, progress=None, memory: Optional[int] = None, **options):
    """Find boilerplate and syndication in documents, or in the rows of a table.

    Parameters
    ----------
    data : sequence of Document, pyarrow.Table or pandas.DataFrame
        A table has a text column and optionally id and URL columns, named
        by ``text_field``, ``id_field``, ``url_field`` (dotted paths reach
        into pyarrow struct columns).
    config : Config, optional
        Defaults, changed by ``options``.
    jobs, progress, memory
        As for :func:`dedupe.pipeline.analyse`.
    **options
        Any :class:`Config` option by its flat name (``text_field="content"``).

    Returns
    -------
    Analysis, or a table of the type given
        For documents, the :class:`~dedupe.results.Analysis`. For a table,
        a new one of the same type and rows with the cleaned text (in the
        text column, or ``output_field``), ``removed_lines`` and
        ``cluster`` (see :mod:`dedupe.tables`).

    Raises
    ------
    ValueError
        For a table without its text column, a text that is not a string,
        or a column the result would overwrite.

    Examples
    --------
    >>> import pandas as pd, dedupe  # doctest: +SKIP
    >>> out = dedupe.analyse(pd.DataFrame({"id": [...], "text": [...], "url": [...]}))  # doctest: +SKIP
    >>> out[["id", "text", "cluster"]]; dedupe.report_of(out).data["summary"]  # doctest: +SKIP
    """
    from .pipeline import analyse as analyse_documents
    from .pipeline import resolve

    config = resolve(config, options)
    arrow = _is_arrow(data)
    if not arrow and not _is_pandas(data):
        analysis = analyse_documents(data, config, jobs=jobs, progress=progress, memory=memory)
        analysis.config = config
        return analysis
    documents = _documents(data, config, arrow)
    analysis = analyse_documents(documents, config, jobs=jobs, progress=progress, memory=memory)
    analysis.config = config
    report = _report(analysis, config)
    result = _table_result(data, analysis, report, config, arrow)
    _remember(result, report)
    return result


def _report(analysis, config: Config):
    from .io.readers import Corpus
    from .report import build_report

    return build_report(Corpus(documents=analysis.documents), analysis, config, [])


def report_of(result: Any):
    """The report (:class:`dedupe.report.Report`) of any result: what
    :func:`dedupe.scan` or :func:`dedupe.clean` returned, an
    :class:`~dedupe.results.Analysis`, or a table :func:`analyse` returned
    (while it lives: a table derived from it is another table).

    Raises
    ------
    TypeError
        For anything else, saying what is accepted.
    """
    from .api import Result
    from .results import Analysis

    if isinstance(result, Result):
        return result.report
    if isinstance(result, Analysis):
        return _report(result, getattr(result, "config", None) or Config())
    found = _REPORTS.get(id(result))
    if found is not None and found[0]() is result:
        return found[1]
    if _is_arrow(result) or _is_pandas(result):
        raise TypeError(
            "This table was not returned by dedupe.analyse (or was derived from one): pass the table it returned."
        )
    raise TypeError(
        f"report_of takes what dedupe.scan, dedupe.clean or dedupe.analyse returned, not a {type(result).__name__}."
    )
