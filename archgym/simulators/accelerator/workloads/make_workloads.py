"""Writes the built-in layer tables (``<network>.csv``) from the networks' published definitions.

Run once by hand (``python make_workloads.py``); the CSVs it writes are what the simulator
reads. Each table's first line names the paper it follows. Pooling, normalisation and
activation layers carry no multiply-accumulates and are left out; squeeze-and-excite
blocks appear as their two fully connected layers.

Example:
    >>> rows = resnet18()
    >>> rows[0]["name"]
    'conv1'
"""

from __future__ import annotations

import csv
from pathlib import Path

COLUMNS = [
    "name",
    "kind",
    "batch",
    "in_h",
    "in_w",
    "in_c",
    "out_c",
    "r",
    "s",
    "stride",
    "padding",
    "groups",
    "gemm_m",
    "gemm_n",
    "gemm_k",
    "repeat",
]

Row = dict[str, object]


def conv(
    name: str,
    hw: int,
    cin: int,
    cout: int,
    k: int,
    stride: int = 1,
    pad: int | None = None,
    groups: int = 1,
) -> tuple[Row, int]:
    """A conv row and its output size (``pad`` defaults to 'same' for odd kernels)."""
    pad = k // 2 if pad is None else pad
    kind = "dwconv" if groups == cin == cout and groups > 1 else "conv"
    out = (hw + 2 * pad - k) // stride + 1
    return {
        "name": name,
        "kind": kind,
        "batch": 1,
        "in_h": hw,
        "in_w": hw,
        "in_c": cin,
        "out_c": cout,
        "r": k,
        "s": k,
        "stride": stride,
        "padding": pad,
        "groups": groups,
        "repeat": 1,
    }, out


def fc(name: str, cin: int, cout: int) -> Row:
    return {"name": name, "kind": "fc", "batch": 1, "in_c": cin, "out_c": cout, "repeat": 1}


def gemm(name: str, m: int, n: int, k: int, batch: int = 1, repeat: int = 1) -> Row:
    return {
        "name": name,
        "kind": "gemm",
        "batch": batch,
        "gemm_m": m,
        "gemm_n": n,
        "gemm_k": k,
        "repeat": repeat,
    }


def alexnet() -> list[Row]:
    # Krizhevsky et al., NeurIPS 2012 (two-GPU grouping kept on conv2, conv4, conv5).
    rows = []
    r, hw = conv("conv1", 227, 3, 96, 11, 4, 0)
    rows.append(r)
    hw = (hw - 3) // 2 + 1  # max pool 3/2 -> 27
    r, hw = conv("conv2", hw, 96, 256, 5, 1, 2, groups=2)
    rows.append(r)
    hw = (hw - 3) // 2 + 1  # -> 13
    for name, cin, cout, g in [
        ("conv3", 256, 384, 1),
        ("conv4", 384, 384, 2),
        ("conv5", 384, 256, 2),
    ]:
        r, hw = conv(name, hw, cin, cout, 3, 1, 1, groups=g)
        rows.append(r)
    rows += [fc("fc6", 256 * 6 * 6, 4096), fc("fc7", 4096, 4096), fc("fc8", 4096, 1000)]
    return rows


def vgg16() -> list[Row]:
    # Simonyan & Zisserman, ICLR 2015, configuration D.
    rows, hw, cin = [], 224, 3
    for stage, (cout, n) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)], start=1):
        for i in range(n):
            r, hw = conv(f"conv{stage}_{i + 1}", hw, cin, cout, 3)
            rows.append(r)
            cin = cout
        hw //= 2
    rows += [fc("fc6", 512 * 7 * 7, 4096), fc("fc7", 4096, 4096), fc("fc8", 4096, 1000)]
    return rows


