"""Parquet files (pyarrow), read a batch of rows at a time.

A record is a row; its ``line`` is its 1-based row number. Only the id,
text, URL and HTML columns are read. The cleaned file has every row read,
every column as it came, and the text column (or ``output_field``, added if
missing) holding the cleaned text; rows that were skipped are left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Mapping, Optional, Union

import pyarrow as pa
import pyarrow.parquet as pq

from ..config import ReadConfig
from ..document import Document, InputError
from .files import InputFile, atomic_write
from .records import record_document

__all__ = ["read", "write"]

_BATCH_ROWS = 1024


def _source(f: InputFile):
    return pa.BufferReader(f.data) if f.path is None else str(f.path)


def _unreadable(f: InputFile, exc: Exception, row: Optional[int] = None) -> InputError:
    return InputError(f.source, row, "unreadable", getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)


def _every_row(f: InputFile, rows: int, reason: str, detail: str) -> Iterator[InputError]:
    """A skip for each row of a file none of whose rows can be read: every
    document is accounted for, one by one, as a CSV or JSONL file's are."""
    for row in range(1, rows + 1):
        yield InputError(f.source, row, reason, detail)


def read(f: InputFile, config: ReadConfig) -> Iterator[Union[Document, InputError]]:
    """Yield the documents of a Parquet file, and an :class:`InputError` for each bad row."""
    try:
        parquet = pq.ParquetFile(_source(f))
    except (OSError, pa.ArrowException) as exc:
        yield _unreadable(f, exc)
        return
    names = parquet.schema_arrow.names
    rows = parquet.metadata.num_rows
    if config.text_field not in names and config.html_field not in names:
        detail = f"no {config.text_field!r} or {config.html_field!r} column; the columns are {', '.join(map(repr, names))}"
        yield from _every_row(f, rows, "invalid_record", detail)
        return
    size = sum(parquet.metadata.row_group(g).total_byte_size for g in range(parquet.num_row_groups))
    if size > config.max_file_bytes:  # told by the footer, before a row group is decompressed
        detail = f"the file is {size:,} bytes uncompressed, more than {config.max_file_bytes:,} (--max-file-bytes)"
        yield from _every_row(f, rows, "too_large", detail)
        return
    wanted = list(dict.fromkeys(c for c in (config.id_field, config.text_field, config.url_field, config.html_field) if c in names))
    row = 0
    try:
        for batch in parquet.iter_batches(batch_size=_BATCH_ROWS, columns=wanted):
            columns = {name: batch.column(name).to_pylist() for name in wanted}
            for i in range(batch.num_rows):
                row += 1
                try:
                    yield record_document({name: values[i] for name, values in columns.items()}, f.name, f.source, row, config)
                except InputError as err:
                    yield err
    except (OSError, pa.ArrowException) as exc:
        yield _unreadable(f, exc, row + 1)


def _output_schema(schema: pa.Schema, field: str) -> pa.Schema:
    index = schema.get_field_index(field)
    if index < 0:
        return schema.append(pa.field(field, pa.string()))
    if schema.field(index).type in (pa.string(), pa.large_string()):
        return schema
    return schema.set(index, pa.field(field, pa.string()))


def write(f: InputFile, target: Path, cleaned: Mapping[tuple[str, Optional[int]], str], config: ReadConfig) -> None:
    """Write every row read, with its cleaned text; one row group at a time,
    so the input's row groups are kept and memory holds one of them."""
    field = config.output_field or config.text_field
    try:
        parquet = pq.ParquetFile(_source(f))
    except (OSError, pa.ArrowException):
        return  # unreadable: that is in the report already, and no row was read
    schema = _output_schema(parquet.schema_arrow, field)
    index = schema.get_field_index(field)
    row = 0
    with atomic_write(target) as out, pq.ParquetWriter(out, schema) as writer:
        try:
            for group in range(parquet.num_row_groups):
                table = parquet.read_row_group(group)
                texts = [cleaned.get((f.source, row + i)) for i in range(1, table.num_rows + 1)]
                row += table.num_rows
                table = table.filter(pa.array([t is not None for t in texts], type=pa.bool_()))
                values = pa.array([t for t in texts if t is not None], type=schema.field(index).type)
                if index < table.num_columns:
                    table = table.set_column(index, schema.field(index), values)
                else:
                    table = table.append_column(schema.field(index), values)
                # Same rows give the same bytes: pyarrow writes no timestamp.
                writer.write_table(table.replace_schema_metadata(schema.metadata))
        except (OSError, pa.ArrowException):
            pass  # the file breaks where reading it broke: that is in the report already
