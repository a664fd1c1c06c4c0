"""Per-operator roofline model of decoder-only LLM inference (prefill and decode), vectorised.

Each operator of one decoder layer (plus the lm_head) is described by its operations and the
bytes it moves (weights, activations, KV cache); its time on a device is
``max(ops / peak, bytes / bandwidth)`` — the roofline. Totals sum ``count x time`` over
operators. One code path serves both :func:`analyze` (scalars, a pandas table) and the
co-design simulator (NumPy arrays of designs): every quantity below broadcasts.

The operator set, names and byte accounting follow LLM-Viewer (Yuan et al., "LLM Inference
Unveiled: Survey and Roofline Model Insights", 2024) so its per-operator rows can be checked.
We differ from LLM-Viewer where it is not right, and say so:

* ``lm_head`` counts 2 OPs per multiply-add (LLM-Viewer counts 1). Like LLM-Viewer (and like
  serving engines, which only sample from the last position) it computes logits for the last
  token of each sequence, in prefill and decode alike.
* ``mlp_act`` is sized by the MLP width (``intermediate_size`` / TP), not the hidden size; it
  reads gate and up (2 tensors) when the MLP is gated and one tensor otherwise.
* Prefill ``qk_matmul`` reads Q with the query-head count (LLM-Viewer uses the KV-head count,
  which under-counts Q for GQA models such as Llama-2-70B).
* ``fused_attention`` (FlashAttention-2) writes O once, sized ``q_len x head_dim`` (LLM-Viewer
  writes ``q_len x context`` twice). K and V are re-read once per block of ``Br`` query rows,
  ``Br = min(ceil(M / (4 d b_kv)), d)`` with ``M`` the on-chip SRAM per compute unit (the
  FlashAttention paper's tiling; LLM-Viewer uses the whole chip's buffer), and the causal mask
  lets the kernel skip the key blocks above the diagonal (LLM-Viewer computes all of them).
  Unfused attention computes and stores the whole ``q_len x context`` score matrix, as eager
  PyTorch does. The K/V re-reads are charged to device memory, as in the FlashAttention paper's
  IO analysis and in LLM-Viewer; on GPUs many of them hit L2, so long-prompt FlashAttention
  prefill is pessimistic here (it shows memory-bound where kernels reach a good share of peak).
* Memory is checked against capacity: weights (including the lm_head, an untied embedding
  table and the norm scales, which LLM-Viewer's memory figure leaves out), the KV cache for prompt + generated tokens, and LLM-Viewer's
  transient-activation estimate (one prefill layer's outputs). What does not fit must be
  streamed from the next memory tier on every forward pass (``offload`` bandwidth), so a model
  that does not fit is reported slow and ``fits=False`` — never fast.

Tensor parallelism splits heads and MLP columns (Megatron style; KV heads are replicated when
fewer than devices), keeps norms/residual adds whole, and adds two ring all-reduces per layer
of ``2 (tp - 1) / tp x tokens x hidden x a_bytes`` over the interconnect (bandwidth term only).
A mixture-of-experts MLP runs ``top_k`` experts per token and loads the weights of the
experts the batch touches (expected count ``E (1 - (1 - k/E)^tokens)`` under uniform routing).

Example:
    >>> r = analyze("llama-2-7b", "a100", "decode", batch_size=1, seq_len=1024)
    >>> round(r.total_time_s * 1e3, 2)  # LLM-Viewer: 8.854 ms, GenZ: 8.844 ms
    8.85
    >>> r.summary["fits"]
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np

from archgym.simulators.roofline.catalog import (
    NORM_OPS_PER_ELEMENT,
    SUPPORTED_BITS,
    CatalogError,
    Hardware,
    ModelConfig,
    load_hardware,
    load_model,
)

Stage = Literal["prefill", "decode"]
#: ``compat`` values: None is the corrected model; "llm-viewer" reproduces LLM-Viewer, quirks included.
COMPAT_MODES = (None, "llm-viewer")
ArrayLike = float | int | np.ndarray

if TYPE_CHECKING:
    import pandas as pd

#: Softmax operations per score element (max, subtract, exp, sum, divide), as LLM-Viewer counts.
SOFTMAX_OPS_PER_ELEMENT = 5
#: Columns of the per-operator table, in order.
COLUMNS = [
    "op",
    "count",
    "ops",
    "load_weight_bytes",
    "load_act_bytes",
    "store_act_bytes",
    "load_kv_bytes",
    "store_kv_bytes",
    "comm_bytes",
    "memory_access_bytes",
    "arithmetic_intensity",
    "bound",
    "peak_ops_s",
    "time_s",
]


class DeviceArrays(NamedTuple):
    """A device (or an array of candidate devices) in SI units; every field broadcasts."""

    bandwidth: ArrayLike  # B/s
    peak4: ArrayLike  # OP/s for 4-bit operands (after falling back to wider precisions)
    peak8: ArrayLike
    peak16: ArrayLike
    peak32: ArrayLike
    onchip_per_unit: ArrayLike  # bytes of SRAM per compute unit (FlashAttention tiles live there)
    memory: ArrayLike  # bytes of device memory
    interconnect: ArrayLike  # B/s per direction to a tensor-parallel peer
    offload: ArrayLike  # B/s to the next memory tier
    onchip: ArrayLike = float(
        "nan"
    )  # bytes of on-chip buffer on the whole chip (LLM-Viewer's tiles)

    @classmethod
    def from_hardware(cls, hw: Hardware) -> DeviceArrays:
        p = hw.peak_table()
        return cls(
            hw.bandwidth,
            p[4],
            p[8],
            p[16],
            p[32],
            hw.onchip_bytes / hw.compute_units,
            hw.memory_bytes,
            hw.interconnect,
            hw.offload,
            hw.onchip_bytes,
        )


class Op(NamedTuple):
    """One operator: per-instance work and traffic (bytes), how often it runs, and the peak it runs at."""

    name: str
    count: ArrayLike
    ops: ArrayLike
    load_weight: ArrayLike
    load_act: ArrayLike
    store_act: ArrayLike
    load_kv: ArrayLike
    store_kv: ArrayLike
    peak: ArrayLike  # OP/s at the operands' precision
    comm: ArrayLike = 0.0  # bytes all-reduced over the interconnect
    per_layer: bool = True


def peak_for(dev: DeviceArrays, bits: ArrayLike) -> ArrayLike:
    """Peak OP/s for operands ``bits`` wide: the narrowest precision the device has that holds them."""
    if (
        np.ndim(bits) == 0
    ):  # the common case in a batch: one bit-width, pick without a full-array select
        b = float(bits)
        return (
            dev.peak4 if b <= 4 else dev.peak8 if b <= 8 else dev.peak16 if b <= 16 else dev.peak32
        )
    bits = np.asarray(bits)
    return np.where(
        bits <= 4,
        dev.peak4,
        np.where(bits <= 8, dev.peak8, np.where(bits <= 16, dev.peak16, dev.peak32)),
    )


def operators(
    model: ModelConfig,
    dev: DeviceArrays,
    stage: Stage,
    batch: ArrayLike,
    context: ArrayLike,
    w_bit: ArrayLike,
    a_bit: ArrayLike,
    kv_bit: ArrayLike,
    flash: ArrayLike,
    tp: ArrayLike,
    compat: str | None = None,
) -> list[Op]:
    """The operators of one forward pass. ``context`` is the prompt length in prefill and the
    number of cached tokens attended in decode; ``flash`` is 0/1; all arguments broadcast.
    ``compat="llm-viewer"`` reproduces LLM-Viewer's accounting, quirks included (see
    :data:`LLM_VIEWER_QUIRKS`)."""
    viewer = compat == "llm-viewer"
    m = model
    batch, context, tp = (np.asarray(x, dtype=np.float64) for x in (batch, context, tp))
    wB, aB, kvB = (np.asarray(b, dtype=np.float64) / 8.0 for b in (w_bit, a_bit, kv_bit))
    flash = np.asarray(flash, dtype=np.float64)
    q = context if stage == "prefill" else np.ones_like(context)  # query tokens per sequence
    T = batch * q  # tokens through the linear layers
    h, d, L = float(m.hidden_size), float(m.head_dim), float(m.num_layers)
    hq = m.num_heads / tp  # query heads per device
    hkv = np.ceil(m.num_kv_heads / tp)  # KV heads per device (replicated when fewer than devices)
    inter = m.intermediate_size / tp
    E, k = float(m.num_experts), float(m.experts_per_token)
    if m.is_moe:
        experts_touched = E * (1.0 - (1.0 - k / E) ** T)
        Te = T * k  # token-expert pairs
    else:
        experts_touched, Te = np.ones_like(T), T
    # "Quantisation picks the peak of the lowest precision all operands share."
    lin_peak = peak_for(dev, np.maximum(w_bit, a_bit))
    att_peak = peak_for(dev, np.maximum(a_bit, kv_bit))
    act_peak = peak_for(dev, a_bit)

    def linear(
        name: str,
        ic: ArrayLike,
        oc: ArrayLike,
        tokens: ArrayLike,
        count: ArrayLike = L,
        weights: ArrayLike = 1.0,
        kv_out: bool = False,
        per_layer: bool = True,
    ) -> Op:
        out = oc * tokens
        return Op(
            name,
            count,
            2.0 * ic * out,
            ic * oc * wB * weights,
            ic * tokens * aB,
            0.0 if kv_out else out * aB,
            0.0,
            out * kvB if kv_out else 0.0,
            lin_peak,
            per_layer=per_layer,
        )

    ops = [
        linear("q_proj", h, hq * d, T),
        linear("k_proj", h, hkv * d, T, kv_out=True),
        linear("v_proj", h, hkv * d, T, kv_out=True),
        linear("out_proj", hq * d, h, T),
    ]
    if m.is_moe:
        ops.append(linear("router", h, E, T))
    if m.gated_mlp:
        ops.append(linear("gate_proj", h, inter, Te, weights=experts_touched))
    ops += [
        linear("up_proj", h, inter, Te, weights=experts_touched),
        linear("down_proj", inter, h, Te, weights=experts_touched),
    ]

    # Attention: scores are q x context per head; unfused kernels round-trip them through memory.
    scores = batch * hq * q * context
    qk_ops = 2.0 * scores * d
    softmax_ops = SOFTMAX_OPS_PER_ELEMENT * scores
    q_bytes = batch * q * hq * d * aB
    kv_read = batch * context * hkv * d * kvB  # K (or V) of the whole context
    score_bytes = scores * aB
    unfused = L * (1.0 - flash)
    # LLM-Viewer's prefill qk_matmul reads Q with the KV-head count
    qk_q_bytes = batch * q * hkv * d * aB if viewer and stage == "prefill" else q_bytes
    ops += [
        Op("qk_matmul", unfused, qk_ops, 0.0, qk_q_bytes, score_bytes, kv_read, 0.0, att_peak),
        Op("sv_matmul", unfused, qk_ops, 0.0, score_bytes, q_bytes, kv_read, 0.0, att_peak),
        Op("softmax", unfused, softmax_ops, 0.0, score_bytes, score_bytes, 0.0, 0.0, act_peak),
    ]
    # FlashAttention-2: Q read and O written once; K and V re-read once per block of Br query
    # rows. With a causal mask the kernel skips key blocks above the diagonal: of n x n block
    # pairs it visits n (n + 1) / 2 (in decode n = 1, nothing is skipped).
    if viewer:
        # LLM-Viewer: tile rows from the whole chip's buffer, no causal skipping, and an O of
        # q x context elements per head written twice (initialise and save)
        block_rows = np.maximum(np.minimum(np.ceil(dev.onchip / (d * kvB)), d), 1.0)
        causal = np.ones_like(context)
        o_store = 2.0 * batch * hq * q * context * aB
    else:
        block_rows = np.maximum(np.minimum(np.ceil(dev.onchip_per_unit / (4.0 * d * kvB)), d), 1.0)
        o_store = q_bytes
    passes = np.ceil(q / block_rows)
    if not viewer:
        causal = (passes + 1.0) / (2.0 * passes)
    ops.append(
        Op(
            "fused_attention",
            L * flash,
            causal * (2 * qk_ops + softmax_ops),
            0.0,
            q_bytes,
            o_store,
            2.0 * passes * causal * kv_read,
            0.0,
            att_peak,
        )
    )

    # Element-wise layers act on whole hidden vectors (replicated under TP), as in LLM-Viewer.
    hidden = T * h
    hidden_bytes = hidden * aB
    norm = Op(
        "attn_norm",
        L,
        NORM_OPS_PER_ELEMENT * hidden,
        0.0,
        hidden_bytes,
        hidden_bytes,
        0.0,
        0.0,
        act_peak,
    )
    add = Op("attn_add", L, hidden, 0.0, hidden_bytes, hidden_bytes, 0.0, 0.0, act_peak)
    # LLM-Viewer sizes the activation by the hidden size and always reads two tensors
    act_in = 2.0 if (m.gated_mlp or viewer) else 1.0
    act_elems = T * h if viewer else Te * inter
    ops += [
        norm,
        norm._replace(name="mlp_norm"),
        add,
        add._replace(name="mlp_add"),
        Op(
            "mlp_act",
            L,
            act_in * act_elems,
            0.0,
            act_in * act_elems * aB,
            act_elems * aB,
            0.0,
            0.0,
            act_peak,
        ),
    ]
    # Logits only for the last position of each sequence (what generation samples from).
    lm_head = linear("lm_head", h, m.vocab_size / tp, batch, count=1.0, per_layer=False)
    if viewer:  # LLM-Viewer: 1 OP per multiply-add, activations of one sequence whatever the batch
        lm_head = lm_head._replace(
            ops=lm_head.ops / 2.0, load_act=h * aB, store_act=m.vocab_size / tp * aB
        )
    ops.append(lm_head)
    # Two all-reduces per layer (after out_proj and down_proj) when tensor-parallel.
    allreduce = Op(
        "attn_allreduce", L * (tp > 1), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, act_peak, comm=hidden_bytes
    )
    ops += [allreduce, allreduce._replace(name="mlp_allreduce")]
    return ops


def op_time(op: Op, dev: DeviceArrays, tp: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(time of one instance in s, peak OP/s used, memory bytes) of an operator on a device."""
    mem = sum(
        x
        for x in (op.load_weight, op.load_act, op.store_act, op.load_kv, op.store_kv)
        if np.ndim(x) or x
    )
    mem = np.asarray(mem, dtype=np.float64)
    time = np.maximum(op.ops / op.peak, mem / dev.bandwidth)
    if np.ndim(op.comm) or op.comm:
        tp = np.asarray(tp, dtype=np.float64)
        time = time + np.where(tp > 1, 2.0 * (tp - 1.0) / tp, 0.0) * op.comm / dev.interconnect
    return time, np.asarray(op.peak, dtype=np.float64), mem


