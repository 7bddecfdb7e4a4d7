"""The clusters stage through its contract: lines identical once normalised,
or near-identical, share a cluster (labelled by its first block), unrelated
lines do not; kept as declared, reused, and computed again when the config
it declares changes, and only then."""

import numpy as np
import pytest
from conftest import count_calls

from dedupe import Document
from dedupe.stages import clusters
from dedupe.stages.blocks import run_blocks
from dedupe.stages.clusters import STAGE, run_clusters


@pytest.fixture
def documents(made_up):
    other = made_up.prose("other", lines=3)
    # A line of 30 words (shingled as word 3-grams) and the same with its
    # 16th word changed: 3 of its 28 trigrams differ, a Jaccard of 25/31 = 0.81.
    near = made_up.prose("near", lines=1, words=30)[0]
    words = near.split()
    words[15] = "changed"
    edited = " ".join(words)
    texts = [
        ["Subscribe to our newsletter", near, other[0]],  # blocks 0-2
        ["subscribe to our NEWSLETTER!", edited, other[1]],  # blocks 3-5: 3 as 0 once normalised, 4 near 1
        # Blocks 6-7: a line that shares words with 0 and 3 (a character
        # 5-gram Jaccard of 0.43) but is another line, and prose of its own.
        ["Subscribe to our podcast", other[2]],
    ]
    return [Document(id=f"d{i}", text="\n".join(lines) + "\n", source="test") for i, lines in enumerate(texts)]


def labels_of(stage_runs, documents, **options):
    with stage_runs.run(documents, **options) as run:
        b = run_blocks(run, documents)
        run.counts["block"] = len(b.key)
        return run_clusters(run, documents, b), run.progress


@pytest.fixture
def clustered(monkeypatch):
    """How often the clusters stage clustered the blocks' keys."""
    return count_calls(monkeypatch, clusters, "cluster_keys")


def test_identical_and_near_identical_lines_share_a_cluster_and_unrelated_ones_do_not(stage_runs, documents):
    labels, _ = labels_of(stage_runs, documents)
    # Each block's label is its cluster's first block.
    assert labels.tolist() == [0, 1, 2, 0, 1, 5, 6, 7]


def test_the_stage_keeps_its_declared_table(stage_runs, documents):
    labels, _ = labels_of(stage_runs, documents)
    (arrays,) = stage_runs.kept(STAGE.name)
    assert set(arrays) == {"blocks.cluster"} == {f"{t.name}.{c}" for t in STAGE.writes for c in t.columns}
    assert stage_runs.rows(arrays, STAGE) == {"blocks": 8}
    assert np.array_equal(arrays["blocks.cluster"], labels)


def test_a_rerun_reuses_the_kept_stage_and_the_block_threshold_computes_it_again(stage_runs, documents, clustered):
    first, told = labels_of(stage_runs, documents)
    assert clustered and "clusters" in told.computed

    clustered.clear()
    again, told = labels_of(stage_runs, documents)
    assert clustered == [] and told.reused == ["blocks", "clusters"]
    assert np.array_equal(again, first)

    # A boilerplate option the stage does not declare leaves it as it was.
    _, told = labels_of(stage_runs, documents, min_documents=3)
    assert clustered == [] and "clusters" in told.reused

    # Past the edited line's Jaccard, the two long lines part.
    changed, told = labels_of(stage_runs, documents, block_threshold=0.95)
    assert clustered and told.reused == ["blocks"]
    assert changed.tolist() == [0, 1, 2, 0, 4, 5, 6, 7]
