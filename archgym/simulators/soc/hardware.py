"""The SoC hardware library (cores, accelerators, memories, buses), read from ``data/hardware.yaml``.

Memories are sized and priced the way FARSI does it (``design_utils/design.py``,
``collect_cacti_data``): the size is the peak of the bytes live at once, at least ``min_size_bytes``
and rounded up to a multiple of ``size_granule_bytes``; area and energy per byte come from CACTI
at that size (``cacti.csv``, interpolated between the tabulated sizes), energy per access divided
by the ``bytes_per_access`` of CACTI's port, both times FARSI's technology factors.

Example:
    >>> hw = HardwareLibrary.load()
    >>> hw.core.name, hw.core.area_mm2
    ('A53', 0.65)
    >>> hw.memory.size_bytes(1_600_000)  # rounded up to FARSI's 256 kB granule
    1792000.0
    >>> read_pj, write_pj, area = hw.memory.price("sram", 1_792_000)
    >>> round(read_pj, 3), round(write_pj, 3), round(area, 3)
    (0.498, 0.433, 0.35)
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
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


def interp_extrap(x: float, xs: np.ndarray, ys: np.ndarray) -> float:
    """Piecewise-linear through ``(xs, ys)`` (``xs`` ascending), extended along the last segment
    beyond ``xs[-1]`` and flat below ``xs[0]``. Plain loops, so the scheduler can compile it.

    >>> interp_extrap(3.0, np.array([1.0, 2.0, 4.0]), np.array([10.0, 20.0, 30.0]))
    25.0
    >>> interp_extrap(6.0, np.array([1.0, 2.0, 4.0]), np.array([10.0, 20.0, 30.0]))
    40.0
    """
    n = xs.shape[0]
    if n == 1 or x <= xs[0]:
        return float(ys[0])
    i = 1
    while i < n - 1 and xs[i] < x:
        i += 1
    return float(ys[i - 1] + (ys[i] - ys[i - 1]) * (x - xs[i - 1]) / (xs[i] - xs[i - 1]))


@dataclass(frozen=True)
class MemoryKind:
    """CACTI's figures for one memory kind over size, already scaled to picojoules per byte and mm^2."""

    sizes_bytes: np.ndarray
    read_pj_per_byte: np.ndarray
    write_pj_per_byte: np.ndarray
    area_mm2: np.ndarray


@dataclass(frozen=True)
class Memories:
    base_clock_hz: float
    widths_bytes: tuple[int, ...]
    clock_multipliers: tuple[int, ...]
    size_granule_bytes: float
    min_size_bytes: float
    kinds: dict[str, MemoryKind]

    def size_bytes(self, live_bytes: float) -> float:
        """FARSI's memory size for a peak of ``live_bytes``: at least the minimum, whole granules."""
        g = self.size_granule_bytes
        return math.ceil(max(live_bytes, self.min_size_bytes) / g) * g

    def price(self, kind: str, size_bytes: float) -> tuple[float, float, float]:
        """(read pJ/B, write pJ/B, area mm^2) of a ``kind`` memory of ``size_bytes``."""
        k = self.kinds[kind]
        return (
            interp_extrap(size_bytes, k.sizes_bytes, k.read_pj_per_byte),
            interp_extrap(size_bytes, k.sizes_bytes, k.write_pj_per_byte),
            interp_extrap(size_bytes, k.sizes_bytes, k.area_mm2),
        )


def _cacti_rows(table: Any, base: Path) -> list[list[str]]:
    """Rows ``kind, size_bytes, read_nj, write_nj, area_mm2`` from a CSV path (relative to the library
    file) or an inline list of rows; ``#`` lines are comments."""
    if isinstance(table, str):
        path = Path(table) if Path(table).is_absolute() else base / table
        try:
            text = path.read_text()
        except OSError as err:
            raise HardwareError(
                f"hardware library: cannot read memory.cacti_table {str(path)!r}: {err}"
            ) from None
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        rows = list(csv.reader(io.StringIO("\n".join(lines))))
        if rows and rows[0][:1] == ["kind"]:
            rows = rows[1:]
        return rows
    if isinstance(table, list):
        return [list(map(str, r)) if isinstance(r, list | tuple) else [str(r)] for r in table]
    raise HardwareError(
        "hardware library: 'memory.cacti_table' must be a CSV file name or a list of "
        "[kind, size_bytes, read_nj, write_nj, area_mm2] rows"
    )


def _memory_kinds(m: Mapping[str, Any], base: Path) -> dict[str, MemoryKind]:
    per_access = _get(m, "bytes_per_access", "memory")
    e_scale = _get(m, "energy_scale", "memory")
    a_scale = _get(m, "area_scale", "memory")
    if per_access <= 0:
        raise HardwareError("hardware library: 'memory.bytes_per_access' must be positive")
    by_kind: dict[str, list[tuple[float, float, float, float]]] = {}
    for i, row in enumerate(_cacti_rows(m.get("cacti_table"), base)):
        try:
            kind, size, read, write, area = row[0].strip(), *map(float, row[1:5])
            if len(row) != 5 or min(size, read, write, area) < 0 or size == 0:
                raise ValueError
        except (ValueError, TypeError, IndexError):
            raise HardwareError(
                f"hardware library: memory.cacti_table row {i + 1} ({','.join(row)}) must be "
                "kind, size_bytes > 0, read_nj, write_nj, area_mm2 (numbers >= 0)"
            ) from None
        by_kind.setdefault(kind, []).append((size, read, write, area))
    if not by_kind:
        raise HardwareError("hardware library: 'memory.cacti_table' has no rows")
    kinds = {}
    for kind, rows in by_kind.items():
        rows.sort()
        a = np.array(rows)
        if len(set(a[:, 0])) != len(a):
            raise HardwareError(f"hardware library: memory.cacti_table lists a {kind} size twice")
        nj_to_pj_per_byte = 1e3 / per_access * e_scale
        kinds[kind] = MemoryKind(
            a[:, 0], a[:, 1] * nj_to_pj_per_byte, a[:, 2] * nj_to_pj_per_byte, a[:, 3] * a_scale
        )
    return kinds


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
        base = DEFAULT_PATH.parent  # where a mapping's relative cacti_table is looked up
        if source is None or isinstance(source, str | Path):
            path = Path(source) if source is not None else DEFAULT_PATH
            base = path.parent
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
        kinds = _memory_kinds(m, base)
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
        if not _get(m, "size_granule_bytes", "memory") > 0:
            raise HardwareError("hardware library: 'memory.size_granule_bytes' must be positive")
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
                _get(m, "size_granule_bytes", "memory"),
                _get(m, "min_size_bytes", "memory"),
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
