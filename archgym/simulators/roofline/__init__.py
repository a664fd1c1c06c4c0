"""LLM inference on a roofline: model/hardware catalogues, a per-operator analyzer, and the co-design simulator.

Example:
    >>> from archgym.simulators.roofline import analyze
    >>> r = analyze("llama-2-7b", "a100", "decode", batch_size=1, seq_len=1024)
    >>> r.ops.set_index("op").loc["q_proj", "bound"]
    'memory'
"""

from typing import TYPE_CHECKING, Any

from archgym.simulators.roofline.analyzer import RooflineResult, analyze
from archgym.simulators.roofline.catalog import (
    CatalogError,
    Hardware,
    ModelConfig,
    hardware_from_dict,
    hardware_names,
    load_hardware,
    load_model,
    model_from_config,
    model_names,
)
from archgym.simulators.roofline.generation import Generation, generate
from archgym.simulators.roofline.simulator import (
    LLMWorkload,
    RooflineSimulator,
    load_workload,
    workload_names,
)

if TYPE_CHECKING:
    from archgym.simulators.roofline.plot import plot_roofline

__all__ = [
    "CatalogError",
    "Generation",
    "Hardware",
    "LLMWorkload",
    "ModelConfig",
    "RooflineResult",
    "RooflineSimulator",
    "analyze",
    "generate",
    "hardware_from_dict",
    "hardware_names",
    "load_hardware",
    "load_model",
    "load_workload",
    "model_from_config",
    "model_names",
    "plot_roofline",
    "workload_names",
]


def __getattr__(name: str) -> Any:
    # plot_roofline loads matplotlib (0.5 s), so it is imported on first use, not with the package
    if name == "plot_roofline":
        from archgym.simulators.roofline.plot import plot_roofline

        return plot_roofline
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "plot_roofline"])
