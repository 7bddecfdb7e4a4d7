import pytest

from dedupe.config import BoilerplateConfig, Config


def test_defaults_and_flat_options_round_trip():
    c = Config()
    assert Config.from_options(**c.options()) == c
    assert c.replace(block_threshold=0.7).boilerplate.block_threshold == 0.7
    assert c.boilerplate.block_threshold == 0.8  # frozen: replace made a copy


@pytest.mark.parametrize(
    "options,message",
    [
        ({"block_threshold": 1.5}, "The 'block_threshold' parameter must be a float in [0.05, 1.0]. Got 1.5 instead."),
        ({"num_perm": 1}, "The 'num_perm' parameter must be an int in [2, 4096]. Got 1 instead."),
        ({"min_documents": 2.5}, "must be an int"),
        ({"text_field": ""}, "The 'text_field' parameter must be a non-empty string"),
        ({"copy_containment": True}, "must be a float"),
    ],
)
def test_validation_messages(options, message):
    with pytest.raises(ValueError) as err:
        Config.from_options(**options)
    assert message in str(err.value)


def test_unknown_option_lists_valid_ones():
    with pytest.raises(TypeError, match="Unknown option.*block_treshold.*valid options are: .*block_threshold"):
        Config.from_options(block_treshold=0.5)


def test_stage_configs_are_frozen():
    with pytest.raises(Exception):
        BoilerplateConfig().block_threshold = 0.1
