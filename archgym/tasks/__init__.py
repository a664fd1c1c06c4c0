"""Benchmark tasks: env + workload + objective + a stored reference optimum (or front), and regret.

``archgym bench`` runs agents on these. Each task says how its reference was obtained
(enumeration of the whole space, or heavy search for a best-known optimum) and stores the
reward distribution of random designs, so regret can be normalised across tasks.

Example:
    >>> import archgym.tasks as tasks
    >>> "mapping-edp" in tasks.list_tasks("default")
    True
    >>> task = tasks.get("mapping-edp")
    >>> env = task.make()
    >>> task.regret(task.reference.reward)
    0.0
"""

from archgym.tasks.catalog import DEFINITIONS, TaskDefinition, get, list_tasks
from archgym.tasks.task import RandomBaseline, Reference, Task

__all__ = [
    "DEFINITIONS",
    "RandomBaseline",
    "Reference",
    "Task",
    "TaskDefinition",
    "get",
    "list_tasks",
]
