"""The LLM inference co-design simulator: accelerator resources + serving knobs -> service metrics.

A design picks the accelerator (compute units and clock -> peak OP/s per precision, HBM
stacks and generation -> bandwidth and capacity, on-chip SRAM) and how it serves (batch size,
weight/activation/KV bit-widths, FlashAttention, tensor-parallel degree). A workload is an
LLM with a prompt length, a generation length and TTFT/TPOT service targets. The roofline
analyzer scores every design; area and power come from the first-order constants in
``accelerator.yaml`` (calibrated on the A100, sources listed there). ``evaluate_batch`` runs
the whole batch as NumPy arrays: no Python loop per design.

Example:
    >>> from archgym.simulators.roofline import RooflineSimulator
    >>> sim = RooflineSimulator()
    >>> wl = sim.load_workload("llama-2-7b-interactive")
    >>> design = {"compute_units": 128, "clock_ghz": 1.4, "hbm_stacks": 5, "hbm_gen": "hbm3",
    ...           "sram_mb": 64, "batch_size": 16, "w_bit": 16, "a_bit": 16, "kv_bit": 16,
    ...           "flash_attention": True, "tensor_parallel": 1}
    >>> m = sim.evaluate(design, wl)
    >>> m["tpot_ms"] < wl.tpot_target_ms, m["memory_util"] < 1
    (True, True)
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from archgym._yaml import load as load_yaml
from archgym.simulator import EvaluationError, Metric, Simulator, WorkloadError
from archgym.simulators.roofline.analyzer import DeviceArrays, check_settings, summarize
from archgym.simulators.roofline.catalog import (
    HERE,
    CatalogError,
    ModelConfig,
    check_fields,
    load_model,
)
from archgym.space import (
    Categorical,
    Constraint,
    Design,
    DesignSpace,
    InvalidDesignError,
    Ordinal,
    PowerOfTwo,
)

# -- workloads ---------------------------------------------------------------------------------

WORKLOAD_FIELDS = ("model", "prompt_len", "gen_len", "ttft_target_ms", "tpot_target_ms")
#: Service targets used when a workload gives none: MLPerf Inference Llama-2-70B server scenario.
DEFAULT_TTFT_TARGET_MS = 2000.0
DEFAULT_TPOT_TARGET_MS = 200.0


@dataclass(frozen=True)
class LLMWorkload:
    """An LLM, a request shape and service targets.

    >>> LLMWorkload.from_dict({"model": "opt-1.3b", "prompt_len": 128, "gen_len": 32}).tpot_target_ms
    200.0
    """

    name: str
    model: ModelConfig
    prompt_len: int
    gen_len: int
    ttft_target_ms: float = DEFAULT_TTFT_TARGET_MS
    tpot_target_ms: float = DEFAULT_TPOT_TARGET_MS

    @property
    def workload_id(self) -> str:
        """Stable id for the evaluation cache: the name plus a digest of every field that matters."""
        fields = {k: v for k, v in asdict(self).items() if k != "name"}
        fields["model"] = {k: v for k, v in fields["model"].items() if k != "source"}
        digest = hashlib.sha1(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:12]
        return f"{self.name}:{digest}"

    @classmethod
    def from_dict(
        cls,
        spec: Mapping[str, Any],
        name: str = "custom",
        base: Path | None = None,
        source: str | None = None,
    ) -> LLMWorkload:
        """Build from ``{model, prompt_len, gen_len[, ttft_target_ms, tpot_target_ms]}``.

        ``model`` is a built-in model name, a path to a ``config.json`` (relative to ``base``),
        or a mapping of config fields.
        """
        src = source or f"workload {name!r}"
        check_fields(
            spec,
            src,
            "a workload",
            WORKLOAD_FIELDS,
            ("model", "prompt_len", "gen_len"),
            WorkloadError,
            word="key",
        )
        model_spec = spec["model"]
        if isinstance(model_spec, str) and base is not None and (base / model_spec).exists():
            model_spec = str(base / model_spec)
        try:
            model = load_model(model_spec)
        except CatalogError as err:
            raise WorkloadError(f"{src}: key 'model': {err}") from None
        ints = {}
        for key in ("prompt_len", "gen_len"):
            v = spec[key]
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise WorkloadError(f"{src}: key {key!r} must be a positive integer, got {v!r}")
            ints[key] = v
        targets = {}
        for key, default in (
            ("ttft_target_ms", DEFAULT_TTFT_TARGET_MS),
            ("tpot_target_ms", DEFAULT_TPOT_TARGET_MS),
        ):
            v = spec.get(key, default)
            if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0:
                raise WorkloadError(
                    f"{src}: key {key!r} must be a positive number of milliseconds, got {v!r}"
                )
            targets[key] = float(v)
        if (
            model.max_position_embeddings
            and ints["prompt_len"] + ints["gen_len"] > model.max_position_embeddings
        ):
            raise WorkloadError(
                f"{src}: prompt_len + gen_len = {ints['prompt_len'] + ints['gen_len']} exceeds the model's "
                f"max_position_embeddings {model.max_position_embeddings}"
            )
        return cls(
            str(spec.get("name", name)), model, ints["prompt_len"], ints["gen_len"], **targets
        )


@cache
def _yaml(filename: str) -> dict[str, Any]:
    with open(HERE / filename, encoding="utf-8") as fh:
        return load_yaml(fh)


def workload_names() -> list[str]:
    """Names of the built-in workloads."""
    return sorted(_yaml("workloads.yaml"))


def load_workload(spec: str | Path | Mapping[str, Any] | LLMWorkload) -> LLMWorkload:
    """A built-in workload name, a YAML/JSON file, a mapping, or an :class:`LLMWorkload`."""
    if isinstance(spec, LLMWorkload):
        return spec
    if isinstance(spec, Mapping):
        return LLMWorkload.from_dict(spec, name=str(spec.get("name", "custom")))
    builtin = _yaml("workloads.yaml")
    if isinstance(spec, str) and spec in builtin:
        return LLMWorkload.from_dict(
            builtin[spec], name=spec, source=f"workloads.yaml entry {spec!r}"
        )
    path = Path(spec).expanduser()
    if not path.is_file():
        raise WorkloadError(
            f"unknown workload {str(spec)!r}: not a built-in workload ({', '.join(workload_names())}) "
            "and not a path to a YAML/JSON workload file"
        )
    try:
        data = load_yaml(
            path.read_text(encoding="utf-8")
        )  # JSON is YAML, so one loader serves both
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise WorkloadError(
            f"{path}: malformed YAML/JSON{where}: {getattr(err, 'problem', err)}"
        ) from None
    return LLMWorkload.from_dict(data, name=path.stem, base=path.parent, source=str(path))


# -- the accelerator ---------------------------------------------------------------------------

HBM_GENERATIONS = ("hbm2e", "hbm3", "hbm3e")


@dataclass(frozen=True)
class AcceleratorModel:
    """First-order peak, bandwidth, capacity, area and power of a design (constants: ``accelerator.yaml``).

    >>> acc = AcceleratorModel.default()
    >>> round(float(acc.die_area_mm2(128, 96, 6)))
    826
    """

    constants: Mapping[str, Any]

    @classmethod
    def default(cls) -> AcceleratorModel:
        return cls(_yaml("accelerator.yaml"))

    def _hbm(self, gen: np.ndarray, key: str) -> np.ndarray:
        table = np.array([self.constants["hbm"][g][key] for g in HBM_GENERATIONS], dtype=np.float64)
        return table[gen]

    def device(
        self,
        cu: np.ndarray,
        ghz: np.ndarray,
        stacks: np.ndarray,
        gen: np.ndarray,
        sram_mb: np.ndarray,
    ) -> DeviceArrays:
        """Roofline device of each design; ``gen`` indexes :data:`HBM_GENERATIONS`."""
        c = self.constants["compute_unit"]
        fp16 = cu * ghz * 1e9 * c["fp16_ops_per_cycle"]
        s = self.constants["system"]
        return DeviceArrays(
            bandwidth=stacks * self._hbm(gen, "bandwidth_gbps") * 1e9,
            peak4=fp16 * c["int4_speedup"],
            peak8=fp16 * c["int8_speedup"],
            peak16=fp16,
            peak32=cu * ghz * 1e9 * c["fp32_ops_per_cycle"],
            onchip_per_unit=sram_mb * 1e6 / cu,
            memory=stacks * self._hbm(gen, "capacity_gb") * 1e9,
            interconnect=s["interconnect_gbps"] * 1e9,
            offload=s["offload_gbps"] * 1e9,
        )

    def die_area_mm2(self, cu: np.ndarray, sram_mb: np.ndarray, stacks: np.ndarray) -> np.ndarray:
        k = self.constants
        return (
            cu * k["compute_unit"]["area_mm2"]
            + sram_mb * k["sram"]["area_mm2_per_mb"]
            + stacks * k["die"]["hbm_phy_area_mm2"]
            + k["die"]["fixed_area_mm2"]
        )

    def area_mm2(
        self, cu: np.ndarray, sram_mb: np.ndarray, stacks: np.ndarray, gen: np.ndarray
    ) -> np.ndarray:
        """Silicon of one device: the compute die plus the footprint of its HBM stacks."""
        return self.die_area_mm2(cu, sram_mb, stacks) + stacks * self._hbm(gen, "footprint_mm2")

    def power_w(
        self,
        cu: np.ndarray,
        ghz: np.ndarray,
        sram_mb: np.ndarray,
        stacks: np.ndarray,
        gen: np.ndarray,
    ) -> np.ndarray:
        """Full-load (TDP-like) power of one device: compute dynamic + HBM traffic + die leakage."""
        k = self.constants
        hbm_bits_s = stacks * self._hbm(gen, "bandwidth_gbps") * 1e9 * 8
        return (
            cu * ghz * k["compute_unit"]["power_w_per_ghz"]
            + hbm_bits_s * self._hbm(gen, "pj_per_bit") * 1e-12
            + self.die_area_mm2(cu, sram_mb, stacks) * k["die"]["leakage_w_per_mm2"]
        )


# -- the simulator -----------------------------------------------------------------------------


class RooflineSimulator(Simulator):
    """LLM inference on a roofline, for hardware/serving co-design.

    Metrics are per system (``tensor_parallel`` devices) except ``memory_gb`` and
    ``memory_util``, which are per device. A design whose weights + KV cache + activations do
    not fit streams the excess over the host link every pass (slow, never fast) and breaks the
    space's ``fits_in_memory`` constraint, so the evaluator flags it infeasible.
    """

    name = "llm_roofline"
    version = "1"
    default_workload = "llama-2-7b-interactive"
    metrics = (
        Metric("ttft_ms", "ms", "min", 200.0, "time to first token (prefill)"),
        Metric("tpot_ms", "ms", "min", 20.0, "time per output token (mean decode step)"),
        Metric("e2e_ms", "ms", "min", 5000.0, "prompt + all generated tokens"),
        Metric(
            "throughput_tok_s", "tok/s", "max", 2000.0, "generated tokens per second, all sequences"
        ),
        Metric("tok_s_per_mm2", "tok/s/mm2", "max", 1.0, "throughput per mm2 of silicon"),
        Metric("memory_gb", "GB", "min", 50.0, "weights + KV cache + activations per device"),
        Metric(
            "memory_util", "ratio", "min", 1.0, "memory needed / device capacity (> 1 does not fit)"
        ),
        Metric("area_mm2", "mm2", "min", 1500.0, "compute dies + HBM stacks, all devices"),
        Metric("power_w", "W", "min", 500.0, "full-load power, all devices"),
    )

    def __init__(self, constants: Mapping[str, Any] | None = None) -> None:
        self.accelerator = (
            AcceleratorModel(constants) if constants is not None else AcceleratorModel.default()
        )
        self._spaces: dict[str, DesignSpace] = {}

    def workloads(self) -> list[str]:
        return workload_names()

    def load_workload(self, spec: Any = None) -> LLMWorkload:
        return load_workload(self.default_workload if spec is None else spec)

    def workload_id(self, workload: Any) -> str:
        return self.load_workload(workload).workload_id

    def design_space(self, workload: Any = None) -> DesignSpace:
        wl = self.load_workload(workload)
        # Tensor parallelism must split heads and MLP columns evenly for this model.
        split = math.gcd(wl.model.num_heads, wl.model.intermediate_size)
        max_tp = max(t for t in (1, 2, 4, 8) if split % t == 0)
        params = [
            Ordinal("compute_units", [16, 32, 48, 64, 96, 128, 160, 192, 256]),
            Ordinal("clock_ghz", [0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0]),
            Ordinal("hbm_stacks", [1, 2, 3, 4, 5, 6, 8]),
            Categorical("hbm_gen", list(HBM_GENERATIONS)),
            PowerOfTwo("sram_mb", 8, 256),
            PowerOfTwo("batch_size", 1, 256),
            Ordinal("w_bit", [4, 8, 16]),
            Ordinal("a_bit", [8, 16]),
            Ordinal("kv_bit", [4, 8, 16]),
            Categorical("flash_attention", [False, True]),
            PowerOfTwo("tensor_parallel", 1, max_tp),
        ]
        fits = Constraint(
            "fits_in_memory",
            partial(self.fits_in_memory, workload=wl),
            "weights + KV cache + activations exceed device memory",
            check_many=partial(self.fit_in_memory, workload=wl),
        )
        return DesignSpace(params, [fits])

    def param_groups(self, workload: Any = None) -> dict[str, list[str]]:
        """Parameters by who decides them, for multi-agent co-design: compute, memory, serving.

        >>> RooflineSimulator().param_groups()["memory"]
        ['hbm_stacks', 'hbm_gen']
        """
        names = self.design_space(workload).names
        compute = ["compute_units", "clock_ghz", "sram_mb"]
        memory = ["hbm_stacks", "hbm_gen"]
        return {
            "compute": compute,
            "memory": memory,
            "serving": [n for n in names if n not in compute + memory],
        }

    def fits_in_memory(self, design: Design, workload: Any = None) -> bool:
        """Whether the design holds the workload's weights, KV cache and activations on each device."""
        wl = self.load_workload(workload)
        return bool(self._columns_metrics([design], wl)["memory_util"][0] <= 1.0)

    def fit_in_memory(self, designs: Sequence[Design], workload: Any = None) -> np.ndarray:
        """:meth:`fits_in_memory` for many designs at once (one vectorised model run)."""
        wl = self.load_workload(workload)
        return np.asarray(self._columns_metrics(designs, wl)["memory_util"] <= 1.0)

    # -- evaluation -----------------------------------------------------------------------
    def evaluate(self, design: Design, workload: Any = None) -> dict[str, float]:
        wl = self.load_workload(workload)
        out = self._columns_metrics([design], wl)
        return {k: float(v[0]) for k, v in out.items()}

    def evaluate_batch(
        self, designs: Sequence[Design], workload: Any = None
    ) -> list[dict[str, float] | EvaluationError]:
        wl = self.load_workload(workload)
        out = self._columns_metrics(designs, wl)
        names = [m.name for m in self.metrics]
        rows = zip(*(out[n].tolist() for n in names), strict=True)
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _columns_metrics(self, designs: Sequence[Design], wl: LLMWorkload) -> dict[str, np.ndarray]:
        """Dict designs -> parameter columns (checked against the space, column by column) -> metrics."""
        space = self.design_space_cached(wl)
        columns = {}
        for param in space.params:
            try:
                values = [d[param.name] for d in designs]
            except KeyError:
                raise InvalidDesignError(
                    f"missing parameter {param.name!r} (legal values: {param.legal()})",
                    parameter=param.name,
                ) from None
            if param.name in ("hbm_gen", "flash_attention"):
                lookup = {v: i for i, v in enumerate(param.values)}
                try:
                    column = np.fromiter((lookup[v] for v in values), np.int64, len(values))
                except (KeyError, TypeError):
                    bad = next(v for v in values if not isinstance(v, Hashable) or v not in lookup)
                    param.validate(bad)  # raises, naming the parameter and its legal values
                    raise
            else:
                try:
                    column = np.asarray(values, dtype=np.float64)
                    legal = np.isin(column, np.asarray(param.values, dtype=np.float64))
                except (TypeError, ValueError):
                    legal = np.zeros(len(values), dtype=bool)
                if not legal.all():
                    param.validate(values[int(np.argmin(legal))])  # raises, naming the parameter
            columns[param.name] = column
        n = len(space.params)
        for d in designs:
            if len(d) != n:  # every parameter is present, so a longer design names an unknown one
                extra = sorted(set(d) - set(space.names))[0]
                raise InvalidDesignError(
                    f"unknown parameter {extra!r}; parameters are {space.names}", parameter=extra
                )
        return self.evaluate_arrays(columns, wl)

    def design_space_cached(self, wl: LLMWorkload) -> DesignSpace:
        """The space of a loaded workload, built once per workload id."""
        key = wl.workload_id
        if key not in self._spaces:
            self._spaces[key] = self.design_space(wl)
        return self._spaces[key]

    def evaluate_arrays(
        self, columns: Mapping[str, np.ndarray], workload: Any = None
    ) -> dict[str, np.ndarray]:
        """Metrics of N designs given as arrays (one per parameter; ``hbm_gen`` as an index into
        :data:`HBM_GENERATIONS`, ``flash_attention`` as 0/1). The fast path: pure NumPy, no
        per-design Python; values are not checked against the space."""
        wl = self.load_workload(workload)
        c = {k: np.asarray(v) for k, v in columns.items()}
        tp = c["tensor_parallel"]
        bad = (wl.model.num_heads % tp != 0) | (wl.model.intermediate_size % tp != 0)
        if np.any(bad):
            check_settings(
                wl.model, 1, 1, 1, 16, 16, 16, int(tp[np.argmax(bad)])
            )  # raises, naming the limit
        acc = self.accelerator
        cu, ghz, stacks, gen, sram = (
            c["compute_units"],
            c["clock_ghz"],
            c["hbm_stacks"],
            c["hbm_gen"],
            c["sram_mb"],
        )
        dev = acc.device(cu, ghz, stacks, gen, sram)
        s = summarize(
            wl.model,
            dev,
            c["batch_size"],
            wl.prompt_len,
            wl.gen_len,
            c["w_bit"],
            c["a_bit"],
            c["kv_bit"],
            c["flash_attention"].astype(np.float64),
            tp,
        )
        area = tp * acc.area_mm2(cu, sram, stacks, gen)
        n = len(cu)
        full = lambda x: np.broadcast_to(np.asarray(x, dtype=np.float64), (n,))  # noqa: E731
        return {
            "ttft_ms": full(s["ttft_s"] * 1e3),
            "tpot_ms": full(s["tpot_s"] * 1e3),
            "e2e_ms": full(s["e2e_s"] * 1e3),
            "throughput_tok_s": full(s["throughput_tok_s"]),
            "tok_s_per_mm2": full(s["throughput_tok_s"] / area),
            "memory_gb": full(s["memory_bytes"] / 1e9),
            "memory_util": full(s["memory_bytes"] / s["capacity_bytes"]),
            "area_mm2": full(area),
            "power_w": full(tp * acc.power_w(cu, ghz, sram, stacks, gen)),
        }
