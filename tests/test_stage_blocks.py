"""The blocks stage through its contract: every document cut into its
non-blank lines, each line's weight, whether it repeats in its page, and the
id of its normalised key; kept as declared, reused, and computed again when
the shingle config changes."""

import numpy as np
import pytest

from dedupe import Document
from dedupe.stages import blocks
from dedupe.stages.blocks import STAGE, run_blocks

# A line of prose (10 words or more) of 295 characters: past the 200 of
# prose a page needs to be weighed on its prose alone (dedupe.weighting).
PROSE = " ".join(["paragraph"] * 29 + ["ends."])
MENU = "Home | News"

DOCUMENTS = [
    # The header twice (the second a repeat in its page); a blank and a
    # whitespace-only line are not blocks.
    Document(id="a", text="Header line\n\n  \nFirst paragraph of a.\nHeader line\n", source="test"),
    # The header again, as normalising sees it ("header line"); Windows line ends.
    Document(id="b", text="HEADER   line!\r\nSomething else\r\n", source="test"),
    Document(id="empty", text=" \n\n", source="test"),
    Document(id="prose", text=f"{MENU}\n{PROSE}", source="test"),
]
#: Each document's blocks: its text, its 1-based line, and its key id
#: (keys are numbered by their first occurrence in the corpus).
EXPECTED = [
    [("Header line", 1, 0), ("First paragraph of a.", 4, 1), ("Header line", 5, 0)],
    [("HEADER   line!", 1, 0), ("Something else", 2, 2)],
    [],
    [(MENU, 1, 3), (PROSE, 2, 4)],
]


def spans_of(b):
    """Each document's blocks as (text, line, key)."""
    bounds = np.concatenate([[0], np.cumsum(b.counts)])
    return [
        [(d.text[s:e], line, k) for (s, e, line), k in zip(b.blocks[lo:hi].tolist(), b.key[lo:hi].tolist())]
        for d, lo, hi in zip(DOCUMENTS, bounds[:-1], bounds[1:])
    ]


@pytest.fixture
def segmented(monkeypatch):
    """How many chunks of documents the blocks stage cut."""
    calls = []
    original = blocks.segment_documents

    def spy(texts, short_words):
        calls.append(len(texts))
        return original(texts, short_words)

    monkeypatch.setattr(blocks, "segment_documents", spy)
    return calls


def test_documents_are_cut_into_their_non_blank_lines_with_repeats_and_key_ids(stage_runs):
    with stage_runs.run(DOCUMENTS) as run:
        b = run_blocks(run, DOCUMENTS)
    assert spans_of(b) == EXPECTED
    assert b.counts.tolist() == [3, 2, 0, 2]
    # Only the second "Header line" of a repeats a line of its own page: b's
    # header is the same key, but in another page.
    assert b.repeat.tolist() == [False, False, True, False, False, False, False]


def test_a_page_with_prose_weighs_its_prose_alone(stage_runs):
    with stage_runs.run(DOCUMENTS) as run:
        b = run_blocks(run, DOCUMENTS)
    # Pages without prose weigh every line by its characters; the page with
    # a prose line weighs that line, and its menu nothing.
    assert b.weight.tolist() == [11, 21, 11, 14, 14, 0, len(PROSE)]


def test_the_stage_keeps_its_declared_tables(stage_runs):
    with stage_runs.run(DOCUMENTS) as run:
        b = run_blocks(run, DOCUMENTS)
    (arrays,) = stage_runs.kept(STAGE.name)
    assert set(arrays) == {f"{t.name}.{c}" for t in STAGE.writes for c in t.columns}
    assert stage_runs.rows(arrays, STAGE) == {"blocks": 7, "documents": 4}
    assert np.array_equal(arrays["blocks.span"], b.blocks)
    assert np.array_equal(arrays["blocks.key"], b.key)
    assert np.array_equal(arrays["documents.blocks"], b.counts)


def test_a_rerun_reuses_the_kept_stage_and_a_changed_shingle_config_computes_it_again(stage_runs, segmented):
    with stage_runs.run(DOCUMENTS) as run:
        first = run_blocks(run, DOCUMENTS)
    assert segmented and run.progress.computed == ["blocks"]

    segmented.clear()
    with stage_runs.run(DOCUMENTS) as run:
        again = run_blocks(run, DOCUMENTS)
    assert segmented == [] and run.progress.reused == ["blocks"]
    for name in ("blocks", "counts", "weight", "repeat", "key"):
        assert np.array_equal(getattr(again, name), getattr(first, name)), name

    # With prose starting at 50 words, the prose page has none: its menu weighs again.
    with stage_runs.run(DOCUMENTS, short_block_words=50) as run:
        changed = run_blocks(run, DOCUMENTS)
    assert segmented and run.progress.reused == []
    assert changed.weight.tolist()[-2:] == [len(MENU), len(PROSE)]
    assert len(stage_runs.kept(STAGE.name)) == 2  # both kept, side by side
