"""Diagnoses from the numbers (course_lib.grading.hints): each pattern fires on its mistake, stays silent on near
misses and on correct output, hidden feedback names the pattern in fixed words only, and no reference output of any
homework gets a hint. The homework tests (tests/test_hwNN_*.py) check the hint of every classic-mistake mutant with
`assert_hint` below."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.grading.compare import Verdict, compare
from course_lib.grading.hints import HIDDEN_PHRASES, PATTERNS, Context, Factor, Hints, diagnose
from course_lib.grading.judge import hidden_hint, judge

# ---------------------------------------------------------------------------------------------- for the homework tests


def case_hints(res, exercise: str) -> list[tuple[bool, str]]:
    """(hidden, hint) for every failing case of `exercise` in a graded result that carries a hint: the public
    case's "hint: …" line, or the hidden case's fixed phrase."""
    out = []
    for e in res.exercises:
        if e.name != exercise:
            continue
        for c in e.cases:
            if c.ok:
                continue
            if c.hidden:
                tail = c.message.split("; hint: ", 1)
                if len(tail) == 2:
                    out.append((True, "hint: " + tail[1]))
            else:
                out += [(False, line) for line in c.message.split("\n") if line.startswith("hint: ")]
    return out


def assert_hint(res, exercise: str, pattern: str | None, *texts: str) -> None:
    """The mutant's failing cases of `exercise` get the hint of `pattern` and no other: at least one case has it,
    every hidden hint is the pattern's fixed phrase, every public hint holds each of `texts`. None: no hint at all
    (the mistake shows no pattern in the numbers)."""
    found = case_hints(res, exercise)
    if pattern is None:
        assert not found, found
        return
    assert found, f"{exercise}: no case got a hint ({pattern})"
    for hidden, text in found:
        if hidden:
            assert text == f"hint: {HIDDEN_PHRASES[pattern]}", (pattern, text)
        else:
            assert all(t in text for t in texts), (texts, text)
    assert texts or all(hidden for hidden, _ in found), "name the public hint's words"


def expect_hint(res, exercise: str, expected: tuple | None) -> None:
    """assert_hint with the expectation as one value: None (no hint) or (pattern, *texts)."""
    if expected is None:
        assert_hint(res, exercise, None)
    else:
        assert_hint(res, exercise, *expected)


def assert_no_hint(res) -> None:
    """A graded result (a correct solution) in which no case carries a hint."""
    assert res.total == res.max_total, [c.message for e in res.exercises for c in e.cases if not c.ok]
    assert not [c.message for e in res.exercises for c in e.cases if "hint:" in c.message]


# ------------------------------------------------------------------------------------------------ each pattern

RNG = np.random.default_rng(0)
E = RNG.normal(size=(4, 3))


def hint(expected, got, rtol=1e-7, atol=1e-9, **ctx):
    h = diagnose(expected, got, Context(**ctx), rtol, atol)
    return None if h is None else h


def near_miss(got, where=(0, 0), by=1e-3):
    """The same array with one entry off by `by` (relative): no pattern explains it any more."""
    g = np.array(got, dtype=float)
    g[where] *= 1 + by
    return g


def test_factor_named_from_the_inputs():
    x = RNG.normal(size=(5, 3))
    h = hint(E, 5 * E, inputs={"x": x}, factors=[Factor(5, "N, the batch size", "did you sum?", "divided twice?")])
    assert h.pattern == "factor" and "5 × the expected everywhere: 5 is N, the batch size, did you sum?" in h.text
    h = hint(E, E / 5, factors=[Factor(5, "N, the batch size", "did you sum?", "divided twice?")])
    assert "1/5 of the expected" in h.text and "divided twice?" in h.text
    assert "0.25 is p" in hint(E, 0.25 * E, inputs={"p": 0.25}).text  # a scalar input names it
    assert "2 × the expected everywhere: a ½ forgotten?" in hint(E, 2 * E).text  # a constant
    assert "3 is x.shape[1]" in hint(E, 3 * E, inputs={"x": x}).text  # a size, for arrays only
    h = hint(E, 0.8123 * E)  # several numbers share it: a constant factor, unnamed
    assert "0.8123 × the expected everywhere: a constant factor" in h.text


def test_factor_silent_on_near_misses_and_coincidences():
    assert hint(E, near_miss(5 * E)) is None
    assert hint(E, E * (1 + 1e-8)) is None  # within the tolerance: correct, no hint
    assert hint(2.0, 2.6) is None  # one number: any two have a ratio, and 1.3 names nothing
    assert hint(4.0, 2.0) is None  # small integers (counts): 1/2 by coincidence as often as by mistake
    assert hint(np.array([28.0, 28.0]), np.array([14.0, 14.0]), inputs={"stride": 2}) is None
    named = hint(np.array([-6.0, -8.0]), np.array([-18.0, -24.0]), factors=[Factor(3, "n")])
    assert "3 is n" in named.text  # two small integers: only the exercise's own quantities name a factor
    assert hint(0.0, 1.0) is None and hint(np.zeros(3), np.ones(3)) is None  # no scale on zero


def test_factor_of_one_number_only_when_named():
    h = hint(0.731, 0.731 * 24, factors=[Factor(24, "the hours in a day", "hours and days mixed up?")])
    assert h is not None and "24 is the hours in a day, hours and days mixed up?" in h.text
    assert "everywhere" not in h.text  # a single number
    assert hint(123456789.0, 123456789.0 / 8).text.endswith("bits and bytes mixed up?")
    both = hint(3.7e9, 7.4e9, factors=[Factor(2, "the number of directions"), Factor(2, "the FLOPs of a MAC")])
    assert "2 is the number of directions or the FLOPs of a MAC (the numbers cannot tell which)" in both.text


def test_sign():
    h = hint(E, -E)
    assert h.pattern == "sign" and "sign flipped everywhere" in h.text
    g = np.abs(E) * np.sign(E)
    g[0] = -g[0]
    assert hint(E, g).pattern == "sign" and "wrong sign at 3 of 12 entries" in hint(E, g).text
    assert hint(E, near_miss(-E)) is None


def test_transpose_and_axes():
    h = hint(E, E.T)
    assert h.pattern == "transpose" and "(shape (3, 4) where (4, 3) is expected)" in h.text
    S = RNG.normal(size=(3, 3))
    assert hint(S, S.T).pattern == "transpose"
    assert hint(S + S.T, S + S.T + 1) is None  # symmetric: a transpose explains nothing
    T = RNG.normal(size=(2, 3, 4))
    assert "axes in the order (0, 2, 1)" in hint(T, T.transpose(0, 2, 1)).text
    assert hint(E, near_miss(E.T)) is None


def test_reshape():
    T = RNG.normal(size=(2, 3, 2))
    h = hint(T, T.reshape(6, 2))
    assert h.pattern == "reshape" and "in shape (6, 2) where (2, 3, 2) is expected" in h.text
    assert hint(T, near_miss(T.reshape(6, 2))) is None


def test_kink_only_where_an_input_is_zero():
    x = RNG.normal(size=(4, 3))
    x[0, 1] = x[2, 2] = 0.0
    g = E.copy()
    g[x == 0] += 1.0
    h = hint(E, g, inputs={"x": x, "dout": RNG.normal(size=(4, 3))})
    assert h.pattern == "kink" and "only where x is exactly 0 (2 of 12 entries)" in h.text
    g[1, 1] += 1.0  # and somewhere else too
    assert hint(E, g, inputs={"x": x}) is None
    assert hint(E, E + 1.0, inputs={"x": np.zeros((4, 3))}) is None  # all zeros: that explains nothing


def test_repeated_indices():
    idx = np.array([2, 0, 2, 3])
    g = E.copy()
    g[2] -= 1.0
    h = hint(E, g, inputs={"idx": idx})
    assert h.pattern == "repeated" and "only in row 2, an index that occurs more than once in idx" in h.text
    g[1] += 1.0  # row 1 is never looked up twice
    assert hint(E, g, inputs={"idx": idx}) is None
    assert hint(E, E + 1, inputs={"idx": np.array([0, 1, 2, 3])}) is None  # no index repeats


def test_nonfinite_names_the_expected_value_and_the_large_inputs():
    e, g = np.array([0.69, 800.0]), np.array([0.69, np.inf])
    h = hint(e, g, inputs={"logits": np.array([0.0, 800.0])})
    assert h.pattern == "nonfinite" and "at 1 of 2 entries" in h.text and "(e.g. 800 at index (1,))" in h.text
    assert "the inputs reach |logits| = 800" in h.text and "stable form" in h.text
    h = hint(400.0, float("nan"), inputs={"num_sweeps": 500, "X": np.ones(3)})
    assert "nan where 400 is expected" in h.text and "overflow" in h.text and "|num_sweeps|" not in h.text
    assert hint(e, np.array([0.7, np.inf])) is None  # the finite entry is wrong too
    assert hint(np.array([np.inf, 1.0]), np.array([np.nan, 1.0])) is None  # the reference is not finite


def test_blocks_in_another_order():
    W = RNG.normal(size=(3, 8))
    i, f, g, o = np.split(W, 4, axis=1)
    h = hint(W, np.concatenate([i, f, o, g], axis=1), blocks=("i", "f", "g", "o"), advice={"blocks": "gate order"})
    assert h.pattern == "blocks" and "i, f, o, g where i, f, g, o is expected (gate order)" in h.text
    h = hint(W, np.concatenate([g, o, i, f], axis=1))
    assert h.pattern == "blocks" and "2 blocks of 4" in h.text
    assert hint(W, near_miss(np.concatenate([i, f, o, g], axis=1)), blocks=("i", "f", "g", "o")) is None


def test_reversed():
    v = RNG.normal(size=6)
    assert hint(v, v[::-1]).pattern == "reversed"
    assert "along axis 1" in hint(E, E[:, ::-1]).text
    assert hint(v, near_miss(v[::-1], where=(2,))) is None


def test_steps_only_along_the_declared_axis():
    hs = RNG.normal(size=(4, 2, 3))
    h0 = RNG.normal(size=(1, 2, 3))
    h = hint(hs, np.concatenate([h0, hs]), steps=0, advice={"step": "h0 included?"})
    assert h.pattern == "step" and "one entry too many along axis 0: without its first one" in h.text
    assert "one entry too few" in hint(hs, hs[:-1], steps=0).text
    assert hint(hs, np.concatenate([h0, hs])) is None  # no axis of steps declared: never guessed
    late = np.concatenate([h0, hs[:-1]])
    assert "shifted by one" in hint(hs, late, steps=0).text
    last = hs.copy()
    last[-1] += 1
    h = hint(hs, last, steps=0)
    assert h.pattern == "step" and "only at the last step" in h.text
    assert hint(hs, last) is None
    assert hint(hs, near_miss(np.concatenate([h0, hs]), where=(2, 0, 0)), steps=0) is None


def test_one_output_of_several():
    loss, grad = 0.5, RNG.normal(size=3)
    h = hint((loss, grad), (loss, grad + 1), outputs=("loss", "grad"))
    assert h.pattern == "output" and h.text == "hint: only grad differs (loss is right)"
    h = hint((loss, grad), (loss, 4 * grad), outputs=("loss", "grad"))
    assert h.pattern == "factor" and h.text.startswith("hint: only grad differs (loss is right): your grad is 4 ×")
    both = hint((loss, grad), (3 * loss, 3 * grad), inputs={"X": np.ones((3, 2))}, outputs=("loss", "grad"))
    assert both.text.startswith("hint: your loss and grad are each 3 × the expected")
    assert hint((loss, grad), (loss + 1, grad + 1), outputs=("loss", "grad")) is None  # both differ, no pattern
    d = {"W": RNG.normal(size=(2, 2)), "b": RNG.normal(size=2)}
    assert "only output['b'] differs (output['W'] is right)" in hint(d, {"W": d["W"], "b": d["b"] + 1}).text


def test_a_telling_pattern_is_named_for_the_outputs_it_explains():
    W, dx = RNG.normal(size=(3, 8)), RNG.normal(size=(2, 3))
    i, f, g, o = np.split(W, 4, axis=1)
    swapped = np.concatenate([i, f, o, g], axis=1)
    h = hint((dx, W), (dx + 1, swapped), outputs=("dx", "dW"), blocks=("i", "f", "g", "o"))
    assert h.pattern == "blocks" and h.text.endswith("; dx differs in another way")
    assert hint((dx, W), (dx + 1, 3 * W), outputs=("dx", "dW")) is None  # a factor on one of two: not telling


def test_never_for_a_correct_output_and_never_raises():
    for e in (E, 3.0, (1.0, E), {"a": E, "b": [1.0, 2.0]}, np.array([np.inf, 1.0])):
        assert diagnose(e, e) is None
    noisy = E * (1 + 1e-9)
    assert compare(E, noisy, 1e-7, 1e-9).ok and diagnose(E, noisy, None, 1e-7, 1e-9) is None
    for got in ("text", None, [1, "a"], {"x": 1}, object(), np.array(["a"]), [[1, 2], [3]], np.ones(10**7, bool),
                float("nan"), (E,), {1: E}):
        assert diagnose(E, got) is None or isinstance(diagnose(E, got).text, str)
    assert diagnose({"a": E}, {"a": 3 * E}, Context(factors=["not a factor"])).pattern == "factor"


# ---------------------------------------------------------------------------------------- the judge and hidden feedback


def test_the_verdict_carries_the_hint_and_its_pattern():
    from course_lib.grading.homework import load_homework

    ex = load_homework("hw04").exercise("bce_with_logits")
    c = ex.public[0]
    want = (0.5, np.array([0.1, -0.2, 0.3, 0.05, 0.01]))
    v = judge(ex, c.args, c.kwargs, {"value": want}, {"value": (0.5, want[1] * 5)})
    assert not v.ok and v.kind == "values" and v.pattern == "factor"
    assert v.hint.startswith("hint: only dlogits differs (loss is right): your dlogits is 5 × the expected")
    assert v.message.split("\n")[-1] == v.hint and v.message.startswith("output[1]: values differ")
    ok = judge(ex, c.args, c.kwargs, {"value": want}, {"value": want})
    assert ok.ok and ok.hint == "" and ok.pattern == ""


def test_hidden_feedback_names_the_pattern_in_fixed_words_only():
    assert set(HIDDEN_PHRASES) == set(PATTERNS)
    for key, phrase in HIDDEN_PHRASES.items():
        assert not any(ch.isdigit() for ch in phrase), phrase  # no value can reach it
        assert hidden_hint(Verdict(False, "", kind="values", pattern=key)) == f"hint: {phrase}"
    assert hidden_hint(Verdict(False, "x", kind="values")) == ""
    assert hidden_hint(Verdict(False, "x", kind="values", pattern="5 is the batch size")) == ""


def test_hidden_case_feedback_shows_no_value():
    from autograder.grade.scoring import score
    from course_lib.grading.homework import load_homework
    from course_lib.grading.model import case

    ex = load_homework("hw04").exercise("bce_with_logits")
    z = np.array([0.25, -1.5, 3.0, 0.125, 2.0, -0.75, 1.0])
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0])
    d = (1 / (1 + np.exp(-z)) - y) / z.size
    hidden = [case(z, y)]
    res = score(ex, [], hidden, [{"value": (0.9, d)}], [{"value": (0.9, 7 * d)}])
    msg = res.cases[0].message
    assert msg.endswith("; hint: the difference is a constant factor") and "7" not in msg.split("hint:")[1]


# ------------------------------------------------------------------------------------------------ no hint on references


def _homeworks():
    from course_lib.grading.homework import all_homeworks

    return all_homeworks()


@pytest.mark.parametrize("hw", _homeworks(), ids=lambda h: h.short)
def test_no_reference_output_gets_a_hint(hw):
    """Every public and hidden case of every exercise: the reference's output against itself and within half the
    tolerance gives no hint; the solution graded in-process carries none."""
    from gradeutil import expected, grade_solution

    from course_lib.grading.model import student_call

    cache = expected(hw.name)
    for ex in hw.exercises:
        if ex.check is not None:
            continue
        public, hidden, outs = cache.get(ex)
        for c, o in zip(public + hidden, outs):
            if "value" not in o:
                continue
            ctx = Context.of(student_call(ex, c.args, c.kwargs).inputs, ex.hints)
            assert diagnose(o["value"], o["value"], ctx, ex.rtol, ex.atol) is None
            assert diagnose(o["value"], _within(o["value"], ex.rtol, ex.atol), ctx, ex.rtol, ex.atol) is None
    assert_no_hint(grade_solution(hw.name))


def _within(v, rtol, atol):
    """`v` with every float moved by half the tolerance (the comparison still passes)."""
    if isinstance(v, tuple):
        return tuple(_within(x, rtol, atol) for x in v)
    if isinstance(v, list):
        return [_within(x, rtol, atol) for x in v]
    if isinstance(v, dict):
        return {k: _within(x, rtol, atol) for k, x in v.items()}
    if isinstance(v, np.ndarray) and v.dtype.kind == "f":
        return v + 0.5 * (atol + rtol * np.abs(v)) * np.where(np.arange(v.size).reshape(v.shape) % 2, 1, -1)
    if isinstance(v, float):
        return v + 0.5 * (atol + rtol * abs(v))
    return v


# ------------------------------------------------------------------------------------------------ the student's call


def test_self_check_shows_the_students_call_inputs_on_one_line_and_the_hint(capsys):
    from course_lib.check import check

    def leaky_relu_forward(x, alpha=0.01):
        return np.where(x > 0, x, alpha * x), (x, alpha)

    def leaky_relu_backward(dout, cache):
        x, a = cache
        return np.where(x >= 0, dout, a * dout)

    ns = {"leaky_relu_forward": leaky_relu_forward, "leaky_relu_backward": leaky_relu_backward, "np": np}
    assert not check("leaky_relu_backward", namespace=ns)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "  case 1: leaky_relu_backward(dout, cache); cache: what your leaky_relu_forward(x, alpha) returned" in lines
    assert "    x = [[-2. , -0.5, 0. , 0.5, 2. ], [ 3. , -3. , 1. , -1. , 0. ]]" in lines
    assert "    alpha = 0.1" in lines and any(line.startswith("    dout = [[") for line in lines)
    assert "'leaky_relu'" not in out and "array(" not in out
    assert "    hint: your output differs only where x is exactly 0 (2 of 10 entries): at the kink, use the value " \
           "the exercise asks for" in lines


def test_the_nan_message_shows_the_expected_value():
    v = compare(np.array([0.5, 400.0]), np.array([0.5, np.nan]))
    assert v.kind == "nan" and v.message == "output: got nan where 400 was expected (at index (1,); 1 of 2 entries)"
    assert compare(1.5, float("inf")).message == "output: got inf where 1.5 was expected"
    assert compare(float("nan"), 2.0).message == "output: got 2 where nan was expected"


def test_every_exercise_declares_the_assignments_parameters():
    """Hints and case lines name inputs by the student's parameter names: they must be the solution's."""
    import ast

    from autograder.paths import solution_notebook
    from course_lib.grading.notebook import extract_file

    for hw in _homeworks():
        sigs = {}
        for chunk in extract_file(solution_notebook(hw.name)).chunks:
            for node in ast.parse(chunk[1]).body:
                if isinstance(node, ast.FunctionDef):
                    sigs[node.name] = tuple(a.arg for a in node.args.posonlyargs + node.args.args)
        for ex in hw.exercises:
            assert ex.params == sigs[ex.name], (hw.short, ex.name, ex.params, sigs[ex.name])


def test_exercise_hints_are_well_formed():
    for hw in _homeworks():
        for ex in hw.exercises:
            assert ex.hints is None or isinstance(ex.hints, Hints), ex.name
            if ex.hints is not None and ex.hints.factors is not None:
                for c in ex.public:
                    from course_lib.grading.model import student_call

                    fs = ex.hints.factors(student_call(ex, c.args, c.kwargs).inputs)
                    assert all(isinstance(f, Factor) and np.isfinite(f.value) for f in fs), (ex.name, fs)


def test_nbgrader_and_otter_test_cells_carry_the_hint():
    """The exported test cells call the same judge: a public case's assertion message ends with the hint; a hidden
    case's says only that it failed."""
    from autograder.interop.common import graded_cases, test_code
    from course_lib.grading.homework import load_homework

    cases = graded_cases(load_homework("hw04"))["bce_with_logits"]
    public = next(c for c in cases if not c.hidden)
    hidden = next(c for c in cases if c.hidden)
    student = (
        "import numpy as np\n"
        "def bce_with_logits(logits, y):\n"
        "    p = np.exp(-np.logaddexp(0, -logits))\n"
        "    return float(np.mean(np.logaddexp(0, logits) - y * logits)), p - y\n")
    for gc, want in ((public, "hint: only dlogits differs (loss is right): your dlogits is 5 × the expected"),
                     (hidden, None)):
        ns: dict = {"__name__": "__main__"}
        exec(student, ns)  # noqa: S102 - our own mutant
        with pytest.raises(AssertionError) as err:
            exec(test_code(gc), ns)  # noqa: S102 - the exported cell
        if want:
            assert want in str(err.value)
        else:
            assert str(err.value) == f"bce_with_logits: hidden case {gc.index} failed"
