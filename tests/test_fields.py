"""Tests for dedupe.io.fields: dotted paths into records, and the fields an
output record keeps."""

from dedupe.io.fields import get_path, project, set_path

RECORD = {
    "id": "a1",
    "text": "body",
    "html": "<p>body</p>",
    "metadata": {"url": "https://s.example/1", "raw": "x" * 10, "crawl": {"date": "2024-01-01", "digest": "d"}},
    "warc.url": "https://literal.example/",
}


def test_a_dotted_path_reaches_into_nested_objects():
    assert get_path(RECORD, "metadata.url") == "https://s.example/1"
    assert get_path(RECORD, "metadata.crawl.date") == "2024-01-01"


def test_a_key_with_a_dot_wins_over_the_path():
    assert get_path(RECORD, "warc.url") == "https://literal.example/"


def test_a_path_that_leads_nowhere_gives_the_default():
    assert get_path(RECORD, "metadata.nope") is None
    assert get_path(RECORD, "text.length") is None  # through a string, not an object
    assert get_path(RECORD, "nope", "fallback") == "fallback"


def test_set_path_replaces_in_place_and_makes_objects_on_the_way():
    record = {"metadata": {"url": "u"}, "text": "t"}
    set_path(record, "metadata.clean", "c")
    set_path(record, "text", "t2")
    set_path(record, "new.deep.field", 1)
    assert record == {"metadata": {"url": "u", "clean": "c"}, "text": "t2", "new": {"deep": {"field": 1}}}


def test_keep_keeps_the_named_fields_and_always_the_text_and_id():
    kept = project(RECORD, keep=["metadata.url", "warc.url"], always=["text", "id"])
    assert kept == {"id": "a1", "text": "body", "metadata": {"url": "https://s.example/1"}, "warc.url": "https://literal.example/"}
    assert list(kept) == ["id", "text", "metadata", "warc.url"]  # the record's own order


def test_keep_of_an_object_keeps_all_below_it():
    assert project(RECORD, keep=["metadata.crawl.date", "metadata"], always=["text"])["metadata"] == RECORD["metadata"]


def test_drop_leaves_out_the_named_fields_but_never_the_text_or_id():
    dropped = project(RECORD, drop=["html", "metadata.raw", "metadata.crawl.digest", "text", "id", "absent.field"], always=["text", "id"])
    assert dropped == {
        "id": "a1",
        "text": "body",
        "metadata": {"url": "https://s.example/1", "crawl": {"date": "2024-01-01"}},
        "warc.url": "https://literal.example/",
    }
    assert RECORD["metadata"]["raw"] == "x" * 10  # the record given is not changed


def test_dropping_the_object_that_holds_the_id_keeps_it():
    record = {"text": "t", "meta": {"id": "i", "junk": 1}}
    assert project(record, drop=["meta"], always=["text", "meta.id"]) == record