def _resnet(blocks: list[int], bottleneck: bool) -> list[Row]:
    # He et al., CVPR 2016; stride on the 3x3 conv of a bottleneck (torchvision's v1.5).
    rows = []
    r, hw = conv("conv1", 224, 3, 64, 7, 2, 3)
    rows.append(r)
    hw = (hw + 2 - 3) // 2 + 1  # max pool 3/2 pad 1 -> 56
    cin = 64
    for stage, (n, width) in enumerate(zip(blocks, [64, 128, 256, 512], strict=True), start=2):
        for b in range(n):
            stride = 2 if (b == 0 and stage > 2) else 1
            p = f"conv{stage}_{b + 1}"
            cout = width * 4 if bottleneck else width
            if bottleneck:
                r1, _ = conv(f"{p}a", hw, cin, width, 1)
                r2, out = conv(f"{p}b", hw, width, width, 3, stride)
                r3, _ = conv(f"{p}c", out, width, cout, 1)
                rows += [r1, r2, r3]
            else:
                r1, out = conv(f"{p}a", hw, cin, width, 3, stride)
                r2, _ = conv(f"{p}b", out, width, width, 3)
                rows += [r1, r2]
            if b == 0 and (stride != 1 or cin != cout):
                rows.append(conv(f"{p}_down", hw, cin, cout, 1, stride, 0)[0])
            hw, cin = out, cout
    rows.append(fc("fc", cin, 1000))
    return rows


def resnet18() -> list[Row]:
    return _resnet([2, 2, 2, 2], bottleneck=False)


def resnet50() -> list[Row]:
    return _resnet([3, 4, 6, 3], bottleneck=True)


def _make_divisible(v: float, divisor: int = 8) -> int:
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def _inverted_residual(
    rows: list[Row],
    name: str,
    hw: int,
    cin: int,
    exp: int,
    cout: int,
    k: int,
    stride: int,
    se: int = 0,
) -> int:
    if exp != cin:
        rows.append(conv(f"{name}_expand", hw, cin, exp, 1)[0])
    r, out = conv(f"{name}_dw", hw, exp, exp, k, stride, groups=exp)
    rows.append(r)
    if se:
        rows += [fc(f"{name}_se_reduce", exp, se), fc(f"{name}_se_expand", se, exp)]
    rows.append(conv(f"{name}_project", out, exp, cout, 1)[0])
    return out


def mobilenet_v2() -> list[Row]:
    # Sandler et al., CVPR 2018, Table 2.
    rows = []
    r, hw = conv("conv1", 224, 3, 32, 3, 2)
    rows.append(r)
    cin = 32
    table = [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ]
    for i, (t, c, n, s) in enumerate(table, start=1):
        for j in range(n):
            hw = _inverted_residual(
                rows, f"block{i}_{j + 1}", hw, cin, cin * t, c, 3, s if j == 0 else 1
            )
            cin = c
    rows.append(conv("conv_last", hw, cin, 1280, 1)[0])
    rows.append(fc("fc", 1280, 1000))
    return rows


def mobilenet_v3_large() -> list[Row]:
    # Howard et al., ICCV 2019, Table 1 (SE reduces to exp/4 rounded to 8).
    rows = []
    r, hw = conv("conv1", 224, 3, 16, 3, 2)
    rows.append(r)
    cin = 16
    table = [
        (3, 16, 16, 0, 1),
        (3, 64, 24, 0, 2),
        (3, 72, 24, 0, 1),
        (5, 72, 40, 1, 2),
        (5, 120, 40, 1, 1),
        (5, 120, 40, 1, 1),
        (3, 240, 80, 0, 2),
        (3, 200, 80, 0, 1),
        (3, 184, 80, 0, 1),
        (3, 184, 80, 0, 1),
        (3, 480, 112, 1, 1),
        (3, 672, 112, 1, 1),
        (5, 672, 160, 1, 2),
        (5, 960, 160, 1, 1),
        (5, 960, 160, 1, 1),
    ]
    for i, (k, exp, cout, se, s) in enumerate(table, start=1):
        hw = _inverted_residual(
            rows, f"bneck{i}", hw, cin, exp, cout, k, s, _make_divisible(exp / 4) if se else 0
        )
        cin = cout
    rows.append(conv("conv_last", hw, cin, 960, 1)[0])
    rows += [fc("fc1", 960, 1280), fc("fc2", 1280, 1000)]
    return rows


