"""Deprecated: ``run``, ``RunResult`` and ``MAX_IDLE_ROUNDS`` moved to :mod:`archgym.loop`.

Importing them from here still works for one release, with a ``DeprecationWarning``.
"""

from __future__ import annotations

import warnings
from typing import Any

_MOVED = ("run", "RunResult", "MAX_IDLE_ROUNDS")


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        warnings.warn(
            f"archgym.agents.runner.{name} moved to archgym.loop.{name} (use archgym.{name} or "
            "archgym.loop); the old path goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        from archgym import loop

        return getattr(loop, name)
    raise AttributeError(f"module 'archgym.agents.runner' has no attribute {name!r}")
