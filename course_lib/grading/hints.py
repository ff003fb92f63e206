"""Diagnoses from the numbers: when a case fails, name the pattern of the difference, as a teaching assistant would.

    diagnose(expected, got, context, rtol, atol) -> Hint | None

A hint is returned only when a pattern explains the whole difference within the exercise's tolerance (the expected
output, transformed by the pattern, passes the same comparison the judge made): never for a correct output, never
a guess. The patterns (PATTERNS, each with an example the course's mutants get; docs/homework-design.md tables them):

- factor:    the output is k × the expected; k is named where it matches a quantity: the exercise's own (the batch
             size, 1/(1 − p), bytes per element, 2 FLOPs per multiply-add), the case's scalar inputs, a few
             constants (2, 8 bits, 24 hours, 1000), and for arrays the sizes of the inputs. One number always has
             some ratio to another, so a single number gets a factor only when it is named, small integers (counts,
             shapes) only when three or more entries share it; several numbers sharing one factor may get an
             unnamed one;
- sign:      the sign flipped everywhere (or only the sign, at some entries);
- transpose: the expected transposed, or its axes in another order;
- reshape:   the right values in another shape;
- kink:      different only where an input of the output's shape is exactly 0 (the kink of ReLU, |x|);
- repeated:  different only in the rows of an index array's repeated indices;
- nonfinite: NaN or infinity where the expected is finite, every other entry right (an overflow: a stable form);
- blocks:    the right equal blocks along an axis, in another order (the exercise may name them: gates);
- reversed:  the right values in reversed order along an axis;
- step:      along the exercise's axis of steps (Hints.steps; never guessed): one step too many or too few, the
             values shifted by one, or a difference only at the first or last step;
- output:    only one of several outputs differs (with its own pattern when it has one).

Several outputs (a tuple or dict) are diagnosed one by one: the hint names the outputs that are right, and covers
every output that differs, except that a telling pattern (blocks, transpose, reversed, reshape, nonfinite) is named
for the outputs it explains even when others differ in another way, which the hint then says.

Pure functions of plain data (NumPy arrays, numbers, lists, dicts), never raising; the judge calls `diagnose` for
the grader, the self-check and the nbgrader/otter test cells alike. Public-case feedback prints the hint's text;
hidden-case feedback names only its pattern, from the fixed phrases in `HIDDEN_PHRASES` (judge.hidden_hint).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Mapping

import numpy as np

# pattern -> (what it means, an example: the hint a classic mistake of the course's homework gets, and which).
# docs/homework-design.md lists them (autograder/design.py); the homework tests check that each mutant named here gets
# this hint.
PATTERNS: dict[str, tuple[str, str, str]] = {
    "factor": ("the output is a constant multiple of the expected",
               "only dlogits differs (loss is right): your dlogits is 5 × the expected everywhere: 5 is the number "
               "of logits (the mean is over all of them), did you sum where the mean is asked?",
               "hw04 bce_with_logits, the gradient without the 1/M of the mean"),
    "sign": ("the sign is flipped (everywhere, or only the sign at some entries)",
             "only dlogits differs (loss is right): your dlogits is the expected with the sign flipped everywhere: "
             "a minus sign lost or added?",
             "hw04 bce_with_logits, y − p for p − y"),
    "transpose": ("the expected transposed, or its axes in another order",
                  "only dWh differs (dx, dh_prev, dWx and db are right): your dWh is the expected transposed",
                  "hw08 rnn_step_backward, dWh = da.T @ h_prev"),
    "reshape": ("the right values in another shape",
                "your output holds the right values in shape (6, 2) where (2, 3, 2) is expected",
                "hw04 embedding_forward, W[idx.ravel()]"),
    "kink": ("different only where an input is exactly 0",
             "your output differs only where x is exactly 0 (2 of 10 entries): at the kink, use the value the "
             "exercise asks for",
             "hw04 leaky_relu_backward, slope 1 at x = 0"),
    "repeated": ("different only at repeated indices",
                 "your output differs only in row 2, an index that occurs more than once in idx: every occurrence "
                 "must add its contribution (np.add.at; `a[idx] += v` adds one per row)",
                 "hw04 embedding_backward, dW[idx] += dout"),
    "nonfinite": ("NaN or infinity where the expected is finite",
                  "only loss differs (dlogits is right): your loss is nan where 400 is expected: exp or log "
                  "overflowed for large |x| (the inputs reach |logits| = 800): use a stable form (np.logaddexp, "
                  "np.log1p, subtract the max before exp)",
                  "hw04 bce_with_logits, log σ(z) on logits of ±800"),
    "blocks": ("the right blocks in another order along an axis",
               "your dWx, dWh and db each hold the right blocks in another order: i, f, o, g where i, f, g, o is "
               "expected (torch's gate order along the 4H columns is i, f, g, o); dx and dh_prev differ in "
               "another way",
               "hw08 lstm_step_backward, gates in the order i, f, o, g"),
    "reversed": ("the right values in reversed order",
                 "your output holds the right values in reversed order",
                 "hw08 gradient_norms_through_time, indexed by steps back"),
    "step": ("one step too many or too few, shifted by one, or different only at the first or last step",
             "your output has one entry too many along axis 0: without its first one it is the expected (one "
             "hidden state per input step, h0 not included?)",
             "hw08 rnn_forward, h0 kept in the output"),
    "output": ("only one of several outputs differs",
               "only c_T differs (hs is right)",
               "hw08 lstm_forward, the final h returned for the final c"),
}

# Hidden-case feedback: the pattern's kind only, never a value (a fixed vocabulary; see judge.hidden_hint).
HIDDEN_PHRASES: dict[str, str] = {
    "factor": "the difference is a constant factor",
    "sign": "the difference is a sign",
    "transpose": "the values are transposed (axes swapped)",
    "reshape": "the right values in another shape",
    "kink": "it differs only where an input is exactly zero (a kink)",
    "repeated": "it differs only at repeated indices",
    "nonfinite": "NaN or infinity where the result is finite: use a numerically stable form",
    "blocks": "the right blocks in another order",
    "reversed": "the right values in reversed order",
    "step": "an off-by-one in the steps (one too many or too few, shifted, or only the first or last wrong)",
    "output": "only one of the outputs differs",
}

MAX_ENTRIES = 2_000_000  # no diagnosis on larger outputs (it must stay cheap)


@dataclass(frozen=True)
class Factor:
    """A quantity an output may be wrongly scaled by: its value, its name ("the batch size N") and advice for
    the output `value` × the expected (`times`) and 1/`value` of it (`over`)."""

    value: float
    name: str
    times: str = ""
    over: str = ""


@dataclass(frozen=True)
class Hints:
    """Per-exercise hint settings (Exercise.hints): the outputs' names in order, the factors to name (a function
    of the case's named inputs), the names of equal blocks along an axis (LSTM gates), and a sentence of advice
    per pattern for this exercise."""

    outputs: tuple[str, ...] = ()
    factors: Callable[[dict], list] | None = None
    blocks: tuple[str, ...] = ()
    advice: Mapping[str, str] = field(default_factory=dict)
    steps: int | None = None  # the axis of time steps (or iterations): "only at the last step" looks along it


@dataclass
class Context:
    """What a diagnosis may use besides expected and got: the case's inputs as the student names them, and the
    exercise's Hints."""

    inputs: dict = field(default_factory=dict)
    outputs: tuple[str, ...] = ()
    factors: list = field(default_factory=list)
    blocks: tuple[str, ...] = ()
    advice: Mapping[str, str] = field(default_factory=dict)
    steps: int | None = None

    @classmethod
    def of(cls, inputs: dict, hints: Hints | None = None) -> "Context":
        if hints is None:
            return cls(dict(inputs))
        factors = []
        if hints.factors is not None:
            try:
                factors = list(hints.factors(dict(inputs)))
            except Exception:  # noqa: BLE001 - a hint must never stop grading
                factors = []
        return cls(dict(inputs), tuple(hints.outputs), factors, tuple(hints.blocks), dict(hints.advice), hints.steps)


