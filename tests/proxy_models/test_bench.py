"""The benchmark script runs end to end on tiny settings (its figures are not asserted)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_proxy.py"


def test_bench_runs_on_tiny_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_proxy", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "bench.md"
    bench.main(
        [
            "--envs",
            "archgym/Synthetic-v0,archgym/Nope-v0",
            "--n-train",
            "60",
            "--n-test",
            "20",
            "--n-single",
            "3",
            "--trees",
            "10",
            "--search-budget",
            "100",
            "--sections",
            "envs",
            "--out",
            str(out),
        ]
    )
    text = out.read_text()
    assert "| cost_au | log |" in text and "batched" in text and "Search:" in text
    assert "archgym/Nope-v0: not registered; skipped" in text


def test_issue16_sections_run_on_tiny_settings(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_proxy", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    tiny = ["--train-time-n", "40", "--dram-sizes", "40", "--n-dram-test", "30"]
    tiny += ["--threshold-n", "40", "--agents", "random", "--seeds", "1", "--slow-budget", "30"]
    tiny += ["--accesses", "100000", "--slow-backends", "cachehier"]
    bench.main(["--sections", "training,dram,threshold,slow", *tiny])
    text = capsys.readouterr().out
    assert "Training time" in text and "previous default" in text
    assert "learning curve" in text and "reference et" in text
    assert "Hybrid threshold" in text and "cachehier" in text and "x fewer" in text
    assert 'Hybrid threshold (cost_model="hybrid")' in text and "all simulated" in text
