"""One conversion of archgym's values to plain, JSON-able Python, for the store, cards, specs and templates.

Example:
    >>> import numpy as np
    >>> from pathlib import Path
    >>> plain({"n": np.int64(4), "x": np.arange(2), "trace": Path("a.stl"), "shape": (1, 2.5), "ok": np.True_})
    {'n': 4, 'x': [0, 1], 'trace': 'a.stl', 'shape': [1, 2.5], 'ok': True}
    >>> type(plain(np.float64(0.5)))
    <class 'float'>
    >>> plain(object)
    "<class 'object'>"
    >>> plain(object, strict=True)
    Traceback (most recent call last):
    ...
    TypeError: cannot convert <class 'object'> (type) to JSON
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np

JSONValue = None | bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"]


def plain(value: Any, *, strict: bool = False) -> JSONValue:
    """``value`` as JSON-able Python: NumPy scalars and arrays as numbers and lists, paths as
    strings, tuples as lists, mappings as dicts with string keys, recursively. Anything else
    becomes its ``repr`` (a record should not fail on an odd value), or raises ``TypeError``
    with ``strict=True`` (for files that are read back, where a ``repr`` would be silently wrong).

    Also fits ``json.dumps(..., default=plain)``, which calls it only for what JSON cannot hold.
    """
    if isinstance(
        value, np.generic
    ):  # first: np.float64 is a float, but YAML's safe dumper refuses it
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v, strict=strict) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v, strict=strict) for v in value]
    if strict:
        raise TypeError(f"cannot convert {value!r} ({type(value).__name__}) to JSON")
    return repr(value)