@dataclass(frozen=True)
class Hint:
    pattern: str  # a key of PATTERNS
    text: str  # one line, "hint: …"


# ------------------------------------------------------------------------------------------------ helpers


class _Tol:
    def __init__(self, rtol: float, atol: float):
        self.rtol = max(float(rtol), 1e-12)
        self.atol = max(float(atol), 0.0)

    def close(self, want, have) -> bool:
        """`have` passes the exercise's comparison against `want` (finite arrays of one shape)."""
        want = np.asarray(want, dtype=float)
        have = np.asarray(have, dtype=float)
        if want.shape != have.shape:
            return False
        if want.size == 0:
            return True
        with np.errstate(all="ignore"):
            return bool(np.all(np.abs(want - have) <= self.atol + self.rtol * np.abs(want)))

    def bad(self, want, have) -> np.ndarray:
        with np.errstate(all="ignore"):
            return ~(np.abs(want - have) <= self.atol + self.rtol * np.abs(want))


def _number_array(v) -> np.ndarray | None:
    """A float array for a number or an array of numbers; None for anything else."""
    if isinstance(v, (str, bytes, dict)) or v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return None
    if isinstance(v, (int, float, np.number)):
        return np.asarray(float(v))
    if isinstance(v, np.ndarray):
        if v.dtype.kind not in "biuf" or v.size > MAX_ENTRIES:
            return None
        return v.astype(float)
    if isinstance(v, (list, tuple)):
        try:
            a = np.asarray(v, dtype=float)
        except (TypeError, ValueError):
            return None
        return a if a.size <= MAX_ENTRIES else None
    return None


