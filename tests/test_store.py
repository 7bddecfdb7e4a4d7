"""The document store: texts in a file, everything else in memory."""

import os

import numpy as np
import pytest

from dedupe.document import Document
from dedupe.store import DocumentStore, records, text_lengths, texts, urls
from dedupe import store as store_mod

DOCS = [
    Document("a", "text a", "f.jsonl", line=1, url="https://x.example/a"),
    Document("b", "html \ud83d caf\u00e9 \u6771\u4eac", "p.html", tag_paths=("html>body>p", "html>body>div")),
    Document("c", "", "d/c.txt", tag_paths=()),
    Document("d", "last\r\nline\x00", "f.jsonl", line=7),
]


def _filled(path=None):
    s = DocumentStore(path)
    s.extend(DOCS)
    return s


@pytest.mark.parametrize("where", ["temporary", "file"])
def test_documents_read_back_equal_whole_sliced_and_iterated(tmp_path, where):
    with _filled(tmp_path / "t.texts" if where == "file" else None) as s:
        assert len(s) == 4
        assert [s[i] for i in range(4)] == DOCS and s[-1] == DOCS[-1]
        assert s[1:3] == DOCS[1:3] and s[::2] == DOCS[::2] and s[3:1] == []
        assert list(s) == DOCS
        assert s.lengths.tolist() == [len(d.text) for d in DOCS]
        with pytest.raises(IndexError):
            s[4]


def test_appending_after_reading_goes_on(tmp_path):
    with DocumentStore(tmp_path / "t.texts") as s:
        s.extend(DOCS[:2])
        assert s[1] == DOCS[1] and s.lengths.tolist() == [6, len(DOCS[1].text)]
        s.extend(DOCS[2:])
        assert list(s) == DOCS


def test_iteration_reads_in_pieces_and_keeps_order(monkeypatch):
    monkeypatch.setattr(store_mod, "BUFFER", 10)
    docs = [Document(str(i), "x" * (i % 7) + str(i), "s") for i in range(50)]
    with DocumentStore() as s:
        s.extend(docs)  # flushed every few documents, too
        assert list(s) == docs


def test_reopened_from_its_metadata_equals_the_original(tmp_path):
    path = tmp_path / "t.texts"
    with _filled(path) as s:
        meta = s.metadata()
    with DocumentStore.reopen(path, meta) as back:
        assert list(back) == DOCS and back.urls == urls(DOCS) and records(back) == records(DOCS)


def test_a_texts_file_cut_short_or_foreign_is_refused(tmp_path):
    path = tmp_path / "t.texts"
    with _filled(path) as s:
        meta = s.metadata()
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) - 1)
    with pytest.raises(ValueError, match="size"):
        DocumentStore.reopen(path, meta)
    bad = dict(meta, length=meta["length"][:-1])
    with pytest.raises(ValueError, match="different lengths"):
        DocumentStore.reopen(path, bad)
    with pytest.raises(OSError):
        DocumentStore.reopen(tmp_path / "missing.texts", meta)


def test_helpers_give_the_same_for_a_store_and_a_list():
    with _filled() as s:
        assert np.array_equal(text_lengths(s), text_lengths(DOCS))
        assert urls(s) == urls(DOCS) and records(s) == records(DOCS)
        assert list(texts(s)) == texts(DOCS) and texts(s)[1:3] == texts(DOCS)[1:3]


def test_a_store_is_in_place_only_once_finished(tmp_path):
    path = tmp_path / "t.texts"
    s = _filled(path)
    assert not path.exists() and len(list(tmp_path.iterdir())) == 1  # under a temporary name
    s.finish()
    assert [p.name for p in tmp_path.iterdir()] == ["t.texts"] and list(s) == DOCS
    s.close()
    unfinished = _filled(tmp_path / "u.texts")
    unfinished.close()
    assert [p.name for p in tmp_path.iterdir()] == ["t.texts"]  # nothing left of it


def test_an_unfinished_store_removes_the_folders_it_made(tmp_path):
    s = _filled(tmp_path / "work" / "deeper" / "t.texts")
    s.close()
    assert not (tmp_path / "work").exists()


def test_absorbing_other_stores_appends_their_documents_and_removes_their_files(tmp_path):
    with DocumentStore(tmp_path / "main.texts") as whole:
        whole.append(DOCS[0])
        assert whole[0] == DOCS[0]  # read once already: appending goes on all the same
        for k, docs in enumerate([DOCS[1:3], [], DOCS[3:]]):
            part = DocumentStore(tmp_path / f"part{k}.texts")
            part.extend(docs)
            whole.absorb(part.path, part.metadata())
            part.close()
            assert not part.path.exists()
        whole.finish()
        assert list(whole) == DOCS and whole.lengths.tolist() == [len(d.text) for d in DOCS]
        assert whole.sources[0] is whole.sources[3]  # one string per source
        back = DocumentStore.reopen(whole.path, whole.metadata())
        assert list(back) == DOCS
        back.close()


def test_a_finished_store_packs_its_columns_and_appends_to_them_still(tmp_path):
    with _filled(tmp_path / "t.texts") as s:
        s.finish()
        assert not isinstance(s.ids, list) and not isinstance(s.urls, list) and not isinstance(s.lines, list)
        assert s.ids == [d.id for d in DOCS] and list(s.urls) == [d.url for d in DOCS]
        assert s.lines[-1] == 7 and s.lines[1] is None and s.urls[-1] is None and s.ids[-4] == "a"
        assert s.sources[1:3] == ["p.html", "d/c.txt"] and records(s) == records(DOCS)
        with pytest.raises(IndexError):
            s.ids[4]
        s.append(DOCS[1])
        assert list(s) == DOCS + [DOCS[1]] and s.urls[4] is None and s.sources[4] == "p.html"
