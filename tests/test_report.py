import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st

import dedupe
from dedupe.document import Document


def test_report_counts_add_up(data_dir, tmp_path):
    src = tmp_path / "c.jsonl"
    good = (data_dir / "two_sites.jsonl").read_text(encoding="utf-8")
    src.write_text(good + "{broken\n" + json.dumps({"id": "e", "text": ""}) + "\n", encoding="utf-8")
    report = dedupe.scan([src]).report
    data = report.data
    s = data["summary"]
    assert s["documents_read"] == len(data["documents"]) == 6
    assert sum(s["documents_skipped"].values()) == len(data["skipped"]) == 2
    assert s["documents_skipped"]["invalid_json"] == 1 and s["documents_skipped"]["empty"] == 1
    assert s["blocks_in"] - s["blocks_out"] == sum(s["blocks_removed"].values())
    assert s["blocks_in"] == sum(d["blocks_in"] for d in data["documents"])
    assert s["chars_out"] == sum(d["chars_out"] for d in data["documents"])
    assert sum(t["removed"] for t in data["boilerplate"]) == s["blocks_removed"]["boilerplate"]
    for d in data["documents"]:
        assert len(d["removed_lines"]) == d["blocks_in"] - d["blocks_out"] == sum(d["removed"].values())
        assert all(l["template"] is not None for l in d["removed_lines"] if l["reason"] == "boilerplate")
    assert data["config"] == dedupe.Config().options()
    assert report.exit_code == 1
    assert [s["message"].split(": ")[0] for s in data["skipped"]] == [f"{src}:7", f"{src}:8"]


def test_emptied_document_is_kept_with_its_reason():
    menu = "Home | News | Contact"
    docs = [
        Document(id="a", text=f"{menu}\n\nA long paragraph about apples that only this page has in it, really.", source="m"),
        Document(id="b", text=f"{menu}\n\nAnother page with a long paragraph of its own about pears and plums.", source="m"),
        Document(id="c", text=f"{menu}\n", source="m"),
    ]
    analysis = dedupe.analyse(docs)
    assert analysis.cleaned[2] == ""
    from dedupe.io.readers import Corpus
    from dedupe.report import build_report

    data = build_report(Corpus(documents=docs), analysis, dedupe.Config(), ["m"]).data
    assert data["documents"][2]["status"] == "emptied"
    assert data["documents"][2]["removed"] == {"boilerplate": 1}
    assert data["summary"]["documents_emptied"] == 1


def test_json_is_stable_bytes(tmp_path, seeds_dir):
    a = dedupe.scan([seeds_dir]).report.to_json()
    b = dedupe.scan([seeds_dir]).report.to_json()
    assert a == b and json.loads(a)["summary"]["templates"] == 7


def test_written_report_is_to_json_byte_for_byte(tmp_path, seeds_dir, monkeypatch):
    """The report is written a piece at a time: the same bytes, non-ASCII and lone surrogates included."""
    from dedupe import report as report_mod

    monkeypatch.setattr(report_mod, "WRITE_CHUNK", 64)  # many pieces
    report = dedupe.scan([seeds_dir]).report
    report.data["inputs"].append("caf\u00e9 \u6f22\u5b57 \udcff")  # a lone surrogate, as from an undecodable file name
    report.write(tmp_path / "r.json")
    written = (tmp_path / "r.json").read_bytes()
    assert written == report.to_json() and b"\\udcff" in written and "café".encode() in written


def test_cleaned_texts_are_made_from_the_kept_spans(seeds_dir):
    analysis = dedupe.scan([seeds_dir]).analysis
    cleaned = analysis.cleaned
    want = ["".join(d.text[a:b] for a, b in s) for d, s in zip(analysis.documents, analysis.spans)]
    assert len(cleaned) == len(want) and list(cleaned) == want and cleaned == want
    assert cleaned[1:3] == want[1:3] and cleaned[-1] == want[-1]
    assert cleaned != want[:-1] and any(c != d.text for c, d in zip(cleaned, analysis.documents))


def test_the_report_json_is_json_dumps_of_the_entries_as_a_list(data_dir):
    """Entries written one by one: the bytes json.dumps gives for the same data with a list."""
    from dedupe.report import DocumentEntries

    report = dedupe.scan([data_dir / "two_sites.jsonl", data_dir / "three_sites.jsonl"]).report
    entries = report.data["documents"]
    assert isinstance(entries, DocumentEntries) and len(entries) > 3
    plain = {**report.data, "documents": list(entries)}
    want = (json.dumps(plain, ensure_ascii=False, indent=2) + "\n").encode()
    assert report.to_json() == want
    assert entries == list(entries) and entries != list(entries)[:-1] and entries[-1] == list(entries)[-1]
    assert entries[1:3] == list(entries)[1:3]
    empty = {**report.data, "documents": DocumentEntries(dedupe.analyse([]), {}), "skipped": []}
    assert json.loads(dedupe.report.Report(empty).to_json())["documents"] == []
    assert dedupe.report.Report(empty).to_json() == (json.dumps({**empty, "documents": []}, ensure_ascii=False, indent=2) + "\n").encode()