def _fmt_num(x: float) -> str:
    x = float(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


def _fraction(k: float, tol: float) -> Fraction | None:
    """k as p/q with q ≤ 12 and p ≤ 1000 when it is one within `tol` (relative)."""
    f = Fraction(k).limit_denominator(12)
    if f.denominator <= 12 and abs(f.numerator) <= 1000 and f != 0 and abs(float(f) - k) <= tol * abs(k):
        return f
    return None


def _near(a: float, b: float, tol: float) -> bool:
    return b != 0 and abs(a - b) <= tol * abs(b)


def _index(i: tuple) -> str:
    return "(" + ", ".join(str(int(v)) for v in i) + (",)" if len(i) == 1 else ")")


# ------------------------------------------------------------------------------------------------ factors

_CONSTANTS = [  # (value, name, advice when the output is value × the expected, when it is 1/value of it)
    (2.0, "", "a ½ forgotten?", "an extra ½?"),
    (24.0, "the hours in a day", "hours and days mixed up?", "hours and days mixed up?"),
    (8.0, "the bits in a byte", "bits and bytes mixed up?", "bits and bytes mixed up?"),
    (1000.0, "", "a unit prefix (k, M, G) off by one step?", "a unit prefix (k, M, G) off by one step?"),
    (1024.0, "", "KiB and kB (2^10 and 10^3) mixed up?", "KiB and kB (2^10 and 10^3) mixed up?"),
    (3600.0, "the seconds in an hour", "seconds and hours mixed up?", "seconds and hours mixed up?"),
    (86400.0, "the seconds in a day", "seconds and days mixed up?", "seconds and days mixed up?"),
]


def _scalars(ctx: Context) -> list[Factor]:
    """The case's scalar inputs (quantities the student's code uses), as factors."""
    out: list[Factor] = []
    for name, v in ctx.inputs.items():
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
            continue
        v = float(v)
        if math.isfinite(v) and v not in (0.0, 1.0, -1.0):
            out.append(Factor(v, name, f"is {name} applied once too often?",
                              f"is a factor {name} missing (or divided by once too often)?"))
    return out


def _sizes(ctx: Context) -> list[Factor]:
    """The sizes of the case's arrays (3 or more): a sum where a mean is asked shows as one of them."""
    out: list[Factor] = []
    for name, v in ctx.inputs.items():
        if not isinstance(v, np.ndarray) or v.ndim == 0:
            continue
        dims = [(f"len({name})" if v.ndim == 1 else f"{name}.shape[{i}]", d) for i, d in enumerate(v.shape)]
        if v.ndim >= 2:
            dims.append((f"{name}.size", v.size))
        for label, d in dims:
            if d >= 3:
                out.append(Factor(float(d), label, "did you sum where the mean is asked?",
                                  "did you divide by it once too often (or average where the sum is asked)?"))
    return out


def _constants() -> list[Factor]:
    return [Factor(v, name, times, over) for v, name, times, over in _CONSTANTS]


def _matches(k: float, factors: list[Factor], tol: float) -> list[tuple[Factor, str]]:
    """(factor, advice) for each factor whose value is |k| (advice `times`) or 1/|k| (advice `over`)."""
    a, out = abs(k), []
    for f in factors:
        v = abs(float(f.value))
        if v in (0.0, 1.0) or not math.isfinite(v):
            continue
        if _near(a, v, tol):
            out.append((f, f.times))
        elif _near(a, 1.0 / v, tol):
            out.append((f, f.over))
    return out


def _what(value: float, name: str) -> str:
    """"5 is the batch size", "4/3 is …", or the name alone when it starts with the value's formula ("√6 (…)")."""
    if name.startswith(("√", "1/√")):
        return name
    shown = _fmt_num(value)
    f = _fraction(value, 1e-9)
    if len(shown) > 6 and f is not None and f.denominator > 1:
        shown = f"{f.numerator}/{f.denominator}"  # 4/3, not 1.33333
    return f"{shown} is {name}"


def _name_factor(k: float, ctx: Context, tol: float, level: int) -> tuple[str, str] | None:
    """(what the factor is, advice) when |k| or 1/|k| is a named quantity, else None. The exercise's own factors
    come first; then, by `level`, the case's scalar inputs and a few constants such as 2 and 24 (1) and the sizes of
    its arrays (2). Several quantities of the same value are all named: the numbers cannot tell them apart."""
    groups = [[f for f in ctx.factors if isinstance(f, Factor)]]
    if level >= 1:
        groups += [_scalars(ctx), _constants()]
    if level >= 2:
        groups.append(_sizes(ctx))
    for group in groups:
        found = _matches(k, group, tol)
        if not found:
            continue
        value = abs(float(found[0][0].value))
        if len(found) == 1:
            f, advice = found[0]
            return (_what(value, f.name) if f.name else ""), advice
        names = [f.name for f, _ in found if f.name]
        joined = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)
        return f"{_what(value, joined)} (the numbers cannot tell which)", found[0][1]
    return None


