"""The analyzer on models, devices, batches, lengths and bit-widths outside LLM-Viewer's one case,
checked against first-principles figures (bytes / bandwidth, 2 x params x tokens / peak) and
published parameter counts — not against our own earlier output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from archgym.simulators.roofline import analyze, load_hardware, load_model, model_names

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    "row",
    list(pd.read_csv(DATA / "published_params.csv", comment="#").itertuples()),
    ids=lambda r: r.model,
)
def test_catalogue_parameter_counts_match_published(row) -> None:
    assert load_model(row.model).parameter_count() / 1e9 == pytest.approx(
        row.params_billion, rel=row.rel_tol
    )


def _decoder_weight_elements(name: str) -> int:
    m = load_model(name)
    per_layer = (
        2 * m.hidden_size * m.num_heads * m.head_dim
        + 2 * m.hidden_size * m.num_kv_heads * m.head_dim
    )
    per_layer += (3 if m.gated_mlp else 2) * m.hidden_size * m.intermediate_size
    return m.num_layers * per_layer + m.hidden_size * m.vocab_size


@pytest.mark.parametrize(
    "model, hardware",
    [
        ("llama-2-13b", "h100"),
        ("llama-3-8b", "l40"),
        ("mistral-7b", "mi300x"),
        ("opt-1.3b", "a6000"),
        ("llama-2-7b", "xeon-8480"),
    ],
)
def test_batch1_decode_is_weight_and_kv_streaming(model: str, hardware: str) -> None:
    """At batch 1 decode is memory-bound: time ~ (weights + KV cache) / bandwidth."""
    m, hw = load_model(model), load_hardware(hardware)
    ctx = 2000
    r = analyze(m, hw, "decode", batch_size=1, seq_len=ctx, gen_len=48)  # OPT stops at 2048
    kv = 2 * m.num_layers * ctx * m.num_kv_heads * m.head_dim * 2
    expected = (_decoder_weight_elements(model) * 2 + kv) / hw.bandwidth
    assert r.total_time_s == pytest.approx(expected, rel=0.01)
    assert set(r.ops["bound"]) == {"memory"}


def test_large_batch_prefill_linears_are_compute_bound_at_2_ops_per_param_per_token() -> None:
    """Kaplan et al.'s 2N FLOPs per token for the projections, at the FP16 peak; attention and the
    element-wise layers come on top (FlashAttention's K/V re-reads are memory-bound in the
    paper's IO model, which, like LLM-Viewer, ignores L2 hits)."""
    m, hw = load_model("llama-2-13b"), load_hardware("h100")
    B, S = 8, 2048
    r = analyze(m, hw, "prefill", batch_size=B, seq_len=S, use_flash_attention=True)
    linear_flops = (
        2 * (_decoder_weight_elements("llama-2-13b") - m.hidden_size * m.vocab_size) * B * S
    )
    linears = r.ops[r.ops["op"].str.endswith("_proj")]
    assert set(linears["bound"]) == {"compute"}
    assert (linears["count"] * linears["time_s"]).sum() == pytest.approx(
        linear_flops / hw.peak_for_bits(16), rel=1e-9
    )
    attention_flops = (
        4 * B * S * S * m.hidden_size * m.num_layers / 2
    )  # causal: about half the scores
    assert r.total_time_s > (linear_flops + attention_flops) / hw.peak_for_bits(16)
    assert r.total_time_s < 1.25 * (linear_flops + attention_flops) / hw.peak_for_bits(16)


def test_quantisation_picks_the_narrowest_shared_precision() -> None:
    ops = {}
    for w, a in [(16, 16), (8, 8), (4, 16), (4, 4), (8, 16)]:
        ops[w, a] = analyze(
            "llama-2-7b", "a100", "prefill", 4, 1024, w_bit=w, a_bit=a, kv_bit=16
        ).ops.set_index("op")
    assert ops[16, 16].loc["q_proj", "peak_ops_s"] == 312e12
    assert ops[8, 8].loc["q_proj", "peak_ops_s"] == 624e12  # INT8 tensor cores
    assert ops[4, 16].loc["q_proj", "peak_ops_s"] == 312e12  # weight-only: dequantised to FP16
    assert ops[8, 16].loc["q_proj", "peak_ops_s"] == 312e12
    assert ops[4, 4].loc["q_proj", "peak_ops_s"] == 1248e12  # A100 INT4
    assert ops[8, 8].loc["qk_matmul", "peak_ops_s"] == 312e12  # KV still 16-bit
    assert (
        ops[4, 16].loc["q_proj", "load_weight_bytes"]
        == ops[16, 16].loc["q_proj", "load_weight_bytes"] / 4
    )
    # H100 has no INT4 tensor path: 4-bit operands run at its 8-bit rate
    h100 = analyze("llama-2-7b", "h100", "prefill", 4, 1024, w_bit=4, a_bit=4).ops.set_index("op")
    assert h100.loc["q_proj", "peak_ops_s"] == 1979e12


def test_weight_only_quantisation_speeds_up_memory_bound_decode() -> None:
    fp16 = analyze("llama-2-7b", "a100", "decode", 1, 512, w_bit=16).total_time_s
    w4 = analyze("llama-2-7b", "a100", "decode", 1, 512, w_bit=4).total_time_s
    assert 3.0 < fp16 / w4 < 4.0  # weights shrink 4x; KV cache and activations do not


def test_tensor_parallel_splits_weights_and_adds_ring_allreduce() -> None:
    m, hw = load_model("llama-2-70b"), load_hardware("h100")
    one = analyze(m, hw, "decode", 8, 1024).ops.set_index("op")
    two = analyze(m, hw, "decode", 8, 1024, tensor_parallel=2).ops.set_index("op")
    assert "attn_allreduce" not in one.index
    assert two.loc["q_proj", "load_weight_bytes"] == one.loc["q_proj", "load_weight_bytes"] / 2
    assert (
        two.loc["down_proj", "load_weight_bytes"] == one.loc["down_proj", "load_weight_bytes"] / 2
    )
    assert (
        two.loc["attn_norm", "load_act_bytes"] == one.loc["attn_norm", "load_act_bytes"]
    )  # replicated
    # 8 KV heads over 2 devices: 4 each
    assert two.loc["k_proj", "store_kv_bytes"] == one.loc["k_proj", "store_kv_bytes"] / 2
    msg = 8 * m.hidden_size * 2
    assert two.loc["attn_allreduce", "time_s"] == pytest.approx(
        2 * (2 - 1) / 2 * msg / hw.interconnect
    )
    assert two.loc["attn_allreduce", "count"] == m.num_layers
    pcie = analyze(m, hw, "decode", 8, 1024, tensor_parallel=2, interconnect_gbps=32).ops.set_index(
        "op"
    )
    assert pcie.loc["mlp_allreduce", "time_s"] == pytest.approx(msg / 32e9)
    # 8 KV heads over 16 devices cannot split: each keeps a whole head
    big = analyze(m, hw, "decode", 8, 1024, tensor_parallel=16).ops.set_index("op")
    assert big.loc["k_proj", "store_kv_bytes"] == one.loc["k_proj", "store_kv_bytes"] / 8


def test_moe_loads_only_the_experts_the_batch_touches() -> None:
    m = load_model("mixtral-8x7b")
    one = analyze(m, "h100", "decode", 1, 512).ops.set_index("op")
    dense_expert = m.hidden_size * m.intermediate_size * 2
    assert one.loc["gate_proj", "load_weight_bytes"] == pytest.approx(
        2 * dense_expert
    )  # top-2 of 8
    assert one.loc["gate_proj", "ops"] == 2 * 2 * m.hidden_size * m.intermediate_size
    assert "router" in one.index
    prefill = analyze(m, "h100", "prefill", 1, 512).ops.set_index("op")
    assert prefill.loc["up_proj", "load_weight_bytes"] == pytest.approx(
        8 * dense_expert
    )  # every expert
    s = analyze(m, "h100", "decode", 1, 512).summary
    assert s["weights_bytes"] == pytest.approx(46.70e9 * 2, rel=0.005)  # all experts resident
    # batch-1 decode streams Mixtral's 12.9 B active parameters (less the embedding table)
    active = 12.9e9 - m.vocab_size * m.hidden_size
    assert analyze(m, "h100", "decode", 1, 512).total_time_s == pytest.approx(
        active * 2 / 3072e9, rel=0.01
    )


def test_flash_attention_removes_the_score_matrix_traffic() -> None:
    plain = analyze("llama-2-7b", "a100", "prefill", 1, 3968).ops.set_index("op")
    fused = analyze(
        "llama-2-7b", "a100", "prefill", 1, 3968, use_flash_attention=True
    ).ops.set_index("op")
    assert "fused_attention" in fused.index and "qk_matmul" not in fused.index
    unfused_bytes = plain.loc[["qk_matmul", "sv_matmul", "softmax"], "memory_access_bytes"].sum()
    assert fused.loc["fused_attention", "memory_access_bytes"] < unfused_bytes / 3
    assert (
        fused.loc["fused_attention", "time_s"]
        < plain.loc[["qk_matmul", "sv_matmul", "softmax"], "time_s"].sum()
    )
    assert (
        fused.loc["fused_attention", "store_act_bytes"] == 3968 * 32 * 128 * 2
    )  # O once, S x d per head


def test_flash_attention_rereads_kv_more_with_less_sram_per_unit() -> None:
    small = {
        "bandwidth_gbps": 1000,
        "peak_tops": {"fp16": 100},
        "memory_gb": 80,
        "onchip_mb": 3.2,
        "compute_units": 100,
    }
    roomy = {**small, "onchip_mb": 64}
    kv = [
        analyze("llama-2-7b", hw, "prefill", 1, 2048, use_flash_attention=True)
        .ops.set_index("op")
        .loc["fused_attention", "load_kv_bytes"]
        for hw in (small, roomy)
    ]
    # 32 kB per unit -> Br = ceil(32000 / (4 * 128 * 2)) = 32 rows vs 128: 4x the K/V passes (causal ~ half)
    k_and_v = 2 * 2048 * 32 * 128 * 2
    assert kv[0] == pytest.approx(k_and_v * 64 * (65 / 128))
    assert kv[1] == pytest.approx(k_and_v * 16 * (17 / 32))


def test_a_model_that_does_not_fit_is_infeasible_and_never_fast() -> None:
    fits = analyze("llama-2-70b", "h200", "decode", 1, 1024).summary
    spill = analyze("llama-2-70b", "a100", "decode", 1, 1024).summary
    assert fits["fits"] and not spill["fits"]
    assert spill["memory_bytes"] > spill["capacity_bytes"] == 40e9
    # the excess streams over PCIe every pass: far slower than a device that holds the model
    assert spill["offload_s_per_pass"] == pytest.approx((spill["memory_bytes"] - 40e9) / 32e9)
    assert spill["tpot_s"] > 10 * fits["tpot_s"]
    assert spill["throughput_tok_s"] < fits["throughput_tok_s"] / 10


def test_kv_cache_grows_with_batch_and_length_until_it_spills() -> None:
    s = [
        analyze(
            "llama-2-7b", "a100", "decode", b, 3584, use_flash_attention=True, gen_len=512
        ).summary
        for b in (1, 8, 32)
    ]
    m = load_model("llama-2-7b")
    per_token = 2 * m.num_layers * m.num_kv_heads * m.head_dim * 2
    assert s[0]["kv_cache_bytes"] == per_token * (3584 + 511)
    assert s[1]["kv_cache_bytes"] == 8 * s[0]["kv_cache_bytes"]
    assert s[1]["fits"] and not s[2]["fits"]


def test_summary_is_consistent() -> None:
    r = analyze("mistral-7b", "l40", "decode", 4, 1000, gen_len=100)
    s = r.summary
    assert s["e2e_s"] == pytest.approx(s["ttft_s"] + 99 * s["tpot_s"])
    assert s["throughput_tok_s"] == pytest.approx(4 * 100 / s["e2e_s"])
    assert s["decode_throughput_tok_s"] == pytest.approx(4 / s["tpot_s"])
    assert s["ttft_s"] == pytest.approx(
        analyze("mistral-7b", "l40", "prefill", 4, 1000).total_time_s
    )
    # mean decode step == step at the mean context (decode time is affine in context)
    steps = [
        analyze("mistral-7b", "l40", "decode", 4, 1000 + i).total_time_s for i in range(1, 100)
    ]
    assert s["tpot_s"] == pytest.approx(np.mean(steps), rel=1e-6)


@pytest.mark.parametrize("model", model_names())
def test_every_catalogue_model_runs_both_stages(model: str) -> None:
    for stage in ("prefill", "decode"):
        r = analyze(model, "h100", stage, 2, 256, use_flash_attention=True)
        assert np.isfinite(r.ops["time_s"]).all() and (r.ops["time_s"] > 0).all()
        assert r.total_time_s > 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"stage": "train"}, "stage must be 'prefill' or 'decode'"),
        ({"w_bit": 6}, "w_bit must be one of 4, 8, 16, 32"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"seq_len": 1.5}, "seq_len must be an integer >= 1"),
        ({"tensor_parallel": 3}, "tensor_parallel 3 must divide num_attention_heads 32"),
    ],
)
def test_bad_settings_are_refused_naming_the_argument(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        analyze("llama-2-7b", "a100", **kwargs)
