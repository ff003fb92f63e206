"""course_lib.compute and compute_peaks: formulas against torch's FlopCounterMode, timing on the CPU (and on a
GPU when one is present), peak-table lookups, roofline helpers, and no torch import at module load."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

import course_lib.compute as C
from course_lib.compute_peaks import lookup_bandwidth, lookup_peak, lookup_power, peak_flops, precision_name


def test_import_does_not_load_torch():
    code = "import sys, course_lib.compute, course_lib.compute_peaks; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------------------------------- formulas
def test_formulas_by_hand():
    assert C.matmul_flops(2, 3, 4) == 48
    assert C.linear_flops(32, 784, 128) == 2 * 32 * 784 * 128
    assert C.conv2d_flops(1, 3, 8, 3, 10, 10) == 2 * 8 * 3 * 9 * 100
    assert C.conv2d_flops(1, 3, 8, (3, 1), 10, 10) == 2 * 8 * 3 * 3 * 100
    assert C.conv2d_flops(2, 8, 8, 3, 5, 5, groups=8) == 2 * 2 * 8 * 1 * 9 * 25
    assert C.lstm_step_flops(1, 10, 20) == 8 * 20 * 30
    assert C.gru_step_flops(1, 10, 20) == 6 * 20 * 30
    assert C.rnn_step_flops(1, 10, 20) == 2 * 20 * 30
    assert C.training_flops(175e9, 300e9) == pytest.approx(3.15e23)
    assert C.transformer_flops_per_token(1e9, 24, 2048, 2048) == pytest.approx(6e9 + 12 * 24 * 2048 * 2048)


def test_landmarks():
    # GPT-3 at 80 TFLOP/s on 1,024 GPUs: 44 days (the slides' 51 days come from 3.64e23).
    assert C.training_days(3.14e23, 1024, 80e12, 1.0) == pytest.approx(44.36, rel=1e-3)
    assert C.training_days(3.64e23, 1024, 80e12, 1.0) == pytest.approx(51.4, rel=1e-2)
    # DeepSeek-V3: 3.3e24 FLOPs over 2.664M pre-training H800-hours → about 344 TFLOP/s per GPU.
    per_gpu = C.training_flops(37e9, 14.8e12) / (2.664e6 * 3600)
    assert per_gpu == pytest.approx(3.42e14, rel=1e-2)
    # Llama 3.1 405B: 3.8e25 FLOPs, 30.84M H100-hours → MFU about 35% of the dense BF16 peak.
    assert C.mfu(3.8e25, 30.84e6 * 3600, 989e12) == pytest.approx(0.346, abs=2e-3)
    n, d = C.chinchilla_optimal(5.76e23)
    assert n == pytest.approx(69.3e9, rel=1e-2) and d / n == pytest.approx(20.0)
    assert C.model_flops_utilization(1e4, 6e9, 312e12) == pytest.approx(6e13 / 312e12)


def test_training_cost():
    r = C.training_cost(1e9, 2e10, 8, 989e12, 0.5, 2.0, watts_per_gpu=700)
    assert r["flops"] == pytest.approx(1.2e20)
    assert r["days"] == pytest.approx(1.2e20 / (8 * 989e12 * 0.5) / 86400)
    assert r["gpu_hours"] == pytest.approx(r["days"] * 24 * 8)
    assert r["dollars"] == pytest.approx(2 * r["gpu_hours"])
    assert r["energy_mwh"] == pytest.approx(r["gpu_hours"] * 700 / 1e6)
    assert math.isnan(C.training_cost(1e9, 2e10, 8, 989e12, 0.5, 2.0)["energy_mwh"])


def test_roofline_helpers():
    assert C.ridge_point(100e12, 2e12) == 50
    att = C.attainable_flops([1, 50, 1000], 100e12, 2e12)
    assert np.allclose(att, [2e12, 100e12, 100e12])
    # matrix-vector product: about 2 FLOPs per 4-byte weight → 0.5 FLOP/byte in fp32
    assert C.linear_intensity(1, 4096, 4096) == pytest.approx(0.5, rel=1e-3)
    assert C.linear_intensity(4096, 4096, 4096) == pytest.approx(2 * 4096**3 / (3 * 4096**2 * 4))
    ai = C.conv2d_intensity(1, 64, 64, 3, 56, 56, 56, 56)
    assert ai == pytest.approx(C.conv2d_flops(1, 64, 64, 3, 56, 56) / ((2 * 64 * 56 * 56 + 64 * 64 * 9) * 4))


# ------------------------------------------------------------------------------------- torch cross-checks
torch = pytest.importorskip("torch")


def test_count_flops_matches_formulas():
    total, per_op = C.count_flops(torch.nn.Linear(10, 20), torch.randn(3, 10))
    assert total == C.linear_flops(3, 10, 20) and set(per_op) == {"addmm"}
    total, _ = C.count_flops(torch.nn.Conv2d(3, 8, (3, 5), stride=2), torch.randn(2, 3, 15, 15))
    assert total == C.conv2d_flops(2, 3, 8, (3, 5), 7, 6)
    total, _ = C.count_flops(torch.nn.Conv2d(8, 8, 3, groups=4), torch.randn(1, 8, 6, 6))
    assert total == C.conv2d_flops(1, 8, 8, 3, 4, 4, groups=4)
    total, _ = C.count_flops(torch.nn.LSTMCell(7, 9), torch.randn(2, 7))
    assert total == C.lstm_step_flops(2, 7, 9)
    total, _ = C.count_flops(torch.nn.GRUCell(7, 9), torch.randn(2, 7))
    assert total == C.gru_step_flops(2, 7, 9)
    total, _ = C.count_flops(torch.nn.RNNCell(7, 9), torch.randn(2, 7))
    assert total == C.rnn_step_flops(2, 7, 9)
    assert C.count_flops(torch.nn.LSTM(7, 9), torch.randn(4, 2, 7))[0] == 0  # fused op: not counted


def test_backward_is_twice_forward_for_hidden_layers():
    lin = torch.nn.Linear(32, 16, bias=False)
    x = torch.randn(8, 32, requires_grad=True)
    total, per_op = C.count_flops(lambda: lin(x).sum().backward())
    assert total == 3 * C.linear_flops(8, 32, 16)


def test_count_parameters():
    m = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 2, bias=False))
    m[2].weight.requires_grad_(False)
    assert C.count_parameters(m) == 15 + 6 + 6
    assert C.count_parameters(m, trainable_only=True) == 15 + 6


def test_time_fn_and_synchronize_cpu():
    times = C.time_fn(lambda: sum(range(1000)), "cpu", warmup=1, repeats=3)
    assert len(times) == 3 and all(t > 0 for t in times)
    C.synchronize("cpu")  # a no-op on the CPU


@pytest.mark.parametrize("dtype", ["fp32", "bf16", torch.float64])
def test_benchmark_matmul_cpu(dtype):
    rows = C.benchmark_matmul("cpu", dtype, sizes=(64, 128), repeats=3, warmup=1)
    assert [r["size"] for r in rows] == [64, 128]
    for r in rows:
        assert r["tflops"] > 0 and r["seconds"] > 0 and len(r["times"]) == 3
        assert r["pct_of_peak"] is None  # no CPU in the peak table
        assert r["tflops"] == pytest.approx(2 * r["size"] ** 3 / r["seconds"] / 1e12)
    assert torch.backends.cuda.matmul.allow_tf32 is False or dtype == "tf32"


def test_benchmark_matmul_rejects_unknown_precision():
    with pytest.raises(ValueError):
        C.benchmark_matmul("cpu", "fp8", sizes=(16,))
    with pytest.raises(ValueError):
        precision_name("int4")


def test_benchmark_bandwidth_cpu():
    r = C.benchmark_bandwidth("cpu", megabytes=8, repeats=3, warmup=1)
    assert r["bytes"] == 2 * (8_000_000 // 4) * 4
    assert 0.1 < r["gb_per_s"] < 10_000


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_benchmark_matmul_cuda_reaches_a_sane_fraction_of_peak():
    rows = C.benchmark_matmul("cuda", "bf16", sizes=(4096,), repeats=5)
    if rows[0]["pct_of_peak"] is not None:
        assert 20 < rows[0]["pct_of_peak"] < 105


def test_markdown_table():
    t = C.markdown_table([{"a": 1.5, "b": None}], ["a", "b"], ["A", "B"], {"a": "{:.2f}"})
    assert t.splitlines() == ["| A | B |", "|---|---|", "| 1.50 | – |"]


# ------------------------------------------------------------------------------------------- peak table
@pytest.mark.parametrize("name,bf16,bw,watts", [
    ("NVIDIA H100 80GB HBM3", 989.0, 3350e9, 700),
    ("NVIDIA H100 PCIe", 756.5, 2000e9, 350),
    ("NVIDIA A100-SXM4-80GB", 312.0, 2039e9, 400),
    ("NVIDIA A100-PCIE-40GB", 312.0, 1555e9, 400),
    ("NVIDIA L4", 121.0, 300e9, 72),
    ("NVIDIA GeForce RTX 4090", 165.0, 1008e9, 450),
    ("NVIDIA H200", 989.0, 4800e9, 700),
])
def test_peak_lookup(name, bf16, bw, watts):
    assert lookup_peak(name)["bf16"] == bf16
    assert peak_flops(name, "torch.bfloat16") == bf16 * 1e12
    assert lookup_bandwidth(name) == bw
    assert lookup_power(name) == watts


@pytest.mark.parametrize("name", ["NVIDIA L40S", "NVIDIA H100 NVL", "NVIDIA GeForce RTX 4090 Laptop GPU",
                                  "Apple GPU (MPS)", "x86_64", "", None])
def test_unknown_or_unlisted_devices_have_no_peak(name):
    assert lookup_peak(name) is None and lookup_bandwidth(name) is None


def test_t4_has_no_bf16_and_dense_not_sparse():
    assert peak_flops("Tesla T4", "bf16") is None and peak_flops("Tesla T4", "fp16") == 65e12
    # dense figures: H100 SXM BF16 is 989 (the data sheet's 1,979 is with 2:4 sparsity)
    assert lookup_peak("NVIDIA H100 80GB HBM3")["fp8"] == 1979.0
