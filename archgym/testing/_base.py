"""What every family of checks shares: the error, and a memo scoped to one ``check_*`` call."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NoReturn, TypeVar

T = TypeVar("T")

#: A named check: ``check(obj, **options)`` raises :class:`ConformanceError` or returns None.
Check = Callable[..., None]


class ConformanceError(AssertionError):
    """A simulator, environment, agent or regressor breaks the archgym contract."""


def fail(message: str) -> NoReturn:
    raise ConformanceError(message)


# Inside check_simulator (or check_agent, ...) the named checks run one after another on the
# same object; this memo lets them reuse each other's simulator calls and agent runs, so the
# whole suite costs what the single function it replaced did. Outside it every check
# computes its own.
_SHARED: ContextVar[dict[Hashable, tuple[bool, Any]] | None] = ContextVar(
    "archgym_testing_shared", default=None
)


@contextmanager
def sharing() -> Iterator[None]:
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def shared(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or its remembered outcome (value or exception) within :func:`sharing`."""
    memo = _SHARED.get()
    if memo is None:
        return compute()
    if key not in memo:
        try:
            memo[key] = (True, compute())
        except Exception as err:
            memo[key] = (False, err)
    ok, outcome = memo[key]
    if ok:
        return outcome
    raise outcome


def _named(check: Check) -> list[str]:
    params = list(inspect.signature(check).parameters.values())[1:]
    return [p.name for p in params if p.kind is not p.VAR_KEYWORD]


def _takes_any(check: Check) -> bool:
    return any(p.kind is p.VAR_KEYWORD for p in inspect.signature(check).parameters.values())


def bind(
    checks: Sequence[Check], options: Mapping[str, Any], kind: str
) -> list[functools.partial[None]]:
    """Each check with the options it takes: a named option goes to the checks that name it, any
    other to the checks with ``**kwargs`` (the env's make kwargs); one nothing takes is refused."""
    named = {n for c in checks for n in _named(c)}
    unknown = [o for o in options if o not in named and not any(_takes_any(c) for c in checks)]
    if unknown:
        raise TypeError(f"{kind} checks take no option {unknown[0]!r}; they take {sorted(named)}")

    def taken(check: Check) -> dict[str, Any]:
        return {
            k: v
            for k, v in options.items()
            if k in _named(check) or (k not in named and _takes_any(check))
        }

    return [functools.partial(c, **taken(c)) for c in checks]


def run_all(checks: Sequence[Check], obj: Any, options: Mapping[str, Any], kind: str) -> None:
    """Run every check on ``obj`` in order, sharing their work; the first failure is raised."""
    with sharing():
        for check in bind(checks, options, kind):
            check(obj)
