"""DNN layer workloads: the built-in networks, a user's layer CSV, and SCALE-Sim topology files.

Every layer is held in one "conv view" that SCALE-Sim also uses: a GEMM ``M x N x K`` is a
conv of an ``M x K`` input with ``N`` filters of ``1 x K`` (so ``P = M``, ``Q = 1``). Grouped
and depthwise convs run group by group, as SCALE-Sim runs a depthwise ("DP") layer channel by
channel.

Example:
    >>> net = load_network("resnet18")
    >>> net.layers[0].name, net.layers[0].p, round(net.macs / 1e9, 2)
    ('conv1', 112, 1.81)
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from archgym.simulator import WorkloadError

WORKLOAD_DIR = Path(__file__).parent / "workloads"
KINDS = ("conv", "dwconv", "fc", "gemm")
_REQUIRED = {
    "conv": ("in_h", "in_w", "in_c", "out_c", "r", "s"),
    "dwconv": ("in_h", "in_w", "in_c", "r", "s"),
    "fc": ("in_c", "out_c"),
    "gemm": ("gemm_m", "gemm_n", "gemm_k"),
}
_INT_FIELDS = (
    "batch",
    "in_h",
    "in_w",
    "in_c",
    "out_c",
    "r",
    "s",
    "stride",
    "padding",
    "groups",
    "gemm_m",
    "gemm_n",
    "gemm_k",
    "repeat",
)


#: The most MACs (or input elements) one layer may have: 10^15 is ~1000x the largest layer of
#: today's language models, and keeps every count the model multiplies inside int64.
MAX_LAYER_COUNT = 10**15


@dataclass(frozen=True)
class Layer:
    """One layer in conv view. ``span_h``/``span_w`` is the input extent the array reads
    (padded input, trailing rows no window touches dropped; SCALE-Sim's raw ifmap size for its files).

    >>> Layer.gemm("proj", 128, 768, 768).gemm_dims
    (128, 768, 768)
    """

    name: str
    kind: str
    p: int
    q: int
    r: int
    s: int
    in_c: int
    out_c: int
    stride: int = 1
    groups: int = 1
    batch: int = 1
    repeat: int = 1
    span_h: int = 0
    span_w: int = 0
    padding: int = 0

    def __post_init__(self) -> None:
        if self.span_h == 0:
            object.__setattr__(self, "span_h", (self.p - 1) * self.stride + self.r)
        if self.span_w == 0:
            object.__setattr__(self, "span_w", (self.q - 1) * self.stride + self.s)

    @classmethod
    def gemm(
        cls, name: str, m: int, n: int, k: int, batch: int = 1, repeat: int = 1, kind: str = "gemm"
    ) -> Layer:
        """A GEMM (``kind="fc"`` for a fully connected layer, whose batch is folded into ``M``)."""
        return cls(name, kind, p=m, q=1, r=1, s=k, in_c=1, out_c=n, batch=batch, repeat=repeat)

    @property
    def gemm_dims(self) -> tuple[int, int, int]:
        """``(M, N, K)`` of one group of one instance: output pixels, filters, window size."""
        g = self.groups
        return self.p * self.q, self.out_c // g, self.r * self.s * (self.in_c // g)

    @property
    def instances(self) -> int:
        """How many identical group-GEMMs run one after another (groups x batch x repeat)."""
        return self.groups * self.batch * self.repeat

    @property
    def macs(self) -> int:
        m, n, k = self.gemm_dims
        return m * n * k * self.instances


@dataclass(frozen=True)
class Network:
    """A named, ordered list of layers.

    >>> Network("tiny", (Layer.gemm("g", 4, 4, 4),)).macs
    64
    """

    name: str
    layers: tuple[Layer, ...]
    source: str = ""
    arrays: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.layers:
            raise WorkloadError(f"workload {self.name!r} has no layers")
        for layer in self.layers:
            # The model counts in int64 arrays and multiplies counts by tile sizes: past this,
            # they overflow silently into negative cycles and energy.
            ifmap = layer.span_h * layer.span_w * layer.in_c * layer.batch * layer.repeat
            for what, count in (("MACs", layer.macs), ("input elements", ifmap)):
                if count > MAX_LAYER_COUNT:
                    raise WorkloadError(
                        f"workload {self.name!r}, layer {layer.name!r}: {count:.3g} {what}, more "
                        f"than the {MAX_LAYER_COUNT:.0e} the accelerator model counts exactly; "
                        "check its dimensions, or split it into several layers"
                    )
        if not self.arrays:
            self.arrays.update(layer_arrays(self.layers))

    @property
    def workload_id(self) -> str:
        return self.name

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    def __len__(self) -> int:
        return len(self.layers)


def layer_arrays(layers: Sequence[Layer]) -> dict[str, np.ndarray]:
    """Per-layer int64 columns the vectorised model reads (one group of one instance each)."""
    cols: dict[str, list[int]] = {
        k: []
        for k in ("m", "n", "k", "count", "p", "q", "r", "s", "c", "stride", "span_h", "span_w")
    }
    for layer in layers:
        m, n, k = layer.gemm_dims
        for key, value in (
            ("m", m),
            ("n", n),
            ("k", k),
            ("count", layer.instances),
            ("p", layer.p),
            ("q", layer.q),
            ("r", layer.r),
            ("s", layer.s),
            ("c", layer.in_c // layer.groups),
            ("stride", layer.stride),
            ("span_h", layer.span_h),
            ("span_w", layer.span_w),
        ):
            cols[key].append(value)
    return {k: np.asarray(v, dtype=np.int64) for k, v in cols.items()}


# -- built-in workloads and our CSV format ---------------------------------------------------------


def builtin_workloads() -> list[str]:
    """Names of the networks shipped as CSV tables."""
    return sorted(p.stem for p in WORKLOAD_DIR.glob("*.csv"))


def load_network(spec: str | Path | Network | Iterable[Layer], name: str | None = None) -> Network:
    """A built-in name, a path to a layer CSV (ours or SCALE-Sim's topology format), or layers.

    >>> load_network("no_such_net")
    Traceback (most recent call last):
    ...
    archgym.simulator.WorkloadError: unknown workload 'no_such_net'; built-in workloads are alexnet, ...
    """
    if isinstance(spec, Network):
        return spec
    if isinstance(spec, str | Path):
        path = Path(spec)
        if isinstance(spec, str) and spec in builtin_workloads():
            path = WORKLOAD_DIR / f"{spec}.csv"
        elif not path.suffix or not path.exists():
            if path.suffix:
                raise WorkloadError(f"workload file {str(path)!r} does not exist")
            raise WorkloadError(
                f"unknown workload {spec!r}; built-in workloads are {', '.join(builtin_workloads())}"
                " (or give a path to a layer CSV)"
            )
        text = path.read_text()
        return parse_layer_csv(text, name or path.stem, origin=str(path))
    layers = tuple(spec)
    if not all(isinstance(layer, Layer) for layer in layers):
        raise WorkloadError(
            "a workload must be a name, a CSV path, a Network or a sequence of Layer"
        )
    return Network(name or "custom", layers)


def parse_layer_csv(text: str, name: str, origin: str = "<text>") -> Network:
    """Parse our layer table or, if its header says so, a SCALE-Sim topology (conv or GEMM).

    Lines starting with ``#`` are comments (the first one names the source). A bad row is
    refused naming its line and field.
    """
    lines = text.splitlines()
    source = ""
    body: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            source = source or stripped.lstrip("# ").removeprefix("source:").strip()
            continue
        body.append((number, line))
    if not body:
        raise WorkloadError(f"{origin}: no header row and no layers")
    header = [h.strip() for h in next(csv.reader([body[0][1]]))]
    lowered = [h.lower() for h in header if h]
    if "kind" in lowered:
        layers = _parse_ours(header, body, origin)
    elif (
        lowered[:1] == ["layer name"]
        or "ifmap height" in lowered
        or lowered[1:4] == ["m", "n", "k"]
    ):
        layers = _parse_scalesim(header, body, origin)
    else:
        raise WorkloadError(
            f"{origin} line {body[0][0]}: header {header!r} is neither archgym's layer table (needs a 'kind' "
            "column) nor a SCALE-Sim topology ('Layer name, IFMAP Height, ...' or 'Layer, M, N, K')"
        )
    if not layers:
        raise WorkloadError(f"{origin}: the table has a header but no layers")
    try:
        return Network(name, tuple(layers), source)
    except WorkloadError as err:  # the network's own checks know no file name
        raise WorkloadError(f"{origin}: {err}") from None


def _int_field(value: str, field_name: str, where: str, minimum: int = 1) -> int:
    try:
        number = float(value)
    except ValueError:
        raise WorkloadError(f"{where}: field {field_name!r} is {value!r}, not an integer") from None
    if not number.is_integer() or number < minimum:
        raise WorkloadError(
            f"{where}: field {field_name!r} is {value!r}; it must be an integer >= {minimum}"
        )
    return int(number)


def _parse_ours(header: list[str], body: list[tuple[int, str]], origin: str) -> list[Layer]:
    unknown = [h for h in header if h and h not in ("name", "kind", *_INT_FIELDS)]
    if unknown:
        raise WorkloadError(
            f"{origin} line {body[0][0]}: unknown column {unknown[0]!r}; columns are "
            f"name, kind, {', '.join(_INT_FIELDS)}"
        )
    layers = []
    for number, line in body[1:]:
        row = next(csv.reader([line]))
        where = f"{origin} line {number}"
        if len(row) > len(header):
            raise WorkloadError(f"{where}: {len(row)} fields but the header has {len(header)}")
        record = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
        name = record.get("name") or f"layer{len(layers)}"
        where = f"{where} (layer {name!r})"
        kind = record.get("kind", "")
        if kind not in KINDS:
            raise WorkloadError(
                f"{where}: field 'kind' is {kind!r}; legal kinds are {', '.join(KINDS)}"
            )
        for req in _REQUIRED[kind]:
            if not record.get(req):
                raise WorkloadError(f"{where}: a {kind} layer needs field {req!r}")
        val = {
            k: _int_field(v, k, where, 0 if k == "padding" else 1)
            for k, v in record.items()
            if k in _INT_FIELDS and v != ""
        }
        batch, repeat = val.get("batch", 1), val.get("repeat", 1)
        if kind == "gemm":
            layers.append(
                Layer.gemm(name, val["gemm_m"], val["gemm_n"], val["gemm_k"], batch, repeat)
            )
            continue
        if kind == "fc":
            # A fully connected layer's batch is its GEMM M: one weight fetch serves the batch.
            layers.append(Layer.gemm(name, batch, val["out_c"], val["in_c"], 1, repeat, kind="fc"))
            continue
        in_c = val["in_c"]
        out_c = in_c if kind == "dwconv" else val["out_c"]
        groups = in_c if kind == "dwconv" else val.get("groups", 1)
        if kind == "dwconv" and val.get("groups", in_c) != in_c:
            raise WorkloadError(f"{where}: field 'groups' of a dwconv must equal in_c ({in_c})")
        if in_c % groups or out_c % groups:
            raise WorkloadError(
                f"{where}: field 'groups' ({groups}) must divide in_c ({in_c}) and out_c ({out_c})"
            )
        stride, pad = val.get("stride", 1), val.get("padding", 0)
        h, w, r, s = val["in_h"], val["in_w"], val["r"], val["s"]
        if r > h + 2 * pad or s > w + 2 * pad:
            raise WorkloadError(
                f"{where}: field 'r'/'s' ({r}x{s}) exceeds the padded input ({h + 2 * pad}x{w + 2 * pad})"
            )
        p, q = (h + 2 * pad - r) // stride + 1, (w + 2 * pad - s) // stride + 1
        layers.append(
            Layer(name, kind, p, q, r, s, in_c, out_c, stride, groups, batch, repeat, padding=pad)
        )
    return layers


def _parse_scalesim(header: list[str], body: list[tuple[int, str]], origin: str) -> list[Layer]:
    """SCALE-Sim 2/3 topology: conv rows ``name, H, W, R, S, C, K, stride,`` (optionally an
    ``N:M`` sparsity field, which we refuse) or GEMM rows ``name, M, N, K,``. Its conventions
    are kept: no padding (H, W are the padded input), output size ``ceil((H - R + stride) /
    stride)``, and a name containing ``DP`` is a depthwise layer run channel by channel."""
    is_gemm = [h.strip().lower() for h in header[1:4]] == ["m", "n", "k"]
    fields = (
        ("M", "N", "K")
        if is_gemm
        else (
            "IFMAP height",
            "IFMAP width",
            "Filter height",
            "Filter width",
            "Channels",
            "Num filter",
            "Stride",
        )
    )
    layers = []
    for number, line in body[1:]:
        row = [x.strip() for x in line.split(",")]
        if row and row[-1] == "":
            row = row[:-1]  # SCALE-Sim rows end with a comma
        where = f"{origin} line {number}"
        if len(row) < len(fields) + 1:
            raise WorkloadError(
                f"{where}: {len(row)} fields; a SCALE-Sim {'GEMM' if is_gemm else 'conv'} row needs "
                f"name, {', '.join(fields)}"
            )
        name = row[0] or f"layer{len(layers)}"
        where = f"{where} (layer {name!r})"
        extra = row[len(fields) + 1 :]
        if extra and extra[0] not in ("1:1", ""):
            raise WorkloadError(
                f"{where}: sparsity ratio {extra[0]!r} is not supported; only dense (1:1) layers"
            )
        v = [_int_field(x, f, where) for x, f in zip(row[1:], fields, strict=False)]
        if is_gemm:
            layers.append(Layer.gemm(name, v[0], v[1], v[2]))
            continue
        h, w, r, s, c, k, stride = v
        if r > h or s > w:
            raise WorkloadError(
                f"{where}: field 'Filter height'/'Filter width' ({r}x{s}) exceeds the IFMAP ({h}x{w})"
            )
        p, q = math.ceil((h - r + stride) / stride), math.ceil((w - s + stride) / stride)
        if "DP" in name:
            kind = "dwconv" if k == 1 else "conv"
            layers.append(
                Layer(name, kind, p, q, r, s, c, c * k, stride, groups=c, span_h=h, span_w=w)
            )
        else:
            layers.append(Layer(name, "conv", p, q, r, s, c, k, stride, span_h=h, span_w=w))
    return layers


def to_scalesim_rows(layer: Layer) -> list[int]:
    """The SCALE-Sim conv-topology fields of one group of ``layer``: ``[H, W, R, S, C, K, stride]``."""
    _, n, _ = layer.gemm_dims
    return [
        layer.span_h,
        layer.span_w,
        layer.r,
        layer.s,
        layer.in_c // layer.groups,
        n,
        layer.stride,
    ]


__all__ = [
    "KINDS",
    "Layer",
    "Network",
    "WorkloadError",
    "builtin_workloads",
    "layer_arrays",
    "load_network",
    "parse_layer_csv",
    "to_scalesim_rows",
]