def _factor_text(k: float, tol: float) -> str:
    """'5 ×', '1/4 of', '4/3 ×' or '0.8123 ×' (with its sign)."""
    sign = "−" if k < 0 else ""
    a = abs(k)
    f = _fraction(a, max(tol, 1e-9))
    if f is not None and f.numerator == 1 and f.denominator > 1:
        return f"{sign}1/{f.denominator} of"
    if f is None and a < 1:
        inv = _fraction(1 / a, max(tol, 1e-9))
        if inv is not None and inv.denominator == 1:
            return f"{sign}1/{inv.numerator} of"
    if f is not None:
        return f"{sign}{f.numerator}{'' if f.denominator == 1 else '/' + str(f.denominator)} ×"
    return f"{sign}{a:.4g} ×"


# ------------------------------------------------------------------------------------------------ findings


@dataclass
class _Finding:
    pattern: str
    key: str  # findings with equal keys are one statement about several outputs
    singular: str  # with "{s}" for the subject ("your dW")
    plural: str


def _f(pattern: str, key: str, singular: str, plural: str | None = None) -> _Finding:
    return _Finding(pattern, key, singular, plural if plural is not None else singular)


def _factor(e, g, ctx: Context, tol: _Tol) -> _Finding | None:
    sig = np.abs(e) > max(tol.atol, 1e-300)
    if not sig.any() or not np.all(np.isfinite(g)):
        return None
    i = int(np.argmax(np.abs(e)))
    k = float(g.flat[i] / e.flat[i])
    if not math.isfinite(k) or k == 0 or abs(k - 1) <= 10 * tol.rtol:
        return None
    if not tol.close(k * e, g):
        return None
    match_tol = max(1e-9, 10 * tol.rtol)
    where = " everywhere" if e.size > 1 else ""
    if _near(k, -1.0, match_tol):
        advice = ctx.advice.get("sign", "a minus sign lost or added?")
        return _f("sign", "sign", "{s} is the expected with the sign flipped" + where + f": {advice}",
                  "{s} are each the expected with the sign flipped" + where + f": {advice}")
    # How much the numbers can say: small integers (counts, shapes) have simple ratios by chance, and any two
    # numbers have a ratio; the more entries share one factor, the less it is a coincidence.
    n_sig = int(sig.sum())
    small_ints = bool(np.all(e == np.round(e)) and np.all(g == np.round(g)) and np.max(np.abs(e)) < 1000)
    if small_ints:
        if n_sig < 2:
            return None  # 4 for 2 on a case of ones: a coincidence as often as a factor
        level = 2 if n_sig >= 3 else 0  # two small integers: only the exercise's own quantities name it
    else:
        level = 2 if n_sig >= 2 else 1
    named = _name_factor(k, ctx, match_tol, level)
    if named is None and level < 2:
        return None
    ktext = _factor_text(k, match_tol)
    tail = " (and the sign flipped)" if k < 0 else ""
    if named is not None:
        what, advice = named
        why = ": " + ", ".join(t for t in (what, advice) if t)
    elif _fraction(abs(k), match_tol) is not None:
        why = ""
    else:
        why = ": a constant factor (a missing or extra normalisation?)"
    body = f"{ktext} the expected{where}{tail}{why}"
    return _f("factor", f"factor:{k:.12g}", "{s} is " + body, "{s} are each " + body)


