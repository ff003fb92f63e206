"""Dense peak TFLOP/s, memory bandwidth and board power of common GPUs. Used by describe() and compute.

All FLOP/s figures are **dense** peaks for the precision named: NVIDIA's sheets for A100, H100, H200 and L4
print the 2:4-structured-sparsity figure first (marked with an asterisk); those are halved here. Tensor-core
figures for GeForce cards are with FP32 accumulation. Sources (vendor data sheets):

- T4: nvidia.com/en-us/data-center/tesla-t4 (FP32 8.1, mixed FP16 65; 320 GB/s; 70 W)
- V100 SXM2: images.nvidia.com/content/technologies/volta/pdf/volta-v100-datasheet-update-us-1165301-r5.pdf
  (FP32 15.7, tensor 125; 900 GB/s; 300 W)
- L4: nvidia.com/en-us/data-center/l4 (FP32 30.3, TF32 120*, BF16 242*, FP8 485*; 300 GB/s; 72 W)
- A100: nvidia.com/en-us/data-center/a100 (FP32 19.5, TF32 312*, BF16 624*; 40 GB 1,555 GB/s,
  80 GB SXM 2,039 GB/s; 400 W SXM)
- H100 SXM / PCIe: nvidia.com/en-us/data-center/h100 (SXM: FP32 67, TF32 989*, BF16 1,979*, FP8 3,958*,
  3.35 TB/s, 700 W; PCIe: FP32 51, TF32 756*, BF16 1,513*, FP8 3,026*, 2.0 TB/s, 350 W)
- H800 SXM: the export variant of H100 SXM with the same tensor cores and memory (reduced NVLink and FP64);
  DeepSeek-V3 was trained on it (arXiv 2412.19437).
- H200: nvidia.com/en-us/data-center/h200 (same compute as H100 SXM; 141 GB, 4.8 TB/s, 700 W)
- RTX 4090 / RTX 3090: the Ada and Ampere GeForce white papers (FP32 82.6 / 35.6; FP16/BF16 tensor with FP32
  accumulate 165.2 / 71; 1,008 / 936 GB/s; 450 / 350 W)
"""

from __future__ import annotations

import re

# name fragment -> {precision: dense peak TFLOP/s}; the module docstring lists the sources.
PEAK_TFLOPS: dict[str, dict[str, float]] = {
    "T4": {"fp32": 8.1, "fp16": 65.0},
    "V100": {"fp32": 15.7, "fp16": 125.0},
    "L4": {"fp32": 30.3, "tf32": 60.0, "bf16": 121.0, "fp16": 121.0, "fp8": 242.5},
    "A100": {"fp32": 19.5, "tf32": 156.0, "bf16": 312.0, "fp16": 312.0},
    "H100": {"fp32": 67.0, "tf32": 494.5, "bf16": 989.0, "fp16": 989.0, "fp8": 1979.0},
    "H100 PCIE": {"fp32": 51.0, "tf32": 378.0, "bf16": 756.5, "fp16": 756.5, "fp8": 1513.0},
    "H800": {"fp32": 67.0, "tf32": 494.5, "bf16": 989.0, "fp16": 989.0, "fp8": 1979.0},
    "H200": {"fp32": 67.0, "tf32": 494.5, "bf16": 989.0, "fp16": 989.0, "fp8": 1979.0},
    "RTX 4090": {"fp32": 82.6, "tf32": 82.6, "bf16": 165.0, "fp16": 165.0, "fp8": 330.0},
    "RTX 3090": {"fp32": 35.6, "tf32": 35.6, "bf16": 71.0, "fp16": 71.0},
}

# name fragment -> peak memory bandwidth in GB/s (A100: the 40 GB part; 80 GB parts are handled below).
PEAK_BANDWIDTH_GBS: dict[str, float] = {
    "T4": 320.0,
    "V100": 900.0,
    "L4": 300.0,
    "A100": 1555.0,
    "H100": 3350.0,
    "H100 PCIE": 2000.0,
    "H800": 3350.0,
    "H200": 4800.0,
    "RTX 4090": 1008.0,
    "RTX 3090": 936.0,
}

# name fragment -> board power (TDP) in watts, for energy estimates.
BOARD_POWER_W: dict[str, float] = {
    "T4": 70.0,
    "V100": 300.0,
    "L4": 72.0,
    "A100": 400.0,
    "H100": 700.0,
    "H100 PCIE": 350.0,
    "H800": 700.0,
    "H200": 700.0,
    "RTX 4090": 450.0,
    "RTX 3090": 350.0,
}

# Variants whose figures differ from a listed entry's and that we do not list (no number beats a wrong one):
# NVL and laptop parts, L40/L40S (would match "L4"), A100X, A800.
_UNLISTED = (r"NVL", r"LAPTOP", r"MOBILE", r"L40S?", r"A100X", r"A800")

_PRECISION_ALIASES = {
    "float32": "fp32", "fp32": "fp32", "float": "fp32",
    "tf32": "tf32",
    "bfloat16": "bf16", "bf16": "bf16",
    "float16": "fp16", "half": "fp16", "fp16": "fp16",
    "fp8": "fp8", "float8_e4m3fn": "fp8", "float8_e5m2": "fp8",
    "float64": "fp64", "double": "fp64", "fp64": "fp64",
}


def _match(device_name: str | None, table: dict):
    """The entry whose key occurs in `device_name` as a whole word (longest key first), or None."""
    if not device_name:
        return None
    upper = re.sub(r"[-_/]", " ", device_name.upper())
    if any(re.search(r"(?<![A-Z0-9])" + u + r"(?![A-Z0-9])", upper) for u in _UNLISTED):
        return None
    for key in sorted(table, key=len, reverse=True):
        if re.search(r"(?<![A-Z0-9])" + re.escape(key.upper()) + r"(?![A-Z0-9])", upper):
            return key
    return None


def lookup_peak(device_name: str | None) -> dict[str, float] | None:
    """Return the dense peak table entry (precision -> TFLOP/s) for `device_name`, or None."""
    key = _match(device_name, PEAK_TFLOPS)
    return dict(PEAK_TFLOPS[key]) if key else None


def precision_name(dtype) -> str:
    """Normalise a torch dtype or a string ('bf16', 'torch.bfloat16', 'tf32', ...) to the table's key."""
    text = str(dtype).lower().replace("torch.", "")
    if text not in _PRECISION_ALIASES:
        raise ValueError(f"unknown precision {dtype!r}; use one of fp32, tf32, bf16, fp16, fp8, fp64")
    return _PRECISION_ALIASES[text]


def peak_flops(device_name: str | None, precision="bf16") -> float | None:
    """Dense peak in FLOP/s (not TFLOP/s) of `device_name` at `precision`, or None when unknown."""
    table = lookup_peak(device_name)
    if table is None:
        return None
    value = table.get(precision_name(precision))
    return None if value is None else value * 1e12


def lookup_bandwidth(device_name: str | None) -> float | None:
    """Peak memory bandwidth in bytes/s of `device_name`, or None when unknown."""
    key = _match(device_name, PEAK_BANDWIDTH_GBS)
    if key is None:
        return None
    gbs = PEAK_BANDWIDTH_GBS[key]
    if key == "A100" and "80GB" in device_name.upper().replace(" ", ""):
        gbs = 1935.0 if "PCIE" in device_name.upper() else 2039.0
    return gbs * 1e9


def lookup_power(device_name: str | None) -> float | None:
    """Board power (TDP) in watts of `device_name`, or None when unknown."""
    key = _match(device_name, BOARD_POWER_W)
    return BOARD_POWER_W[key] if key else None
