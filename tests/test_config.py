import pytest

from dedupe.config import BoilerplateConfig, Config, read_config_file


def test_defaults_and_flat_options_round_trip():
    c = Config()
    assert Config.from_options(**c.options()) == c
    assert c.replace(block_threshold=0.6).boilerplate.block_threshold == 0.6
    assert c.boilerplate.block_threshold == 0.7  # frozen: replace made a copy


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


def test_read_config_validates_format_and_field_names():
    with pytest.raises(ValueError, match=r"The 'format' parameter must be one of auto, txt, html, jsonl, csv, tsv, parquet, warc, wet. Got 'xml' instead."):
        Config.from_options(format="xml")
    with pytest.raises(ValueError, match="The 'output_field' parameter must be a non-empty string"):
        Config.from_options(output_field="")
    assert Config.from_options(format="warc", html_field="page", output_field="clean").read.output_field == "clean"


def test_config_file_by_option_names_with_overrides(tmp_path):
    path = tmp_path / "dedupe.toml"
    path.write_text('# a run\nblock-threshold = 0.7\nmin_documents = 3\nformat = "jsonl"\nstrip-repeats = false\n', encoding="utf-8")

    assert read_config_file(path) == {"block_threshold": 0.7, "min_documents": 3, "format": "jsonl", "strip_repeats": False}
    config = Config.from_file(path, min_documents=4)
    assert (config.boilerplate.block_threshold, config.boilerplate.min_documents, config.read.format) == (0.7, 4, "jsonl")
    assert config.boilerplate.strip_repeats is False


@pytest.mark.parametrize(
    "text, error, message",
    [
        ("nope = 1\n", ValueError, "unknown option 'nope'; valid options are: "),
        ("num-perm = 1\n", ValueError, "The 'num_perm' parameter must be an int in [2, 4096]. Got 1 instead."),
        ("[read]\nformat = 'csv'\n", ValueError, "[read] is a table; options go at the top level"),
        ("not toml at all\n", ValueError, "not a TOML file ("),
    ],
)
def test_bad_config_file_messages_start_with_its_path(tmp_path, text, error, message):
    path = tmp_path / "dedupe.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(error) as info:
        Config.from_file(path)

    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_config_file_that_cannot_be_read(tmp_path):
    with pytest.raises(OSError):
        Config.from_file(tmp_path / "missing.toml")


def test_fields_written_and_limit_are_checked():
    from dedupe.config import ReadConfig

    assert ReadConfig(keep_fields=["url", "metadata.lang"]).keep_fields == "url,metadata.lang"  # a list, as TOML gives
    assert ReadConfig(drop_fields="html, metadata.raw").dropped == ("html", "metadata.raw")
    assert ReadConfig(keep_fields="url", output_field="clean").always_kept == ("text", "clean", "id")
    with pytest.raises(ValueError, match="'keep_fields' and 'drop_fields' parameters exclude each other"):
        ReadConfig(keep_fields="url", drop_fields="html")
    with pytest.raises(ValueError, match=r"The 'drop_fields' parameter must be field names separated by commas"):
        ReadConfig(drop_fields="html,,raw")
    with pytest.raises(ValueError, match=r"The 'limit' parameter must be an int in \[1, "):
        ReadConfig(limit=0)
