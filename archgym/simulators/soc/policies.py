"""The core-mapping policies, by name and by the code the compiled scheduler takes.

Kept apart from :mod:`archgym.simulators.soc.scheduler`, so building an
:class:`~archgym.simulators.soc.SoCSimulator` does not load Numba; the scheduler loads on the first evaluation.

Example:
    >>> POLICIES["critical_path"] == CRITICAL_PATH
    True
"""

ROUND_ROBIN, FIRST_FREE, CRITICAL_PATH = 0, 1, 2
POLICIES = {"round_robin": ROUND_ROBIN, "first_free": FIRST_FREE, "critical_path": CRITICAL_PATH}
