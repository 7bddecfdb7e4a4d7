"""The syndication stage through its contract: a story republished on two
other sites forms one cluster around the page similar to every other (the
full story), with the passages each copy shares with it; unrelated pages
are in none. Kept as declared, reused, and computed again when the
syndication config changes, the stages before it reused."""

import numpy as np
import pytest
from conftest import count_calls

from dedupe import syndication
from dedupe.blocks import WORD, kept_spans_all
from dedupe.boilerplate import KEEP
from dedupe.results import Spans
from dedupe.stages.model import run_model
from dedupe.stages.syndication import STAGE, run_syndication, to_tables
from dedupe.store import text_lengths


@pytest.fixture
def documents(made_up):
    """The story in full on gamma, its first half on alpha and its second half on beta.

    Each half lies whole in the full story (a containment of 1), while the
    halves share nothing: the full story is the one page similar to both."""
    story = made_up.prose("story", lines=6)
    return made_up.site_pages({"gamma/story": story, "alpha/story": story[:3], "beta/story": story[3:]})


def through_syndication(stage_runs, documents, **options):
    """The stages in dedupe.pipeline's order, syndication over the text the model keeps."""
    with stage_runs.run(documents, **options) as run:
        table = stage_runs.through_boilerplate(run, documents)
        action = run_model(run, table)
        blocks = table.blocks
        keep = action == KEEP
        kept, per_doc = kept_spans_all(text_lengths(documents), np.diff(blocks.bounds), blocks.flat[:, 0], keep)
        texts = [d.text for d in documents]
        return run_syndication(run, texts, Spans.of_counts(kept, per_doc), table.decision.shared), run.progress


@pytest.fixture
def found(monkeypatch):
    """How often the stage looked for syndication."""
    return count_calls(monkeypatch, syndication, "find")


def test_a_story_on_three_sites_is_one_cluster_around_its_full_text(stage_runs, documents, made_up):
    synd, _ = through_syndication(stage_runs, documents)
    ids = [d.id for d in documents]
    (cluster,) = synd.clusters
    assert ids[cluster.centre] == "gamma/story"
    assert [ids[m] for m in cluster.members] == ["alpha/story", "beta/story", "gamma/story"]
    assert synd.overlaps == []  # the halves, and every other page, share nothing more
    story = made_up.prose("story", lines=6)
    halves = {"alpha/story": story[:3], "beta/story": story[3:]}
    for pair in cluster.pairs:
        assert cluster.centre in (pair.a, pair.b) and pair.containment == 1.0
        copy = pair.a if pair.b == cluster.centre else pair.b
        (passage,) = pair.passages
        # The passage, in both pages, is the words of the half the copy carries.
        half = WORD.findall(" ".join(halves[ids[copy]]))
        assert passage.words == len(half)
        for doc, (start, end) in ((pair.a, passage.a), (pair.b, passage.b)):
            assert WORD.findall(documents[doc].text[start:end]) == half


def test_the_stage_keeps_its_declared_tables(stage_runs, documents):
    synd, _ = through_syndication(stage_runs, documents)
    (arrays,) = stage_runs.kept(STAGE.name)
    assert set(arrays) == {f"{t.name}.{c}" for t in STAGE.writes for c in t.columns}
    # One cluster of three pages, each copy paired with the centre, a passage each.
    assert stage_runs.rows(arrays, STAGE) == {"clusters": 1, "members": 3, "pairs": 2, "passages": 2}
    for name, columns in to_tables(synd).items():
        for column, values in columns.items():
            assert np.array_equal(arrays[f"{name}.{column}"], values), (name, column)


def test_a_rerun_reuses_the_kept_stage_and_a_changed_threshold_computes_it_again(stage_runs, documents, found):
    first, told = through_syndication(stage_runs, documents)
    assert found and "syndication" in told.computed

    found.clear()
    again, told = through_syndication(stage_runs, documents)
    # The model stage (the block model is on by default) keeps its own checkpoint too.
    assert found == [] and told.reused == ["blocks", "clusters", "boilerplate", "model", "syndication"]
    assert again == first

    # The halves lie whole in the story: at a containment of 0.9 they are still its copies.
    changed, told = through_syndication(stage_runs, documents, syndication_threshold=0.9)
    assert found and told.reused == ["blocks", "clusters", "boilerplate", "model"]
    assert [c.members for c in changed.clusters] == [c.members for c in first.clusters]
