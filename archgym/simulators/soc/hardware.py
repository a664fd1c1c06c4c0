"""The SoC hardware library (cores, accelerators, memories, buses), read from ``data/hardware.yaml``.

Example:
    >>> hw = HardwareLibrary.load()
    >>> hw.core.name, hw.core.area_mm2, hw.memory.kinds["dram"].energy_pj_per_byte
    ('A53', 0.65, 10.4)
    >>> round(hw.memory.energy_pj_per_byte("sram", 4), 3)  # narrow SRAMs pay the fixed cost per 4 B
    1.2
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from archgym._yaml import load as load_yaml

DEFAULT_PATH = Path(__file__).parent / "data" / "hardware.yaml"


class HardwareError(ValueError):
    """A hardware library file lacks a field or gives an illegal value."""


def _get(doc: Mapping[str, Any], key: str, where: str, kind: type = float) -> Any:
    if not isinstance(doc, Mapping) or key not in doc:
        raise HardwareError(f"hardware library: missing field '{where}.{key}'")
    value = doc[key]
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise HardwareError(
                f"hardware library: '{where}.{key}' must be a number >= 0, got {value!r}"
            )
        return float(value)
    if kind is list:
        if not (
            isinstance(value, list)
            and value
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
        ):
            raise HardwareError(
                f"hardware library: '{where}.{key}' must be a list of positive integers, got {value!r}"
            )
        return tuple(sorted(set(value)))
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise HardwareError(
                f"hardware library: '{where}.{key}' must be an integer >= 1, got {value!r}"
            )
        return value
    return value


@dataclass(frozen=True)
class Core:
    name: str
    freq_hz: float
    ipc: float
    instructions_per_joule: float
    area_mm2: float
    max_cores: int

    @property
    def energy_per_cycle_j(self) -> float:
        """Energy of one reference cycle (``ipc`` instructions)."""
        return self.ipc / self.instructions_per_joule


@dataclass(frozen=True)
class Accelerators:
    base_clock_hz: float
    clock_multipliers: tuple[int, ...]
    energy_scale: float
    area_scale: float


@dataclass(frozen=True)
class MemoryKind:
    access_energy_fixed_pj: float
    energy_pj_per_byte: float
    area_mm2_per_mb: float


@dataclass(frozen=True)
class Memories:
    base_clock_hz: float
    widths_bytes: tuple[int, ...]
    clock_multipliers: tuple[int, ...]
    kinds: dict[str, MemoryKind]

    def energy_pj_per_byte(self, kind: str, width_bytes: int) -> float:
        """Access energy per byte: the width-independent part is paid once per ``width`` bytes."""
        k = self.kinds[kind]
        return k.access_energy_fixed_pj / width_bytes + k.energy_pj_per_byte


@dataclass(frozen=True)
class Bus:
    base_clock_hz: float
    widths_bytes: tuple[int, ...]
    clock_multipliers: tuple[int, ...]
    energy_pj_per_byte: float
    area_mm2: float


@dataclass(frozen=True)
class HardwareLibrary:
    core: Core
    accelerator: Accelerators
    memory: Memories
    bus: Bus
    area_cap_mm2: float
    power_window_s: float

    @classmethod
    def load(cls, source: str | Path | Mapping[str, Any] | None = None) -> HardwareLibrary:
        """From a YAML file (default: the shipped library) or an already-parsed mapping."""
        if source is None or isinstance(source, str | Path):
            path = Path(source) if source is not None else DEFAULT_PATH
            try:
                doc = load_yaml(path.read_text())
            except OSError as err:
                raise HardwareError(f"cannot read hardware library {str(path)!r}: {err}") from None
            except yaml.YAMLError as err:
                raise HardwareError(f"{path}: not valid YAML: {err}") from None
        else:
            doc = source
        c, a, m, b, lim = (
            doc.get(k) if isinstance(doc, Mapping) else None
            for k in ("core", "accelerator", "memory", "bus", "limits")
        )
        for key, part in zip(
            ("core", "accelerator", "memory", "bus", "limits"), (c, a, m, b, lim), strict=True
        ):
            if not isinstance(part, Mapping):
                raise HardwareError(f"hardware library: missing section {key!r}")
        kinds_doc = m.get("kinds")
        if not isinstance(kinds_doc, Mapping) or not kinds_doc:
            raise HardwareError(
                "hardware library: 'memory.kinds' must map kind names (sram, dram, ...) to figures"
            )
        kinds = {
            str(name): MemoryKind(
                _get(k, "access_energy_fixed_pj", f"memory.kinds.{name}"),
                _get(k, "energy_pj_per_byte", f"memory.kinds.{name}"),
                _get(k, "area_mm2_per_mb", f"memory.kinds.{name}"),
            )
            for name, k in kinds_doc.items()
        }
        core = Core(
            str(c.get("name", "core")),
            _get(c, "freq_hz", "core"),
            _get(c, "ipc", "core"),
            _get(c, "instructions_per_joule", "core"),
            _get(c, "area_mm2", "core"),
            _get(c, "max_cores", "core", int),
        )
        if core.freq_hz <= 0 or core.instructions_per_joule <= 0:
            raise HardwareError(
                "hardware library: core.freq_hz and core.instructions_per_joule must be positive"
            )
        for key, part in (("accelerator", a), ("memory", m), ("bus", b)):
            if not _get(part, "base_clock_hz", key) > 0:
                raise HardwareError(f"hardware library: '{key}.base_clock_hz' must be positive")
        return cls(
            core,
            Accelerators(
                _get(a, "base_clock_hz", "accelerator"),
                _get(a, "clock_multipliers", "accelerator", list),
                _get(a, "energy_scale", "accelerator"),
                _get(a, "area_scale", "accelerator"),
            ),
            Memories(
                _get(m, "base_clock_hz", "memory"),
                _get(m, "widths_bytes", "memory", list),
                _get(m, "clock_multipliers", "memory", list),
                kinds,
            ),
            Bus(
                _get(b, "base_clock_hz", "bus"),
                _get(b, "widths_bytes", "bus", list),
                _get(b, "clock_multipliers", "bus", list),
                _get(b, "energy_pj_per_byte", "bus"),
                _get(b, "area_mm2", "bus"),
            ),
            _get(lim, "area_cap_mm2", "limits"),
            _get(lim, "power_window_s", "limits"),
        )
