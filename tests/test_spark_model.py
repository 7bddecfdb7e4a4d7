"""The model stage's reads of the texts on Spark (:class:`SparkBlockTable`):
the final verdicts equal the local table's, own headlines and table cells
found in the executors.

Every Spark call joins the one local session of the ``spark`` fixture.
"""

import numpy as np
import pyarrow as pa
import pytest
from test_own_content import blog, family_pages
from test_verdicts import documents as harbour_pages

from dedupe import Config, Document
from dedupe.features import LEXICAL
from dedupe.own_content import matches_slug, slug_words
from dedupe.pipeline import block_table
from dedupe.verdicts import apply_model

pytest.importorskip("pyspark")

from dedupe.backends.spark.documents import SparkDocuments  # noqa: E402
from dedupe.backends.spark.model import SparkBlockTable, slug_matches  # noqa: E402

CONFIG = Config()


def on_spark(spark, documents: list[Document]):
    """The local block table of ``documents``, and the same table on Spark."""
    table = block_table(documents, CONFIG)
    frame = spark.createDataFrame(
        pa.table(
            {
                "doc": pa.array(np.arange(len(documents), dtype=np.int64)),
                "id": [d.id for d in documents], "text": [d.text for d in documents],
                "source": [d.source for d in documents], "line": pa.array([d.line for d in documents], pa.int64()),
                "url": pa.array([d.url for d in documents], pa.string()),
                "tag_paths": pa.array([None if d.tag_paths is None else list(d.tag_paths) for d in documents], pa.list_(pa.string())),
            }
        )
    )
    flat = np.asarray(table.blocks.flat, dtype=np.int64)
    blocks = spark.createDataFrame(
        pa.table({"doc": table.doc, "block": np.arange(len(flat), dtype=np.int64), "start": flat[:, 0], "end": flat[:, 1]})
    )
    args = [table.blocks, SparkDocuments(frame), table.doc, table.cluster, table.key, table.repeat, table.host, table.decision]
    return table, SparkBlockTable(*args, frame=blocks)


def cases(made_up) -> dict[str, list[Document]]:
    emoji = [Document(id="e", text="\U0001f600 Tami Taylor Confirms Women\n\nnext line\n", source="e",
                      url="https://blog.example/tami-taylor-confirms-women")]
    return {
        "slugs": blog(made_up) + emoji,
        "slugs and h1": blog(made_up, tag_paths=True),
        "table cells": family_pages(made_up, tag_paths=True),
        "link text": harbour_pages(["a.example"] * 3 + ["b.example"]),
    }


@pytest.mark.parametrize("case", ["slugs", "slugs and h1", "table cells", "link text"])
def test_the_verdicts_are_the_local_tables(spark, made_up, case):
    local, spark_table = on_spark(spark, cases(made_up)[case])
    want = apply_model(local, CONFIG.boilerplate)
    got = apply_model(spark_table, CONFIG.boilerplate)
    assert got.dtype == want.dtype and np.array_equal(got, want)
    # Own content was found (else equal verdicts would prove little) ...
    assert (want != local.decision.action).any()
    # ... and the Spark table read no page's text.
    assert spark_table.documents.fetched == 0


def test_slug_matches_are_every_block_that_says_its_slug(spark, made_up):
    documents = cases(made_up)["slugs"]
    local, spark_table = on_spark(spark, documents)
    urls = [d.url for d in documents]
    want = [i for i in range(len(local.doc)) if matches_slug(local.text_of(i), slug_words(urls[local.doc[i]]))]
    every = np.arange(len(local.doc))
    got = slug_matches(spark_table.documents.frame, local.doc, every, local.blocks.flat[:, :2])
    assert got.tolist() == want and len(want) >= 5  # four headlines, the emoji's line among them
    some = every[::2]
    assert slug_matches(spark_table.documents.frame, local.doc[some], some, local.blocks.flat[some, :2]).tolist() == [
        i for i in want if i % 2 == 0
    ]


def test_any_blocks_are_tested_when_asked_about(spark, made_up):
    """The learned model may remove blocks the rule keeps: the slug test
    answers for any blocks asked about, as the local table does."""
    documents = cases(made_up)["slugs"]
    local, spark_table = on_spark(spark, documents)
    urls = [d.url for d in documents]
    for asked in (np.flatnonzero(local.decision.action == 0), np.arange(len(local.doc))[1::3]):
        want = [matches_slug(local.text_of(i), slug_words(urls[local.doc[i]])) for i in asked.tolist()]
        assert spark_table.slug_matches(asked).tolist() == local.slug_matches(asked).tolist() == want
        assert any(want)


@pytest.mark.parametrize("case", ["slugs", "slugs and h1", "table cells", "link text"])
def test_the_learned_models_features_and_scores_are_the_local_tables(spark, made_up, case):
    """``--block-model builtin``: the text features computed in the executors,
    the tag paths collected without texts; the same numbers to the bit."""
    from dedupe import blockmodel

    local, spark_table = on_spark(spark, cases(made_up)[case])
    want, got = local.lexical_features(), spark_table.lexical_features()
    assert got.dtype == want.dtype and got.shape == want.shape == (len(local.doc), len(LEXICAL))
    assert np.array_equal(got, want) and want[:, 0].sum() > 0
    assert list(spark_table.tag_paths()) == list(local.tag_paths())
    # What each page's words say of its blocks, measured a page at a time there.
    want, got = local.topic_features(), spark_table.topic_features()
    assert got.shape == want.shape == (len(local.doc), 4) and (want[:, 0] > 0).any()
    assert np.array_equal(got, want, equal_nan=True)
    for a, b in zip(blockmodel.block_features(spark_table), blockmodel.block_features(local)):
        assert np.array_equal(a, b, equal_nan=True)
    model = blockmodel.load()
    assert np.array_equal(model.content_probability(spark_table), model.content_probability(local))
    config = Config.from_options(block_model="builtin").boilerplate
    assert np.array_equal(apply_model(spark_table, config), apply_model(local, config))
    assert spark_table.documents.fetched == 0  # no page's text came to the driver
