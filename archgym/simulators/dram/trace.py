"""Memory traces: built-in synthetic generators and readers for DRAMSys and Ramulator trace files.

A :class:`Trace` is 64-byte requests in order: byte address, read/write, and an arrival
time in ns (open loop) or none (closed loop: each request is offered as soon as the
controller accepts it).

Built-in names, optionally with parameters after a colon:
``stream``, ``stride4k``, ``random``, ``hotspot_rw``, ``cloud-1``, ``cloud-2`` and
e.g. ``"random:n=100000,seed=3,interval_ns=10"`` (``interval_ns`` = mean Poisson
inter-arrival time; absent means closed loop).

Example:
    >>> t = builtin_trace("stream:n=4")
    >>> t.address.tolist(), t.closed_loop
    ([0, 64, 128, 192], True)
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from archgym.simulator import WorkloadError

DEFAULT_N = 10_000
GIB = 1 << 30
REQ = 64

GENERATORS = ("stream", "stride4k", "random", "hotspot_rw", "cloud-1", "cloud-2")
PARAMS = {"n": int, "seed": int, "interval_ns": float, "write_frac": float, "footprint_mib": int}


@dataclass(frozen=True, eq=False)
class Trace:
    """Requests in trace order. ``arrival_ns`` is ``None`` for closed-loop injection."""

    name: str
    address: np.ndarray
    is_write: np.ndarray
    arrival_ns: np.ndarray | None = None
    workload_id: str = field(default="")

    def __post_init__(self) -> None:
        n = len(self.address)
        for label, array in (("is_write", self.is_write), ("arrival_ns", self.arrival_ns)):
            if array is not None and len(array) != n:
                raise WorkloadError(
                    f"trace {self.name!r}: {label} has {len(array)} entries, address has {n}"
                )
        if self.arrival_ns is not None and n > 1 and np.any(np.diff(self.arrival_ns) < 0):
            first = int(np.argmax(np.diff(self.arrival_ns) < 0)) + 1
            raise WorkloadError(
                f"trace {self.name!r}: arrival_ns[{first}] goes back in time; arrivals must not decrease"
            )
        # traces are shared (cached by name, keyed by content), so their arrays must not change
        for array in (self.address, self.is_write, self.arrival_ns):
            if array is not None:
                array.setflags(write=False)
        if not self.workload_id:
            h = hashlib.sha1(self.address.tobytes() + self.is_write.tobytes())
            if self.arrival_ns is not None:
                h.update(self.arrival_ns.tobytes())
            object.__setattr__(self, "workload_id", f"{self.name}#{h.hexdigest()[:12]}")

    def __repr__(self) -> str:
        mode = "closed loop" if self.closed_loop else "open loop"
        return f"Trace({self.name!r}, {len(self)} requests, {self.n_write} writes, {mode})"

    @property
    def closed_loop(self) -> bool:
        return self.arrival_ns is None

    def __len__(self) -> int:
        return int(self.address.shape[0])

    @property
    def n_write(self) -> int:
        return int(self.is_write.sum())


def _poisson(rng: np.random.Generator, n: int, interval_ns: float | None) -> np.ndarray | None:
    if interval_ns is None:
        return None
    if not interval_ns > 0:
        raise WorkloadError(f"workload parameter 'interval_ns' must be positive, got {interval_ns}")
    return np.cumsum(rng.exponential(interval_ns, n))


def _cloud(rng: np.random.Generator, n: int, seq_share: float) -> np.ndarray:
    """ArchGym-like cloud phases: alternating runs of 50-300 sequential and random requests."""
    out = np.empty(n, dtype=np.int64)
    i, sequential = 0, True
    while i < n:
        run = int(rng.integers(50, 301))
        if not sequential:
            run = max(1, int(run * (1 - seq_share) / seq_share))
        run = min(run, n - i)
        if sequential:
            base = int(rng.integers(0, GIB // REQ - run)) * REQ
            out[i : i + run] = base + REQ * np.arange(run)
        else:
            out[i : i + run] = rng.integers(0, GIB // REQ, run) * REQ
        i += run
        sequential = not sequential
    return out


def generate(
    kind: str,
    n: int = DEFAULT_N,
    seed: int = 0,
    interval_ns: float | None = None,
    write_frac: float | None = None,
    footprint_mib: int = 1024,
) -> Trace:
    """A synthetic trace; same arguments, same trace.

    >>> t = generate("hotspot_rw", n=1000)
    >>> t.workload_id == generate("hotspot_rw", n=1000).workload_id, 0.25 < t.n_write / len(t) < 0.35
    (True, True)
    """
    if kind not in GENERATORS:
        raise WorkloadError(
            f"unknown workload {kind!r}; built-in workloads are {list(GENERATORS)} "
            "or a path to a .stl (DRAMSys) or Ramulator trace file"
        )
    if n < 1:
        raise WorkloadError(f"workload parameter 'n' must be at least 1, got {n}")
    if footprint_mib < 1:
        raise WorkloadError(
            f"workload parameter 'footprint_mib' must be at least 1, got {footprint_mib}"
        )
    span = footprint_mib << 20
    rng = np.random.default_rng([seed, GENERATORS.index(kind)])
    wf = 0.0 if write_frac is None else write_frac
    if kind == "stream":
        addr = (REQ * np.arange(n, dtype=np.int64)) % span
    elif kind == "stride4k":
        addr = (4096 * np.arange(n, dtype=np.int64)) % span
    elif kind == "random":
        addr = rng.integers(0, span // REQ, n) * REQ
    elif kind == "hotspot_rw":
        wf = 0.3 if write_frac is None else write_frac
        hot = rng.random(n) < 0.8
        addr = np.where(
            hot,
            (512 << 20) % span + rng.integers(0, (1 << 20) // REQ, n) * REQ,
            rng.integers(0, span // REQ, n) * REQ,
        )
    else:
        addr = _cloud(rng, n, 0.5 if kind == "cloud-1" else 0.55) % span
    if not 0 <= wf <= 1:
        raise WorkloadError(f"workload parameter 'write_frac' must be in [0, 1], got {wf}")
    is_write = rng.random(n) < wf if wf > 0 else np.zeros(n, dtype=bool)
    arrival = _poisson(rng, n, interval_ns)
    label = kind + ("" if interval_ns is None else f"@{interval_ns:g}ns")
    return Trace(
        f"{label}:n={n},seed={seed}", addr.astype(np.int64), is_write.astype(np.int8), arrival
    )


def builtin_trace(spec: str) -> Trace:
    """A built-in trace from ``name`` or ``name:key=value,...`` (keys: n, seed, interval_ns, write_frac, footprint_mib)."""
    name, _, params = spec.partition(":")
    kwargs: dict[str, float | int] = {}
    for item in filter(None, (p.strip() for p in params.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or key not in PARAMS:
            raise WorkloadError(
                f"workload {spec!r}: bad parameter {item!r}; legal parameters are "
                f"{', '.join(f'{k}=<{t.__name__}>' for k, t in PARAMS.items())}"
            )
        try:
            kwargs[key] = PARAMS[key](value.strip())
        except ValueError:
            raise WorkloadError(
                f"workload {spec!r}: parameter {key!r} must be {PARAMS[key].__name__}, "
                f"got {value.strip()!r}"
            ) from None
    return generate(name.strip(), **kwargs)  # type: ignore[arg-type]


_STL = re.compile(r"^\s*(\d+)\s*:\s*(read|write)\s+(0x[0-9a-fA-F]+|\d+)\b", re.IGNORECASE)
_RAM = re.compile(r"^\s*(0x[0-9a-fA-F]+|\d+)\s+([RW])\s*$", re.IGNORECASE)


def read_trace(path: str | Path, clock_mhz: float = 800.0) -> Trace:
    """Read a DRAMSys ``.stl`` trace (``<cycle>:<TAB>read|write<TAB>0xADDR``, open loop, cycles of
    ``clock_mhz``) or a Ramulator DRAM trace (``0xADDR R|W``, closed loop). Lines starting with
    ``#`` and blank lines are skipped; a bad line is reported with its number.
    """
    path = Path(path)
    if not path.is_file():
        raise WorkloadError(f"trace file {str(path)!r} does not exist")
    addr: list[int] = []
    wr: list[bool] = []
    cyc: list[int] = []
    fmt = None
    with path.open(encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            if fmt is None:
                fmt = "stl" if _STL.match(text) else ("ramulator" if _RAM.match(text) else None)
                if fmt is None:
                    raise WorkloadError(
                        f"{path}:{lineno}: cannot tell the trace format from {text[:80]!r}; expected "
                        "'<cycle>:<TAB>read|write<TAB>0xADDR' (DRAMSys) or '0xADDR R|W' (Ramulator)"
                    )
            if fmt == "stl":
                m = _STL.match(text)
                if not m:
                    raise WorkloadError(
                        f"{path}:{lineno}: expected '<cycle>:<TAB>read|write<TAB>0xADDR', "
                        f"got {text[:80]!r}"
                    )
                t = int(m.group(1))
                if cyc and t < cyc[-1]:
                    raise WorkloadError(
                        f"{path}:{lineno}: time {t} goes back (previous line had {cyc[-1]}); "
                        "timestamps must not decrease"
                    )
                cyc.append(t)
                a, w = m.group(3), m.group(2).lower() == "write"
            else:
                m = _RAM.match(text)
                if not m:
                    raise WorkloadError(
                        f"{path}:{lineno}: expected '0xADDR R|W', got {text[:80]!r}"
                    )
                a, w = m.group(1), m.group(2).upper() == "W"
            value = int(a, 16) if a.lower().startswith("0x") else int(a)
            if value >= 1 << 63:
                raise WorkloadError(f"{path}:{lineno}: address {a} does not fit in 63 bits")
            addr.append(value)
            wr.append(w)
    if not addr:
        raise WorkloadError(f"{path}: the trace has no requests")
    arrival = np.asarray(cyc, dtype=np.float64) * (1000.0 / clock_mhz) if fmt == "stl" else None
    return Trace(
        path.name, np.asarray(addr, dtype=np.int64), np.asarray(wr, dtype=np.int8), arrival
    )


def write_stl(trace: Trace, path: str | Path, clock_mhz: float = 800.0) -> None:
    """Write a trace as a DRAMSys ``.stl`` file (closed-loop traces get every timestamp 0)."""
    times = (
        np.zeros(len(trace), dtype=np.int64)
        if trace.arrival_ns is None
        else np.round(trace.arrival_ns * clock_mhz / 1000.0).astype(np.int64)
    )
    with Path(path).open("w") as fh:
        for t, a, w in zip(times, trace.address, trace.is_write, strict=True):
            fh.write(f"{t}:\t{'write' if w else 'read'}\t0x{int(a):x}\n")