def efficientnet_b0() -> list[Row]:
    # Tan & Le, ICML 2019, Table 1 (SE reduces to a quarter of the block's input channels).
    rows = []
    r, hw = conv("stem", 224, 3, 32, 3, 2)
    rows.append(r)
    cin = 32
    table = [
        (3, 1, 1, 16, 1),
        (3, 2, 6, 24, 2),
        (5, 2, 6, 40, 2),
        (3, 2, 6, 80, 3),
        (5, 1, 6, 112, 3),
        (5, 2, 6, 192, 4),
        (3, 1, 6, 320, 1),
    ]
    for i, (k, s, e, cout, n) in enumerate(table, start=1):
        for j in range(n):
            hw = _inverted_residual(
                rows,
                f"mb{i}_{j + 1}",
                hw,
                cin,
                cin * e,
                cout,
                k,
                s if j == 0 else 1,
                max(1, cin // 4),
            )
            cin = cout
    rows.append(conv("head", hw, cin, 1280, 1)[0])
    rows.append(fc("fc", 1280, 1000))
    return rows


def _encoder(prefix: str, seq: int, d: int, heads: int, ffn: int, layers: int) -> list[Row]:
    hd = d // heads
    return [
        gemm(f"{prefix}_qkv", seq, d, d, batch=3, repeat=layers),
        gemm(f"{prefix}_scores", seq, seq, hd, batch=heads, repeat=layers),
        gemm(f"{prefix}_context", seq, hd, seq, batch=heads, repeat=layers),
        gemm(f"{prefix}_out_proj", seq, d, d, repeat=layers),
        gemm(f"{prefix}_ffn1", seq, ffn, d, repeat=layers),
        gemm(f"{prefix}_ffn2", seq, d, ffn, repeat=layers),
    ]


def bert_base() -> list[Row]:
    # Devlin et al., NAACL 2019: 12 layers, d=768, 12 heads, FFN 3072; sequence length 128.
    return _encoder("encoder", 128, 768, 12, 3072, 12) + [gemm("pooler", 1, 768, 768)]


def gpt2() -> list[Row]:
    # Radford et al., 2019 (GPT-2 small, 124M): 12 layers, d=768, 12 heads; prefill of 512 tokens.
    return _encoder("decoder", 512, 768, 12, 3072, 12) + [gemm("lm_head", 512, 50257, 768)]


def vit_b16() -> list[Row]:
    # Dosovitskiy et al., ICLR 2021: ViT-Base, 16x16 patches on 224x224 -> 196 patches + [class].
    rows = [conv("patch_embed", 224, 3, 768, 16, 16, 0)[0]]
    return rows + _encoder("encoder", 197, 768, 12, 3072, 12) + [gemm("head", 1, 1000, 768)]


NETWORKS = {
    "alexnet": (
        alexnet,
        "Krizhevsky, Sutskever & Hinton, ImageNet Classification with Deep CNNs, NeurIPS 2012",
    ),
    "vgg16": (
        vgg16,
        "Simonyan & Zisserman, Very Deep Convolutional Networks, ICLR 2015 (config D)",
    ),
    "resnet18": (
        resnet18,
        "He et al., Deep Residual Learning for Image Recognition, CVPR 2016 (Table 1)",
    ),
    "resnet50": (
        resnet50,
        "He et al., Deep Residual Learning for Image Recognition, CVPR 2016 (Table 1)",
    ),
    "mobilenet_v2": (mobilenet_v2, "Sandler et al., MobileNetV2, CVPR 2018 (Table 2)"),
    "mobilenet_v3_large": (
        mobilenet_v3_large,
        "Howard et al., Searching for MobileNetV3, ICCV 2019 (Table 1)",
    ),
    "efficientnet_b0": (efficientnet_b0, "Tan & Le, EfficientNet, ICML 2019 (Table 1)"),
    "bert_base": (bert_base, "Devlin et al., BERT, NAACL 2019 (BERT-base, sequence length 128)"),
    "gpt2": (
        gpt2,
        "Radford et al., Language Models are Unsupervised Multitask Learners, 2019 (124M, 512 tokens)",
    ),
    "vit_b16": (vit_b16, "Dosovitskiy et al., An Image is Worth 16x16 Words, ICLR 2021 (ViT-B/16)"),
}


def main() -> None:
    here = Path(__file__).parent
    for name, (build, source) in NETWORKS.items():
        with open(here / f"{name}.csv", "w", newline="") as f:
            f.write(f"# source: {source}; written by make_workloads.py\n")
            writer = csv.DictWriter(f, COLUMNS, restval="")
            writer.writeheader()
            writer.writerows(build())


if __name__ == "__main__":
    main()
