"""Workload tables and parsers: MAC counts against published figures, and errors naming row and field."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from archgym.simulator import WorkloadError
from archgym.simulators.accelerator.layers import (
    Layer,
    builtin_workloads,
    load_network,
    parse_layer_csv,
)

DATA = Path(__file__).parent / "data"


def _published() -> list[dict[str, str]]:
    with open(DATA / "published_macs.csv") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def test_all_ten_networks_ship() -> None:
    assert set(builtin_workloads()) == {
        "alexnet",
        "vgg16",
        "resnet18",
        "resnet50",
        "mobilenet_v2",
        "mobilenet_v3_large",
        "efficientnet_b0",
        "bert_base",
        "gpt2",
        "vit_b16",
    }


@pytest.mark.parametrize("row", _published(), ids=lambda r: r["network"])
def test_macs_match_published_counts(row: dict[str, str]) -> None:
    # Tolerance: published figures are rounded to 2-3 digits (stated per row in the data file).
    macs = load_network(row["network"]).macs / 1e9
    assert macs == pytest.approx(float(row["gmacs"]), rel=float(row["tolerance"]))


def test_bert_base_gemms_follow_its_dimensions() -> None:
    # Per encoder layer at sequence 128: 4 d x d projections, two d x 4d FFN GEMMs and attention.
    seq, d, layers = 128, 768, 12
    expected = layers * (4 * seq * d * d + 2 * seq * d * 4 * d + 2 * seq * seq * d) + d * d
    assert load_network("bert_base").macs == expected


def test_conv_output_size_and_gemm_view() -> None:
    net = load_network("resnet18")
    conv1 = net.layers[0]
    assert (conv1.p, conv1.q) == (112, 112)  # 224 + 2*3 - 7 over stride 2, plus one
    assert conv1.gemm_dims == (112 * 112, 64, 7 * 7 * 3)
    assert conv1.span_h == 111 * 2 + 7


def test_depthwise_runs_group_by_group() -> None:
    dw = next(layer for layer in load_network("mobilenet_v2").layers if layer.kind == "dwconv")
    m, n, k = dw.gemm_dims
    assert (n, k) == (1, 9) and dw.instances == dw.in_c


def test_scalesim_topology_format_with_trailing_commas() -> None:
    text = (
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
        "Conv1, 10, 10, 3, 3, 4, 8, 2,\n"
        "DP_conv, 9, 9, 3, 3, 16, 1, 1,\n"
    )
    net = parse_layer_csv(text, "topo")
    conv, dp = net.layers
    assert (conv.p, conv.q) == (5, 5)  # SCALE-Sim's ceil((10 - 3 + 2) / 2)
    assert dp.kind == "dwconv" and dp.groups == 16 and dp.gemm_dims == (49, 1, 9)


def test_scalesim_gemm_topology() -> None:
    net = parse_layer_csv("Layer, M, N, K,\nqk, 64, 32, 16,\n", "g")
    assert net.layers[0].gemm_dims == (64, 32, 16)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name,kind,in_c,out_c\nfc1,fc,128,\n",
            "line 2 (layer 'fc1'): a fc layer needs field 'out_c'",
        ),
        (
            "name,kind,in_c,out_c\nfc1,pool,128,10\n",
            "field 'kind' is 'pool'; legal kinds are conv, dwconv, fc, gemm",
        ),
        (
            "name,kind,gemm_m,gemm_n,gemm_k\ng,gemm,12,x,4\n",
            "line 2 (layer 'g'): field 'gemm_n' is 'x', not an integer",
        ),
        ("name,kind,in_h,in_w,in_c,out_c,r,s\nc,conv,4,4,3,8,7,7\n", "exceeds the padded input"),
        (
            "name,kind,in_h,in_w,in_c,out_c,r,s,groups\nc,conv,8,8,3,8,3,3,2\n",
            "field 'groups' (2) must divide",
        ),
        ("name,kind,bogus\n", "unknown column 'bogus'"),
        (
            "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
            "c, 10, 10, 3,\n",
            "line 2: 4 fields; a SCALE-Sim conv row needs",
        ),
        (
            "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
            "c, 10, 10, 3, 3, 4, 8, 1, 2:4,\n",
            "sparsity ratio '2:4' is not supported",
        ),
        ("a,b,c\n1,2,3\n", "neither archgym's layer table"),
    ],
)
def test_malformed_rows_name_line_and_field(text: str, message: str) -> None:
    with pytest.raises(WorkloadError, match=None) as err:
        parse_layer_csv(text, "bad", origin="bad.csv")
    assert message in str(err.value)


def test_unknown_workload_lists_the_builtins(tmp_path: Path) -> None:
    with pytest.raises(
        WorkloadError, match="unknown workload 'resnet19'; built-in workloads are alexnet"
    ):
        load_network("resnet19")
    with pytest.raises(WorkloadError, match="does not exist"):
        load_network(tmp_path / "missing.csv")


def test_user_csv_file_roundtrip(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(
        "# source: a test\nname,kind,batch,in_c,out_c,gemm_m,gemm_n,gemm_k,repeat\n"
        "fc,fc,4,256,10,,,,1\nattn,gemm,2,,,16,16,8,3\n"
    )
    net = load_network(path)
    assert net.name == "mine" and net.source == "a test"
    assert net.layers[0] == Layer.gemm("fc", 4, 10, 256, kind="fc")
    assert net.macs == 4 * 10 * 256 + 2 * 3 * 16 * 16 * 8
