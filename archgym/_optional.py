"""One way to import an optional dependency: on first use, with the install command when missing.

Example:
    >>> optuna = import_optional("optuna", extra="optuna", purpose="the optuna-* agents")  # doctest: +SKIP
    >>> try:
    ...     import_optional("no_such_module", purpose="this example")
    ... except MissingDependencyError as err:
    ...     print(err)
    this example needs 'no_such_module': pip install no_such_module
"""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingDependencyError(ImportError):
    """An optional dependency is not installed; the message says what to install."""


def import_optional(
    module: str, *, extra: str | None = None, package: str | None = None, purpose: str
) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming ``purpose`` and the install command.

    ``extra`` is archgym's extra that brings the dependency (``pip install 'archgym[extra]'``);
    without one the hint names ``package`` (default: the module's top-level name).
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        top = module.split(".")[0]
        hint = f"pip install 'archgym[{extra}]'" if extra else f"pip install {package or top}"
        raise MissingDependencyError(f"{purpose} needs {top!r}: {hint}") from err