def test_report_entries_are_those_of_documents_in_memory_and_in_a_store(data_dir, tmp_path):
    """A run reading files (a document store) and one on the same documents in memory report alike."""
    from dedupe.io.readers import Corpus
    from dedupe.report import build_report

    result = dedupe.scan([data_dir / "three_sites.jsonl"])
    docs = list(result.corpus.documents)
    analysis = dedupe.analyse(docs)
    data = build_report(Corpus(documents=docs), analysis, dedupe.Config(), result.report.data["inputs"]).data
    assert data["documents"] == result.report.data["documents"] and data["summary"] == result.report.data["summary"]


def test_templates_are_ordered_by_pages_with_ten_variants_at_most(monkeypatch):
    """Most pages first (ties: first met first); a template's variants are
    its first ten distinct texts, met in the order of the page ids (string
    order: p10 before p2), the first its text; its pages are listed once
    each, by id."""
    from dedupe.io.readers import Corpus
    from dedupe.report import build_report

    words = "apple pear plum orchard winter frost blossom harvest cider grafting root branch soil rain sun".split()
    docs = []
    for i in range(14):
        story = " ".join(random.Random(i).choices(words, k=40))
        credit = f"This story was first published by Outlet{i} Daily News"
        text = f"Home | News | Contact\n\n{credit}\n\n{story}\n\nHome | News | Contact\n"
        docs.append(Document(id=f"p{i}", text=text, source="m", url=f"https://site{i % 3}.example/{i}"))
    analysis = dedupe.analyse(docs)
    data = build_report(Corpus(documents=docs), analysis, dedupe.Config(), ["m"]).data
    templates = data["boilerplate"]
    menu = next(t for t in templates if t["text"] == "Home | News | Contact")
    assert menu["documents"] == sorted(f"p{i}" for i in range(14)) and menu["removed"] == 28
    credit = next(t for t in templates if t["text"].startswith("This story"))
    first_ten = sorted(f"p{i}" for i in range(14))[:10]
    assert credit["variants"] == [f"This story was first published by Outlet{i[1:]} Daily News" for i in first_ten]
    pages = [len(t["documents"]) for t in templates]
    assert pages == sorted(pages, reverse=True)
    assert [t["template"] for t in templates] == list(range(len(templates)))
    # The same templates (texts, variants, numbers) for any order of the
    # pages, read three at a time (slices of a full cluster's late blocks passed over).
    monkeypatch.setattr("dedupe.report._TEMPLATE_DOCS", 3)
    for seed in range(3):
        shuffled = random.Random(seed).sample(docs, len(docs))
        again = build_report(Corpus(documents=shuffled), dedupe.analyse(shuffled), dedupe.Config(), ["m"]).data
        assert again["boilerplate"] == templates


@settings(max_examples=200, deadline=None)
@given(
    entry=st.recursive(
        st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(st.characters(codec=None, exclude_categories=())),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
        max_leaves=12,
    )
)
def test_document_entries_are_written_as_json_dumps_writes_them(entry):
    """Entries go through a faster encoder; whatever they hold (control
    characters, lone surrogates, floats, ints past 64 bits), the bytes are
    those of json.dumps with indent 2."""
    from dedupe.report import DocumentEntries, Report

    class Entries(DocumentEntries):
        def __init__(self, items):
            self._items = items

        def __len__(self):
            return len(self._items)

        def __iter__(self):
            return iter(self._items)

    data = {"documents": Entries([entry, {"id": "x", "n": 1}])}
    want = json.dumps({"documents": [entry, {"id": "x", "n": 1}]}, ensure_ascii=False, indent=2) + "\n"
    assert Report(data).to_json() == want.encode("utf-8", "backslashreplace")


@settings(max_examples=200, deadline=None)
@given(
    items=st.lists(
        st.recursive(
            st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(st.characters(codec=None, exclude_categories=())),
            lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
            | st.dictionaries(st.text(max_size=6), inner, max_size=4),
            max_leaves=12,
        ),
        max_size=4,
    )
)
def test_list_sections_are_written_as_json_dumps_writes_them(items):
    """A list section (the templates) goes item by item through the faster
    encoder, like the documents: the bytes of json.dumps all the same,
    floats in tuples too."""
    from dedupe.report import Report

    data = {"boilerplate": items, "summary": {"pages": 3, "share": 0.25}, "more": [(1e-05, "x"), {"a": [2.5]}]}
    want = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    assert Report(data).to_json() == want.encode("utf-8", "backslashreplace")


