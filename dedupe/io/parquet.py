"""Parquet files (pyarrow), read a batch of rows at a time.

A record is a row; its ``line`` is its 1-based row number. Only the id,
text, URL and HTML columns are read; a dotted field (``metadata.url``) is
a child of a struct column, and only that child is read. The cleaned file
has every row read, every column as it came (less those ``drop_fields``
leaves out, or only those ``keep_fields`` keeps), and the text column (or
``output_field``, added if missing) holding the cleaned text; rows that
were skipped are left out.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator, Mapping, Optional, Union

import pyarrow as pa
import pyarrow.parquet as pq

from ..config import ReadConfig
from ..document import Document, InputError
from . import remote
from .fields import drop_paths, keep_tree, paths_in, split_path
from .files import InputFile, atomic_write
from .records import FieldsSeen, record_document

__all__ = ["read", "write"]

_BATCH_ROWS = 1024


@contextmanager
def _opened(f: InputFile):
    """What pyarrow reads the file from: a path, standard input's bytes, or
    an object store's file (:mod:`.remote`), closed after."""
    if f.url is not None:
        with remote.open_binary(f.url) as fh:
            yield fh
    else:
        yield pa.BufferReader(f.data) if f.path is None else str(f.path)


def _column_of(schema: pa.Schema, path: str) -> Optional[str]:
    """The column (or struct child, dotted) that holds the field ``path``:
    the column of that name, else the child the dotted path leads to; None
    when the file has neither."""
    if path in schema.names:
        return path
    keys = split_path(path)
    if len(keys) < 2 or keys[0] not in schema.names:
        return None
    kind = schema.field(keys[0]).type
    for key in keys[1:]:
        if not pa.types.is_struct(kind) or kind.get_field_index(key) < 0:
            return None
        kind = kind.field(key).type
    return path


def _unreadable(f: InputFile, exc: Exception, row: Optional[int] = None) -> InputError:
    return InputError(f.source, row, "unreadable", getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)


def _every_row(f: InputFile, rows: int, reason: str, detail: str) -> Iterator[InputError]:
    """A skip for each row of a file none of whose rows can be read: every
    document is accounted for, one by one, as a CSV or JSONL file's are."""
    for row in range(1, rows + 1):
        yield InputError(f.source, row, reason, detail)


def read(f: InputFile, config: ReadConfig, seen: Optional[FieldsSeen] = None) -> Iterator[Union[Document, InputError]]:
    """Yield the documents of a Parquet file, and an :class:`InputError` for
    each bad row; ``seen`` is told which named fields the rows have."""
    try:
        with _opened(f) as source:
            yield from _read(f, pq.ParquetFile(source), config, seen)
    except (OSError, pa.ArrowException) as exc:
        yield _unreadable(f, exc)


def _read(f: InputFile, parquet: pq.ParquetFile, config: ReadConfig, seen: Optional[FieldsSeen]):
    schema = parquet.schema_arrow
    names = schema.names
    rows = parquet.metadata.num_rows
    if _column_of(schema, config.text_field) is None and _column_of(schema, config.html_field) is None:
        detail = f"no {config.text_field!r} or {config.html_field!r} column; the columns are {', '.join(map(repr, names))}"
        yield from _every_row(f, rows, "invalid_record", detail)
        return
    size = sum(parquet.metadata.row_group(g).total_byte_size for g in range(parquet.num_row_groups))
    if size > config.max_file_bytes:  # told by the footer, before a row group is decompressed
        detail = f"the file is {size:,} bytes uncompressed, more than {config.max_file_bytes:,} (--max-file-bytes)"
        yield from _every_row(f, rows, "too_large", detail)
        return
    fields = (config.id_field, config.text_field, config.url_field, config.html_field)
    wanted = list(dict.fromkeys(c for c in map(lambda p: _column_of(schema, p), fields) if c is not None))
    row = 0
    try:
        for batch in parquet.iter_batches(batch_size=_BATCH_ROWS, columns=wanted):
            for record in batch.to_pylist():  # a struct child read comes as {"metadata": {"url": ...}}
                row += 1
                try:
                    yield record_document(record, f.name, f.source, row, config, seen)
                except InputError as err:
                    yield err
    except (OSError, pa.ArrowException) as exc:
        yield _unreadable(f, exc, row + 1)


def _struct(children: list, names: list, mask=None) -> pa.StructArray:
    return pa.StructArray.from_arrays(children, names=names, mask=mask)


def _set_child(column: Optional[pa.Array], keys: tuple, values: pa.Array) -> pa.Array:
    """``column`` (a struct array, or None to make one) with the child at
    ``keys`` holding ``values``, made if missing."""
    if not keys:
        return values
    if column is None or not pa.types.is_struct(column.type):
        return _struct([_set_child(None, keys[1:], values)], [keys[0]])
    names = [child.name for child in column.type]
    children = column.flatten()
    if keys[0] in names:
        i = names.index(keys[0])
        children[i] = _set_child(children[i], keys[1:], values)
    else:
        children.append(_set_child(None, keys[1:], values))
        names.append(keys[0])
    return _struct(children, names, column.is_null())