def stage_time(ops: list[Op], dev: DeviceArrays, tp: ArrayLike) -> np.ndarray:
    """Total time in s of a forward pass: sum of count x per-instance time."""
    return sum((op.count * op_time(op, dev, tp)[0] for op in ops), start=np.zeros(()))


def activation_bytes(stage_ops: list[Op]) -> np.ndarray:
    """Transient activations of a stage, as LLM-Viewer estimates them: the sum of one layer's
    stored outputs in that stage (the decode stage's are one token's, never a prefill layer's)."""
    act = sum(
        ((op.count > 0) * op.store_act for op in stage_ops if op.per_layer), start=np.zeros(())
    )
    return np.asarray(act, dtype=np.float64)


def memory_bytes(
    model: ModelConfig,
    batch: ArrayLike,
    tokens: ArrayLike,
    w_bit: ArrayLike,
    kv_bit: ArrayLike,
    tp: ArrayLike,
    stage_ops: list[Op],
    compat: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(weights, KV cache, transient activations) in bytes per device during ``stage_ops``' stage.

    ``tokens`` is how many positions the KV cache holds. With ``compat="llm-viewer"`` the
    weights are the decoder layers' projections only, as LLM-Viewer's memory figure counts them.
    """
    m = model
    tp = np.asarray(tp, dtype=np.float64)
    h, d = m.hidden_size, m.head_dim
    hkv = np.ceil(m.num_kv_heads / tp)
    kv = (
        2.0
        * m.num_layers
        * np.asarray(batch, dtype=np.float64)
        * tokens
        * hkv
        * d
        * np.asarray(kv_bit)
        / 8.0
    )
    act = activation_bytes(stage_ops)
    if compat == "llm-viewer":
        per_layer_weights = sum(op.load_weight for op in stage_ops if op.per_layer)
        return np.asarray(m.num_layers * per_layer_weights, dtype=np.float64), np.asarray(kv), act
    per_layer = (
        2 * h * m.num_heads * d / tp
        + 2 * h * hkv * d
        + (3 if m.gated_mlp else 2) * h * m.intermediate_size / tp * m.num_experts
        + (h * m.num_experts if m.is_moe else 0)
        + 2 * h
    )
    vocab = h * m.vocab_size / tp * (1 if m.tie_word_embeddings else 2)
    weights = (m.num_layers * per_layer + vocab + h) * np.asarray(w_bit, dtype=np.float64) / 8.0
    return np.asarray(weights), np.asarray(kv), act


def summarize(
    model: ModelConfig,
    dev: DeviceArrays,
    batch: ArrayLike,
    prompt_len: ArrayLike,
    gen_len: ArrayLike,
    w_bit: ArrayLike,
    a_bit: ArrayLike,
    kv_bit: ArrayLike,
    flash: ArrayLike,
    tp: ArrayLike,
    compat: str | None = None,
) -> dict[str, np.ndarray]:
    """Service-level figures for a prompt of ``prompt_len`` tokens and ``gen_len`` new tokens.

    The prefill pass yields the first token (TTFT); each of the other ``gen_len - 1`` tokens is
    one decode step. Decode cost is affine in context length, so the mean step (TPOT) is the
    step at the mean context ``prompt_len + gen_len / 2``. Each stage needs the weights, the KV
    cache at its fullest (``prompt_len + gen_len - 1`` positions) and its own activations
    (decode's at its last step, one token's: never a prefill layer's);
    what a stage does not fit in device memory is streamed over the offload link on each of
    its passes. ``memory_bytes`` is the larger stage's need, ``fits`` whether both fit.

    ``compat="llm-viewer"`` follows LLM-Viewer's ``analyze_generate_task``: the prefill pass,
    then ``gen_len`` decode steps over contexts ``prompt_len ... prompt_len + gen_len - 1``
    (mean ``prompt_len + (gen_len - 1) / 2``), its memory accounting (KV cache of the prompt)
    and no capacity check (nothing is charged for memory that does not fit).
    """
    prompt_len = np.asarray(prompt_len, dtype=np.float64)
    gen_len = np.asarray(gen_len, dtype=np.float64)
    args = (w_bit, a_bit, kv_bit, flash, tp)
    viewer = compat == "llm-viewer"
    mean_context = prompt_len + ((gen_len - 1.0) / 2.0 if viewer else gen_len / 2.0)
    prefill = operators(model, dev, "prefill", batch, prompt_len, *args, compat=compat)
    decode = operators(model, dev, "decode", batch, mean_context, *args, compat=compat)
    # The last generated token is never fed back, so the cache holds prompt + gen - 1 positions.
    kv_tokens = prompt_len if viewer else prompt_len + gen_len - 1.0
    weights, kv, act_p = memory_bytes(
        model, batch, kv_tokens, w_bit, kv_bit, tp, prefill, compat=compat
    )
    # decode activations peak at the last step's context (LLM-Viewer: the analysed context)
    last = prompt_len if viewer else prompt_len + gen_len - 1.0
    act_d = activation_bytes(operators(model, dev, "decode", batch, last, *args, compat=compat))
    need_p, need_d = weights + kv + act_p, weights + kv + act_d
    if viewer:
        spill_p = spill_d = np.zeros(np.shape(need_p))
    else:
        spill_p = np.maximum(need_p - dev.memory, 0.0) / dev.offload
        spill_d = np.maximum(need_d - dev.memory, 0.0) / dev.offload
    prefill_s, decode_s = stage_time(prefill, dev, tp), stage_time(decode, dev, tp)
    ttft = prefill_s + spill_p
    tpot = decode_s + spill_d
    steps = gen_len if viewer else gen_len - 1.0
    e2e = ttft + steps * tpot
    need = np.maximum(need_p, need_d)
    return {
        "ttft_s": ttft,
        "tpot_s": tpot,
        "e2e_s": e2e,
        "e2e_without_offload_s": prefill_s + steps * decode_s,
        "offload_s": spill_p + steps * spill_d,
        "throughput_tok_s": np.asarray(batch, dtype=np.float64) * gen_len / e2e,
        "decode_throughput_tok_s": np.asarray(batch, dtype=np.float64) / tpot,
        "weights_bytes": weights,
        "kv_cache_bytes": kv,
        "activation_bytes": np.maximum(act_p, act_d),
        "prefill_activation_bytes": act_p,
        "decode_activation_bytes": act_d,
        "prefill_memory_bytes": need_p,
        "decode_memory_bytes": need_d,
        "memory_bytes": need,
        "capacity_bytes": np.broadcast_to(np.asarray(dev.memory, dtype=np.float64), np.shape(need)),
        "offload_s_per_pass": np.maximum(spill_p, spill_d),
        "prefill_offload_s_per_pass": spill_p,
        "decode_offload_s_per_pass": spill_d,
        "fits": need <= dev.memory,
    }


# -- the table a user reads --------------------------------------------------------------------


@dataclass
class RooflineResult:
    """:func:`analyze` output: ``ops`` (one row per operator of ``stage``) and ``summary``."""

    model: ModelConfig
    hardware: Hardware
    stage: Stage
    ops: pd.DataFrame
    summary: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def total_time_s(self) -> float:
        """Time of one forward pass of ``stage`` (sum of count x time_s)."""
        return float((self.ops["count"] * self.ops["time_s"]).sum())

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"RooflineResult({self.model.name} on {self.hardware.name}, {self.stage}: "
            f"{self.total_time_s * 1e3:.3f} ms; TTFT {s['ttft_s'] * 1e3:.2f} ms, TPOT {s['tpot_s'] * 1e3:.3f} ms, "
            f"memory {s['memory_bytes'] / 1e9:.2f}/{s['capacity_bytes'] / 1e9:.0f} GB)"
        )


#: What ``compat="llm-viewer"`` reproduces, and the corrected model does not.
LLM_VIEWER_QUIRKS = (
    "lm_head counts 1 OP per multiply-add and one sequence's activations whatever the batch",
    "mlp_act is sized by hidden_size, not the MLP width, and reads two tensors",
    "prefill qk_matmul reads Q with the KV-head count",
    "FlashAttention tiles come from the whole chip's buffer, skip no causal blocks and write "
    "an O of q_len x context elements twice",
    "memory counts the decoder layers' projection weights only and the prompt's KV cache",
    "no memory-capacity check: nothing that does not fit is charged",
    "generation is the prefill plus gen_len decode steps over contexts prompt_len ... "
    "prompt_len + gen_len - 1",
)


def check_compat(compat: Any) -> None:
    """Refuse an unknown ``compat`` mode, naming the legal ones."""
    if compat not in COMPAT_MODES:
        raise ValueError(
            f"compat must be None (the corrected model) or 'llm-viewer', got {compat!r}"
        )


def _check_int(name: str, value: Any, low: int, legal: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(f"{name} must be an integer {legal}, got {value!r}")
    return int(value)


def check_settings(
    model: ModelConfig,
    batch_size: Any,
    seq_len: Any,
    gen_len: Any,
    w_bit: Any,
    a_bit: Any,
    kv_bit: Any,
    tensor_parallel: Any,
) -> None:
    """Refuse settings the model cannot express, naming the argument and what is legal."""
    _check_int("batch_size", batch_size, 1, ">= 1")
    _check_int("seq_len", seq_len, 1, ">= 1")
    _check_int("gen_len", gen_len, 1, ">= 1")
    for name, bits in (("w_bit", w_bit), ("a_bit", a_bit), ("kv_bit", kv_bit)):
        if isinstance(bits, bool) or bits not in SUPPORTED_BITS:
            raise ValueError(
                f"{name} must be one of {', '.join(map(str, SUPPORTED_BITS))}, got {bits!r}"
            )
    tp = _check_int("tensor_parallel", tensor_parallel, 1, ">= 1")
    limit = model.max_position_embeddings
    if limit is not None and seq_len + gen_len > limit:
        raise ValueError(
            f"seq_len {seq_len} + gen_len {gen_len} = {seq_len + gen_len} tokens is longer than "
            f"{model.name}'s {limit} positions (max_position_embeddings); shorten the prompt or "
            "the generation"
        )
    if model.num_heads % tp or model.intermediate_size % tp:
        raise ValueError(
            f"tensor_parallel {tp} must divide num_attention_heads {model.num_heads} and "
            f"intermediate_size {model.intermediate_size} of {model.name}"
        )


def device_for(
    hw: Hardware, interconnect_gbps: float | None, bits: tuple[int, ...]
) -> DeviceArrays:
    """The device arrays of ``hw``, with the interconnect overridden; refuses precisions it lacks."""
    dev = DeviceArrays.from_hardware(hw)
    if interconnect_gbps is not None:
        if not (isinstance(interconnect_gbps, int | float) and interconnect_gbps > 0):
            raise ValueError(
                f"interconnect_gbps must be a positive number of GB/s, got {interconnect_gbps!r}"
            )
        dev = dev._replace(interconnect=float(interconnect_gbps) * 1e9)
    for b in bits:
        if np.isnan(peak_for(dev, b)):
            raise CatalogError(f"hardware {hw.name!r} has no precision of {b} bits or wider")
    return dev


def analyze(
    model: str | ModelConfig | Mapping[str, Any],
    hardware: str | Hardware | Mapping[str, Any],
    stage: Stage = "decode",
    batch_size: int = 1,
    seq_len: int = 1024,
    w_bit: int = 16,
    a_bit: int = 16,
    kv_bit: int = 16,
    use_flash_attention: bool = False,
    tensor_parallel: int = 1,
    gen_len: int = 128,
    interconnect_gbps: float | None = None,
    compat: str | None = None,
) -> RooflineResult:
    """Roofline analysis of one forward pass of ``stage`` plus the generation summary.

    ``seq_len`` is the prompt length (prefill) or the cached context (decode); the summary is
    for a ``seq_len``-token prompt followed by ``gen_len`` new tokens: ``ttft_s``, ``tpot_s``,
    ``e2e_s``, ``throughput_tok_s`` (generated tokens / e2e), memory in bytes and ``fits``.
    Tensor-parallel all-reduces run over the device's interconnect, or ``interconnect_gbps``.
    The summary's ``activation_bytes``, ``memory_bytes`` and ``offload_s_per_pass`` are the
    analysed stage's (decode holds one token's activations, not a prefill layer's; the
    ``prefill_*`` and ``decode_*`` keys give both); ``fits`` says whether both stages fit.
    ``compat="llm-viewer"`` reproduces LLM-Viewer's numbers operator by operator, quirks
    included (:data:`LLM_VIEWER_QUIRKS`); the default is the corrected model.

    >>> r = analyze("llama-2-7b", "a100", "prefill", batch_size=1, seq_len=1024)
    >>> list(r.ops["op"][:4])
    ['q_proj', 'k_proj', 'v_proj', 'out_proj']
    >>> r.ops.set_index("op").loc["q_proj", "bound"]
    'compute'
    """
    m = load_model(model)
    hw = load_hardware(hardware)
    if stage not in ("prefill", "decode"):
        raise ValueError(f"stage must be 'prefill' or 'decode', got {stage!r}")
    check_compat(compat)
    check_settings(m, batch_size, seq_len, gen_len, w_bit, a_bit, kv_bit, tensor_parallel)
    bits = (w_bit, a_bit, kv_bit)
    dev = device_for(hw, interconnect_gbps, bits)
    flash = float(bool(use_flash_attention))
    ops = operators(m, dev, stage, batch_size, seq_len, *bits, flash, tensor_parallel, compat)
    rows = []
    for op in ops:
        count = float(op.count)
        if count == 0:
            continue
        t, peak, mem = op_time(op, dev, tensor_parallel)
        ops_n, comm = float(op.ops), float(op.comm)
        if comm:
            bound = "network"
        else:
            bound = "compute" if ops_n / float(peak) >= float(mem) / dev.bandwidth else "memory"
        rows.append(
            [
                op.name,
                count,
                ops_n,
                float(op.load_weight),
                float(op.load_act),
                float(op.store_act),
                float(op.load_kv),
                float(op.store_kv),
                comm,
                float(mem),
                ops_n / float(mem) if mem else 0.0,
                bound,
                float(peak),
                float(t),
            ]
        )
    import pandas as pd  # here, not at the top: the simulator's path never needs it

    table = pd.DataFrame(rows, columns=COLUMNS)
    summary = {
        k: (bool(v) if k == "fits" else float(v))
        for k, v in summarize(
            m, dev, batch_size, seq_len, gen_len, *bits, flash, tensor_parallel, compat
        ).items()
    }
    for key in ("activation_bytes", "memory_bytes", "offload_s_per_pass"):
        summary[key] = summary[f"{stage}_{key}"]
    settings = dict(
        batch_size=batch_size,
        seq_len=seq_len,
        gen_len=gen_len,
        w_bit=w_bit,
        a_bit=a_bit,
        kv_bit=kv_bit,
        use_flash_attention=bool(use_flash_attention),
        tensor_parallel=tensor_parallel,
        interconnect_gbps=dev.interconnect / 1e9,
        compat=compat,
    )
    return RooflineResult(m, hw, stage, table, summary, settings)