def test_removed_lines_carry_their_text_cut_at_the_bound(made_up):
    """Each removed line's text is in its entry, stripped; a line past
    LINE_PREVIEW characters is cut there and ends in an ellipsis."""
    from dedupe.report import LINE_PREVIEW

    docs = []
    for i in range(3):
        (long_line,) = made_up.prose(f"long-{i}", lines=1, words=80)  # repeated in its page
        story = "\n\n".join(made_up.prose(f"story-{i}"))
        docs.append(Document(id=f"p{i}", text=f"  Home | News  \n\n{long_line}\n\n{story}\n\n{long_line}\n", source="m"))
    data = _report_of(docs)
    for entry, (long_line,) in zip(data["documents"], (made_up.prose(f"long-{i}", lines=1, words=80) for i in range(3))):
        assert len(long_line) > LINE_PREVIEW + 50
        assert [(r["reason"], r["text"]) for r in entry["removed_lines"]] == [
            ("boilerplate", "Home | News"), ("repeated_in_document", long_line[:LINE_PREVIEW] + "\u2026")
        ]


def _report_of(docs):
    from dedupe.io.readers import Corpus
    from dedupe.report import build_report

    return build_report(Corpus(documents=docs), dedupe.analyse(docs), dedupe.Config(), ["m"]).data


def test_templates_and_clusters_name_pages_by_url_beside_the_id(data_dir):
    data = dedupe.scan([data_dir / "three_sites.jsonl"]).report.data
    url = {d["id"]: d["url"] for d in data["documents"]}
    assert data["schema_version"] == 3
    for t in data["boilerplate"]:
        assert t["urls"] == [url[i] for i in t["documents"]] and all(u.startswith("https://") for u in t["urls"])
    (cluster,) = data["syndication"]
    assert cluster["urls"] == [url[i] for i in cluster["documents"]] and cluster["centre_url"] == url[cluster["centre"]]
    for pair in cluster["pairs"]:
        assert pair["urls"] == [url[i] for i in pair["documents"]]
    # Each document names its cluster by the cluster's centre; the others none.
    for d in data["documents"]:
        assert d["cluster"] == (cluster["centre"] if d["id"] in cluster["documents"] else None)


def test_site_figures_add_up_to_the_summary(data_dir):
    data = dedupe.scan([data_dir / "three_sites.jsonl", data_dir / "two_sites.jsonl"]).report.data
    s, sites = data["summary"], data["sites"]
    assert s["sites"] == len(sites) and sum(r["pages"] for r in sites) == s["documents_read"]
    assert sum(r["chars_in"] for r in sites) == s["chars_in"]
    assert sum(r["chars_removed"] for r in sites) == s["chars_in"] - s["chars_out"]
    assert sum(r["syndicated"] for r in sites) == sum(len(c["documents"]) for c in data["syndication"])
    assert [(-r["pages"], r["site"]) for r in sites] == sorted((-r["pages"], r["site"]) for r in sites)
    assert len(sites) == 5  # five hosts of three pages: in order of name
    # A site's templates: those removed from its pages, each counted once.
    by_site = {}
    host = {d["id"]: d["url"].split("/")[2].removeprefix("www.") for d in data["documents"]}
    for t in data["boilerplate"]:
        for i in set(t["documents"]):
            by_site.setdefault(host[i], set()).add(t["template"])
    assert {r["site"]: r["templates"] for r in sites} == {h: len(t) for h, t in by_site.items()} | {
        r["site"]: 0 for r in sites if r["site"] not in by_site
    }


def test_pages_without_a_url_are_one_site_named_none():
    docs = [
        Document(id="a", text="Home | News\n\nApples and their many uses in the kitchen of a farmhouse.\n", source="m",
                 url="https://www.one.example/a"),
        Document(id="b", text="Home | News\n\nPears ripen late in a cold summer on the northern hills.\n", source="m"),
        Document(id="c", text="Home | News\n\nPlums are best picked early in the morning, before the heat.\n", source="m"),
    ]
    docs.append(Document(id="d", text="Home | News\n\nQuinces need a long warm autumn to ripen at all.\n", source="m",
                         url="https://two.example/d"))
    sites = _report_of(docs)["sites"]
    # Most pages first; among equals, hosts by name, then the pages without a URL.
    assert [(r["site"], r["pages"], r["templates"]) for r in sites] == [(None, 2, 1), ("one.example", 1, 1), ("two.example", 1, 1)]
    docs.pop(1)
    assert [r["site"] for r in _report_of(docs)["sites"]] == ["one.example", "two.example", None]