def _nonfinite(e, g, ctx: Context, tol: _Tol) -> _Finding | None:
    if not np.all(np.isfinite(e)):
        return None
    bad = ~np.isfinite(g)
    if not bad.any():
        return None
    rest = ~bad
    if rest.any() and not tol.close(e[rest], g[rest]):
        return None
    idx = tuple(int(v) for v in np.argwhere(bad)[0]) if e.ndim else ()
    got = g[idx] if e.ndim else g
    what = "nan" if np.isnan(got) else ("inf" if got > 0 else "-inf")
    want = _fmt_num(e[idx] if e.ndim else e)
    big = _largest_input(ctx)
    cause = (f"exp or log overflowed for large |x| (the inputs reach |{big[0]}| = {_fmt_num(big[1])}): use a "
             "stable form (np.logaddexp, np.log1p, subtract the max before exp)" if big is not None else
             "an overflow (values growing without bound) or a division by zero?")
    if e.ndim == 0 or e.size == 1:
        body = f"{what} where {want} is expected: {cause}"
        return _f("nonfinite", "nonfinite", "{s} is " + body, "{s} are " + body)
    if int(bad.sum()) == e.size:
        where = f"at all {e.size} entries (e.g. {want} is expected at index {_index(idx)}): {cause}"
    else:
        where = f"at {int(bad.sum())} of {e.size} entries where the expected is finite (e.g. {want} at index " \
                f"{_index(idx)}), and right everywhere else: {cause}"
    return _f("nonfinite", "nonfinite", "{s} is NaN or infinite " + where, "{s} are NaN or infinite " + where)


def _largest_input(ctx: Context) -> tuple[str, float] | None:
    """The float input of largest magnitude, when it is large enough (30) for exp to overflow on its multiples."""
    best = None
    for name, v in ctx.inputs.items():
        if isinstance(v, (int, np.integer)) or (isinstance(v, np.ndarray) and v.dtype.kind != "f"):
            continue  # counts and indices are not what an exp overflows on
        a = _number_array(v)
        if a is None or a.size == 0 or not np.all(np.isfinite(a)):
            continue
        m = float(np.max(np.abs(a)))
        if m >= 30 and (best is None or m > best[1]):
            best = (name, m)
    return best


def _reversed(e, g, ctx: Context, tol: _Tol) -> _Finding | None:
    for a in range(e.ndim):
        if e.shape[a] < 2:
            continue
        flipped = np.flip(e, axis=a)
        if tol.close(flipped, g) and not tol.close(e, flipped):
            where = f" along axis {a}" if e.ndim > 1 else ""
            return _f("reversed", f"reversed:{a}", "{s} holds the right values in reversed order" + where,
                      "{s} each hold the right values in reversed order" + where)
    return None


def _block_perm(e, g, axis: int, k: int, tol: _Tol) -> tuple[int, ...] | None:
    """perm with g's block j == e's block perm[j] (k equal blocks along `axis`), not the identity; else None."""
    eb = np.split(e, k, axis=axis)
    gb = np.split(g, k, axis=axis)
    options = [[i for i in range(k) if tol.close(eb[i], gb[j])] for j in range(k)]
    if any(not o for o in options):
        return None
    for perm in itertools.product(*options):
        if len(set(perm)) == k and list(perm) != list(range(k)):
            return tuple(perm)
    return None


