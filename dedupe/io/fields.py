"""Record fields named by dotted paths: ``metadata.url`` is the ``url`` key
of the ``metadata`` object (cc_net and Dolma keep the URL nested).

A key that holds a dot itself (``"warc.url"`` at the top level) wins over
the path through objects, so a name that worked before still does. The
same paths choose the fields the output keeps (``--keep-fields``) or
leaves out (``--drop-fields``).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, MutableMapping, Optional

__all__ = ["get_path", "set_path", "split_path", "project", "keep_tree", "paths_in", "drop_paths"]

_MISSING = object()


def split_path(path: str) -> tuple[str, ...]:
    """The keys of a dotted path: ``"metadata.url"`` -> ``("metadata", "url")``."""
    return tuple(path.split("."))


def get_path(record: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """The value at ``path`` (a key, else a dotted path through objects), or ``default``."""
    value = record.get(path, _MISSING)
    if value is not _MISSING:
        return value
    if "." not in path:
        return default
    value = record
    for key in split_path(path):
        if not isinstance(value, Mapping) or key not in value:
            return default
        value = value[key]
    return value


def set_path(record: MutableMapping[str, Any], path: str, value: Any) -> None:
    """Set the value at ``path``: the key itself when the record has it (or
    the path has no dot), else the dotted path, making objects on the way."""
    if path in record or "." not in path:
        record[path] = value
        return
    *parents, last = split_path(path)
    node = record
    for key in parents:
        child = node.get(key)
        if not isinstance(child, MutableMapping):
            child = node[key] = {}
        node = child
    node[last] = value


def _keep(node: Mapping[str, Any], tree: dict) -> dict:
    out = {}
    for key, value in node.items():
        sub = tree.get(key)
        if sub is True or (sub is not None and not isinstance(value, Mapping)):
            out[key] = value
        elif sub is not None:
            out[key] = _keep(value, sub)
    return out


def keep_tree(paths: Iterable[tuple[str, ...]]) -> dict:
    """Paths as a tree of keys; True where a path ends (all below it is kept)."""
    tree: dict = {}
    for keys in paths:
        node = tree
        for key in keys[:-1]:
            child = node.setdefault(key, {})
            if child is True:
                break  # a shorter path keeps all below already
            node = child
        else:
            node[keys[-1]] = True
    return tree


def paths_in(record: Mapping[str, Any], names: Iterable[str]) -> list[tuple[str, ...]]:
    """Each name as the keys it means in this record: itself when the record
    has that key (a dotted key), else its dotted path."""
    return [(name,) if name in record else split_path(name) for name in names]


def drop_paths(record: Mapping[str, Any], drop: Iterable[str], always: Iterable[str]) -> list[tuple[str, ...]]:
    """The keys of each field to drop, less those that are (or hold) a field
    always kept: dropping ``metadata`` keeps it when the id is ``metadata.id``."""
    protected = paths_in(record, always)
    return [
        keys for keys in paths_in(record, drop)
        if not any(keys[: len(p)] == p or p[: len(keys)] == keys for p in protected)
    ]


def project(
    record: Mapping[str, Any], keep: Optional[Iterable[str]] = None, drop: Optional[Iterable[str]] = None,
    always: Iterable[str] = (),
) -> dict:
    """The record with only the ``keep`` fields (and ``always``, the text
    and id fields), or without the ``drop`` fields (``always`` excepted),
    in the record's own key order. Each name is a key or a dotted path."""
    always = list(always)
    if keep is not None:
        return _keep(record, keep_tree(paths_in(record, [*keep, *always])))
    out = dict(record)
    for keys in drop_paths(record, drop or (), always):
        node: Any = out
        for key in keys[:-1]:
            child = node.get(key) if isinstance(node, Mapping) else None
            if not isinstance(child, Mapping):
                node = None
                break
            node[key] = dict(child)  # the record as read is not changed
            node = node[key]
        if isinstance(node, dict):
            node.pop(keys[-1], None)
    return out