def _text_type(table: pa.Table, field: str) -> pa.DataType:
    """The cleaned text's type: a large string where the column was one."""
    if field in table.column_names and table.schema.field(field).type == pa.large_string():
        return pa.large_string()
    return pa.string()


def _set_text(table: pa.Table, field: str, texts: list) -> pa.Table:
    """The table with the text column (a struct child for a dotted name the
    file has no column of) holding ``texts``; made if missing."""
    values = pa.array(texts, type=_text_type(table, field))
    keys = split_path(field)
    if field in table.column_names or len(keys) == 1:
        index = table.schema.get_field_index(field)
        if index >= 0:
            kept = table.schema.field(index)  # its nullability and metadata too, when still a string
            return table.set_column(index, kept if kept.type == values.type else pa.field(field, values.type), values)
        return table.append_column(pa.field(field, values.type), values)
    top = keys[0]
    index = table.schema.get_field_index(top)
    column = table.column(top).combine_chunks() if index >= 0 else None
    nested = _set_child(column, keys[1:], values)
    if index >= 0:
        return table.set_column(index, pa.field(top, nested.type), nested)
    return table.append_column(pa.field(top, nested.type), nested)


def _keep_child(column: pa.Array, tree: dict) -> pa.Array:
    if not pa.types.is_struct(column.type):
        return column
    names, children = [], []
    for child, values in zip(column.type, column.flatten()):
        sub = tree.get(child.name)
        if sub is not None:
            names.append(child.name)
            children.append(values if sub is True else _keep_child(values, sub))
    return _struct(children, names, column.is_null())


def _drop_child(column: pa.Array, keys: tuple) -> pa.Array:
    if not pa.types.is_struct(column.type):
        return column
    names = [child.name for child in column.type]
    children = column.flatten()
    if keys[0] not in names:
        return column
    i = names.index(keys[0])
    if len(keys) == 1:
        del names[i], children[i]
    else:
        children[i] = _drop_child(children[i], keys[1:])
    return _struct(children, names, column.is_null())


def _project(table: pa.Table, config: ReadConfig) -> pa.Table:
    """The columns ``keep_fields`` keeps, or those ``drop_fields`` leaves;
    a dotted name reaches into struct columns."""
    present = dict.fromkeys(table.column_names)
    if config.kept is not None:
        tree = keep_tree(paths_in(present, [*config.kept, *config.always_kept]))
        table = table.select([name for name in table.column_names if name in tree])
        for index, name in enumerate(table.column_names):
            if tree[name] is not True:
                column = _keep_child(table.column(index).combine_chunks(), tree[name])
                table = table.set_column(index, pa.field(name, column.type), column)
        return table
    for keys in drop_paths(present, config.dropped, config.always_kept):
        if keys[0] not in table.column_names:
            continue
        index = table.schema.get_field_index(keys[0])
        if len(keys) == 1:
            table = table.remove_column(index)
        else:
            column = _drop_child(table.column(index).combine_chunks(), keys[1:])
            table = table.set_column(index, pa.field(keys[0], column.type), column)
    return table


def _output(table: pa.Table, texts: list, config: ReadConfig) -> pa.Table:
    """The rows read (``texts`` None for a row skipped) as written: the
    cleaned text in its field, then the fields kept."""
    table = table.filter(pa.array([t is not None for t in texts], type=pa.bool_()))
    table = _set_text(table, config.output_field or config.text_field, [t for t in texts if t is not None])
    if config.kept is not None or config.dropped:
        table = _project(table, config)
    return table


def write(f: InputFile, target: Path, cleaned: Mapping[tuple[str, Optional[int]], str], config: ReadConfig) -> None:
    """Write every row read, with its cleaned text; one row group at a time,
    so the input's row groups are kept and memory holds one of them."""
    with ExitStack() as stack:
        try:
            parquet = pq.ParquetFile(stack.enter_context(_opened(f)))
        except (OSError, pa.ArrowException):
            return  # unreadable: that is in the report already, and no row was read
        schema = _output(parquet.schema_arrow.empty_table(), [], config).schema
        row = 0
        with atomic_write(target) as out, pq.ParquetWriter(out, schema) as writer:
            try:
                for group in range(parquet.num_row_groups):
                    table = parquet.read_row_group(group)
                    texts = [cleaned.get((f.source, row + i)) for i in range(1, table.num_rows + 1)]
                    row += table.num_rows
                    # Same rows give the same bytes: pyarrow writes no timestamp.
                    writer.write_table(_output(table, texts, config).replace_schema_metadata(schema.metadata))
            except (OSError, pa.ArrowException):
                pass  # the file breaks where reading it broke: that is in the report already