def _blocks(e, g, ctx: Context, tol: _Tol) -> _Finding | None:
    named = len(ctx.blocks)
    counts = ([named] if named >= 2 else []) + [k for k in (2, 3, 4) if k != named]
    for a in reversed(range(e.ndim)):
        L = e.shape[a]
        for k in counts:
            if L < k or L % k:
                continue
            width = L // k
            if width * (e.size // L) < 2 and k != named:
                continue  # single numbers swapped are too weak a sign, unless the exercise names the blocks
            perm = _block_perm(e, g, a, k, tol)
            if perm is None:
                continue
            if k == named:  # the exercise's blocks (gates) along whichever axis holds them
                mine = ", ".join(ctx.blocks[i] for i in perm)
                body = f"the right blocks in another order: {mine} where {', '.join(ctx.blocks)} is expected"
                if ctx.advice.get("blocks"):
                    body += f" ({ctx.advice['blocks']})"
                key = f"blocks:{perm}"
            else:
                where = f" along axis {a}" if e.ndim > 1 else ""
                body = (f"the right blocks in another order{where}: {k} blocks of {width}, yours are the expected's "
                        "blocks " + ", ".join(str(i + 1) for i in perm))
                key = f"blocks:{a}:{perm}"
            return _f("blocks", key, "{s} holds " + body, "{s} each hold " + body)
    return None


def _transposed(e, g, ctx: Context, tol: _Tol) -> _Finding | None:
    if e.ndim < 2 or e.ndim > 5:
        return None
    for perm in itertools.permutations(range(e.ndim)):
        if list(perm) == list(range(e.ndim)):
            continue
        t = np.transpose(e, perm)
        if t.shape != g.shape or not tol.close(t, g):
            continue
        if t.shape == e.shape and tol.close(e, t):
            continue  # symmetric: a transpose would not change it
        if e.ndim == 2:
            body = "the expected transposed" + (f" (shape {g.shape} where {e.shape} is expected)"
                                                if g.shape != e.shape else "")
        else:
            body = f"the expected with its axes in the order {perm} (shape {g.shape} where {e.shape} is expected)"
        return _f("transpose", f"transpose:{perm}", "{s} is " + body, "{s} are each " + body)
    return None


def _reshaped(e, g, ctx: Context, tol: _Tol) -> _Finding | None:
    if e.size != g.size or e.shape == g.shape or e.size < 2:
        return None
    if not tol.close(e.reshape(-1), g.reshape(-1)):
        return None
    body = f"the right values in shape {g.shape} where {e.shape} is expected"
    return _f("reshape", f"reshape:{g.shape}", "{s} holds " + body, "{s} each hold " + body)


def _slice(a: np.ndarray, axis: int, sl: slice) -> np.ndarray:
    idx = [slice(None)] * a.ndim
    idx[axis] = sl
    return a[tuple(idx)]


def _steps_axis(e, ctx: Context) -> int | None:
    if ctx.steps is None or e.ndim == 0 or not -e.ndim <= ctx.steps < e.ndim:
        return None
    return ctx.steps % e.ndim


def _extra_or_missing(e, g, ctx: Context, tol: _Tol) -> _Finding | None:
    """One step too many or too few along the exercise's axis of steps."""
    a = _steps_axis(e, ctx)
    if a is None or e.ndim != g.ndim:
        return None
    if [i for i in range(e.ndim) if e.shape[i] != g.shape[i]] != [a]:
        return None
    where = f" along axis {a}" if e.ndim > 1 else ""
    advice = ctx.advice.get("step", "an off-by-one in a loop or a slice?")
    if g.shape[a] == e.shape[a] + 1:
        for sl, which in ((slice(1, None), "first"), (slice(None, -1), "last")):
            if tol.close(e, _slice(g, a, sl)):
                body = f"one entry too many{where}: without its {which} one it is the expected ({advice})"
                return _f("step", f"extra:{a}:{which}", "{s} has " + body, "{s} each have " + body)
    if g.shape[a] + 1 == e.shape[a]:
        for sl, which in ((slice(1, None), "first"), (slice(None, -1), "last")):
            if tol.close(_slice(e, a, sl), g):
                body = f"one entry too few{where}: it is the expected without its {which} one ({advice})"
                return _f("step", f"missing:{a}:{which}", "{s} has " + body, "{s} each have " + body)
    return None


def _shifted(e, g, ctx: Context, tol: _Tol) -> _Finding | None:
    """The values shifted by one step along the exercise's axis of steps."""
    a = _steps_axis(e, ctx)
    if a is None or e.shape[a] < 3:
        return None
    late = tol.close(_slice(e, a, slice(None, -1)), _slice(g, a, slice(1, None)))
    early = tol.close(_slice(e, a, slice(1, None)), _slice(g, a, slice(None, -1)))
    if late == early:
        return None
    where = f" along axis {a}" if e.ndim > 1 else ""
    how = "your entry t is the expected's t − 1" if late else "your entry t is the expected's t + 1"
    advice = ctx.advice.get("step", "an index off by one?")
    body = f"the expected shifted by one{where} ({how}): {advice}"
    return _f("step", f"shift:{a}:{late}", "{s} is " + body, "{s} are each " + body)


def _edge_step(e, g, ctx: Context, tol: _Tol, bad: np.ndarray) -> _Finding | None:
    """Only the first or the last step differs, along the exercise's axis of steps (never guessed: a difference
    confined to one row has many causes elsewhere)."""
    a = _steps_axis(e, ctx)
    if a is None or e.shape[a] < 2:
        return None
    L = e.shape[a]
    rows = np.unique(np.nonzero(bad)[a])
    if len(rows) != 1 or rows[0] not in (0, L - 1):
        return None
    which = "first" if rows[0] == 0 else "last"
    where = f" along axis {a}" if e.ndim > 1 else ""
    advice = ctx.advice.get("step", "a loop or a slice off by one?")
    body = f"only at the {which} step{where} (index {int(rows[0])} of 0..{L - 1}); the rest is right: {advice}"
    return _f("step", f"edge:{a}:{which}", "{s} differs " + body, "{s} each differ " + body)


def _kink(e, g, ctx: Context, tol: _Tol, bad: np.ndarray) -> _Finding | None:
    for name, v in ctx.inputs.items():
        if not isinstance(v, np.ndarray) or v.shape != e.shape or v.dtype.kind not in "fiu" or v.size < 2:
            continue
        zero = np.asarray(v) == 0
        nz = int(zero.sum())
        if nz == 0 or nz * 2 > v.size or not np.all(zero[bad]):
            continue
        body = (f"only where {name} is exactly 0 ({int(bad.sum())} of {e.size} entries): at the kink, use the value "
                "the exercise asks for" + (f" ({ctx.advice['kink']})" if ctx.advice.get("kink") else ""))
        return _f("kink", f"kink:{name}", "{s} differs " + body, "{s} each differ " + body)
    return None


def _repeated(e, g, ctx: Context, tol: _Tol, bad: np.ndarray) -> _Finding | None:
    if e.ndim == 0:
        return None
    rows_bad = np.unique(np.nonzero(bad)[0])
    for name, v in ctx.inputs.items():
        if not isinstance(v, np.ndarray) or v.dtype.kind not in "iu" or v.size < 2:
            continue
        if v.min() < 0 or v.max() >= e.shape[0]:
            continue
        values, counts = np.unique(v, return_counts=True)
        repeated = set(int(x) for x in values[counts > 1])
        if not repeated or not set(int(r) for r in rows_bad) <= repeated:
            continue
        rows = ", ".join(str(int(r)) for r in rows_bad[:6]) + ("…" if len(rows_bad) > 6 else "")
        which = "the indices that occur" if len(rows_bad) > 1 else "an index that occurs"
        body = (f"only in row{'s' if len(rows_bad) > 1 else ''} {rows}, {which} more than once in {name}: every "
                "occurrence must add its contribution (np.add.at; `a[idx] += v` adds one per row)")
        return _f("repeated", f"repeated:{name}", "{s} differs " + body, "{s} each differ " + body)
    return None


def _signs(e, g, ctx: Context, tol: _Tol) -> _Finding | None:
    if not tol.close(np.abs(e), np.abs(g)):
        return None
    sig = np.abs(e) > max(tol.atol, 1e-300)
    flipped = sig & (np.sign(e) != np.sign(g))
    m = int(flipped.sum())
    if m == 0 or m == int(sig.sum()):
        return None
    body = f"the right magnitudes but the wrong sign at {m} of {e.size} entries"
    return _f("sign", "signs", "{s} has " + body, "{s} each have " + body)


def _leaf(e, g, ctx: Context, tol: _Tol) -> _Finding | None:
    """The one pattern that explains this (failing) output's whole difference, or None."""
    ea, ga = _number_array(e), _number_array(g)
    if ea is None or ga is None:
        return None
    if ea.shape != ga.shape:
        if not (np.all(np.isfinite(ea)) and np.all(np.isfinite(ga))):
            return None
        for check in (_transposed, _extra_or_missing, _reshaped):
            found = check(ea, ga, ctx, tol)
            if found is not None:
                return found
        return None
    found = _nonfinite(ea, ga, ctx, tol)
    if found is not None or not (np.all(np.isfinite(ea)) and np.all(np.isfinite(ga))):
        return found
    for check in (_factor, _reversed, _blocks, _transposed, _shifted):
        found = check(ea, ga, ctx, tol)
        if found is not None:
            return found
    if ea.ndim:
        bad = tol.bad(ea, ga)
        if bad.any():
            for check in (_kink, _repeated, _edge_step):
                found = check(ea, ga, ctx, tol, bad)
                if found is not None:
                    return found
    return _signs(ea, ga, ctx, tol)


# ------------------------------------------------------------------------------------------------ outputs


def _flatten(e, g, path: tuple, out: list) -> None:
    """(path, expected, got) for every output of a nested tuple/list/dict, as deep as the two agree."""
    if isinstance(e, (list, tuple)) and isinstance(g, (list, tuple)) and len(e) == len(g) and \
            not _is_number_list(e):
        for i, (a, b) in enumerate(zip(e, g)):
            _flatten(a, b, path + (i,), out)
    elif isinstance(e, dict) and isinstance(g, dict) and set(e) <= set(g):
        for k in e:
            _flatten(e[k], g[k], path + (k,), out)
    else:
        out.append((path, e, g))


def _is_number_list(v) -> bool:
    return isinstance(v, (list, tuple)) and len(v) > 0 and all(
        isinstance(x, (int, float, np.number)) and not isinstance(x, bool) for x in v)


def _label(path: tuple, ctx: Context) -> str:
    if not path:
        return "output"
    head, rest = path[0], path[1:]
    if isinstance(head, int) and head < len(ctx.outputs):
        text = ctx.outputs[head]
    else:
        text = f"output[{head!r}]"
    return text + "".join(f"[{p!r}]" for p in rest)


def _join(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


_TELLING = ("blocks", "transpose", "reversed", "reshape", "nonfinite")


def _ok(e, g, rtol, atol) -> bool:
    from course_lib.grading.compare import compare

    try:
        return compare(e, g, rtol, atol).ok
    except Exception:  # noqa: BLE001
        return False


def diagnose(expected: Any, got: Any, context: Context | None = None, rtol: float = 1e-6,
             atol: float = 1e-8) -> Hint | None:
    """The pattern that explains the whole difference between `expected` and `got`, as one line, or None."""
    try:
        return _diagnose(expected, got, context or Context(), _Tol(rtol, atol), rtol, atol)
    except Exception:  # noqa: BLE001 - a hint must never stop grading, whatever a submission returns
        return None


def _diagnose(expected, got, ctx: Context, tol: _Tol, rtol: float, atol: float) -> Hint | None:
    leaves: list = []
    _flatten(expected, got, (), leaves)
    if not leaves or len(leaves) > 10_000:
        return None
    bad = [(p, e, g) for p, e, g in leaves if not _ok(e, g, rtol, atol)]
    if not bad:
        return None
    found = [(p, _leaf(e, g, ctx, tol)) for p, e, g in bad]
    found = _same_factor(found, bad, tol)
    if len(leaves) == 1:
        f = found[0][1]
        return None if f is None else _hint(f, [_subject(found[0][0], ctx)], "")
    good = [_label(p, ctx) for p, _, _ in leaves if all(p != q for q, _, _ in bad)]
    right = (f"{_join(good)} {'is' if len(good) == 1 else 'are'} right" if good and len(good) <= 6 else
             ("the other outputs are right" if good else ""))
    explained = [(p, f) for p, f in found if f is not None]
    if len(bad) == 1:
        p, f = found[0]
        label = _label(p, ctx)
        if f is None:
            return Hint("output", f"hint: only {label} differs ({right})")
        return _hint(f, [_subject(p, ctx)], f"only {label} differs ({right}): ")
    if len(explained) < len(bad):
        # several outputs differ and not all follow a pattern: name only a telling one (gate order, a transpose,
        # an overflow), saying which outputs it covers and that the others differ in another way
        telling = [(p, f) for p, f in explained if f.pattern in _TELLING]
        if not telling:
            return None
        key = telling[0][1].key
        group = [p for p, f in telling if f.key == key]
        others = [_label(p, ctx) for p, f in found if p not in group]
        text = _phrase(telling[0][1], [_subject(p, ctx) for p in group])
        return Hint(telling[0][1].pattern,
                    f"hint: {text}; {_join(others)} {'differs' if len(others) == 1 else 'differ'} in another way")
    groups: dict[str, list] = {}
    for p, f in explained:
        groups.setdefault(f.key, []).append((p, f))
    parts = [_phrase(items[0][1], [_subject(p, ctx) for p, _ in items]) for items in groups.values()]
    pattern = explained[0][1].pattern
    prefix = f"{right}; " if right else ""
    return Hint(pattern, "hint: " + prefix + "; ".join(parts))


def _same_factor(found: list, bad: list, tol: _Tol) -> list:
    """An output left unexplained (one number, whose ratio alone names nothing) takes the factor that explains
    another output, when that factor explains it too: "your loss and grad are each 3 × the expected"."""
    factors = [f for _, f in found if f is not None and f.pattern == "factor"]
    if not factors:
        return found
    k = float(factors[0].key.split(":", 1)[1])
    out = []
    for (p, f), (_, e, g) in zip(found, bad):
        if f is None:
            ea, ga = _number_array(e), _number_array(g)
            if ea is not None and ga is not None and ea.shape == ga.shape and np.any(ea != 0) and \
                    np.all(np.isfinite(ga)) and tol.close(k * ea, ga):
                f = factors[0]
        out.append((p, f))
    return out


def _subject(path: tuple, ctx: Context) -> str:
    return _label(path, ctx)


def _phrase(f: _Finding, labels: list[str]) -> str:
    if len(labels) == 1:
        return f.singular.format(s=f"your {labels[0]}")
    return f.plural.format(s=f"your {_join(labels)}")


def _hint(f: _Finding, labels: list[str], prefix: str) -> Hint:
    return Hint(f.pattern, "hint: " + prefix + _phrase(f, labels))
