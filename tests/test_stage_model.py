"""The model stage through its contract: with the builtin block model, one
action per block, the repetition rule's verdicts weighed by the model (it
removes only what the rule keeps and no copy shares, on pages of sites it
judges, and restores only what the rule removes); kept as declared, reused,
and computed again when the config it declares changes. Without a model
there is no stage to keep."""

import numpy as np
import pytest
from conftest import StageRuns, count_calls

from dedupe import verdicts
from dedupe.boilerplate import BOILERPLATE, KEEP, LEARNED, REPEAT
from dedupe.stages import model
from dedupe.stages.model import STAGE, run_model


@pytest.fixture
def documents(made_up):
    """Three sites of three pages (as many as the model needs to judge a
    site's pages), two of them carrying one story, and a page without a URL."""
    story = made_up.prose("story", lines=4)
    return made_up.site_pages({"alpha/story": story, "beta/story": story})


def through_model(stage_runs, documents, **options):
    """The rule's table, the model stage's actions, and what the run was told."""
    with stage_runs.run(documents, **{"block_model": "builtin", **options}) as run:
        table = stage_runs.through_boilerplate(run, documents)
        return table, run_model(run, table), run.progress


@pytest.fixture
def applied(monkeypatch):
    """How often the stage weighed the rule's verdicts with the model."""
    return count_calls(monkeypatch, model, "apply_model")


def test_the_model_only_weighs_the_rules_verdicts(stage_runs, documents):
    table, action, _ = through_model(stage_runs, documents)
    rule = table.decision.action
    assert action.shape == rule.shape
    assert set(action.tolist()) <= {KEEP, BOILERPLATE, REPEAT, LEARNED}
    learned = action == LEARNED
    assert (rule[learned] == KEEP).all()  # it removes only what the rule keeps
    restored = (action != rule) & ~learned
    assert (action[restored] == KEEP).all()  # and otherwise only keeps what the rule removes
    assert not learned[table.decision.syndicated].any()  # never a line a copy of its page carries
    unjudged = table.host[table.doc] < 0  # the page without a URL: no site to judge it by
    assert unjudged.any() and np.array_equal(action[unjudged], rule[unjudged])


def test_thresholds_at_their_ends_make_the_model_remove_all_it_may_or_nothing(stage_runs, documents, monkeypatch, tmp_path):
    # A content probability is below 1: at a content threshold of 1 the model
    # would remove every line it may, which leaves each page it judges
    # nothing, so each keeps the rule's verdicts ...
    table, action, _ = through_model(stage_runs, documents, content_threshold=1.0, restore_threshold=1.0)
    rule = table.decision.action
    assert np.array_equal(action, rule)
    # ... and where a page may be left with nothing, it removes every line
    # it may; restoring nothing (at 1), the rest is the rule's.
    monkeypatch.setattr(verdicts, "MIN_KEPT_CHARS", 0)
    table, action, _ = through_model(StageRuns(tmp_path / "unkept"), documents, content_threshold=1.0, restore_threshold=1.0)
    may = (rule == KEEP) & ~table.decision.syndicated & (table.host[table.doc] >= 0)
    assert may.any() and np.array_equal(action, np.where(may, LEARNED, rule))

    table, action, _ = through_model(stage_runs, documents, content_threshold=0.0, restore_threshold=1.0)
    assert np.array_equal(action, table.decision.action)


def test_the_stage_keeps_its_declared_table(stage_runs, documents):
    table, action, _ = through_model(stage_runs, documents)
    (arrays,) = stage_runs.kept(STAGE.name)
    assert set(arrays) == {"blocks.action"} == {f"{t.name}.{c}" for t in STAGE.writes for c in t.columns}
    assert stage_runs.rows(arrays, STAGE) == {"blocks": len(table.doc)}
    assert np.array_equal(arrays["blocks.action"], action)


def test_a_rerun_reuses_the_kept_stage_and_a_changed_threshold_computes_it_again(stage_runs, documents, applied):
    _, first, told = through_model(stage_runs, documents)
    assert applied and "model" in told.computed

    applied.clear()
    _, again, told = through_model(stage_runs, documents)
    assert applied == [] and "model" in told.reused
    assert np.array_equal(again, first)

    _, _, told = through_model(stage_runs, documents, content_threshold=0.5)
    assert applied and "model" in told.computed


def test_without_a_model_the_rule_decides_and_nothing_is_kept(stage_runs, documents):
    table, action, told = through_model(stage_runs, documents, block_model="none")
    assert np.array_equal(action, table.decision.action)
    # Nothing kept (the rule's checkpoint stands for it), but the progress
    # tells of the work done (the headline and link-text checks).
    assert stage_runs.kept(STAGE.name) == [] and "model" in told.computed
