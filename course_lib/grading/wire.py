"""Plain-data encoding shared by the sandbox, the grader and the self-check (JSON + base64 arrays, no pickle).

Allowed values: None, bool, int, float, str, lists/tuples, dicts with str keys, NumPy arrays and
scalars of numeric/bool dtype, and torch tensors (converted to NumPy). Anything else is refused,
so an object with a rigged __eq__ can never reach the comparison.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np

MAX_DEPTH = 32
MAX_INT_BITS = 1024  # larger integers cannot be compared as float64
MAX_ARRAY_ELEMENTS = 50_000_000
_NUMERIC_KINDS = set("biuf")  # no complex (its imaginary part would be lost), no object, no strings


class NotPlainData(TypeError):
    """A value that cannot cross the sandbox boundary."""


def to_plain(value: Any, depth: int = 0) -> Any:
    """Convert to plain Python/NumPy data, or raise NotPlainData naming the offending type."""
    if depth > MAX_DEPTH:
        raise NotPlainData("structure nested too deeply")
    t = type(value)
    if t is int and value.bit_length() > MAX_INT_BITS:
        raise NotPlainData(f"an integer of {value.bit_length()} bits (too large to compare as a float)")
    if value is None or t in (bool, int, str):
        return value
    if t is float:
        return value
    if t in (list, tuple):
        return t(to_plain(v, depth + 1) for v in value)
    if t is dict:
        out = {}
        for k, v in value.items():
            if type(k) is not str:
                raise NotPlainData(f"dict key of type {type(k).__name__}")
            out[k] = to_plain(v, depth + 1)
        return out
    if t is np.ndarray:
        if value.dtype.kind not in _NUMERIC_KINDS:
            raise NotPlainData(f"array of dtype {value.dtype}")
        return np.array(value, copy=True)
    if isinstance(value, np.generic) and type(value).__module__ == "numpy":
        if np.dtype(type(value)).kind not in _NUMERIC_KINDS:
            raise NotPlainData(f"NumPy scalar {type(value).__name__}")
        return value.item()
    mod = getattr(t, "__module__", "") or ""
    if mod.startswith("torch") and t.__name__ in ("Tensor", "Parameter"):
        import torch

        if not isinstance(value, torch.Tensor):
            raise NotPlainData(f"object of type {t.__name__}")
        arr = torch.Tensor.detach(value).cpu()
        if arr.dtype == torch.bfloat16:
            arr = arr.float()
        return to_plain(arr.numpy(), depth)
    raise NotPlainData(f"object of type {t.__module__}.{t.__name__}")


def _enc(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        return {
            "__nd__": arr.dtype.str,
            "shape": list(arr.shape),
            "data": base64.b64encode(arr.tobytes()).decode("ascii"),
        }
    if isinstance(value, tuple):
        return {"__tuple__": [_enc(v) for v in value]}
    if isinstance(value, list):
        return [_enc(v) for v in value]
    if isinstance(value, dict):
        return {k: _enc(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}
    return value


def _dec(value: Any, depth: int = 0) -> Any:
    if depth > MAX_DEPTH + 2:
        raise ValueError("structure nested too deeply")
    if isinstance(value, list):
        return [_dec(v, depth + 1) for v in value]
    if isinstance(value, dict):
        if "__nd__" in value:
            return _dec_array(value)
        if "__tuple__" in value:
            return tuple(_dec(v, depth + 1) for v in value["__tuple__"])
        if "__float__" in value:
            return float(value["__float__"])
        return {k: _dec(v, depth + 1) for k, v in value.items()}
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        raise ValueError("integer too large")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError(f"unexpected JSON value {type(value).__name__}")


def _dec_array(value: dict) -> np.ndarray:
    """An encoded array, refused unless its dtype is numeric and its shape matches its bytes exactly."""
    if not isinstance(value.get("__nd__"), str) or not isinstance(value.get("data"), str) \
            or not isinstance(value.get("shape"), list) or len(value["shape"]) > MAX_DEPTH:
        raise ValueError("malformed array")
    dtype = np.dtype(value["__nd__"])
    if dtype.kind not in _NUMERIC_KINDS or dtype.itemsize == 0:
        raise ValueError(f"array dtype {dtype} not allowed")
    shape = value["shape"]
    if not all(type(s) is int and 0 <= s <= MAX_ARRAY_ELEMENTS for s in shape):
        raise ValueError("malformed array shape")
    count = int(np.prod(shape, dtype=object)) if shape else 1
    if count > MAX_ARRAY_ELEMENTS:
        raise ValueError("array too large")
    raw = base64.b64decode(value["data"], validate=True)
    if len(raw) != count * dtype.itemsize:
        raise ValueError("array data does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(tuple(shape)).copy()


def dumps(value: Any) -> str:
    """Encode plain data (after to_plain) as a JSON string."""
    return json.dumps(_enc(to_plain(value)), allow_nan=False)


def loads(text: str | bytes) -> Any:
    """Decode a JSON string produced by dumps; raises ValueError on anything malformed."""
    try:
        return _dec(json.loads(text))
    except RecursionError as exc:
        raise ValueError("malformed result: nested too deeply") from exc
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError, OverflowError, MemoryError) as exc:
        raise ValueError(f"malformed result: {type(exc).__name__}: {str(exc)[:120]}") from exc
