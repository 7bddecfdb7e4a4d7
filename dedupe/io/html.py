"""HTML to visible-text lines, one line per block element.

This is step 1 of the benchmark metric (``shared/benchdata/README.md``): the
text a naive scraper stores, and so the shape of the documents the rest of the
package cleans. Figures only compare if every consumer converts pages the same
way, hence one small, deterministic module.
"""

from __future__ import annotations

import hashlib

from selectolax.lexbor import LexborHTMLParser

__all__ = [
    "html_to_blocks", "html_to_lines", "html_to_text", "LINK_TEXT", "OUTSIDE_MAIN_TEXT", "is_link_text",
    "is_outside_main_text", "mark", "element_path", "path_hash",
]

# Elements that start and end a line. Beyond the CSS "display: block" set this
# includes table rows and cells: the metric asks for one line per cell, which
# keeps menus and tables as many short, repeatable lines instead of one long
# line mixing content and chrome. Every other element is inline.
BLOCK_TAGS = frozenset(
    """
    address article aside blockquote body br caption center col colgroup dd
    details dialog dir div dl dt fieldset figcaption figure footer form frame
    frameset h1 h2 h3 h4 h5 h6 header hgroup hr html legend li listing main
    menu nav ol optgroup option p plaintext pre search section summary table
    tbody td textarea tfoot th thead tr ul xmp
    """.split()
)

# Elements whose content is not shown as text: code, metadata, embedded
# documents and graphics. ``title`` is listed because parsers move a stray
# ``<title>`` (e.g. after CleanEval's ``<text>`` wrapper) into the body. A
# ``<select>`` shows one option, not its list of archive months and
# categories (dropping it also matches the benchdata README's raw figures on
# dragnet and l3s_gn1); ``<datalist>`` is never rendered.
SKIP_TAGS = frozenset(
    """
    head script style noscript template svg iframe title object embed applet
    noembed noframes math canvas audio video map select datalist
    """.split()
)

_TEXT = "-text"
_COMMENT = "-comment"

#: The last element of the tag path of a line whose text is mostly link
#: text (at least :data:`LINK_SHARE` of its characters inside ``<a>``): a
#: menu entry, a "related stories" link, a tag cloud. Not an element: the
#: page's own evidence that the line is a link, which per-page extractors
#: (jusText's link density, trafilatura's) live on.
LINK_TEXT = "@link"
LINK_SHARE = 0.5
_LINK_SUFFIX = ">" + LINK_TEXT
#: The mark of a line a per-page extractor leaves out of the page's main
#: text (``--page-extractor``, :mod:`dedupe.io.main_text`).
OUTSIDE_MAIN_TEXT = "@aside"
# Marks follow the elements; no element name holds an "@".
_MARKS = ">@"


def is_link_text(path) -> bool:
    """Whether a line's tag path says its text is mostly link text."""
    return path is not None and _LINK_SUFFIX in path


def is_outside_main_text(path) -> bool:
    """Whether a line's tag path says the page extractor left it out of the main text."""
    return path is not None and path.endswith(">" + OUTSIDE_MAIN_TEXT)


def mark(path: str, name: str) -> str:
    """``path`` with the mark ``name`` (:data:`LINK_TEXT`, :data:`OUTSIDE_MAIN_TEXT`) after its elements and marks."""
    return path + ">" + name


def element_path(path: str) -> str:
    """A tag path without its marks (:data:`LINK_TEXT`, :data:`OUTSIDE_MAIN_TEXT`): the elements alone."""
    cut = path.find(_MARKS)
    return path if cut < 0 else path[:cut]


