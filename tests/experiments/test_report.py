"""The report: PNG plots, Markdown and a self-contained HTML page, checked in headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from archgym.experiments.executors import run_sweep
from archgym.experiments.report import markdown_table, write_report
from archgym.store import Store

if TYPE_CHECKING:  # the fixture's type, for annotations only
    from tests.experiments.conftest import MakeSpec

ENV = "archgym/Synthetic-v0"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def report_dir(make_spec: MakeSpec, tmp_path: Path) -> Path:
    pareto = {"type": "pareto", "metrics": ["cost_au", "area_au"]}
    spec = make_spec(
        seeds=2,
        budget=15,
        envs=[ENV, {"id": ENV, "objective": pareto}],
        agents=["random", {"name": "walk", "grid": {"step_size": [1, 2]}}],
    )
    run_sweep(spec, executor="serial")
    with Store(spec.store) as store:
        write_report(store, tmp_path / "report", targets={ENV: -3.0})
    return tmp_path / "report"


def test_report_files(report_dir: Path) -> None:
    pngs = sorted(p.name for p in report_dir.glob("*.png"))
    # one env id with two objectives: two variants, each with its own plots
    assert pngs == [
        "best_so_far_archgym_Synthetic-v0_minimize_cost_au.png",
        "best_so_far_archgym_Synthetic-v0_pareto_cost_au_area_au.png",
        "lottery_archgym_Synthetic-v0_minimize_cost_au.png",
        "lottery_archgym_Synthetic-v0_pareto_cost_au_area_au.png",
        "pareto_archgym_Synthetic-v0_pareto_cost_au_area_au.png",
    ]
    assert all((report_dir / p).read_bytes().startswith(PNG) for p in pngs)
    md = (report_dir / "summary.md").read_text()
    assert (
        "## archgym/Synthetic-v0 [pareto cost_au,area_au]" in md
        and "| agent | settings tried |" in md
    )
    assert "Hyperparameter lottery" in md and "Pareto: hypervolume" in md
    assert all(f"]({p})" in md for p in pngs)
    assert (report_dir / "trials.csv").read_text().count("\n") == 1 + 2 * 3 * 2


def test_html_is_self_contained(report_dir: Path) -> None:
    page = (report_dir / "report.html").read_text()
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == 5 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "<link" not in page and "<script" not in page


def test_markdown_table_escapes_pipes_and_formats_numbers() -> None:
    import pandas as pd

    text = markdown_table(pd.DataFrame({"a": ["x|y"], "b": [1.234567], "c": [float("nan")]}))
    assert text.splitlines() == ["| a | b | c |", "| --- | --- | --- |", "| x\\|y | 1.235 | – |"]


CHECK = """<script>
window.addEventListener("load", () => {
  const imgs = [...document.images];
  const ok = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
  const rows = document.querySelectorAll("table tbody tr").length;
  const out = document.createElement("pre");
  out.id = "check";
  out.textContent = `images=${imgs.length} loaded=${ok} tables=${document.querySelectorAll("table").length} rows=${rows}`;
  document.body.appendChild(out);
});
</script></body>"""


def find_chromium() -> str | None:
    """The headless browser (Debian's ``chromium``) if the machine has it; the test skips otherwise
    rather than installing system packages from inside the suite."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def render_in_chromium(page: str, tmp_path: Path) -> tuple[int, int, int, int]:
    """Load ``page`` in headless Chromium with :data:`CHECK` and return (images, loaded, tables,
    rows) as the browser saw them; skips when the machine has no Chromium."""
    browser = find_chromium()
    if browser is None:
        pytest.skip("Debian's chromium package is not installed (apt-get install chromium)")
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", CHECK))
    out = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            probe.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r"images=(\d+) loaded=(\d+) tables=(\d+) rows=(\d+)", out.stdout)
    assert found, f"no probe output from chromium: {out.stderr[-2000:]}"
    images, loaded, tables, rows = map(int, found.groups())
    return images, loaded, tables, rows


def test_report_renders_in_headless_chromium(report_dir: Path, tmp_path: Path) -> None:
    # A copy with a probe that reports, after load, how many images decoded and tables rendered.
    page = (report_dir / "report.html").read_text()
    images, loaded, tables, rows = render_in_chromium(page, tmp_path)
    assert images == loaded == 5
    assert tables == 5  # per env variant: comparison and lottery; the Pareto one also hypervolume
    assert rows == 2 * (2 + 2) + 3
