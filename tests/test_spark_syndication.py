"""The syndication stage on Spark: the local stage's tables, array for array, dtypes included.

The local stage's inputs (texts, kept spans, the boilerplate decision's
shared pairs) are those the pipeline hands it: a run of the pipeline is
watched and what it passes to :func:`dedupe.syndication.find` is kept.
"""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import dedupe
from dedupe import Config, Document, syndication
from dedupe.pipeline import analyse
from dedupe.stages.syndication import to_tables

ROOT = Path(__file__).resolve().parent.parent
CONFIG = Config()


class Inputs:
    """What the pipeline passed to the local syndication stage."""

    def __init__(self, texts, spans, hints):
        self.texts = list(texts)
        self.spans = [[(int(a), int(b)) for a, b in s] for s in spans]
        self.hints = np.asarray(hints, dtype=np.int64).reshape(-1, 2)


def watched(run) -> Inputs:
    """The inputs of the syndication stage during ``run()``, a pipeline run."""
    seen = []
    original = syndication.find

    def spy(texts, spans, hint_pairs, *args, **kwargs):
        seen.append(Inputs(texts, spans, hint_pairs))
        return original(texts, spans, hint_pairs, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(syndication, "find", spy)
        run()
    assert len(seen) == 1
    return seen[0]


def generated_pages(n: int) -> list[Document]:
    """Pages of benchmarks/corpus.py: sites with templates, and syndicated copies."""
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "benchmarks" / "corpus.py")
    corpus = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = corpus  # its dataclasses look their module up
    spec.loader.exec_module(corpus)
    pages = corpus.pages(corpus.CorpusSpec(n_pages=n, seed=3))
    return [Document(id=p.id, text=p.text, source="generated", url=p.url) for p in pages]


@pytest.fixture(scope="module")
def on_spark(spark):
    """Both stages on the same inputs: the local tables and the Spark tables
    (of the documents in ``partitions`` partitions, else as framed)."""
    from dedupe.backends.spark.frames import kept_frame, pairs_frame
    from dedupe.backends.spark.syndication import find

    def both(inputs: Inputs, partitions=None, rank=None):
        configs = (CONFIG.shingle, CONFIG.minhash, CONFIG.syndication)
        local = to_tables(syndication.find(inputs.texts, inputs.spans, inputs.hints, *configs, rank=rank))
        documents = kept_frame(spark, inputs.texts, inputs.spans)
        if rank is not None:  # as the Spark run passes the ranks by id
            ranks = pa.table({"doc": np.arange(len(rank), dtype=np.int64), "rank": np.asarray(rank, dtype=np.int64)})
            documents = documents.join(spark.createDataFrame(ranks), "doc")
        if partitions is not None:
            documents = documents.repartition(partitions)
        got = find(spark, documents, pairs_frame(spark, inputs.hints), *configs)
        return local, got

    return both


def assert_same(local, got) -> None:
    assert got.keys() == local.keys()
    for table, columns in local.items():
        assert got[table].keys() == columns.keys(), table
        for name, want in columns.items():
            have = got[table][name]
            assert have.dtype == want.dtype and have.shape == want.shape, (table, name, have.dtype, have.shape)
            np.testing.assert_array_equal(have, want, err_msg=f"{table}.{name}")


@pytest.fixture(scope="module")
def seeds(seeds_dir) -> Inputs:
    return watched(lambda: dedupe.scan([seeds_dir]))


@pytest.fixture(scope="module")
def generated() -> Inputs:
    documents = generated_pages(300)
    return watched(lambda: analyse(documents))


def test_the_seeds(on_spark, seeds):
    assert_same(*on_spark(seeds))


@pytest.mark.parametrize("partitions", [None, 1, 7])
def test_a_generated_corpus_in_any_number_of_partitions(on_spark, generated, partitions):
    local, got = on_spark(generated, partitions)
    assert_same(local, got)
    # What the corpus plants is found (else equal tables would prove little).
    assert len(local["clusters"]["centre"]) > 10 and len(local["passages"]["words"]) > 20


@pytest.mark.parametrize("seed", [0, 1])
def test_ties_go_by_rank_as_locally(on_spark, generated, seed):
    """Centres among equals and first copies by ``rank`` (the ids' order on a
    run), not index: on Spark as locally; and the rank changes the centres."""
    rank = np.random.default_rng(seed).permutation(len(generated.texts))
    local, got = on_spark(generated, 3, rank)
    assert_same(local, got)
    configs = (CONFIG.shingle, CONFIG.minhash, CONFIG.syndication)
    by_index = to_tables(syndication.find(generated.texts, generated.spans, generated.hints, *configs))
    assert not np.array_equal(local["clusters"]["centre"], by_index["clusters"]["centre"])


def test_no_document_with_kept_text(on_spark, made_up):
    texts = ["\n".join(made_up.prose(f"page {i}")) for i in range(4)] + [""]
    local, got = on_spark(Inputs(texts, [[] for _ in texts], [(0, 1)]))
    assert_same(local, got)
    assert len(local["clusters"]["centre"]) == 0


def test_copies_stand_behind_their_first_copy_and_a_hint_pair_is_verified(on_spark, made_up):
    # One story five times (its first copy, 1, stands for the others; 3 is
    # edited), an empty page; and two pages quoting one passage among much
    # of their own (a low Jaccard), hinted both ways, and with the empty page.
    story = " ".join(made_up.prose("story", lines=8))
    passage = " ".join(made_up.prose("quoted", lines=1, words=60))
    a = " ".join([*made_up.prose("a", lines=12), passage])
    b = " ".join([passage, *made_up.prose("b", lines=12)])
    texts = [" ".join(made_up.prose("other")), story, story, f"Breaking. {story}", story, "", story, a, b]
    spans = [[(0, len(t))] for t in texts]
    local, got = on_spark(Inputs(texts, spans, [(8, 7), (7, 8), (7, 5)]))
    assert_same(local, got)
    assert local["members"]["document"].tolist() == [1, 2, 3, 4, 6]
    assert local["pairs"]["documents"].tolist()[-1] == [7, 8]
    # Ranked first, the last copy stands for the others and is the centre.
    rank = np.arange(len(texts))
    rank[[1, 6]] = rank[[6, 1]]
    local, got = on_spark(Inputs(texts, spans, [(8, 7), (7, 8), (7, 5)]), rank=rank)
    assert_same(local, got)
    assert local["clusters"]["centre"].tolist() == [6] and local["members"]["document"].tolist() == [1, 2, 3, 4, 6]


def test_a_missing_column_is_a_usage_error(spark):
    from dedupe.backends.spark.frames import kept_frame, pairs_frame
    from dedupe.backends.spark.syndication import find
    from dedupe.document import UsageError

    documents = kept_frame(spark, ["a page"], [[(0, 6)]]).drop("spans")
    with pytest.raises(UsageError, match="documents must have columns doc, text, spans; missing spans"):
        find(spark, documents, pairs_frame(spark, np.zeros((0, 2))), CONFIG.shingle, CONFIG.minhash, CONFIG.syndication)
