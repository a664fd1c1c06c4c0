"""The end-to-end generate total, decode-stage memory, and the model's position limit."""

from __future__ import annotations

import pytest

from archgym.simulators.roofline import analyze, generate, hardware_from_dict, load_model


def test_generate_sums_a_prefill_and_one_decode_step_per_later_token():
    g = generate("llama-2-7b", "a100", prompt_len=512, gen_len=4)
    prefill = analyze("llama-2-7b", "a100", "prefill", 1, 512, gen_len=4).total_time_s
    steps = [
        analyze("llama-2-7b", "a100", "decode", 1, 512 + i, gen_len=1).total_time_s
        for i in (1, 2, 3)
    ]
    assert g.decode_steps == 3
    assert g.prefill_s == pytest.approx(prefill, rel=1e-12)
    assert g.decode_s == pytest.approx(sum(steps), rel=1e-12)
    assert g.total_s == g.total(include_offload=True) == g.total_without_offload_s  # it fits
    # the summary's mean-context figure agrees where no operator changes bound
    s = analyze("llama-2-7b", "a100", "decode", 1, 512, gen_len=4).summary
    assert s["e2e_s"] == pytest.approx(g.total_s, rel=1e-9)


def test_llm_viewer_generate_task_runs_gen_len_decode_steps_from_the_prompt_length():
    # LLM-Viewer's analyze_generate_task: prefill(prompt) + sum of decode(i), i = prompt .. prompt+gen-1
    g = generate("llama-2-7b", "a100", prompt_len=512, gen_len=3, compat="llm-viewer")
    steps = [
        analyze("llama-2-7b", "a100", "decode", 1, c, gen_len=1, compat="llm-viewer").total_time_s
        for c in (512, 513, 514)
    ]
    assert g.decode_steps == 3 and g.decode_s == pytest.approx(sum(steps), rel=1e-12)
    s = analyze("llama-2-7b", "a100", "prefill", 1, 512, gen_len=3, compat="llm-viewer").summary
    assert s["e2e_s"] == pytest.approx(g.total_s, rel=1e-9)


def test_offload_charge_is_reported_apart():
    g = generate("llama-2-70b", "a100", prompt_len=256, gen_len=8)
    assert g.offload_s > 0
    assert g.total(include_offload=False) == pytest.approx(g.prefill_s + g.decode_s)
    assert g.total_s == pytest.approx(g.total_without_offload_s + g.offload_s)
    s = analyze("llama-2-70b", "a100", "decode", 1, 256, gen_len=8).summary
    assert s["offload_s"] == pytest.approx(g.offload_s, rel=1e-9)
    assert s["e2e_without_offload_s"] == pytest.approx(g.total_without_offload_s, rel=1e-9)


def test_decode_memory_holds_one_tokens_activations_not_a_prefill_layers():
    r = analyze("llama-2-7b", "a100", "decode", 8, 2048, gen_len=1)
    per_layer_decode = float((r.ops["store_act_bytes"] * (r.ops["op"] != "lm_head")).sum())
    s = r.summary
    assert s["activation_bytes"] == s["decode_activation_bytes"] == per_layer_decode
    assert s["prefill_activation_bytes"] > 1000 * s["decode_activation_bytes"]
    assert s["memory_bytes"] == s["weights_bytes"] + s["kv_cache_bytes"] + per_layer_decode


def test_a_device_that_fits_decode_but_not_prefill_charges_only_the_prefill():
    # unfused prefill keeps 8 x 32 x 2048 x 2048 score tensors; decode keeps one token's
    probe = analyze("llama-2-7b", "a100", "decode", 8, 2048, gen_len=1).summary
    memory_gb = (probe["decode_memory_bytes"] + probe["prefill_memory_bytes"]) / 2 / 1e9
    hw = hardware_from_dict(
        {"bandwidth_gbps": 1555, "peak_tops": {"fp16": 312}, "memory_gb": memory_gb}
    )
    s = analyze("llama-2-7b", hw, "decode", 8, 2048, gen_len=1).summary
    assert s["decode_offload_s_per_pass"] == 0.0 < s["prefill_offload_s_per_pass"]
    assert not s["fits"]


@pytest.mark.parametrize("fn", ["analyze", "generate"])
def test_a_sequence_longer_than_the_models_positions_is_an_error(fn):
    assert load_model("opt-1.3b").max_position_embeddings == 2048
    call = analyze if fn == "analyze" else generate
    call("opt-1.3b", "a100", seq_len=1920, gen_len=128) if fn == "analyze" else call(
        "opt-1.3b", "a100", prompt_len=1920, gen_len=128
    )
    with pytest.raises(ValueError, match="2049 tokens is longer than opt-1.3b's 2048 positions"):
        if fn == "analyze":
            analyze("opt-1.3b", "a100", "prefill", 1, 2000, gen_len=49)
        else:
            generate("opt-1.3b", "a100", prompt_len=2000, gen_len=49)
