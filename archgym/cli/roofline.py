"""``archgym roofline``: analyze an LLM on a device, print the table and write it with its plot.

Example:
    archgym roofline --model llama-2-7b --hardware a100 --batch 8 --seq-len 3968
    archgym roofline --model ./my-model/config.json --hardware h100 --stage prefill --flash --w-bit 8 --out plots/
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from archgym.cli._common import console, fail
from archgym.simulators.roofline import hardware_names, model_names


def roofline(
    model: Annotated[
        str, typer.Option(help=f"built-in model ({', '.join(model_names())}) or a config.json path")
    ],
    hardware: Annotated[
        str, typer.Option(help=f"built-in device ({', '.join(hardware_names())}) or a YAML file")
    ],
    batch: Annotated[int, typer.Option(min=1, help="batch size")] = 1,
    seq_len: Annotated[
        int, typer.Option(min=1, help="prompt length (prefill) / cached context (decode)")
    ] = 1024,
    gen_len: Annotated[
        int, typer.Option(min=1, help="new tokens, for the end-to-end summary")
    ] = 128,
    stage: Annotated[str, typer.Option(help="prefill or decode")] = "decode",
    w_bit: Annotated[int, typer.Option(help="weight bits: 4, 8, 16, 32")] = 16,
    a_bit: Annotated[int, typer.Option(help="activation bits")] = 16,
    kv_bit: Annotated[int, typer.Option(help="KV cache bits")] = 16,
    flash: Annotated[bool, typer.Option("--flash/--no-flash", help="FlashAttention")] = False,
    tp: Annotated[int, typer.Option(min=1, help="tensor-parallel devices")] = 1,
    compat: Annotated[
        str | None,
        typer.Option(help="llm-viewer: reproduce LLM-Viewer's numbers, quirks included"),
    ] = None,
    out: Annotated[Path, typer.Option(help="directory for the CSV table and PNG plot")] = Path("."),
) -> None:
    """Per-operator roofline of LLM inference: prints the table and summary, writes CSV + PNG."""
    from archgym.simulators.roofline import CatalogError, analyze
    from archgym.simulators.roofline.report import summary_text, write_report

    kwargs = dict(
        batch_size=batch,
        seq_len=seq_len,
        w_bit=w_bit,
        a_bit=a_bit,
        kv_bit=kv_bit,
        use_flash_attention=flash,
        tensor_parallel=tp,
        compat=compat,
    )
    try:
        result = analyze(model, hardware, stage, gen_len=gen_len, **kwargs)  # type: ignore[arg-type]
        csv_path, png_path = write_report(result, out)
    except (CatalogError, ValueError) as err:
        fail(err)
    table = Table("op", "count", "GOPs", "MB moved", "OP/byte", "bound", "time µs", "total ms")
    for r in result.ops.itertuples():
        table.add_row(
            r.op,
            f"{r.count:g}",
            f"{r.ops / 1e9:.3f}",
            f"{r.memory_access_bytes / 1e6:.3f}",
            f"{r.arithmetic_intensity:.2f}",
            r.bound,
            f"{r.time_s * 1e6:.2f}",
            f"{r.count * r.time_s * 1e3:.3f}",
        )
    console.print(table)
    console.print(summary_text(result))
    console.print(f"wrote {csv_path} and {png_path}")
