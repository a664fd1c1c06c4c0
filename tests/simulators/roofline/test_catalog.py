"""Loading models (catalogue, user config.json) and hardware (catalogue, user-defined), with clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archgym.simulators.roofline import (
    CatalogError,
    hardware_from_dict,
    hardware_names,
    load_hardware,
    load_model,
    model_names,
)

LLAMA_2_7B_CONFIG = {  # fields of meta-llama/Llama-2-7b-hf/config.json
    "architectures": ["LlamaForCausalLM"],
    "bos_token_id": 1,
    "eos_token_id": 2,
    "hidden_act": "silu",
    "hidden_size": 4096,
    "initializer_range": 0.02,
    "intermediate_size": 11008,
    "max_position_embeddings": 4096,
    "model_type": "llama",
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 32,
    "pretraining_tp": 1,
    "rms_norm_eps": 1e-05,
    "rope_scaling": None,
    "tie_word_embeddings": False,
    "torch_dtype": "float16",
    "transformers_version": "4.31.0.dev0",
    "use_cache": True,
    "vocab_size": 32000,
}


def test_catalogues_hold_what_the_issue_lists() -> None:
    assert {
        "llama-2-7b",
        "llama-2-13b",
        "llama-2-70b",
        "llama-3-8b",
        "mistral-7b",
        "opt-1.3b",
        "mixtral-8x7b",
    } <= set(model_names())
    assert {"a100", "a6000", "h100", "h200", "l40", "mi300x", "xeon-8480"} <= set(hardware_names())
    a100, h100 = load_hardware("a100"), load_hardware("h100")
    assert (a100.bandwidth, a100.peak_for_bits(16), a100.peak_for_bits(8)) == (
        1555e9,
        312e12,
        624e12,
    )
    assert (h100.bandwidth, h100.peak_for_bits(16)) == (3072e9, 989.5e12)
    assert load_model("llama-2-70b").num_kv_heads == 8
    mixtral = load_model("mixtral-8x7b")
    assert (mixtral.num_experts, mixtral.experts_per_token) == (8, 2)
    opt = load_model("opt-1.3b")
    assert not opt.gated_mlp and opt.norm == "layernorm" and opt.tie_word_embeddings


def test_hf_config_json_from_a_file_or_its_directory(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(LLAMA_2_7B_CONFIG))
    from_file = load_model(tmp_path / "config.json")
    from_dir = load_model(str(tmp_path))
    assert from_file == from_dir
    builtin = load_model("llama-2-7b")
    for field in (
        "hidden_size",
        "num_layers",
        "num_heads",
        "num_kv_heads",
        "head_dim",
        "intermediate_size",
        "vocab_size",
        "gated_mlp",
        "norm",
        "tie_word_embeddings",
        "num_experts",
    ):
        assert getattr(from_file, field) == getattr(builtin, field), field


def test_missing_field_is_named_with_the_file(tmp_path: Path) -> None:
    cfg = dict(LLAMA_2_7B_CONFIG)
    del cfg["intermediate_size"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    with pytest.raises(
        CatalogError, match=r"config\.json: missing field 'intermediate_size' or 'ffn_dim'"
    ):
        load_model(path)


def test_malformed_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{\n  "hidden_size": 4096,\n  "num_hidden_layers": 32,,\n}')
    with pytest.raises(CatalogError, match="not valid JSON \\(line 3"):
        load_model(path)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"hidden_size": -1}, "field 'hidden_size' must be a positive integer"),
        (
            {"num_key_value_heads": 5},
            "num_attention_heads 32 is not a multiple of num_key_value_heads 5",
        ),
        (
            {"hidden_size": 4100},
            "hidden_size 4100 is not divisible by num_attention_heads 32; give 'head_dim'",
        ),
        ({"num_local_experts": 8}, "missing field 'num_experts_per_tok'"),
    ],
)
def test_bad_fields_are_refused(change: dict, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        load_model({**LLAMA_2_7B_CONFIG, **change})


def test_unknown_model_lists_the_catalogue() -> None:
    with pytest.raises(CatalogError, match="unknown model 'llama-9b'.*llama-2-7b"):
        load_model("llama-9b")


def test_user_defined_hardware() -> None:
    hw = hardware_from_dict(
        {
            "name": "npu",
            "bandwidth_gbps": 500,
            "peak_tops": {"bf16": 100, "int8": 200},
            "memory_gb": 32,
        }
    )
    assert (
        hw.peak_for_bits(16) == 100e12 and hw.peak_for_bits(4) == 200e12 and hw.memory_bytes == 32e9
    )
    with pytest.raises(CatalogError, match="no precision of 32 bits"):
        hw.peak_for_bits(32)


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"bandwidth_gbps": 500, "memory_gb": 32}, "missing field 'peak_tops'"),
        (
            {"bandwidth_gbps": 500, "peak_tops": {"fp12": 1}, "memory_gb": 32},
            "unknown precision 'fp12'",
        ),
        (
            {"bandwidth_gbps": 0, "peak_tops": {"fp16": 1}, "memory_gb": 32},
            "'bandwidth_gbps' must be a positive number",
        ),
        (
            {"bandwidth_gbps": 5, "peak_tops": {"fp16": 1}, "memory_gb": 32, "hbm": 3},
            "unknown field 'hbm'",
        ),
    ],
)
def test_bad_hardware_is_refused(spec: dict, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        hardware_from_dict(spec)


def test_unknown_hardware_lists_the_catalogue() -> None:
    with pytest.raises(CatalogError, match="unknown hardware 'b200'; built-in devices are a100"):
        load_hardware("b200")


def test_hardware_from_a_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "npu.yaml"
    path.write_text(
        "name: my NPU\nbandwidth_gbps: 800\npeak_tops: {fp16: 200, int8: 400}\nmemory_gb: 64\n"
    )
    hw = load_hardware(path)
    assert (hw.name, hw.bandwidth, hw.peak_for_bits(8)) == ("my NPU", 800e9, 400e12)
    path.write_text("bandwidth_gbps: 800\npeak_tops: {fp16: 200\n")
    with pytest.raises(CatalogError, match="npu.yaml: malformed YAML/JSON at line"):
        load_hardware(path)
    path.write_text("bandwidth_gbps: 800\nmemory_gb: 64\n")
    with pytest.raises(CatalogError, match="npu.yaml: missing field 'peak_tops'"):
        load_hardware(str(path))
