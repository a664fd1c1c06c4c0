from __future__ import annotations

import json
import sys
import textwrap

import pytest

from archgym.simulator import (
    EvaluationError,
    ExternalSimulator,
    Metric,
    parse_metrics,
    render_config,
)
from archgym.space import DesignSpace, Integer
from archgym.testing import check_simulator

SPACE = DesignSpace([Integer("ways", 1, 8), Integer("sets", 1, 64)])
METRICS = [Metric("miss_rate", "ratio", "min"), Metric("area_mm2", "mm2", "min")]

# A stand-in "binary": reads the JSON config, misbehaves on chosen inputs.
PROGRAM = textwrap.dedent("""
    import json, sys, time
    cfg = json.load(open(sys.argv[1]))
    w, s = cfg["ways"], cfg["sets"]
    if w == 7:
        print("segfault-ish", file=sys.stderr); sys.exit(139)
    if w == 6:
        time.sleep(60)
    if w == 5:
        print("garbage output"); sys.exit(0)
    print("log line")
    print(json.dumps({"miss_rate": 1.0 / (w * s), "area_mm2": 0.01 * w * s}))
""")


@pytest.fixture
def sim(tmp_path):
    script = tmp_path / "cachesim.py"
    script.write_text(PROGRAM)
    return ExternalSimulator(
        "cachesim",
        [sys.executable, str(script), "{config}"],
        SPACE,
        METRICS,
        config_format="json",
        timeout_s=2.0,
    )


def test_external_simulator_parses_json(sim):
    out = sim.evaluate({"ways": 2, "sets": 4})
    assert out == pytest.approx({"miss_rate": 1 / 8, "area_mm2": 0.08})


@pytest.mark.parametrize(
    "ways,match",
    [(7, "exited with status 139"), (6, "timed out after 2 s"), (5, "no JSON object of metrics")],
)
def test_external_simulator_failures_are_evaluation_errors(sim, ways, match):
    with pytest.raises(EvaluationError, match=match) as err:
        sim.evaluate({"ways": ways, "sets": 1})
    if ways == 7:
        assert "segfault-ish" in err.value.stderr_tail


def test_external_simulator_regex_and_text_template(tmp_path):
    script = tmp_path / "sim.sh"
    script.write_text(
        '#!/bin/sh\nWAYS=$(grep ways "$1" | cut -d= -f2)\necho "misses: 0.$WAYS"\necho "area = 2.5 mm2"\n'
    )
    script.chmod(0o755)
    sim = ExternalSimulator(
        "sh",
        [str(script), "{config}"],
        SPACE,
        METRICS,
        config_format="text",
        template="ways=$ways\nsets=${sets}\n",
        patterns={"miss_rate": r"misses: ([0-9.]+)", "area_mm2": r"area = ([0-9.]+)"},
    )
    assert sim.evaluate({"ways": 3, "sets": 2}) == {"miss_rate": 0.3, "area_mm2": 2.5}
    check_simulator(sim, samples=2)


@pytest.mark.parametrize("fmt", ["json", "yaml", "ini"])
def test_render_config_formats_merge_templates(fmt):
    import configparser

    import yaml

    template = {"json": '{"clock": 1}', "yaml": "clock: 1\n", "ini": "[cache]\nclock = 1\n"}[fmt]
    text = render_config({"ways": 4, "sets": 2}, fmt, template)
    if fmt == "json":
        assert json.loads(text) == {"clock": 1, "ways": 4, "sets": 2}
    elif fmt == "yaml":
        assert yaml.safe_load(text) == {"clock": 1, "ways": 4, "sets": 2}
    else:
        parser = configparser.ConfigParser()
        parser.read_string(text)
        assert dict(parser["cache"]) == {"clock": "1", "ways": "4", "sets": "2"}


def test_bad_templates_and_outputs_are_clear():
    with pytest.raises(ValueError, match=r"placeholder 'size' is not a parameter"):
        render_config({"ways": 1}, "text", "size=$size")
    with pytest.raises(EvaluationError, match="pattern .* not found"):
        parse_metrics("nothing", METRICS[:1], {"miss_rate": r"miss=(\d+)"})
    with pytest.raises(EvaluationError, match="lacks metric 'area_mm2'"):
        parse_metrics('{"miss_rate": 1}', METRICS, None)
    with pytest.raises(ValueError, match="config_format 'toml'"):
        ExternalSimulator("x", ["true"], SPACE, METRICS, config_format="toml")  # type: ignore[arg-type]


def test_missing_binary_is_an_evaluation_error():
    sim = ExternalSimulator("nope", ["/nonexistent/binary", "{config}"], SPACE, METRICS)
    with pytest.raises(EvaluationError, match="cannot start"):
        sim.evaluate({"ways": 1, "sets": 1})


def test_batch_simulator_evaluates_one_design_through_the_batch():
    from archgym.simulator import BatchSimulator

    class Halves(BatchSimulator):
        name, version = "halves", "1"
        metrics = (Metric("half", "au"),)

        def design_space(self, workload=None):
            return SPACE

        def evaluate_batch(self, designs, workload=None):
            return [
                EvaluationError(f"odd ways {d['ways']}")
                if d["ways"] % 2
                else {"half": d["ways"] / 2}
                for d in designs
            ]

    sim = Halves()
    assert sim.evaluate({"ways": 4, "sets": 1}) == {"half": 2.0}
    with pytest.raises(EvaluationError, match="odd ways 3"):
        sim.evaluate({"ways": 3, "sets": 1})
    check_simulator(sim, samples=6)
