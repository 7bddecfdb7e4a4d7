"""Tests for dedupe.tables: dedupe.analyse on a pyarrow Table and a pandas
DataFrame gives the cleaning, removed lines and clusters a run on the same
records as a JSONL file gives, and dedupe.report_of the same report."""

import json
from pathlib import Path

import pyarrow as pa
import pytest

import dedupe
from dedupe import Document

pd = pytest.importorskip("pandas", reason="pandas is not installed (the spark extra brings it)")

DATA = Path(__file__).resolve().parent / "data" / "three_sites.jsonl"
ROWS = [json.loads(line) for line in DATA.read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def from_file(tmp_path_factory):
    """What dedupe.clean makes of the same records as a file."""
    out = tmp_path_factory.mktemp("out")
    result = dedupe.clean([DATA], out / "clean", checkpoint=False)
    cleaned = [json.loads(line)["text"] for line in (out / "clean" / DATA.name).read_text("utf-8").splitlines()]
    return result, cleaned


def _clusters(report) -> list:
    ids = [d["id"] for d in report.data["documents"]]
    number = {i: n for n, c in enumerate(report.data["syndication"]) for i in c["documents"]}
    return [number.get(i) for i in ids]


def _same_as_the_file(rows: list[dict], from_file, report) -> None:
    result, cleaned = from_file
    assert [r["text"] for r in rows] == cleaned
    assert [r["cluster"] for r in rows] == _clusters(result.report) and {0} <= {r["cluster"] for r in rows}
    for row, entry, doc in zip(rows, result.report.data["documents"], result.corpus.documents):
        assert [(x["line"], x["reason"], x["template"]) for x in row["removed_lines"]] == [
            (x["line"], x["reason"], x["template"]) for x in entry["removed_lines"]
        ]
        assert [x["text"] for x in row["removed_lines"]] == [doc.text.splitlines()[x["line"] - 1] for x in row["removed_lines"]]
    assert report.data["summary"] == result.report.data["summary"]
    assert report.data["boilerplate"] == result.report.data["boilerplate"]


def test_a_pyarrow_table_comes_back_cleaned_with_its_lines_and_clusters(from_file):
    table = pa.Table.from_pylist(ROWS)
    out = dedupe.analyse(table)
    assert isinstance(out, pa.Table) and out.num_rows == table.num_rows
    assert out.column_names == [*table.column_names, "removed_lines", "cluster"]
    assert out.select(["id", "url", "story"]).equals(table.select(["id", "url", "story"]))
    assert any(out.column("removed_lines").to_pylist())
    _same_as_the_file(out.to_pylist(), from_file, dedupe.report_of(out))


def test_a_pandas_dataframe_comes_back_as_one(from_file):
    frame = pd.DataFrame(ROWS, index=[f"r{i}" for i in range(len(ROWS))])
    out = dedupe.analyse(frame)
    assert isinstance(out, pd.DataFrame) and list(out.index) == list(frame.index)
    assert str(out["cluster"].dtype) == "Int64"
    assert frame["text"].tolist() == [r["text"] for r in ROWS]  # the frame given is not changed
    rows = [{**r, "cluster": None if pd.isna(r["cluster"]) else int(r["cluster"])} for r in out.to_dict("records")]
    _same_as_the_file(rows, from_file, dedupe.report_of(out))


def test_column_names_are_set_as_fields_are_with_a_struct_url(from_file):
    table = pa.table({
        "doc_id": [r["id"] for r in ROWS],
        "body": [r["text"] for r in ROWS],
        "metadata": [{"url": r["url"], "lang": "en"} for r in ROWS],
    })
    out = dedupe.analyse(table, id_field="doc_id", text_field="body", url_field="metadata.url", output_field="cleaned")
    assert out.column("body").to_pylist() == [r["text"] for r in ROWS]  # kept: the cleaned text has its own column
    renamed = [{**r, "text": r["cleaned"]} for r in out.to_pylist()]
    _same_as_the_file(renamed, from_file, dedupe.report_of(out))
    assert [d["url"] for d in dedupe.report_of(out).data["documents"]] == [r["url"] for r in ROWS]


def test_rows_without_id_or_text(tmp_path):
    out = dedupe.analyse(pd.DataFrame({"text": ["one line of text", None, ""]}))
    assert out["text"].tolist() == ["one line of text", None, ""]
    assert [d["id"] for d in dedupe.report_of(out).data["documents"]] == ["1", "2", "3"]


def test_bad_tables_are_refused_with_a_message():
    with pytest.raises(ValueError, match=r"The table has no 'text' column \(text_field\); its columns are 'body'"):
        dedupe.analyse(pa.table({"body": ["x"]}))
    with pytest.raises(ValueError, match=r"Row 2: the 'text' value is not a string \(a int\)"):
        dedupe.analyse(pd.DataFrame({"text": ["x", 3]}))
    with pytest.raises(ValueError, match=r"The table has a 'cluster' column already"):
        dedupe.analyse(pa.table({"text": ["x"], "cluster": [1]}))


def test_report_of_any_result(tmp_path):
    docs = [Document(id=r["id"], text=r["text"], source="t", url=r["url"]) for r in ROWS]
    analysis = dedupe.analyse(docs, block_threshold=0.8)
    report = dedupe.report_of(analysis)
    assert report.data["config"]["block_threshold"] == 0.8  # the config it was found with
    assert report.data["summary"]["documents_read"] == len(ROWS)
    result = dedupe.scan([DATA])
    assert dedupe.report_of(result) is result.report
    out = dedupe.analyse(pa.Table.from_pylist(ROWS))
    with pytest.raises(TypeError, match="not returned by dedupe.analyse"):
        dedupe.report_of(out.slice(0, 2))
    with pytest.raises(TypeError, match="not a list"):
        dedupe.report_of([])