def path_hash(path: str) -> int:
    """A 63-bit hash of a tag path's elements (:func:`element_path`), the
    same in every process: lines under the same elements, the same hash."""
    digest = hashlib.blake2b(element_path(path).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def html_to_blocks(html: str, *, comments: bool = False) -> list[tuple[str, str]]:
    """Split a page into visible-text lines with their block's tag path.

    Parameters
    ----------
    html : str
        The page source. Any string is accepted: the HTML5 parser repairs
        broken markup the way a browser would.
    comments : bool, default False
        Also emit the text of each HTML comment as a line of its own (path
        ending in ``#comment``). See :func:`html_to_lines`.

    Returns
    -------
    list of (str, str)
        ``(text, path)`` per non-empty line, in document order. ``text`` has
        its whitespace collapsed to single spaces; ``path`` is the chain of
        open elements when the line ended, e.g. ``"html>body>div>p"``, and
        ends in ``">@link"`` (:data:`LINK_TEXT`) when most of the line's
        characters are inside links (:func:`element_path` drops it). Text
        directly inside a block that also holds child blocks becomes lines of
        its own: ``<div>a<p>b</p>c</div>`` gives ``a``, ``b``, ``c``.
    """
    return _walk(html, with_path=True, comments=comments)


def html_to_lines(html: str, *, comments: bool = False) -> list[str]:
    """Split a page into visible-text lines, one per HTML block element.

    Parameters
    ----------
    html : str
        The page source; need not be well formed.
    comments : bool, default False
        Also emit the text of each HTML comment in the page body as a line of
        its own. Comments are not visible, so this is off by default; the
        reference figures of ``shared/benchdata/README.md`` were measured on
        text that included them (``benchmarks/quality.py`` reproduces those
        figures only with it on), so benchmarks turn it on to compare.

    Returns
    -------
    list of str
        Non-empty lines, whitespace collapsed, in document order.

    Examples
    --------
    >>> html_to_lines("<div>a <b>b</b><p>c&amp;d</p><script>x</script></div>")
    ['a b', 'c&d']
    """
    return _walk(html, with_path=False, comments=comments)


def html_to_text(html: str, *, comments: bool = False) -> str:
    """Visible text of a page as blank-line separated lines.

    Parameters
    ----------
    html : str
        The page source.
    comments : bool, default False
        As in :func:`html_to_lines`.

    Returns
    -------
    str
        :func:`html_to_lines` joined by ``"\\n\\n"``, the record shape of the
        benchmark corpora (one paragraph per block element).
    """
    return "\n\n".join(_walk(html, with_path=False, comments=comments))


def _walk(html: str, with_path: bool, comments: bool) -> list:
    """Depth-first walk emitting a line at every block boundary."""
    if not html:
        return []
    root = LexborHTMLParser(html).root
    if root is None:
        return []

    out: list = []
    buf: list[str] = []
    tags: list[str] = []  # open elements, for the tag path
    # Characters (not spaces) of the line so far, and of them inside <a>.
    chars = [0, 0]
    links = 0  # open <a> elements

    def flush(leaf: str = "") -> None:
        if buf:
            # Text nodes join without a separator ("foo<b>bar</b>" is one
            # word on screen); str.split() also splits on NBSP and other
            # Unicode spaces, which &nbsp; produces.
            line = " ".join("".join(buf).split())
            buf.clear()
            if line:
                if with_path:
                    path = ">".join(tags)
                    path = f"{path}>{leaf}" if leaf else path
                    if chars[1] and chars[1] >= LINK_SHARE * chars[0]:
                        path += _LINK_SUFFIX
                    out.append((line, path))
                else:
                    out.append(line)
        chars[0] = chars[1] = 0

    # An explicit stack, not recursion: broken pages that never close their
    # tags nest deeper than Python's recursion limit.
    parents: list = []
    node = root
    while node is not None:
        tag = node.tag
        if tag == _TEXT:
            text = node.text_content
            if text:
                buf.append(text)
                if with_path:
                    n = sum(map(len, text.split()))
                    chars[0] += n
                    chars[1] += n if links else 0
        elif tag == _COMMENT:
            if comments:
                flush()
                buf.append(node.comment_content or "")
                flush("#comment")
        elif node.is_element_node and tag not in SKIP_TAGS:
            block = tag in BLOCK_TAGS
            if block:
                flush()
            child = node.child
            if child is not None:
                parents.append(node)
                tags.append(tag)
                links += tag == "a"
                node = child
                continue
            if block:
                flush()
        # Climb until a sibling exists, closing each finished element.
        nxt = node.next
        while nxt is None and parents:
            node = parents.pop()
            if node.tag in BLOCK_TAGS:
                flush()
            links -= tags.pop() == "a"
            nxt = node.next
        node = nxt
    flush()
    return out
