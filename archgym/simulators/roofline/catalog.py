"""Model and hardware catalogues: LLM shapes from Hugging Face ``config.json`` fields, devices as roofline specs.

Built-in entries live in ``models.yaml`` and ``hardware.yaml`` beside this file; users pass a
catalogue name, a path to their own ``config.json`` (or a directory holding one), a mapping, or
an already-built object. Nothing is fetched from the Hugging Face hub.

Example:
    >>> from archgym.simulators.roofline.catalog import load_hardware, load_model
    >>> m = load_model("llama-2-70b")
    >>> (m.num_heads, m.num_kv_heads, m.head_dim)
    (64, 8, 128)
    >>> load_hardware("a100").peak_for_bits(8) / 1e12
    624.0
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from archgym._yaml import load as load_yaml

HERE = Path(__file__).resolve().parent

#: Families whose MLP is gated (act(gate) * up), whatever their activation is called.
GATED_FAMILIES = frozenset(
    {
        "llama",
        "mistral",
        "mixtral",
        "qwen2",
        "qwen2_moe",
        "qwen3",
        "qwen3_moe",
        "gemma",
        "gemma2",
        "gemma3_text",
        "phi3",
        "olmo",
        "olmo2",
        "deepseek_v2",
        "granite",
    }
)
#: Families with a plain two-matrix MLP (fc1 -> act -> fc2).
PLAIN_FAMILIES = frozenset(
    {"opt", "gpt2", "gpt_neox", "gptj", "bloom", "falcon", "phi", "gpt_bigcode"}
)
#: Operations per element of a normalisation layer. LLM-Viewer counts 7 for RMSNorm; we keep
#: its convention and use it for LayerNorm too (these layers are memory-bound at any size).
NORM_OPS_PER_ELEMENT = 7

#: Precision names in a hardware catalogue and the operand width (bits) each serves.
PRECISION_BITS = {
    "fp32": 32,
    "tf32": 32,
    "fp16": 16,
    "bf16": 16,
    "fp8": 8,
    "int8": 8,
    "fp4": 4,
    "int4": 4,
}
SUPPORTED_BITS = (4, 8, 16, 32)


class CatalogError(ValueError):
    """A model or hardware description that cannot be used: unknown name, missing or bad field."""


def check_fields(
    spec: Any,
    src: str,
    what: str,
    fields: Sequence[str],
    required: Sequence[str],
    error: type[Exception],
    word: str = "field",
) -> None:
    """Refuse a ``what`` spec that is not a mapping, has a key outside ``fields`` (+ ``name``) or lacks
    a ``required`` one, naming ``src`` and the legal keys.

    >>> check_fields({"a": 1, "b": 2}, "x.yaml", "hardware", ["a"], ["a"], ValueError)
    Traceback (most recent call last):
    ValueError: x.yaml: unknown field 'b'; legal fields are a, name
    """
    if not isinstance(spec, Mapping):
        raise error(
            f"{src}: {what} must be a mapping with fields {', '.join(fields)}, got {type(spec).__name__}"
        )
    unknown = sorted(set(spec) - set(fields) - {"name"})
    if unknown:
        raise error(
            f"{src}: unknown {word} {unknown[0]!r}; legal {word}s are {', '.join(fields)}, name"
        )
    for key in required:
        if key not in spec:
            raise error(
                f"{src}: missing {word} {key!r}; required {word}s are {', '.join(required)}"
            )


# -- models ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelConfig:
    """The shapes of a decoder-only transformer that the roofline model needs.

    ``num_experts`` > 1 makes the MLP a mixture of experts with ``experts_per_token`` routed
    experts per token (Mixtral style); dense models have 1 and 1.
    """

    name: str
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    intermediate_size: int
    vocab_size: int
    gated_mlp: bool = True
    norm: str = "rmsnorm"
    tie_word_embeddings: bool = False
    num_experts: int = 1
    experts_per_token: int = 1
    max_position_embeddings: int | None = None
    source: str = field(default="", compare=False)

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 1

    def parameter_count(self) -> int:
        """Weights in elements: attention, MLP (all experts), router, lm_head and embedding.

        >>> round(load_model("llama-2-7b").parameter_count() / 1e9, 2)
        6.74
        """
        h, d = self.hidden_size, self.head_dim
        attn = h * self.num_heads * d * 2 + h * self.num_kv_heads * d * 2
        mlp = (3 if self.gated_mlp else 2) * h * self.intermediate_size * self.num_experts
        router = h * self.num_experts if self.is_moe else 0
        norms = 2 * h
        head = h * self.vocab_size * (1 if self.tie_word_embeddings else 2)
        return self.num_layers * (attn + mlp + router + norms) + head + h


def _first(cfg: Mapping[str, Any], keys: tuple[str, ...], source: str, what: str) -> Any:
    for k in keys:
        if cfg.get(k) is not None:
            return cfg[k]
    names = " or ".join(repr(k) for k in keys)
    raise CatalogError(f"{source}: missing field {names} ({what})")


def _positive_int(value: Any, key: str, source: str) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or int(value) != value
        or value < 1
    ):
        raise CatalogError(f"{source}: field {key!r} must be a positive integer, got {value!r}")
    return int(value)


def model_from_config(
    cfg: Mapping[str, Any], name: str = "custom", source: str | None = None
) -> ModelConfig:
    """Build a :class:`ModelConfig` from Hugging Face ``config.json`` fields.

    Reads ``hidden_size`` (or ``d_model``/``n_embd``), ``num_hidden_layers``,
    ``num_attention_heads``, ``num_key_value_heads`` (default: MHA), ``intermediate_size``
    (or ``ffn_dim``/``n_inner``), ``vocab_size``, optional ``head_dim``, ``hidden_act`` /
    ``activation_function``, ``tie_word_embeddings`` (HF default true), and for MoE
    ``num_local_experts`` (or ``num_experts``) with ``num_experts_per_tok``.

    >>> model_from_config({"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
    ...                    "intermediate_size": 128, "vocab_size": 100}).head_dim
    16
    """
    src = source or f"model {name!r}"
    if not isinstance(cfg, Mapping):
        raise CatalogError(
            f"{src}: a model config must be a JSON object of fields, got {type(cfg).__name__}"
        )
    get = lambda keys, what: _first(cfg, keys, src, what)  # noqa: E731
    h = _positive_int(get(("hidden_size", "d_model", "n_embd"), "model width"), "hidden_size", src)
    layers = _positive_int(
        get(("num_hidden_layers", "n_layer", "num_layers"), "decoder layers"),
        "num_hidden_layers",
        src,
    )
    heads = _positive_int(
        get(("num_attention_heads", "n_head"), "query heads"), "num_attention_heads", src
    )
    kv = _positive_int(cfg.get("num_key_value_heads") or heads, "num_key_value_heads", src)
    inter = _positive_int(
        get(("intermediate_size", "ffn_dim", "n_inner"), "MLP width"), "intermediate_size", src
    )
    vocab = _positive_int(get(("vocab_size",), "vocabulary size"), "vocab_size", src)
    if heads % kv:
        raise CatalogError(
            f"{src}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kv}"
        )
    if cfg.get("head_dim") is not None:
        head_dim = _positive_int(cfg["head_dim"], "head_dim", src)
    elif h % heads:
        raise CatalogError(
            f"{src}: hidden_size {h} is not divisible by num_attention_heads {heads}; give 'head_dim'"
        )
    else:
        head_dim = h // heads
    model_type = str(cfg.get("model_type", "")).lower()
    act = str(cfg.get("hidden_act") or cfg.get("activation_function") or "").lower()
    if "gated_mlp" in cfg:
        gated = bool(cfg["gated_mlp"])
    elif model_type in GATED_FAMILIES:
        gated = True
    elif model_type in PLAIN_FAMILIES:
        gated = False
    else:
        gated = act in ("silu", "swiglu", "swish")
    norm = (
        "rmsnorm"
        if ("rms_norm_eps" in cfg or "rms_norm" in str(cfg.get("norm_type", "")))
        else "layernorm"
    )
    experts = _positive_int(
        cfg.get("num_local_experts") or cfg.get("num_experts") or 1, "num_local_experts", src
    )
    if experts > 1:
        top_k = _positive_int(
            get(("num_experts_per_tok",), "experts routed per token"), "num_experts_per_tok", src
        )
        if top_k > experts:
            raise CatalogError(
                f"{src}: num_experts_per_tok {top_k} exceeds num_local_experts {experts}"
            )
    else:
        top_k = 1
    max_pos = cfg.get("max_position_embeddings")
    return ModelConfig(
        name=name,
        hidden_size=h,
        num_layers=layers,
        num_heads=heads,
        num_kv_heads=kv,
        head_dim=head_dim,
        intermediate_size=inter,
        vocab_size=vocab,
        gated_mlp=gated,
        norm=norm,
        tie_word_embeddings=bool(cfg.get("tie_word_embeddings", True)),
        num_experts=experts,
        experts_per_token=top_k,
        max_position_embeddings=None if max_pos is None else int(max_pos),
        source=src,
    )


@cache
def _catalogue(filename: str) -> dict[str, Any]:
    with open(HERE / filename, encoding="utf-8") as fh:
        data = load_yaml(fh)
    return data


def model_names() -> list[str]:
    """Names of the built-in models."""
    return sorted(_catalogue("models.yaml"))


def load_model(spec: str | Path | Mapping[str, Any] | ModelConfig) -> ModelConfig:
    """A catalogue name, a path to a ``config.json`` (or its directory), a config mapping, or a ModelConfig.

    >>> load_model("mixtral-8x7b").num_experts
    8
    """
    if isinstance(spec, ModelConfig):
        return spec
    if isinstance(spec, Mapping):
        return model_from_config(
            spec, name=str(spec.get("name", spec.get("_name_or_path", "custom")))
        )
    text = str(spec)
    catalogue = _catalogue("models.yaml")
    if isinstance(spec, str) and text.lower() in catalogue:
        key = text.lower()
        return model_from_config(catalogue[key], name=key, source=f"models.yaml entry {key!r}")
    path = Path(text).expanduser()
    if path.is_dir():
        path = path / "config.json"
    if not path.is_file():
        raise CatalogError(
            f"unknown model {text!r}: not a built-in model ({', '.join(model_names())}) "
            "and not a path to a config.json file or a directory holding one"
        )
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise CatalogError(
            f"{path}: not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})"
        ) from None
    name = cfg.get("_name_or_path") if isinstance(cfg, dict) else None
    return model_from_config(cfg, name=str(name or path.parent.name or "custom"), source=str(path))


# -- hardware ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hardware:
    """One device as the roofline sees it. Units are SI base units: B/s, OP/s, bytes.

    ``peak_ops`` maps operand width in bits (4, 8, 16, 32) to peak OP/s (a multiply-add is 2).
    """

    name: str
    bandwidth: float
    peak_ops: Mapping[int, float]
    onchip_bytes: float
    compute_units: int
    memory_bytes: float
    interconnect: float
    offload: float
    source: str = field(default="", compare=False)

    def peak_for_bits(self, bits: int) -> float:
        """Peak of the narrowest precision the device has that is at least ``bits`` wide."""
        for width in SUPPORTED_BITS:
            if width >= bits and width in self.peak_ops:
                return float(self.peak_ops[width])
        raise CatalogError(
            f"hardware {self.name!r} has no precision of {bits} bits or wider; it has {sorted(self.peak_ops)}"
        )

    def peak_table(self) -> dict[int, float]:
        """Peak for each of 4/8/16/32-bit operands after falling back to wider precisions."""
        out = {}
        for bits in SUPPORTED_BITS:
            try:
                out[bits] = self.peak_for_bits(bits)
            except CatalogError:
                out[bits] = math.nan
        return out


_HW_FIELDS = (
    "bandwidth_gbps",
    "peak_tops",
    "onchip_mb",
    "compute_units",
    "memory_gb",
    "interconnect_gbps",
    "offload_gbps",
)


def _positive(value: Any, key: str, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise CatalogError(f"{source}: field {key!r} must be a positive number, got {value!r}")
    return float(value)


def hardware_from_dict(
    spec: Mapping[str, Any], name: str = "custom", source: str | None = None
) -> Hardware:
    """User-defined hardware from catalogue-style fields.

    Required: ``bandwidth_gbps``, ``peak_tops`` (``{fp16: ..., int8: ...}``), ``memory_gb``;
    optional: ``onchip_mb`` (default 40), ``compute_units`` (default 100),
    ``interconnect_gbps`` (default 300), ``offload_gbps`` (default 32).

    >>> hardware_from_dict({"bandwidth_gbps": 100, "peak_tops": {"fp16": 10}, "memory_gb": 8}).bandwidth
    100000000000.0
    """
    src = source or f"hardware {name!r}"
    check_fields(
        spec,
        src,
        "hardware",
        _HW_FIELDS,
        ("bandwidth_gbps", "peak_tops", "memory_gb"),
        CatalogError,
    )
    peaks = spec["peak_tops"]
    if not isinstance(peaks, Mapping) or not peaks:
        raise CatalogError(
            f"{src}: field 'peak_tops' must map precisions ({', '.join(PRECISION_BITS)}) to TOP/s"
        )
    peak_ops: dict[int, float] = {}
    for prec, tops in peaks.items():
        if prec not in PRECISION_BITS:
            raise CatalogError(
                f"{src}: peak_tops has unknown precision {prec!r}; legal are {', '.join(PRECISION_BITS)}"
            )
        bits = PRECISION_BITS[prec]
        peak_ops[bits] = max(
            peak_ops.get(bits, 0.0), _positive(tops, f"peak_tops.{prec}", src) * 1e12
        )
    return Hardware(
        name=str(spec.get("name", name)),
        bandwidth=_positive(spec["bandwidth_gbps"], "bandwidth_gbps", src) * 1e9,
        peak_ops=peak_ops,
        onchip_bytes=_positive(spec.get("onchip_mb", 40), "onchip_mb", src) * 1e6,
        compute_units=_positive_int(spec.get("compute_units", 100), "compute_units", src),
        memory_bytes=_positive(spec["memory_gb"], "memory_gb", src) * 1e9,
        interconnect=_positive(spec.get("interconnect_gbps", 300), "interconnect_gbps", src) * 1e9,
        offload=_positive(spec.get("offload_gbps", 32), "offload_gbps", src) * 1e9,
        source=src,
    )


def hardware_names() -> list[str]:
    """Names of the built-in devices."""
    return sorted(_catalogue("hardware.yaml"))


def load_hardware(spec: str | Path | Mapping[str, Any] | Hardware) -> Hardware:
    """A catalogue name, a YAML/JSON file of catalogue fields, a mapping of them, or a Hardware.

    >>> load_hardware("h100").bandwidth / 1e9
    3072.0
    """
    if isinstance(spec, Hardware):
        return spec
    if isinstance(spec, Mapping):
        return hardware_from_dict(spec, name=str(spec.get("name", "custom")))
    catalogue = _catalogue("hardware.yaml")
    key = str(spec).lower()
    if key in catalogue:
        return hardware_from_dict(catalogue[key], name=key, source=f"hardware.yaml entry {key!r}")
    path = Path(str(spec)).expanduser()
    if not path.is_file():
        raise CatalogError(
            f"unknown hardware {str(spec)!r}; built-in devices are {', '.join(hardware_names())}, "
            "or give a path to a YAML/JSON file of hardware fields"
        )
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise CatalogError(
            f"{path}: malformed YAML/JSON{where}: {getattr(err, 'problem', err)}"
        ) from None
    return hardware_from_dict(data, name=path.stem, source=str(path))
