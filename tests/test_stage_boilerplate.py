"""The boilerplate stage through its contract: a line on many pages of many
sites, or on every page of one site, is a template; a story two sites share
is their content, and the two pages are copies; kept as declared, reused,
and computed again when its config changes."""

import numpy as np
import pytest
from conftest import count_calls

from dedupe import boilerplate
from dedupe.boilerplate import BOILERPLATE, KEEP
from dedupe.stages.boilerplate import STAGE


@pytest.fixture
def documents(made_up):
    """Three sites of three pages; the story page of alpha and of beta carry one story."""
    story = made_up.prose("story", lines=4)
    return made_up.site_pages({"alpha/story": story, "beta/story": story})


@pytest.fixture
def decided(monkeypatch):
    """How often the stage ran the repetition rule."""
    return count_calls(monkeypatch, boilerplate, "decide")


def lines(documents, table):
    """Each block as (document id, line text)."""
    spans = table.blocks.flat.tolist()
    return [(documents[d].id, documents[d].text[s:e]) for d, (s, e, _) in zip(table.doc.tolist(), spans)]


def test_templates_go_and_a_story_two_sites_share_stays(stage_runs, documents, made_up):
    with stage_runs.run(documents) as run:
        table = stage_runs.through_boilerplate(run, documents)
    story = set(made_up.prose("story", lines=4))
    expected = []
    for doc, text in lines(documents, table):
        if text == made_up.FOOTER or text.endswith(" Daily"):
            expected.append(BOILERPLATE)  # on all pages of three sites; on all pages of its site
        else:
            expected.append(KEEP)  # a page's own prose, or the story
    assert table.decision.action.tolist() == expected
    # The story's lines are the only ones a copy of their page carries too.
    assert [text in story for _, text in lines(documents, table)] == table.decision.syndicated.tolist()
    ids = [d.id for d in documents]
    assert table.decision.copies.tolist() == [[ids.index("alpha/story"), ids.index("beta/story")]]
    assert table.decision.shared.tolist() == table.decision.copies.tolist()


def test_pages_of_one_host_share_its_id_and_a_page_without_a_url_has_none(stage_runs, documents):
    with stage_runs.run(documents) as run:
        table = stage_runs.through_boilerplate(run, documents)
    assert table.host.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, -1]


def test_the_stage_keeps_its_declared_tables(stage_runs, documents):
    with stage_runs.run(documents) as run:
        table = stage_runs.through_boilerplate(run, documents)
    (arrays,) = stage_runs.kept(STAGE.name)
    assert set(arrays) == {f"{t.name}.{c}" for t in STAGE.writes for c in t.columns}
    n_blocks = len(table.doc)
    assert stage_runs.rows(arrays, STAGE) == {"documents": len(documents), "blocks": n_blocks, "copies": 1, "shared": 1}
    assert np.array_equal(arrays["blocks.action"], table.decision.action)
    assert np.array_equal(arrays["copies.pair"], table.decision.copies)


def test_a_rerun_reuses_the_kept_stage_and_a_changed_rule_computes_it_again(stage_runs, documents, decided):
    with stage_runs.run(documents) as run:
        first = stage_runs.through_boilerplate(run, documents)
    assert decided

    decided.clear()
    with stage_runs.run(documents) as run:
        again = stage_runs.through_boilerplate(run, documents)
    assert decided == [] and run.progress.reused == ["blocks", "clusters", "boilerplate"]
    assert np.array_equal(again.host, first.host)
    for name in ("action", "syndicated", "copies", "shared"):
        assert np.array_equal(getattr(again.decision, name), getattr(first.decision, name)), name

    # A template must now be on four pages: a site's masthead (on three) is no
    # longer one, the footer (on nine) still is.
    with stage_runs.run(documents, min_documents=4) as run:
        changed = stage_runs.through_boilerplate(run, documents)
    assert decided and run.progress.reused == ["blocks", "clusters"]
    masthead = np.array([text.endswith(" Daily") for _, text in lines(documents, changed)])
    assert (changed.decision.action[masthead] == KEEP).all()
    assert np.array_equal(changed.decision.action[~masthead], first.decision.action[~masthead])
