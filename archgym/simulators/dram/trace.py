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


_ADDR = r"(0x[0-9a-fA-F]+|\d+)"
_STL = re.compile(r"^\s*(\d+)\s*:\s*(read|write)\s+" + _ADDR + r"\b", re.IGNORECASE)
_RAM = re.compile(r"^\s*" + _ADDR + r"\s+([RW])\s*$", re.IGNORECASE)
_LDST = re.compile(r"^\s*(LD|ST)\s+" + _ADDR + r"\s*$")
_CPU = re.compile(r"^\s*(\d+)\s+" + _ADDR + r"(?:\s+" + _ADDR + r")?\s*$")
#: trace formats: (regex, what a line looks like, timed?)
FORMATS = {
    "stl": (_STL, "'<cycle>:<TAB>read|write<TAB>0xADDR' (DRAMSys .stl)", True),
    "ramulator": (_RAM, "'0xADDR R|W' (Ramulator DRAM trace)", False),
    "loadstore": (_LDST, "'LD|ST 0xADDR' (Ramulator 2 LoadStoreTrace)", False),
    "cpu": (_CPU, "'<bubbles> 0xREAD [0xWRITEBACK]' (Ramulator CPU trace)", True),
}
#: Ramulator's out-of-order core inserts up to 4 instructions per cycle (``Window::ipc``).
RAMULATOR_CORE_WIDTH = 4


def _int(text: str) -> int:
    return int(text, 16) if text.lower().startswith("0x") else int(text)


def read_trace(path: str | Path, clock_mhz: float = 800.0) -> Trace:
    """Read a memory trace file; the format is told from its first request line.

    - DRAMSys ``.stl``: ``<cycle>:<TAB>read|write<TAB>0xADDR``, open loop, cycles of ``clock_mhz``
      (ArchGym's traces are 800 MHz on every device, hence the default).
    - Ramulator DRAM trace ``0xADDR R|W`` and Ramulator 2 ``LD|ST 0xADDR``: untimed, closed loop.
    - Ramulator CPU trace ``<bubbles> 0xREAD [0xWRITEBACK]`` (Ramulator 1 ``--mode=cpu``,
      Ramulator 2 ``SimpleO3``): ``bubbles`` non-memory instructions precede the read, the
      optional writeback is a write issued with it. Arrivals are when a core inserting
      ``RAMULATOR_CORE_WIDTH`` instructions per cycle at ``clock_mhz`` reaches the request:
      the core never stalls on a full window here, so this is the trace's offered load.

    Lines starting with ``#`` and blank lines are skipped; a bad line is reported with its number.

    >>> import tempfile, os
    >>> f = tempfile.NamedTemporaryFile("w", suffix=".trace", delete=False)
    >>> _ = f.write("3 0x40\\n4 0x80 0x1000\\n"); f.close()
    >>> t = read_trace(f.name, clock_mhz=1000.0); os.unlink(f.name)
    >>> t.address.tolist(), t.is_write.tolist(), t.arrival_ns.tolist()  # 4 instructions per cycle
    ([64, 128, 4096], [0, 0, 1], [0.0, 2.0, 2.0])
    """
    path = Path(path)
    if not path.is_file():
        raise WorkloadError(f"trace file {str(path)!r} does not exist")
    if not clock_mhz > 0:
        raise WorkloadError(f"trace clock must be a positive frequency in MHz, got {clock_mhz!r}")
    addr: list[int] = []
    wr: list[bool] = []
    cyc: list[float] = []
    fmt = None
    instructions = 0  # CPU traces: instructions inserted so far
    with path.open(encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            if fmt is None:
                fmt = next((k for k, (rx, _, _) in FORMATS.items() if rx.match(text)), None)
                if fmt is None:
                    expected = "; ".join(desc for _, desc, _ in FORMATS.values())
                    raise WorkloadError(
                        f"{path}:{lineno}: cannot tell the trace format from {text[:80]!r}; "
                        f"expected one of {expected}"
                    )
            rx, desc, _ = FORMATS[fmt]
            m = rx.match(text)
            if not m:
                raise WorkloadError(f"{path}:{lineno}: expected {desc}, got {text[:80]!r}")
            if fmt == "stl":
                t = int(m.group(1))
                if cyc and t < cyc[-1]:
                    raise WorkloadError(
                        f"{path}:{lineno}: time {t} goes back (previous line had {cyc[-1]:g}); "
                        "timestamps must not decrease"
                    )
                pairs = [(m.group(3), m.group(2).lower() == "write")]
            elif fmt == "ramulator":
                pairs = [(m.group(1), m.group(2).upper() == "W")]
            elif fmt == "loadstore":
                pairs = [(m.group(2), m.group(1) == "ST")]
            else:
                instructions += int(m.group(1)) + 1  # the bubbles, then the load itself
                t = (instructions - 1) // RAMULATOR_CORE_WIDTH
                pairs = [(m.group(2), False)] + ([(m.group(3), True)] if m.group(3) else [])
            for a, w in pairs:
                value = _int(a)
                if value >= 1 << 63:
                    raise WorkloadError(f"{path}:{lineno}: address {a} does not fit in 63 bits")
                addr.append(value)
                wr.append(w)
                if FORMATS[fmt][2]:
                    cyc.append(t)
    if not addr:
        raise WorkloadError(f"{path}: the trace has no requests")
    arrival = np.asarray(cyc, dtype=np.float64) * (1000.0 / clock_mhz) if cyc else None
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
