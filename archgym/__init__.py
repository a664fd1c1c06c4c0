"""archgym: a gym for machine-learning-assisted hardware design-space exploration.

Example:
    >>> import archgym
    >>> from archgym.agents import RandomSearch
    >>> result = archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=10, seed=0)
    >>> len(result.evaluations)
    10
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("archgym")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

from archgym import envs as _builtin_envs  # noqa: E402,F401  registers the built-in env ids
from archgym.costmodel import register_cost_model  # noqa: E402
from archgym.env import DesignEnv
from archgym.evaluator import BudgetExhausted, Evaluation, Evaluator
from archgym.loop import Run, RunResult, register_agent_factory, run
from archgym.multiagent import MultiAgentDesignEnv, make_multiagent
from archgym.objective import (
    Constrained,
    Maximize,
    Minimize,
    Objective,
    Pareto,
    Target,
    WeightedSum,
)
from archgym.registry import list_envs, make, register_env, register_simulator
from archgym.simulator import (
    BatchSimulator,
    EvaluationError,
    ExternalSimulator,
    Metric,
    Simulator,
    WorkloadError,
)
from archgym.space import (
    Categorical,
    Constraint,
    DesignSpace,
    Integer,
    InvalidDesignError,
    Ordinal,
    Param,
    PowerOfTwo,
    Real,
)
from archgym.store import Store

# Proxy cost models live in a subpackage the core never imports; they load on first use.
register_cost_model("proxy", "archgym.proxy_models:attach_proxy")
register_cost_model("hybrid", "archgym.proxy_models:attach_hybrid")
# Agents too: archgym.run("random", ...) builds the agent by name on first use.
register_agent_factory("archgym.agents:make_agent")

__all__ = [
    "BatchSimulator",
    "BudgetExhausted",
    "Categorical",
    "Constrained",
    "Constraint",
    "DesignEnv",
    "DesignSpace",
    "Evaluation",
    "EvaluationError",
    "Evaluator",
    "ExternalSimulator",
    "Integer",
    "InvalidDesignError",
    "Maximize",
    "Metric",
    "Minimize",
    "MultiAgentDesignEnv",
    "Objective",
    "Ordinal",
    "Param",
    "Pareto",
    "PowerOfTwo",
    "Real",
    "Run",
    "RunResult",
    "Simulator",
    "Store",
    "Target",
    "WeightedSum",
    "WorkloadError",
    "list_envs",
    "make",
    "register_env",
    "make_multiagent",
    "register_cost_model",
    "register_simulator",
    "run",
]
