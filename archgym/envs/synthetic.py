"""archgym/Synthetic-v0: a cost model with a known optimum, for testing and comparing agents."""

from archgym.objective import Minimize
from archgym.registry import register_env, register_simulator
from archgym.simulators.synthetic import Synthetic

register_simulator("synthetic", Synthetic)
register_env(
    "archgym/Synthetic-v0",
    Synthetic,
    objective=Minimize("cost_au"),
    description="Mixed categorical/integer/power-of-two space with interactions and a known optimum (cost 1.0).",
)
