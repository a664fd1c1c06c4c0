"""The one YAML reader of archgym: safe, strict about duplicate keys, bounded against alias bombs.

PyYAML's ``safe_load`` lets a repeated key silently replace the first one, and a few hundred
bytes of nested aliases (a "billion laughs" document) expand to gigabytes once anything walks
the result. :func:`load` refuses both with a :class:`yaml.YAMLError` that names the line, so
every loader's existing ``except yaml.YAMLError`` reports it as a bad file.

Example:
    >>> load("a: 1\\nb: [2, 3]\\n")
    {'a': 1, 'b': [2, 3]}
    >>> load("a: 1\\na: 2\\n")
    Traceback (most recent call last):
    ...
    archgym._yaml.DuplicateKeyError: line 2: key 'a' appears twice (first on line 1); ...
    >>> load("t: {x: 1}\\n", lines=True)["t"].lines
    {'x': 1}
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import IO, Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

#: Values a document may expand to through aliases. A real spec or workload file holds a few
#: thousand; a billion-laughs bomb of 600 bytes expands to ~10^9.
MAX_EXPANDED_VALUES = 1_000_000

_MERGE_TAG = "tag:yaml.org,2002:merge"


class DuplicateKeyError(yaml.YAMLError):
    """A mapping repeats a key (PyYAML would keep the last value without a word)."""


class AliasBombError(yaml.YAMLError):
    """Aliases make the document expand beyond :data:`MAX_EXPANDED_VALUES` values."""


class LineDict(dict):
    """A mapping that remembers the (1-based) line of each key, for errors that point into the file."""

    lines: dict[Any, int]


def _expanded_size(root: Node) -> int:
    """Values the document holds once every alias is followed (memoised: each node is sized once)."""
    sizes: dict[int, int] = {}

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        sizes[key] = 1  # a recursive alias counts once instead of looping
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        sizes[key] = total
        return total

    return size(root)


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys and alias bombs."""

    keep_lines = False

    def get_single_node(self) -> Node | None:
        node = super().get_single_node()
        if node is not None:
            expanded = _expanded_size(node)
            if expanded > MAX_EXPANDED_VALUES:
                raise AliasBombError(
                    f"the document's aliases expand it to {expanded:,} values, more than the "
                    f"{MAX_EXPANDED_VALUES:,} archgym reads (a 'billion laughs' alias bomb?); "
                    "write the values out or use fewer nested aliases"
                )
        return node

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # SafeLoader's own error names an unhashable key
            line = key_node.start_mark.line + 1
            if key in first:
                raise DuplicateKeyError(
                    f"line {line}: key {key!r} appears twice (first on line {first[key]}); "
                    "YAML would silently keep only the last value, so remove one"
                )
            first[key] = line
        return super().construct_mapping(node, deep=deep)


def _construct_map(loader: StrictLoader, node: MappingNode) -> Iterator[dict[Any, Any]]:
    data: dict[Any, Any] = LineDict() if loader.keep_lines else {}
    yield data
    data.update(loader.construct_mapping(node))
    if isinstance(data, LineDict):
        data.lines = {
            loader.construct_object(k, deep=True): k.start_mark.line + 1
            for k, _ in node.value
            if k.tag != _MERGE_TAG and isinstance(loader.construct_object(k, deep=True), Hashable)
        }


StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)


class _LineLoader(StrictLoader):
    keep_lines = True


def load(stream: str | bytes | IO[Any], *, lines: bool = False) -> Any:
    """Parse one YAML document strictly; ``lines=True`` gives :class:`LineDict` mappings."""
    return yaml.load(stream, Loader=_LineLoader if lines else StrictLoader)  # noqa: S506  a SafeLoader


def line_of(mapping: Any, key: Any) -> str:
    """``" (line N)"`` when ``mapping`` came from :func:`load` with ``lines=True``, else ``""``."""
    line = getattr(mapping, "lines", {}).get(key)
    return f" (line {line})" if line else ""


def describe(err: yaml.YAMLError) -> str:
    """One line for a YAML error: ``line N, column M: what is wrong`` (PyYAML's own spans lines).

    Example:
        >>> try:
        ...     load("a: [1, 2\\nb: 3\\n")
        ... except yaml.YAMLError as err:
        ...     print(describe(err))
        line 2, column 2: expected ',' or ']', but got ':'
    """
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None)
    if mark is None or problem is None:
        return " ".join(str(err).split())
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
