"""DRAM device descriptions (memspecs): organisation, timings in clock cycles, IDD currents.

Built-in memspecs are JSON files in ``memspecs/`` beside this module; a user may pass the
path of their own file in the same format. Every field is checked and a malformed file is
refused with an error naming the field.

Example:
    >>> spec = load_memspec("ddr3")
    >>> spec.timing["RC"], spec.request_bytes, round(spec.peak_gbytes_per_s, 1)
    (38, 64, 12.8)
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from archgym.simulator import WorkloadError

MEMSPEC_DIR = Path(__file__).parent / "memspecs"
BUILTIN = {
    "ddr3": "ddr3_1600.json",
    # "ddr4" is the Micron part, the default since archgym's first DDR4 model
    "ddr4": "ddr4_2400.json",
    "ddr4_micron": "ddr4_2400.json",
    "ddr4_jedec": "ddr4_2400_jedec.json",
    "lpddr4": "lpddr4_3200.json",
    "hbm2": "hbm2.json",
}

#: Request size of every trace entry; a device whose burst is smaller issues several bursts.
REQUEST_BYTES = 64

TIMING_FIELDS = (
    "CL",
    "CWL",
    "RCD",
    "RP",
    "RAS",
    "RC",
    "RRD_S",
    "RRD_L",
    "FAW",
    "CCD_S",
    "CCD_L",
    "WR",
    "WTR_S",
    "WTR_L",
    "RTP",
    "RFC",
    "REFI",
)
PER_BANK_TIMING = ("RFCPB", "REFIPB")
OPTIONAL_TIMING = (
    "RTW",
)  # read-to-write spacing when the datasheet gives one; else the JEDEC rule
CURRENT_FIELDS = ("idd0", "idd2n", "idd3n", "idd4r", "idd4w", "idd5")
REFRESH_MODES = ("NoRefresh", "AllBank", "PerBank")

# Index of each value in the timing vector handed to the compiled controller.
(
    T_CL,
    T_CWL,
    T_RCD,
    T_RP,
    T_RAS,
    T_RC,
    T_RRD_S,
    T_RRD_L,
    T_FAW,
    T_CCD_S,
    T_CCD_L,
    T_WR,
    T_WTR_S,
    T_WTR_L,
    T_RTP,
    T_RFC,
    T_REFI,
    T_RFCPB,
    T_REFIPB,
    T_RTW,
    T_BURST,
    T_NBURST,
) = range(22)
N_TIMING = 22


class MemSpecError(WorkloadError):
    """A memspec file or dict that is missing a field or holds an illegal value."""


@dataclass(frozen=True)
class MemSpec:
    """One channel-set of DRAM devices. Timings are in cycles of ``clock_mhz``; currents in mA."""

    name: str
    standard: str
    clock_mhz: float
    burst_length: int
    data_rate: int
    device_width: int
    devices: int
    channels: int
    bank_groups: int
    banks_per_group: int
    rows: int
    columns: int
    refresh_modes: tuple[str, ...]
    timing: Mapping[str, int]
    power: Mapping[str, Mapping[str, float]]
    source: str = ""
    #: a named mapping (``rbc``, ``brc``, ``bg_interleave``) or ``{"name", "bits": {field: [bits]}}``
    default_mapping: str | Mapping[str, Any] = "rbc"

    @property
    def tck_ns(self) -> float:
        return 1000.0 / self.clock_mhz

    @property
    def banks_per_channel(self) -> int:
        return self.bank_groups * self.banks_per_group

    @property
    def bus_bytes(self) -> int:
        return self.device_width * self.devices // 8

    @property
    def burst_bytes(self) -> int:
        return self.bus_bytes * self.burst_length

    @property
    def burst_cycles(self) -> int:
        return self.burst_length // self.data_rate

    @property
    def bursts_per_request(self) -> int:
        return max(1, REQUEST_BYTES // self.burst_bytes)

    @property
    def request_bytes(self) -> int:
        return max(REQUEST_BYTES, self.burst_bytes)

    @property
    def peak_gbytes_per_s(self) -> float:
        """Data-bus peak over all channels, GB/s."""
        return self.bus_bytes * self.data_rate * self.clock_mhz * 1e6 * self.channels / 1e9

    @property
    def capacity_bytes(self) -> int:
        return self.channels * self.banks_per_channel * self.rows * self.columns * self.bus_bytes

    def rtw(self) -> int:
        """Read-to-write command spacing: the memspec's ``RTW`` if given, else read data must leave
        the bus plus two cycles of turnaround (the JEDEC/DRAMSys ``RL + tCCD + 2 - WL`` rule)."""
        if "RTW" in self.timing:
            return self.timing["RTW"]
        return (
            self.timing["CL"]
            + max(self.timing["CCD_S"], self.burst_cycles)
            + 2
            - self.timing["CWL"]
        )

    def timing_vector(self) -> np.ndarray:
        """Timings in the controller's fixed order (see the ``T_*`` indices)."""
        t = self.timing
        vec = [t[k] for k in TIMING_FIELDS]
        vec += [
            t.get("RFCPB", t["RFC"]),
            t.get("REFIPB", max(1, t["REFI"] // self.banks_per_channel)),
        ]
        vec += [self.rtw(), self.burst_cycles, self.bursts_per_request]
        return np.asarray(vec, dtype=np.int64)


def available_memspecs() -> list[str]:
    """Names of the built-in memspecs."""
    return sorted(BUILTIN)


def load_memspec(spec: str | Path | Mapping[str, Any] | MemSpec) -> MemSpec:
    """A memspec by built-in name, JSON path, or dict.

    Built-ins: ``ddr3`` (Micron DDR3-1600), ``ddr4`` = ``ddr4_micron`` (Micron DDR4-2400, the
    default DDR4), ``ddr4_jedec`` (JEDEC DDR4-2400: 1x refresh rate), ``lpddr4``, ``hbm2``.

    >>> load_memspec("ddr4").bank_groups
    4
    """
    if isinstance(spec, MemSpec):
        return spec
    where = "memspec"
    if isinstance(spec, str | Path):
        key = str(spec).lower()
        if key in BUILTIN:
            path = MEMSPEC_DIR / BUILTIN[key]
        else:
            path = Path(spec)
            if not path.is_file():
                raise MemSpecError(
                    f"memspec {str(spec)!r} is neither a built-in ({', '.join(available_memspecs())}) "
                    "nor an existing JSON file"
                )
        where = str(path)
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise MemSpecError(f"{where}: not valid JSON (line {err.lineno}): {err.msg}") from None
    else:
        data = dict(spec)
    if not isinstance(data, dict):
        raise MemSpecError(f"{where}: the top level must be a JSON object")
    return _parse(data, where)


def _field(data: Mapping[str, Any], key: str, where: str, kind: type, *, minimum: float = 1) -> Any:
    if key not in data:
        raise MemSpecError(f"{where}: missing field {key!r}")
    value = data[key]
    if kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= minimum
        if not ok:
            raise MemSpecError(
                f"{where}: field {key!r} must be an integer >= {minimum:g}, got {value!r}"
            )
    elif kind is float:
        ok = (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value >= minimum
        )
        if not ok:
            raise MemSpecError(
                f"{where}: field {key!r} must be a number >= {minimum:g}, got {value!r}"
            )
    elif not isinstance(value, kind):
        raise MemSpecError(f"{where}: field {key!r} must be a {kind.__name__}, got {value!r}")
    return value


def _parse(data: Mapping[str, Any], where: str) -> MemSpec:
    ints = {
        k: _field(data, k, where, int)
        for k in (
            "burst_length",
            "data_rate",
            "device_width",
            "devices",
            "channels",
            "bank_groups",
            "banks_per_group",
            "rows",
            "columns",
        )
    }
    for k in ("rows", "columns", "banks_per_group", "bank_groups", "channels"):
        if ints[k] & (ints[k] - 1):
            raise MemSpecError(
                f"{where}: field {k!r} must be a power of two for address mapping, got {ints[k]}"
            )
    if ints["burst_length"] % ints["data_rate"]:
        raise MemSpecError(
            f"{where}: field 'burst_length' ({ints['burst_length']}) must be a multiple of "
            f"'data_rate' ({ints['data_rate']})"
        )
    clock = _field(data, "clock_mhz", where, float, minimum=1e-9)
    modes = data.get("refresh_modes", ["NoRefresh", "AllBank"])
    if not isinstance(modes, list) or not modes or any(m not in REFRESH_MODES for m in modes):
        raise MemSpecError(
            f"{where}: field 'refresh_modes' must be a non-empty list drawn from {list(REFRESH_MODES)}, "
            f"got {modes!r}"
        )
    timing_raw = _field(data, "timing", where, dict)
    twhere = f"{where}: timing"
    timing = {
        k: _field(timing_raw, k, twhere, int, minimum=0 if k in ("CWL",) else 1)
        for k in TIMING_FIELDS
    }
    if "PerBank" in modes:
        timing.update({k: _field(timing_raw, k, twhere, int) for k in PER_BANK_TIMING})
    timing.update(
        {k: _field(timing_raw, k, twhere, int) for k in OPTIONAL_TIMING if k in timing_raw}
    )
    legal = (*TIMING_FIELDS, *PER_BANK_TIMING, *OPTIONAL_TIMING)
    unknown = sorted(set(timing_raw) - set(legal))
    if unknown:
        raise MemSpecError(f"{twhere}: unknown field(s) {unknown}; legal fields are {list(legal)}")
    if timing["RC"] < timing["RAS"]:
        raise MemSpecError(
            f"{twhere}: 'RC' ({timing['RC']}) must be at least 'RAS' ({timing['RAS']})"
        )
    if timing["REFI"] <= timing["RFC"]:
        raise MemSpecError(
            f"{twhere}: 'REFI' ({timing['REFI']}) must exceed 'RFC' ({timing['RFC']})"
        )
    power_raw = _field(data, "power", where, dict)
    if not power_raw:
        raise MemSpecError(f"{where}: field 'power' needs at least one supply rail, e.g. 'vdd'")
    power: dict[str, dict[str, float]] = {}
    for rail, values in power_raw.items():
        rwhere = f"{where}: power.{rail}"
        if not isinstance(values, dict):
            raise MemSpecError(f"{rwhere} must be an object of voltage and IDD currents (mA)")
        power[rail] = {
            k: float(_field(values, k, rwhere, float, minimum=0))
            for k in ("voltage", *CURRENT_FIELDS)
        }
    mapping = data.get("default_mapping", "rbc")
    if isinstance(mapping, dict):
        bits = mapping.get("bits")
        if not isinstance(bits, dict) or not all(
            isinstance(v, list) and all(isinstance(b, int) for b in v) for v in bits.values()
        ):
            raise MemSpecError(
                f"{where}: field 'default_mapping.bits' must map fields (row, bank, ...) to lists of "
                "address bit positions, as in a DRAMSys address-mapping file"
            )
    elif mapping not in ("rbc", "brc", "bg_interleave"):
        raise MemSpecError(
            f"{where}: field 'default_mapping' must be one of 'rbc', 'brc', 'bg_interleave' "
            f"or an object with 'bits', got {mapping!r}"
        )
    return MemSpec(
        name=str(data.get("name", where)),
        default_mapping=mapping,
        standard=str(data.get("standard", "")),
        clock_mhz=float(clock),
        refresh_modes=tuple(modes),
        timing=timing,
        power=power,
        source=str(data.get("source", "")),
        **ints,
    )
