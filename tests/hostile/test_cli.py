"""Hostile input to every ``archgym`` command, in-process through Typer's CliRunner: 260 cases.

Each case asserts exit status 2, one ``error:`` line (or Click's usage error) naming the bad
option, value, file or line, no traceback, and that every evaluation already in the store
(``runs.db``, a copy of a finished run) is still there afterwards.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.hostile.conftest import assert_refused, invoke, snapshot

SYN = "archgym/Synthetic-v0"
RUN = ["run", "--store", "runs.db", "--budget", "3"]


@dataclass
class Case:
    id: str
    args: list[str]
    names: tuple[str, ...]
    files: dict[str, str | bytes] = field(default_factory=dict)
    setup: Callable[[Path], None] | None = None
    code: int = 2


def case(id: str, args: list[str], *names: str, code: int = 2, setup=None, **files) -> Case:
    return Case(id, args, names, {k.replace("__", "."): v for k, v in files.items()}, setup, code)


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _garbage_store(work: Path) -> None:
    (work / "bad.db").write_bytes(b"this is not SQLite\n" * 200)


def _truncated_store(work: Path) -> None:
    shutil.copy(work / "runs.db", work / "cut.db")
    _truncate(work / "cut.db")


def _dir(name: str) -> Callable[[Path], None]:
    return lambda work: (work / name).mkdir()


def _module(work: Path) -> None:
    (work / "mylab").mkdir()
    (work / "mylab" / "__init__.py").write_text("")
    (work / "mylab" / "broken.py").write_text("raise RuntimeError('half-written module')\n")
    (work / "mylab" / "typo.py").write_text("import archgym\narchgym.register_env('x/Y-v0', 3)\n")


def _proxy(kind: str) -> Callable[[Path], None]:
    def make(work: Path) -> None:
        model = work / "model"
        model.mkdir()
        if kind == "garbage":
            (model / _card()).write_text("{not json")
        elif kind == "list":
            (model / _card()).write_text("[1, 2]")
        elif kind == "format":
            (model / _card()).write_text(json.dumps({"format": "pickle-v9"}))
        elif kind == "missing-fields":
            (model / _card()).write_text(json.dumps({"format": _format()}))
        elif kind == "missing-file":
            (model / _card()).write_text(
                json.dumps({"format": _format(), "files": {"data.json": "0" * 64}})
            )

    return make


def _card() -> str:
    from archgym.proxy_models.model import CARD

    return CARD


def _format() -> str:
    from archgym.proxy_models.model import FORMAT

    return FORMAT


SPEC = "budget: 5\nseeds: 1\nenvs: [archgym/Synthetic-v0]\nagents: [random]\n"
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)
TRACE_OK = "0:\tread\t0x1000\n10:\twrite\t0x2000\n"
LAYERS_HEAD = (
    "name,kind,batch,in_h,in_w,in_c,out_c,r,s,stride,padding,groups,gemm_m,gemm_n,gemm_k,repeat\n"
)
SOC_OK = "name: g\ntasks:\n  - name: a\n    core_cycles: 100\n  - name: b\n    core_cycles: 50\nedges:\n  - [a, b, 64]\n"


def spec_with(**changes: str) -> str:
    lines = {"budget": "5", "seeds": "1", "envs": "[archgym/Synthetic-v0]", "agents": "[random]"}
    lines.update(changes)
    return "".join(f"{k}: {v}\n" for k, v in lines.items() if v is not None)


CASES = [
    # -- run: ids, agents, hyperparameters -------------------------------------------------
    case("run-unknown-env", [*RUN, "--env", "nope/X-v0"], "nope/X-v0"),
    case("run-misspelt-env", [*RUN, "--env", "archgym/Dram-v0"], "did you mean", "DRAM"),
    case("run-env-no-namespace", [*RUN, "--env", "Synthetic"], "Synthetic"),
    case("run-empty-env", [*RUN, "--env", ""], "''"),
    case("run-no-env", RUN, "--env"),
    case("run-unknown-agent", [*RUN, "--env", SYN, "--agent", "nope"], "nope"),
    case("run-unknown-hp", [*RUN, "--env", SYN, "--hp", "nope=1"], "nope"),
    case(
        "run-hp-nan",
        [*RUN, "--env", SYN, "--agent", "ga", "--hp", "mutation_rate=NaN"],
        "mutation_rate",
    ),
    case(
        "run-hp-inf",
        [*RUN, "--env", SYN, "--agent", "ga", "--hp", "mutation_rate=Infinity"],
        "mutation_rate",
    ),
    case(
        "run-hp-neg-inf",
        [*RUN, "--env", SYN, "--agent", "ga", "--hp", "crossover_rate=-Infinity"],
        "crossover_rate",
    ),
    case(
        "run-hp-range",
        [*RUN, "--env", SYN, "--agent", "walk", "--hp", "restart_probability=2"],
        "restart_probability",
    ),
    case(
        "run-hp-fraction",
        [*RUN, "--env", SYN, "--agent", "ga", "--hp", "population=2.5"],
        "population",
    ),
    case(
        "run-hp-string",
        [*RUN, "--env", SYN, "--agent", "ga", "--hp", "population=many"],
        "population",
    ),
    case(
        "run-hp-bool",
        [*RUN, "--env", SYN, "--agent", "ga", "--hp", "population=true"],
        "population",
    ),
    case(
        "run-hp-list",
        [*RUN, "--env", SYN, "--agent", "ga", "--hp", "population=[1,2]"],
        "population",
    ),
    case(
        "run-hp-null",
        [*RUN, "--env", SYN, "--agent", "ga", "--hp", "population=null"],
        "population",
    ),
    case(
        "run-hp-choice",
        [*RUN, "--env", SYN, "--agent", "ga", "--hp", "crossover=three_point"],
        "crossover",
    ),
    case(
        "run-hp-huge",
        [*RUN, "--env", SYN, "--agent", "ga", "--hp", "population=1e300"],
        "population",
    ),
    case("run-hp-no-equals", [*RUN, "--env", SYN, "--hp", "mutation_rate"], "NAME=VALUE"),
    case("run-hp-no-name", [*RUN, "--env", SYN, "--hp", "=3"], "NAME=VALUE"),
    # -- run: env keywords -----------------------------------------------------------------
    case("run-env-arg-unknown", [*RUN, "--env", SYN, "--env-arg", "nope=1"], "nope"),
    case(
        "run-env-arg-typo", [*RUN, "--env", SYN, "--env-arg", "episode_lenght=4"], "episode_lenght"
    ),
    case("run-env-arg-budget-fraction", [*RUN, "--env", SYN, "--env-arg", "budget=2.7"], "budget"),
    case(
        "run-env-arg-episode-zero",
        [*RUN, "--env", SYN, "--env-arg", "episode_length=0"],
        "episode_length",
    ),
    case(
        "run-env-arg-cost-model",
        [*RUN, "--env", SYN, "--env-arg", "cost_model=magic"],
        "cost_model",
    ),
    case(
        "run-env-arg-proxy-no-model", [*RUN, "--env", SYN, "--env-arg", "cost_model=proxy"], "proxy"
    ),
    case(
        "run-env-arg-proxy-without-cost-model",
        [*RUN, "--env", SYN, "--env-arg", "proxy=m"],
        "proxy",
    ),
    case(
        "run-objective-unknown-metric",
        [*RUN, "--env", SYN, "--env-arg", 'objective={"type": "minimize", "metric": "nope"}'],
        "nope",
    ),
    case(
        "run-objective-unknown-type",
        [*RUN, "--env", SYN, "--env-arg", 'objective={"type": "maximise", "metric": "cost_au"}'],
        "maximise",
    ),
    case(
        "run-objective-nan-weight",
        [
            *RUN,
            "--env",
            SYN,
            "--env-arg",
            'objective={"type": "weighted_sum", "weights": {"cost_au": NaN}}',
        ],
        "cost_au",
    ),
    case(
        "run-objective-inf-weight",
        [
            *RUN,
            "--env",
            SYN,
            "--env-arg",
            'objective={"type": "weighted_sum", "weights": {"cost_au": Infinity}}',
        ],
        "cost_au",
    ),
    case(
        "run-objective-zero-scale",
        [
            *RUN,
            "--env",
            SYN,
            "--env-arg",
            'objective={"type": "weighted_sum", "weights": {"cost_au": 1}, "scales": {"cost_au": 0}}',
        ],
        "cost_au",
    ),
    case(
        "run-objective-target-zero",
        [
            *RUN,
            "--env",
            SYN,
            "--env-arg",
            'objective={"type": "target", "targets": {"cost_au": 0}}',
        ],
        "cost_au",
    ),
    case(
        "run-objective-not-mapping", [*RUN, "--env", SYN, "--env-arg", "objective=7"], "objective"
    ),
    case(
        "run-simulator-kwarg-unknown",
        [*RUN, "--env", SYN, "--env-arg", 'simulator_kwargs={"nope": 1}'],
        "nope",
    ),
    case(
        "run-simulator-kwargs-not-mapping",
        [*RUN, "--env", SYN, "--env-arg", "simulator_kwargs=3"],
        "simulator_kwargs",
    ),
    case(
        "run-action-encoding", [*RUN, "--env", SYN, "--env-arg", "action_encoding=polar"], "polar"
    ),
    # -- run: budget, seed, resume ---------------------------------------------------------
    case("run-budget-zero", ["run", "--env", SYN, "--budget", "0"], "--budget"),
    case("run-budget-negative", ["run", "--env", SYN, "--budget", "-5"], "--budget"),
    case("run-budget-float", ["run", "--env", SYN, "--budget", "2.7"], "--budget"),
    case("run-budget-exponent", ["run", "--env", SYN, "--budget", "1e23"], "--budget"),
    case(
        "run-budget-huge",
        ["run", "--store", "runs.db", "--env", SYN, "--budget", str(10**23)],
        "budget",
    ),
    case("run-budget-text", ["run", "--env", SYN, "--budget", "lots"], "--budget"),
    case("run-seed-negative", [*RUN, "--env", SYN, "--seed=-1"], "seed"),
    case("run-seed-huge", [*RUN, "--env", SYN, "--seed", str(10**30)], "seed"),
    case("run-seed-text", [*RUN, "--env", SYN, "--seed", "abc"], "--seed"),
    case("run-resume-unknown", ["run", "--store", "runs.db", "--resume", "99"], "99"),
    case("run-resume-negative", ["run", "--store", "runs.db", "--resume", "-1"], "-1"),
    case("run-resume-text", ["run", "--store", "runs.db", "--resume", "last"], "--resume"),
    case("run-resume-missing-store", ["run", "--store", "gone.db", "--resume", "1"], "gone.db"),
    case(
        "run-resume-garbage-store",
        ["run", "--store", "bad.db", "--resume", "1"],
        "bad.db",
        setup=_garbage_store,
    ),
    case(
        "run-resume-truncated-store",
        ["run", "--store", "cut.db", "--resume", "1"],
        "cut.db",
        setup=_truncated_store,
    ),
    # -- run: stores -----------------------------------------------------------------------
    case(
        "run-store-directory",
        ["run", "--env", SYN, "--budget", "3", "--store", "adir"],
        "adir",
        setup=_dir("adir"),
    ),
    case(
        "run-store-dev-null",
        ["run", "--env", SYN, "--budget", "3", "--store", "/dev/null"],
        "/dev/null",
    ),
    case(
        "run-store-garbage",
        ["run", "--env", SYN, "--budget", "3", "--store", "bad.db"],
        "bad.db",
        setup=_garbage_store,
    ),
    case(
        "run-store-truncated",
        ["run", "--env", SYN, "--budget", "3", "--store", "cut.db"],
        "cut.db",
        setup=_truncated_store,
    ),
    case(
        "run-store-under-a-file",
        ["run", "--env", SYN, "--budget", "3", "--store", "runs.db/x.db"],
        "runs.db",
    ),
    case(
        "run-store-text-file",
        ["run", "--env", SYN, "--budget", "3", "--store", "notes.txt"],
        "notes.txt",
        notes__txt="hello\n" * 50,
    ),
    case(
        "run-store-empty-file-name", ["run", "--env", SYN, "--budget", "3", "--store", ""], "store"
    ),
    # -- run: workloads --------------------------------------------------------------------
    case(
        "run-workload-unknown",
        [*RUN, "--env", "archgym/Accelerator-v0", "--workload", "nonet"],
        "nonet",
    ),
    case(
        "run-dram-workload-missing",
        [*RUN, "--env", "archgym/DRAM-v0", "--workload", "nope.stl"],
        "nope.stl",
    ),
    case(
        "run-soc-workload-unknown", [*RUN, "--env", "archgym/SoC-v0", "--workload", "nope"], "nope"
    ),
    case(
        "run-roofline-workload-unknown",
        [*RUN, "--env", "archgym/LLMRoofline-v0", "--workload", "nope"],
        "nope",
    ),
    # -- run: proxies ----------------------------------------------------------------------
    case("run-proxy-missing", [*RUN, "--env", SYN, "--proxy", "nomodel"], "nomodel"),
    case(
        "run-proxy-empty-dir",
        [*RUN, "--env", SYN, "--proxy", "model"],
        "model",
        setup=_dir("model"),
    ),
    case(
        "run-proxy-garbage-card",
        [*RUN, "--env", SYN, "--proxy", "model"],
        "card.json",
        setup=_proxy("garbage"),
    ),
    case(
        "run-proxy-card-list",
        [*RUN, "--env", SYN, "--proxy", "model"],
        "model",
        setup=_proxy("list"),
    ),
    case(
        "run-proxy-card-format",
        [*RUN, "--env", SYN, "--proxy", "model"],
        "pickle-v9",
        setup=_proxy("format"),
    ),
    case(
        "run-proxy-card-fields",
        [*RUN, "--env", SYN, "--proxy", "model"],
        "card.json",
        setup=_proxy("missing-fields"),
    ),
    case(
        "run-proxy-card-missing-file",
        [*RUN, "--env", SYN, "--proxy", "model"],
        "data.json",
        setup=_proxy("missing-file"),
    ),
    case("run-hybrid-without-proxy", [*RUN, "--env", SYN, "--hybrid-threshold", "0.3"], "--proxy"),
    case(
        "run-hybrid-negative",
        [*RUN, "--env", SYN, "--proxy", "m", "--hybrid-threshold", "-1"],
        "--hybrid-threshold",
    ),
    case(
        "run-hybrid-text",
        [*RUN, "--env", SYN, "--proxy", "m", "--hybrid-threshold", "high"],
        "--hybrid-threshold",
    ),
    # -- run: modules ----------------------------------------------------------------------
    case("run-module-missing", [*RUN, "-m", "nomod", "--env", SYN], "nomod"),
    case(
        "run-module-broken",
        [*RUN, "-m", "mylab.broken", "--env", SYN],
        "mylab.broken",
        "half-written",
        setup=_module,
    ),
    case(
        "run-module-bad-register",
        [*RUN, "-m", "mylab.typo", "--env", SYN],
        "mylab.typo",
        "x/Y-v0",
        setup=_module,
    ),
    case("run-module-form-missing", [*RUN, "--env", "nomod:mylab/X-v0"], "nomod"),
    case("run-module-form-unregistered", [*RUN, "--env", "json:mylab/X-v0"], "mylab/X-v0"),
    case("run-module-empty-name", [*RUN, "-m", "", "--env", SYN], "--module"),
    case("run-unknown-option", [*RUN, "--env", SYN, "--budjet", "3"], "--budjet"),
    # -- DRAM traces, via run --workload -----------------------------------------------------
    *[
        case(
            f"trace-{name}",
            [*RUN, "--env", "archgym/DRAM-v0", "--workload", "t.stl"],
            "t.stl",
            *extra,
            t__stl=text,
        )
        for name, text, extra in [
            ("empty", "", ()),
            ("only-comments", "# nothing\n\n# here\n", ()),
            ("binary", b"\x00\xff\xfe" * 100, ()),
            ("unknown-format", "hello world\n", ()),
            ("bad-op", "0:\tfetch\t0x10\n", ()),
            ("bad-second-line", TRACE_OK + "20:\tread\n", (":3",)),
            ("time-backwards", "10:\tread\t0x10\n5:\tread\t0x20\n", (":2",)),
            ("address-too-wide", "0:\tread\t0x" + "f" * 20 + "\n", ("63 bits",)),
            ("mixed-formats", TRACE_OK + "0x10 R\n", (":3",)),
            ("ramulator-bad-op", "0x10 R\n0x20 X\n", (":2",)),
            ("negative-time", "-5:\tread\t0x10\n", ()),
            ("hex-garbage", "0:\tread\t0xZZZ\n", ()),
        ]
    ],
    # -- DRAM memspecs, via simulator_kwargs -----------------------------------------------
    *[
        case(
            f"memspec-{name}",
            [
                *RUN,
                "--env",
                "archgym/DRAM-v0",
                "--env-arg",
                'simulator_kwargs={"memspec": "m.json"}',
            ],
            *names,
            m__json=text,
        )
        for name, text, names in [
            ("not-json", "{memspec", ("m.json",)),
            ("list", "[1, 2, 3]", ("m.json",)),
            ("empty-object", "{}", ("m.json",)),
            ("empty-file", "", ("m.json",)),
            ("string", '"ddr4"', ("m.json",)),
        ]
    ],
    case(
        "memspec-missing",
        [
            *RUN,
            "--env",
            "archgym/DRAM-v0",
            "--env-arg",
            'simulator_kwargs={"memspec": "none.json"}',
        ],
        "none.json",
    ),
    case(
        "memspec-unknown-builtin",
        [*RUN, "--env", "archgym/DRAM-v0", "--env-arg", 'simulator_kwargs={"memspec": "ddr9"}'],
        "ddr9",
    ),
    case(
        "dram-mapping-unknown",
        [*RUN, "--env", "archgym/DRAM-v0", "--env-arg", 'simulator_kwargs={"mapping": "zigzag"}'],
        "zigzag",
    ),
    # -- accelerator layer CSVs and SCALE-Sim topologies -----------------------------------
    *[
        case(
            f"layers-{name}",
            [*RUN, "--env", "archgym/Accelerator-v0", "--workload", "net.csv"],
            "net.csv",
            *extra,
            net__csv=text,
        )
        for name, text, extra in [
            ("empty", "", ()),
            ("header-only", LAYERS_HEAD, ()),
            ("comment-only", "# nothing\n", ()),
            ("not-csv", "\x00\x01binary\xff", ()),
            ("non-integer", LAYERS_HEAD + "c,conv,1,32,32,3,16,3,3,1,1,1,,,,x\n", ("repeat",)),
            ("zero-channels", LAYERS_HEAD + "c,conv,1,32,32,0,16,3,3,1,1,1,,,,1\n", ("in_c",)),
            ("negative", LAYERS_HEAD + "c,conv,1,32,32,3,-16,3,3,1,1,1,,,,1\n", ("out_c",)),
            ("fractional", LAYERS_HEAD + "c,conv,1,32.5,32,3,16,3,3,1,1,1,,,,1\n", ("in_h",)),
            (
                "unknown-column",
                "name,kind,gemm_m,gemm_n,gemm_k,colour\ng,gemm,4,4,4,red\n",
                ("colour",),
            ),
            ("short-row", LAYERS_HEAD + "c,conv,1,32\n", ()),
            ("unknown-kind", "name,kind,gemm_m,gemm_n,gemm_k\ng,lstm,4,4,4\n", ("lstm",)),
            (
                "overflow",
                "name,kind,gemm_m,gemm_n,gemm_k\ng,gemm,100000000,100000000,100000000\n",
                ("MACs",),
            ),
            (
                "overflow-conv",
                LAYERS_HEAD + "c,conv,1,100000000,100000000,64,64,3,3,1,1,1,,,,1\n",
                ("MACs",),
            ),
            ("dwconv-groups", LAYERS_HEAD + "c,dwconv,1,32,32,8,8,3,3,1,1,4,,,,1\n", ("groups",)),
            ("filter-too-big", LAYERS_HEAD + "c,conv,1,4,4,3,16,9,9,1,0,1,,,,1\n", ()),
            (
                "scalesim-bad-number",
                "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nc1, 32, 32, 3, 3, three, 16, 1,\n",
                ("Channels",),
            ),
            (
                "scalesim-filter-exceeds",
                "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nc1, 2, 2, 3, 3, 3, 16, 1,\n",
                ("Filter",),
            ),
            (
                "scalesim-short",
                "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nc1, 32, 32,\n",
                (),
            ),
            ("scalesim-gemm-zero", "Layer, M, N, K,\ng, 0, 4, 4,\n", ()),
            ("scalesim-gemm-text", "Layer, M, N, K,\ng, 4, four, 4,\n", ("N",)),
            (
                "scalesim-overflow",
                "Layer, M, N, K,\ng, 100000000, 100000000, 100000000,\n",
                ("MACs",),
            ),
        ]
    ],
    case(
        "layers-missing",
        [*RUN, "--env", "archgym/Accelerator-v0", "--workload", "none.csv"],
        "none.csv",
    ),
    # -- SoC task graphs (YAML and JSON) -----------------------------------------------------
    *[
        case(
            f"soc-{name}",
            [*RUN, "--env", "archgym/SoC-v0", "--workload", f"w.{suffix}"],
            f"w.{suffix}",
            *extra,
            **{f"w__{suffix}": text},
        )
        for name, suffix, text, extra in [
            ("duplicate-key", "yaml", "name: g\nname: h\ntasks: []\n", ("line 2", "name")),
            (
                "unknown-task-key",
                "yaml",
                SOC_OK.replace("core_cycles: 50", "core_cylces: 50"),
                ("core_cylces", "line 6"),
            ),
            (
                "unknown-accel-key",
                "yaml",
                "name: g\ntasks:\n  - name: a\n    core_cycles: 10\n    accel: {cycles: 1, energy_fj: 1, area_um2: 1, speed: 9}\n",
                ("speed", "line 5"),
            ),
            ("unknown-top-key", "yaml", SOC_OK + "deadline: 3\n", ("deadline", "line 9")),
            (
                "unknown-budget-key",
                "yaml",
                SOC_OK + "budget: {latency_ms: 1, weight_g: 3}\n",
                ("weight_g",),
            ),
            ("cycle", "yaml", SOC_OK + "  - [b, a, 8]\n", ("cycle",)),
            ("edge-to-unknown", "yaml", SOC_OK + "  - [a, z, 8]\n", ("z",)),
            ("negative-cycles", "yaml", SOC_OK.replace("100", "-100"), ("core_cycles",)),
            ("text-cycles", "yaml", SOC_OK.replace("100", "many"), ("core_cycles",)),
            ("not-mapping", "yaml", "- a\n- b\n", ()),
            ("tasks-not-list", "yaml", "name: g\ntasks: 3\n", ("tasks",)),
            ("no-tasks", "yaml", "name: g\n", ("tasks",)),
            ("bad-yaml", "yaml", "name: g\ntasks: [\n", ("line",)),
            ("alias-bomb", "yaml", BOMB, ("alias",)),
            ("edge-shape", "yaml", SOC_OK + "  - [a, b]\n", ("edges[1]",)),
            ("bad-json", "json", '{"name": "g", "tasks": [}', ("JSON",)),
            ("empty", "yaml", "", ()),
        ]
    ],
    # -- sweep specs, via sweep --dry-run ----------------------------------------------------
    *[
        case(f"sweep-{name}", ["sweep", "s.yaml", "--dry-run"], *names, s__yaml=text)
        for name, text, names in [
            ("duplicate-key", SPEC + "budget: 9\n", ("budget", "line 5")),
            ("alias-bomb", SPEC + BOMB, ("alias",)),
            (
                "samples-huge",
                spec_with(agents="[{name: walk, samples: 100000000}]"),
                ("100,000,000", "trials"),
            ),
            ("samples-exponent", spec_with(agents="[{name: walk, samples: 1.0e8}]"), ("samples",)),
            (
                "grid-huge",
                spec_with(
                    agents="[{name: ga, grid: {population: [2,3,4,5,6,7,8,9,10,11], tournament: [1,2,3,4,5,6,7,8,9,10], crossover_rate: [0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0], mutation_rate: [0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0], elitism: [0,1,2,3,4,5,6,7,8,9]}}]"
                ),
                ("100,000", "trials"),
            ),
            ("seeds-huge", spec_with(seeds="1000000000"), ("seeds",)),
            ("seeds-negative", spec_with(seeds="[-1, 2]"), ("seeds",)),
            ("seeds-text", spec_with(seeds="some"), ("seeds",)),
            ("budget-fraction", spec_with(budget="2.7"), ("budget",)),
            ("budget-zero", spec_with(budget="0"), ("budget",)),
            ("budget-text", spec_with(budget="lots"), ("budget",)),
            ("budget-missing", spec_with(budget=None), ("budget",)),
            ("unknown-key", SPEC + "retries: 3\n", ("retries",)),
            ("unknown-env", spec_with(envs="[nope/X-v0]"), ("nope/X-v0",)),
            ("unknown-agent", spec_with(agents="[nope]"), ("nope",)),
            (
                "unknown-hp",
                spec_with(agents="[{name: walk, hyperparameters: {nope: 1}}]"),
                ("nope",),
            ),
            (
                "hp-nan",
                spec_with(agents="[{name: ga, hyperparameters: {mutation_rate: .nan}}]"),
                ("mutation_rate",),
            ),
            (
                "hp-inf",
                spec_with(agents="[{name: ga, hyperparameters: {crossover_rate: .inf}}]"),
                ("crossover_rate",),
            ),
            (
                "grid-nan",
                spec_with(agents="[{name: ga, grid: {mutation_rate: [0.1, .nan]}}]"),
                ("mutation_rate",),
            ),
            ("grid-not-list", spec_with(agents="[{name: ga, grid: {population: 8}}]"), ("grid",)),
            (
                "grid-and-fixed",
                spec_with(
                    agents="[{name: ga, hyperparameters: {population: 8}, grid: {population: [4, 8]}}]"
                ),
                ("population",),
            ),
            ("samples-negative", spec_with(agents="[{name: walk, samples: -2}]"), ("samples",)),
            ("agent-no-name", spec_with(agents="[{grid: {step_size: [1]}}]"), ("name",)),
            ("agent-unknown-key", spec_with(agents="[{name: walk, seeds: 3}]"), ("seeds",)),
            ("envs-empty", spec_with(envs="[]"), ("envs",)),
            ("agents-empty", spec_with(agents="[]"), ("agents",)),
            ("envs-not-list", spec_with(envs="archgym/Synthetic-v0"), ("envs",)),
            (
                "env-unknown-key",
                spec_with(envs="[{id: archgym/Synthetic-v0, budget: 3}]"),
                ("budget",),
            ),
            (
                "env-kwargs-unknown",
                spec_with(envs="[{id: archgym/Synthetic-v0, kwargs: {nope: 1}}]"),
                ("nope",),
            ),
            (
                "env-kwargs-not-mapping",
                spec_with(envs="[{id: archgym/Synthetic-v0, kwargs: 3}]"),
                ("kwargs",),
            ),
            (
                "env-objective-bad",
                spec_with(
                    envs="[{id: archgym/Synthetic-v0, objective: {type: minimize, metric: nope}}]"
                ),
                ("nope",),
            ),
            (
                "env-objective-nan",
                spec_with(
                    envs="[{id: archgym/Synthetic-v0, objective: {type: weighted_sum, weights: {cost_au: .nan}}}]"
                ),
                ("cost_au",),
            ),
            (
                "env-target-text",
                spec_with(envs="[{id: archgym/Synthetic-v0, target: high}]"),
                ("target",),
            ),
            ("env-no-id", spec_with(envs="[{target: 3}]"), ("id",)),
            ("executor", SPEC + "executor: cloud\n", ("cloud",)),
            ("workers-zero", SPEC + "workers: 0\n", ("workers",)),
            ("not-mapping", "- budget\n- 5\n", ("s.yaml",)),
            ("empty", "", ("s.yaml",)),
            ("bad-yaml", "budget: [5\nenvs: x\n", ("s.yaml", "line")),
            ("tab-indent", "budget: 5\nenvs:\n\t- x\n", ("s.yaml",)),
            ("python-tag", SPEC + "name: !!python/object/apply:os.system [echo hi]\n", ("s.yaml",)),
        ]
    ],
    case("sweep-missing-file", ["sweep", "none.yaml", "--dry-run"], "none.yaml"),
    case("sweep-directory", ["sweep", "adir", "--dry-run"], "adir", setup=_dir("adir")),
    case(
        "sweep-executor-option",
        ["sweep", "s.yaml", "--executor", "cloud", "--dry-run"],
        "cloud",
        s__yaml=SPEC,
    ),
    case("sweep-workers-option", ["sweep", "s.yaml", "--workers", "0"], "--workers", s__yaml=SPEC),
    case(
        "sweep-store-directory",
        ["sweep", "s.yaml", "--store", "adir"],
        "adir",
        s__yaml=SPEC,
        setup=_dir("adir"),
    ),
    case(
        "sweep-store-garbage",
        ["sweep", "s.yaml", "--store", "bad.db", "--dry-run"],
        "bad.db",
        s__yaml=SPEC,
        setup=_garbage_store,
    ),
    # -- compare ---------------------------------------------------------------------------
    case(
        "compare-unknown-env", ["compare", "--env", "nope/X-v0", "--store", "runs.db"], "nope/X-v0"
    ),
    case(
        "compare-unknown-agent",
        ["compare", "--env", SYN, "--agents", "random,nope", "--store", "runs.db"],
        "nope",
    ),
    case(
        "compare-no-agents",
        ["compare", "--env", SYN, "--agents", ",", "--store", "runs.db"],
        "agents",
    ),
    case("compare-seeds-zero", ["compare", "--env", SYN, "--seeds", "0"], "--seeds"),
    case("compare-budget-zero", ["compare", "--env", SYN, "--budget", "0"], "--budget"),
    case(
        "compare-env-arg",
        ["compare", "--env", SYN, "--env-arg", "nope=1", "--store", "runs.db"],
        "nope",
    ),
    case("compare-target-text", ["compare", "--env", SYN, "--target", "high"], "--target"),
    case(
        "compare-executor",
        ["compare", "--env", SYN, "--executor", "cloud", "--store", "runs.db"],
        "cloud",
    ),
    case("compare-workers-zero", ["compare", "--env", SYN, "--workers", "0"], "--workers"),
    case(
        "compare-proxy-missing",
        ["compare", "--env", SYN, "--proxy", "nomodel", "--store", "runs.db"],
        "nomodel",
    ),
    case(
        "compare-store-directory",
        [
            "compare",
            "--env",
            SYN,
            "--budget",
            "2",
            "--seeds",
            "1",
            "--store",
            "adir",
            "--executor",
            "serial",
        ],
        "adir",
        setup=_dir("adir"),
    ),
    case(
        "compare-save-spec-missing-dir",
        ["compare", "--env", SYN, "--save-spec", "no/dir/s.yaml", "--store", "runs.db"],
        "no/dir/s.yaml",
    ),
    # -- report ----------------------------------------------------------------------------
    case("report-missing-store", ["report", "none.db"], "none.db"),
    case("report-garbage-store", ["report", "bad.db"], "bad.db", setup=_garbage_store),
    case("report-truncated-store", ["report", "cut.db"], "cut.db", setup=_truncated_store),
    case("report-store-directory", ["report", "adir"], "adir", setup=_dir("adir")),
    case("report-target-no-equals", ["report", "runs.db", "--target", "high"], "NAME=VALUE"),
    case("report-target-text", ["report", "runs.db", "--target", f"{SYN}=high"], "--target"),
    case("report-spec-missing", ["report", "runs.db", "--spec", "none.yaml"], "none.yaml"),
    case(
        "report-spec-bad",
        ["report", "runs.db", "--spec", "s.yaml"],
        "s.yaml",
        s__yaml="budget: [\n",
    ),
    case("report-out-is-file", ["report", "runs.db", "--out", "f.txt"], "f.txt", f__txt="x"),
    # -- export ----------------------------------------------------------------------------
    case("export-format", ["export", "--store", "runs.db", "--format", "xml"], "xml"),
    case(
        "export-unknown-env",
        ["export", "--store", "runs.db", "--env", "unknown/X-v0", "--format", "csv"],
        "unknown/X-v0",
    ),
    case(
        "export-unknown-agent",
        ["export", "--store", "runs.db", "--agent", "nope", "--format", "csv"],
        "nope",
    ),
    case(
        "export-missing-dir",
        ["export", "--store", "runs.db", "--out", "no/dir/x.csv", "--format", "csv"],
        "no/dir",
    ),
    case(
        "export-out-directory",
        ["export", "--store", "runs.db", "--out", "adir", "--format", "csv"],
        "adir",
        setup=_dir("adir"),
    ),
    case("export-missing-store", ["export", "--store", "none.db"], "none.db"),
    case(
        "export-garbage-store",
        ["export", "--store", "bad.db", "--format", "csv"],
        "bad.db",
        setup=_garbage_store,
    ),
    case(
        "export-truncated-store",
        ["export", "--store", "cut.db", "--format", "csv"],
        "cut.db",
        setup=_truncated_store,
    ),
    case(
        "export-store-directory",
        ["export", "--store", "adir", "--format", "csv"],
        "adir",
        setup=_dir("adir"),
    ),
    # -- describe, check, envs, agents -----------------------------------------------------
    case("describe-unknown", ["describe", "nope/X-v0"], "nope/X-v0"),
    case("describe-misspelt", ["describe", "archgym/synthetic-v0"], "did you mean"),
    case(
        "describe-bad-workload",
        ["describe", "archgym/Accelerator-v0", "--workload", "nonet"],
        "nonet",
    ),
    case("describe-module-form", ["describe", "nomod:x/Y-v0"], "nomod"),
    case("describe-no-id", ["describe"], "ENV_ID"),
    case("check-unknown", ["check", "nope/X-v0"], "nope/X-v0"),
    case("check-module-missing", ["check", "-m", "nomod", SYN], "nomod"),
    case("envs-module-missing", ["envs", "-m", "nomod"], "nomod"),
    case("envs-module-broken", ["envs", "-m", "mylab.broken"], "mylab.broken", setup=_module),
    case("agents-module-missing", ["agents", "--module", "nomod"], "nomod"),
    # -- roofline --------------------------------------------------------------------------
    case(
        "roofline-unknown-model",
        ["roofline", "--model", "gpt-9", "--hardware", "a100", "--out", "."],
        "gpt-9",
    ),
    case(
        "roofline-unknown-hardware",
        ["roofline", "--model", "llama-2-7b", "--hardware", "tpu9", "--out", "."],
        "tpu9",
    ),
    case(
        "roofline-stage",
        [
            "roofline",
            "--model",
            "llama-2-7b",
            "--hardware",
            "a100",
            "--stage",
            "train",
            "--out",
            ".",
        ],
        "train",
    ),
    case(
        "roofline-bits",
        ["roofline", "--model", "llama-2-7b", "--hardware", "a100", "--w-bit", "3", "--out", "."],
        "w_bit",
    ),
    case(
        "roofline-batch-zero",
        ["roofline", "--model", "llama-2-7b", "--hardware", "a100", "--batch", "0"],
        "--batch",
    ),
    case(
        "roofline-hardware-yaml-dup",
        ["roofline", "--model", "llama-2-7b", "--hardware", "hw.yaml", "--out", "."],
        "hw.yaml",
        "line",
        hw__yaml="name: x\nname: y\n",
    ),
    case(
        "roofline-hardware-yaml-bomb",
        ["roofline", "--model", "llama-2-7b", "--hardware", "hw.yaml", "--out", "."],
        "hw.yaml",
        "alias",
        hw__yaml=BOMB,
    ),
    case(
        "roofline-model-json-bad",
        ["roofline", "--model", "cfg.json", "--hardware", "a100", "--out", "."],
        "cfg.json",
        cfg__json="{not json",
    ),
    case(
        "roofline-model-json-fields",
        ["roofline", "--model", "cfg.json", "--hardware", "a100", "--out", "."],
        "cfg.json",
        cfg__json='{"hidden_size": "big"}',
    ),
    case(
        "roofline-out-is-file",
        ["roofline", "--model", "llama-2-7b", "--hardware", "a100", "--out", "f.txt"],
        "f.txt",
        f__txt="x",
    ),
    # -- proxy train / eval / select -------------------------------------------------------
    case(
        "proxy-train-missing-store",
        ["proxy", "train", "--env", SYN, "--out", "m", "--store", "none.db"],
        "none.db",
    ),
    case(
        "proxy-train-unknown-env",
        ["proxy", "train", "--env", "nope/X-v0", "--out", "m", "--store", "runs.db"],
        "nope/X-v0",
    ),
    case(
        "proxy-train-env-without-runs",
        ["proxy", "train", "--env", "archgym/DRAM-v0", "--out", "m", "--store", "runs.db"],
        "archgym/DRAM-v0",
    ),
    case(
        "proxy-train-model",
        ["proxy", "train", "--env", SYN, "--out", "m", "--store", "runs.db", "--model", "svm"],
        "svm",
    ),
    case(
        "proxy-train-candidates",
        [
            "proxy",
            "train",
            "--env",
            SYN,
            "--out",
            "m",
            "--store",
            "runs.db",
            "--candidates",
            "rf,nope",
        ],
        "nope",
    ),
    case(
        "proxy-train-folds",
        ["proxy", "train", "--env", SYN, "--out", "m", "--folds", "1"],
        "--folds",
    ),
    case(
        "proxy-train-test-fraction",
        ["proxy", "train", "--env", SYN, "--out", "m", "--test-fraction", "2"],
        "--test-fraction",
    ),
    case(
        "proxy-train-metric",
        ["proxy", "train", "--env", SYN, "--out", "m", "--store", "runs.db", "--metric", "nope"],
        "nope",
    ),
    case(
        "proxy-train-agent",
        ["proxy", "train", "--env", SYN, "--out", "m", "--store", "runs.db", "--agent", "nope"],
        "nope",
    ),
    case(
        "proxy-train-run-id",
        ["proxy", "train", "--env", SYN, "--out", "m", "--store", "runs.db", "--run-id", "99"],
        "99",
    ),
    case(
        "proxy-train-garbage-store",
        ["proxy", "train", "--env", SYN, "--out", "m", "--store", "bad.db"],
        "bad.db",
        setup=_garbage_store,
    ),
    case("proxy-eval-missing", ["proxy", "eval", "nomodel", "--store", "runs.db"], "nomodel"),
    case(
        "proxy-eval-empty-dir",
        ["proxy", "eval", "model", "--store", "runs.db"],
        "model",
        setup=_dir("model"),
    ),
    case(
        "proxy-eval-garbage-card",
        ["proxy", "eval", "model", "--store", "runs.db"],
        "card.json",
        setup=_proxy("garbage"),
    ),
    case(
        "proxy-eval-card-list",
        ["proxy", "eval", "model", "--store", "runs.db"],
        "model",
        setup=_proxy("list"),
    ),
    case(
        "proxy-eval-card-format",
        ["proxy", "eval", "model", "--store", "runs.db"],
        "pickle-v9",
        setup=_proxy("format"),
    ),
    case(
        "proxy-eval-card-fields",
        ["proxy", "eval", "model", "--store", "runs.db"],
        "card.json",
        setup=_proxy("missing-fields"),
    ),
    case(
        "proxy-eval-card-missing-file",
        ["proxy", "eval", "model", "--store", "runs.db"],
        "data.json",
        setup=_proxy("missing-file"),
    ),
    case(
        "proxy-select-unknown-env",
        ["proxy", "select", "--env", "nope/X-v0", "--store", "runs.db"],
        "nope/X-v0",
    ),
    case(
        "proxy-select-candidates",
        ["proxy", "select", "--env", SYN, "--store", "runs.db", "--candidates", "nope"],
        "nope",
    ),
    case("proxy-select-folds", ["proxy", "select", "--env", SYN, "--folds", "0"], "--folds"),
    case(
        "proxy-select-missing-store",
        ["proxy", "select", "--env", SYN, "--store", "none.db"],
        "none.db",
    ),
    case("proxy-unknown-command", ["proxy", "fit"], "fit"),
    case("unknown-command", ["runn"], "runn"),
]


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_hostile_cli_input_is_one_clear_error_and_loses_nothing(c: Case, work: Path) -> None:
    for name, content in c.files.items():
        (work / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    if c.setup is not None:
        c.setup(work)
    before = snapshot(work / "runs.db")
    assert_refused(invoke(c.args), c.names, c.code)
    assert snapshot(work / "runs.db") == before
    assert not (work / "gone.db").exists()  # --resume never creates a store


def test_case_ids_are_unique_and_counted() -> None:
    assert len({c.id for c in CASES}) == len(CASES)
    count = int(__doc__.split("CliRunner: ")[1].split(" cases")[0])
    assert count == len(CASES), f"the module docstring says {count} cases; there are {len(CASES)}"
