"""``compat="llm-viewer"`` against LLM-Viewer's own rows, and its rules on cases the data lacks.

Rows: ``data/llm_viewer_llama2_7b_a100_b1_s1024_fp16.csv`` (LLM-Viewer's Llama-2-7B / A100
analysis). Rules on other cases are derived by hand from LLM-Viewer's ``model_analyzer.py``
(``ModelAnalyzer.analyze``: projections, attention with and without FlashAttention, norms,
``mlp_act``; ``configs/Llama.py``'s ``post_process``: the ``lm_head``; the memory footprint
from the prefill weights, the prefill KV store and each stage's stored activations).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from archgym.simulators.roofline import analyze, load_hardware, load_model

DATA = Path(__file__).parent / "data"
REF = pd.read_csv(DATA / "llm_viewer_llama2_7b_a100_b1_s1024_fp16.csv", comment="#")
COLUMNS = {  # ours -> LLM-Viewer's
    "count": "count_in_total",
    "ops": "OPs",
    "load_weight_bytes": "load_weight_bytes",
    "load_act_bytes": "load_act_bytes",
    "store_act_bytes": "store_act_bytes",
    "load_kv_bytes": "load_kv_cache_bytes",
    "store_kv_bytes": "store_kv_cache_bytes",
    "memory_access_bytes": "memory_access_bytes",
    "time_s": "time_s",
}


@pytest.mark.parametrize("stage", ["prefill", "decode"])
def test_every_row_and_total_reproduces_llm_viewer(stage):
    r = analyze("llama-2-7b", "a100", stage, 1, 1024, gen_len=1, compat="llm-viewer")
    ours = r.ops.set_index("op")
    ref = REF[(REF.stage == stage) & (REF.row_type == "op")].set_index("op")
    assert list(ours.index) == list(ref.index)
    for op in ref.index:  # quirk rows included
        for mine, theirs in COLUMNS.items():
            assert ours.loc[op, mine] == pytest.approx(ref.loc[op, theirs], rel=1e-12), (op, mine)
        assert ours.loc[op, "bound"] == ref.loc[op, "bound"]
    total = REF[(REF.stage == stage) & (REF.row_type == "total")].iloc[0]
    s = r.summary
    assert r.total_time_s == pytest.approx(total.time_s, rel=1e-12)
    assert s["memory_bytes"] == total.memory_consumption_bytes
    assert s["weights_bytes"] == total.memory_weight_bytes
    assert s["kv_cache_bytes"] == total.memory_kv_cache_bytes
    assert s["activation_bytes"] == total.memory_tmp_act_bytes


def test_the_corrected_model_stays_the_default():
    default = analyze("llama-2-7b", "a100", "decode", 1, 1024).ops.set_index("op")
    viewer = analyze("llama-2-7b", "a100", "decode", 1, 1024, compat="llm-viewer")
    assert default.loc["lm_head", "ops"] == 2 * viewer.ops.set_index("op").loc["lm_head", "ops"]
    with pytest.raises(ValueError, match="compat must be None .* or 'llm-viewer', got 'genz'"):
        analyze("llama-2-7b", "a100", compat="genz")


def test_lm_head_and_mlp_act_quirks_at_batch_4():
    # post_process: OPs = batch * h * vocab * 1, load_act = h * a_byte, store_act = vocab * a_byte;
    # mlp_act: OPs = batch * h * 2, load 2 tensors of batch * h, store one (decode, seqlen 1)
    ops = analyze("llama-2-7b", "a100", "decode", 4, 512, compat="llm-viewer").ops.set_index("op")
    h, vocab = 4096, 32000
    assert ops.loc["lm_head", ["ops", "load_act_bytes", "store_act_bytes"]].tolist() == [
        4 * h * vocab,
        h * 2,
        vocab * 2,
    ]
    assert ops.loc["mlp_act", ["ops", "load_act_bytes", "store_act_bytes"]].tolist() == [
        4 * h * 2,
        4 * h * 2 * 2,
        4 * h * 2,
    ]


def test_gqa_prefill_reads_q_with_the_kv_head_count():
    m = load_model("llama-2-70b")
    row = (
        analyze(m, "h100", "prefill", 2, 512, compat="llm-viewer")
        .ops.set_index("op")
        .loc["qk_matmul"]
    )
    assert row.load_act_bytes == 512 * m.head_dim * 2 * m.num_kv_heads * 2


@pytest.mark.parametrize("stage", ["prefill", "decode"])
def test_flash_attention_follows_llm_viewers_tiling(stage):
    # block_size_r = min(ceil(onchip_buffer / (kv_byte * head_size)), head_size) over the whole
    # chip's buffer; n_blocks_r = ceil(q / block_size_r); O of q x seqlen per head stored twice;
    # K and V read n_blocks_r times each; no causal skipping
    hw = load_hardware("a100")
    b, s, d, heads = 2, 1024, 128, 32
    q = s if stage == "prefill" else 1
    row = (
        analyze("llama-2-7b", hw, stage, b, s, use_flash_attention=True, compat="llm-viewer")
        .ops.set_index("op")
        .loc["fused_attention"]
    )
    block = min(math.ceil(hw.onchip_bytes / (2 * d)), d)
    n_blocks = math.ceil(q / block)
    assert row.store_act_bytes == q * s * b * heads * 2 * 2
    assert row.load_act_bytes == q * d * b * heads * 2
    assert row.load_kv_bytes == n_blocks * s * d * b * heads * 2 * 2
    assert row.ops == 2 * (2 * q * s * d * heads * b) + 5 * b * heads * q * s


def test_no_capacity_check_in_llm_viewer_mode():
    viewer = analyze("llama-2-70b", "a100", "decode", 1, 1024, compat="llm-viewer").summary
    ours = analyze("llama-2-70b", "a100", "decode", 1, 1024).summary
    assert not viewer["fits"] and viewer["offload_s_per_pass"] == 0.0
    assert ours["offload_s_per_pass"] > 0 and ours["tpot_s"] > 10 * viewer["tpot_s"]
