"""Write a roofline analysis to disk: the per-operator table (CSV), the plot (PNG) and a text summary.

Example:
    >>> import tempfile
    >>> from archgym.simulators.roofline import analyze
    >>> from archgym.simulators.roofline.report import write_report
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_report(analyze("llama-2-7b", "a100", batch_size=8, seq_len=3968), tmp)
    ...     sorted(p.suffix for p in paths)
    ['.csv', '.png']
"""

from __future__ import annotations

from pathlib import Path

from archgym.simulators.roofline.analyzer import RooflineResult
from archgym.simulators.roofline.plot import plot_roofline


def summary_text(result: RooflineResult) -> str:
    """The summary a person reads: service times, throughput and memory against capacity."""
    s, st = result.summary, result.settings
    other = "decode" if result.stage == "prefill" else "prefill"
    if s["fits"]:
        fit = "fits"
    else:
        fit = (
            f"DOES NOT FIT: {s['prefill_offload_s_per_pass'] * 1e3:.1f} ms per prefill pass and "
            f"{s['decode_offload_s_per_pass'] * 1e3:.1f} ms per decode step streaming the excess"
        )
    compat = f", as {st['compat']} computes it" if st.get("compat") else ""
    return "\n".join(
        [
            f"{result.model.name} on {result.hardware.name}: batch {st['batch_size']}, prompt {st['seq_len']} + "
            f"{st['gen_len']} new tokens, W{st['w_bit']}A{st['a_bit']}KV{st['kv_bit']}, "
            f"flash attention {'on' if st['use_flash_attention'] else 'off'}, tensor parallel {st['tensor_parallel']}",
            f"  {result.stage} pass: {result.total_time_s * 1e3:.3f} ms",
            f"  TTFT {s['ttft_s'] * 1e3:.2f} ms, TPOT {s['tpot_s'] * 1e3:.3f} ms, end-to-end {s['e2e_s'] * 1e3:.1f} ms, "
            f"{s['throughput_tok_s']:.1f} tokens/s",
            f"  {result.stage} memory per device{compat}: weights {s['weights_bytes'] / 1e9:.2f} GB + KV cache "
            f"{s['kv_cache_bytes'] / 1e9:.2f} GB + activations {s['activation_bytes'] / 1e6:.2f} MB = "
            f"{s['memory_bytes'] / 1e9:.2f} GB of {s['capacity_bytes'] / 1e9:.0f} GB "
            f"({other}: {s[f'{other}_memory_bytes'] / 1e9:.2f} GB; {fit})",
        ]
    )


def write_report(result: RooflineResult, out_dir: str | Path = ".") -> tuple[Path, Path]:
    """Write ``roofline_<model>_<hardware>_<stage>_b<batch>_s<seq>.{csv,png}`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    st = result.settings
    device = result.hardware.name.replace(" ", "-")
    stem = f"roofline_{Path(result.model.name).name}_{device}_{result.stage}_b{st['batch_size']}_s{st['seq_len']}"
    csv_path, png_path = out / f"{stem}.csv", out / f"{stem}.png"
    result.ops.to_csv(csv_path, index=False)
    plot_roofline(result, png_path)
    return csv_path, png_path
