"""The end-to-end time of a generate call: a prompt's prefill, then one decode step per new token.

Example:
    >>> g = generate("llama-2-7b", "a100", prompt_len=1024, gen_len=128)
    >>> g.decode_steps, round(g.total_s, 3), g.total_s == g.total(include_offload=False)
    (127, 1.179, True)
    >>> v = generate("llama-2-7b", "a100", prompt_len=1024, gen_len=128, compat="llm-viewer")
    >>> v.decode_steps  # LLM-Viewer's analyze_generate_task runs a decode step per new token
    128
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from archgym.simulators.roofline.analyzer import (
    activation_bytes,
    check_compat,
    check_settings,
    device_for,
    memory_bytes,
    operators,
    stage_time,
)
from archgym.simulators.roofline.catalog import Hardware, ModelConfig, load_hardware, load_model


@dataclass(frozen=True)
class Generation:
    """Seconds of one generate call, split into prefill, decode steps and host offload."""

    prefill_s: float
    decode_s: float  # all decode steps together
    decode_steps: int
    offload_s: float  # streaming what does not fit in device memory, over every pass
    generated_tokens: int  # batch x gen_len

    @property
    def total_s(self) -> float:
        """Prefill + decode + the host-offload charge."""
        return self.prefill_s + self.decode_s + self.offload_s

    @property
    def total_without_offload_s(self) -> float:
        """Prefill + decode, as if the model fitted in device memory."""
        return self.prefill_s + self.decode_s

    def total(self, include_offload: bool = True) -> float:
        """The end-to-end time with or without the host-offload charge."""
        return self.total_s if include_offload else self.total_without_offload_s

    @property
    def throughput_tok_s(self) -> float:
        return self.generated_tokens / self.total_s


def generate(
    model: str | ModelConfig | Mapping[str, Any],
    hardware: str | Hardware | Mapping[str, Any],
    prompt_len: int = 1024,
    gen_len: int = 128,
    batch_size: int = 1,
    w_bit: int = 16,
    a_bit: int = 16,
    kv_bit: int = 16,
    use_flash_attention: bool = False,
    tensor_parallel: int = 1,
    interconnect_gbps: float | None = None,
    compat: str | None = None,
) -> Generation:
    """Time a ``prompt_len``-token prompt followed by ``gen_len`` new tokens, step by step.

    The prefill pass yields the first token; each later token is a decode step attending over
    ``prompt_len + i`` cached tokens (``i = 1 .. gen_len - 1``), each step timed on its own
    context. The offload charge streams, on every pass, the part of that stage's memory need
    (weights, the KV cache at its fullest, the stage's activations: decode's at its last step)
    beyond device memory, as :func:`~archgym.simulators.roofline.analyzer.summarize` does.
    ``compat="llm-viewer"`` follows LLM-Viewer's ``analyze_generate_task`` (``gen_len`` decode
    steps over contexts ``prompt_len .. prompt_len + gen_len - 1``, no capacity check).
    """
    m = load_model(model)
    hw = load_hardware(hardware)
    check_compat(compat)
    check_settings(m, batch_size, prompt_len, gen_len, w_bit, a_bit, kv_bit, tensor_parallel)
    bits = (w_bit, a_bit, kv_bit)
    dev = device_for(hw, interconnect_gbps, bits)
    viewer = compat == "llm-viewer"
    args = (*bits, float(bool(use_flash_attention)), tensor_parallel)
    prefill = operators(m, dev, "prefill", batch_size, prompt_len, *args, compat=compat)
    first = prompt_len if viewer else prompt_len + 1
    contexts = np.arange(first, prompt_len + gen_len, dtype=np.float64)
    decode = operators(m, dev, "decode", batch_size, contexts, *args, compat=compat)
    prefill_s = float(stage_time(prefill, dev, tensor_parallel))
    steps = np.broadcast_to(stage_time(decode, dev, tensor_parallel), contexts.shape)
    offload = 0.0
    if not viewer:  # LLM-Viewer has no capacity check
        kv_tokens = prompt_len + gen_len - 1
        weights, kv, act_p = memory_bytes(
            m, batch_size, kv_tokens, w_bit, kv_bit, tensor_parallel, prefill
        )
        # as the summary does: each decode step holds the KV cache at its fullest and the last
        # step's activations (one token's), the prefill pass its own activations
        act_d = float(np.max(activation_bytes(decode))) if len(contexts) else 0.0
        over = lambda act: max(float(weights + kv) + act - float(dev.memory), 0.0)  # noqa: E731
        offload = (over(float(act_p)) + len(contexts) * over(act_d)) / float(dev.offload)
    return Generation(
        prefill_s=prefill_s,
        decode_s=float(steps.sum()),
        decode_steps=len(contexts),
        offload_s=offload,
        generated_tokens=batch_size * gen_len,
    )
