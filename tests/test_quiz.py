"""Concept checks (graded lecture questions): the keys, `answer()`, the grader, and every lecture's questions.

Generic over the lectures that have `autograder/quizzes/lectureNN.py`: a copy of the lecture notebook with each
`answer(id, None)` filled with the right literal grades to full marks by `course grade quizNN`, the notebook as
shipped grades 0, and one wrong answer loses exactly that question.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from conftest import ROOT, course
from conftest import grades_by_student as read_grades

import course_lib.grading.quiz as student
from autograder.quizzes import Choice, Expression, Number, keys_json, lectures, quiz
from autograder.release import plan as release
from autograder.release.bundle import bundle_pyproject
from course_lib.quiz import QuizError, parse_expression, read_answers, verdict

CALL = re.compile(r'answer\(\s*"(\d\d\.\d+)"\s*,\s*None\s*\)')
LECTURES = [nn for nn in lectures() if list((ROOT / "notebooks").glob(f"{nn}_*.ipynb"))]


def notebook(nn: str) -> Path:
    return sorted((ROOT / "notebooks").glob(f"{nn}_*.ipynb"))[0]


def right_literal(q) -> str:
    return repr(q.value if isinstance(q, Number) else q.answer)


def wrong_literal(q) -> str:
    if isinstance(q, Number):
        tol = max(q.atol, q.rtol * abs(q.value))
        return repr(q.value + 10 * tol + 1)
    if isinstance(q, Choice):
        return repr(next(o for o in q.options if o != q.answer))
    return repr(f"({q.answer}) + 1")


def filled(nn: str, literal=right_literal, wrong: str | None = None, raw: dict | None = None) -> dict:
    """The lecture notebook with every `answer(id, None)` given the right literal (`wrong`: a wrong one;
    `raw`: id -> source text put in the call as it is)."""
    q = quiz(nn)
    nb = json.loads(notebook(nn).read_text(encoding="utf-8"))

    def sub(m):
        qid = m.group(1)
        if raw and qid in raw:
            value = raw[qid]
        else:
            question = q.question(qid)
            value = wrong_literal(question) if qid == wrong else literal(question)
        return f'answer("{qid}", {value})'

    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            src = "".join(cell["source"])
            cell["source"] = CALL.sub(sub, src)
    return nb


# -- every lecture ------------------------------------------------------------------------------------------------

def test_every_lecture_has_at_least_three_questions():
    """Lectures 01-09 each have >= 3 concept checks (fails until every lecture's quiz file has landed)."""
    missing = [f"{k:02d}" for k in range(1, 10) if f"{k:02d}" not in lectures()]
    assert not missing, f"no autograder/quizzes/lectureNN.py for lectures {missing}"
    few = {nn: len(quiz(nn).questions) for nn in lectures() if len(quiz(nn).questions) < 3}
    assert not few, few


@pytest.mark.parametrize("nn", LECTURES)
def test_the_notebook_has_one_answer_cell_per_question_in_order(nn):
    nb = json.loads(notebook(nn).read_text(encoding="utf-8"))
    ids = [m.group(1) for c in nb["cells"] if c["cell_type"] == "code" for m in CALL.finditer("".join(c["source"]))]
    assert ids == [q.id for q in quiz(nn).questions]
    imports = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "from course_lib.quiz import answer" in imports
    prose = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "(Answer:" not in prose, "a question cell still gives its answer"


@pytest.mark.parametrize("nn", LECTURES)
def test_course_grade_full_marks_zero_and_one_wrong(nn, tmp_path):
    q = quiz(nn)
    subs = tmp_path / "subs"
    subs.mkdir()
    last = q.questions[-1]
    (subs / "full.ipynb").write_text(json.dumps(filled(nn)), encoding="utf-8")
    (subs / "blank.ipynb").write_text(notebook(nn).read_text(encoding="utf-8"), encoding="utf-8")
    (subs / "onewrong.ipynb").write_text(json.dumps(filled(nn, wrong=last.id)), encoding="utf-8")
    (subs / "variable.ipynb").write_text(json.dumps(filled(nn, raw={q.questions[0].id: "my_value"})),
                                         encoding="utf-8")
    out = tmp_path / "out"
    res = course("grade", f"quiz{nn}", str(subs), "--out", str(out), "--workers", "1")
    rows = read_grades(out / "grades.csv")
    mx = q.max_points
    assert float(rows["full"]["total"]) == mx and float(rows["full"]["max_total"]) == mx
    assert all(float(rows["full"][x.id]) == x.points for x in q.questions)
    assert float(rows["blank"]["total"]) == 0
    wrong = rows["onewrong"]
    assert float(wrong[last.id]) == 0 and float(wrong["total"]) == mx - last.points
    assert all(float(wrong[x.id]) == x.points for x in q.questions if x is not last)
    first = q.questions[0]
    assert float(rows["variable"][first.id]) == 0 and float(rows["variable"]["total"]) == mx - first.points
    fb = (out / "feedback" / "onewrong.md").read_text()
    assert "wrong answer" in fb and f"| `{last.id}` | 0 / " in fb
    section = fb.split(f"## `{last.id}`")[1].split("##")[0]
    assert "wrong answer" in section
    if not isinstance(last, Choice):  # a choice label is one letter: it appears everywhere
        assert right_literal(last).strip("'") not in section
    assert "not answered" in (out / "feedback" / "blank.md").read_text()
    assert "not a literal" in (out / "feedback" / "variable.md").read_text()
    assert "right" in (out / "feedback" / "full.md").read_text()
    assert f"quiz{nn}" in res.stdout + res.stderr or q.name in (out / "summary.json").read_text()


def test_quiz_goes_through_the_gradebook_and_lms_exports(tmp_path):
    nn = LECTURES[0]
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.ipynb").write_text(json.dumps(filled(nn)), encoding="utf-8")
    (subs / "bob.ipynb").write_text(notebook(nn).read_text(encoding="utf-8"), encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name,email\nalice,Alice A,alice@x.org\nbob,Bob B,bob@x.org\ncarol,Carol C,"
                      "carol@x.org\n", encoding="utf-8")
    out = tmp_path / "out"
    course("grade", f"quiz{nn}", str(subs), "--out", str(out), "--roster", str(roster), "--due",
           "2000-01-01T00:00", "--late-penalty", "10%/day,cap=50%")
    rows = read_grades(out / "grades.csv")
    assert rows["carol"]["status"].startswith("no submission") and float(rows["carol"]["total"]) == 0
    assert float(rows["alice"]["penalty"].rstrip("%")) == 50  # submitted long after the due date
    mx = quiz(nn).max_points
    assert float(rows["alice"]["total"]) == mx / 2 and float(rows["alice"]["raw_total"]) == mx
    for fmt in ("csv", "canvas", "moodle"):
        course("gradebook", "--out", str(out), "--to", str(tmp_path / f"course.{fmt}"), "--format", fmt)
        text = (tmp_path / f"course.{fmt}").read_text()
        assert f"quiz{nn}" in text.splitlines()[0], text
    rec = course("gradebook", "--out", str(out), "--student", "alice").stdout
    assert quiz(nn).questions[0].id in rec
    course("gradebook", "--out", str(out), "--override", f"quiz{nn}", "bob", "1", "--note", "excused")
    assert float(read_grades(out / "grades.csv")["bob"]["total"]) == 1
    assert json.loads((out / "gradescope" / "alice" / "results.json").read_text())["tests"]


# -- answer(): the student side ------------------------------------------------------------------------------------

def all_questions():
    return [q for nn in lectures() for q in quiz(nn).questions]


@pytest.mark.parametrize("q", [q for q in all_questions() if isinstance(q, Number)], ids=lambda q: q.id)
def test_number_tolerance_edges_student_and_grader_agree(q):
    if (student.KEYS_DIR / f"lecture{q.id[:2]}.json").exists() is False:
        pytest.skip("keys not released")
    tol = max(q.atol, q.rtol * abs(q.value))
    if tol == 0:
        cases = {q.value: True, q.value + 1: False, q.value - 1: False, q.value + 0.5: False}
    else:
        cases = {q.value: True, q.value + 0.85 * tol: True, q.value - 0.85 * tol: True,
                 q.value + 1.15 * tol: False, q.value - 1.15 * tol: False}
    for value, ok in cases.items():
        assert verdict(q.id, value).correct is ok, (q.id, value, ok)
        assert q.check(value)[0] is ok, (q.id, value, ok)


@pytest.fixture
def own_keys(tmp_path, monkeypatch):
    """Keys for a made-up lecture 98, written the way `course release` writes them."""
    qs = [Number("98.1", 73856, rtol=0.0, atol=0.0, explanation="exact"),
          Number("98.2", -0.0123, rtol=0.01, explanation="relative"),
          Number("98.3", 0.0, atol=1e-3, explanation="absolute"),
          Choice("98.4", "b", options=("a", "b", "c", "d"), explanation="choice b"),
          Expression("98.5", "2*B*T*d", variables=("B", "T", "d"), explanation="expr"),
          Expression("98.6", "alpha*g/(1-mu)", variables=("alpha", "g", "mu"), explanation="momentum")]
    for q in qs:
        q.validate()
    (tmp_path / "lecture98.json").write_text(keys_json("98", qs), encoding="utf-8")
    monkeypatch.setattr(student, "KEYS_DIR", tmp_path)
    student.load_keys.cache_clear()
    yield qs
    student.load_keys.cache_clear()


def test_answer_numbers(own_keys):
    assert verdict("98.1", 73856).correct and verdict("98.1", 73856.0).correct
    assert verdict("98.1", 73857).correct is False and verdict("98.1", 73856.4).correct is False
    assert verdict("98.2", -0.0123 * 1.009).correct and verdict("98.2", -0.0123 * 0.991).correct
    assert verdict("98.2", -0.0123 * 1.012).correct is False and verdict("98.2", 0.0123).correct is False
    assert verdict("98.3", 0.0009).correct and verdict("98.3", -0.0009).correct and verdict("98.3", 0).correct
    assert verdict("98.3", 0.0012).correct is False
    assert verdict("98.2", "-123/10000").correct  # arithmetic without names is read as a number
    assert verdict("98.1", "abc").correct is False and "unknown name" in verdict("98.1", "abc").message
    assert verdict("98.1", None).correct is None and "not answered yet" in verdict("98.1", None).message
    assert verdict("98.1", True).correct is False


def test_answer_choice_case_and_whitespace(own_keys):
    for v in ("b", "B", " b ", "(b)", "(B).", "\tb\n"):
        assert verdict("98.4", v).correct, v
    for v in ("a", "c", "d"):
        assert verdict("98.4", v).correct is False
    v = verdict("98.4", "e")
    assert v.correct is False and "not one of the options" in v.message
    assert verdict("98.4", 2).correct is False


def test_answer_expression_equivalent_forms(own_keys):
    for v in ("2*B*T*d", "d*T*B*2", "B*T*d*2.0", "(B*T)*(2*d)", "4*B*T*d/2", "B*T*d + B*T*d", " 2 * B*T*d "):
        assert verdict("98.5", v).correct, v
    for v in ("2*B*T", "B*T*d", "2*B*T*d + 0.000001", "2*B*T*d**2", "2*(B+T)*d"):
        assert verdict("98.5", v).correct is False, v
    assert verdict("98.6", "g*alpha/(1-mu)").correct and verdict("98.6", "alpha*g*(1 - mu)**-1").correct
    assert verdict("98.6", "alpha*g/(mu-1)").correct is False
    bad = verdict("98.5", "2*B*T*x")
    assert bad.correct is False and "unknown name" in bad.message


def test_explanation_opens_only_with_a_right_answer(own_keys, capsys):
    student.answer("98.4", "b")
    out = capsys.readouterr().out
    assert "✓ 98.4 correct." in out and "choice b" in out
    student.answer("98.4", "c")
    out = capsys.readouterr().out
    assert "✗ 98.4 not yet" in out and "choice b" not in out
    student.answer("98.4", None)
    assert capsys.readouterr().out.strip() == "98.4: not answered yet"
    assert verdict("98.5", "d*T*B*2").explanation == "expr"
    assert verdict("98.5", "d*T*B").explanation == ""


HOSTILE = ["9**9**9**9", "9**(9**9)", "(9**64)**64", "((((2**64)**64)**64)**64)", "2**64**64", "10**64**64",
           "x" * 1_000_000, "(" * 500 + "1" + ")" * 500, "-" * 250 + "1", "1e308*1e308*1e308",
           "__import__('os').system('true')", "().__class__", "B.__class__", "[B]*10**9", "'a'*10**9",
           "lambda: 1", "B if T else d", "f'{B}'", "d**(T)", "B**B**B", "1/0", "0**-1", "(-8)**(1/3)",
           "2.0**1000.5", "B" + "*B" * 140]


@pytest.mark.serial  # asserts on wall-clock time
@pytest.mark.parametrize("text", HOSTILE, ids=lambda s: s[:24])
def test_hostile_expressions_are_refused_fast(own_keys, text):
    t0 = time.perf_counter()
    v = verdict("98.5", text)
    assert v.correct is False
    assert time.perf_counter() - t0 < 0.1, f"{text[:30]!r} took {time.perf_counter() - t0:.3f} s"
    t0 = time.perf_counter()
    found = read_answers([f'answer("98.5", {text[:2000]})'])
    assert time.perf_counter() - t0 < 0.1
    assert found.get("98.5", ("not a literal", None))[0] in ("not a literal", "literal")


@pytest.mark.serial  # asserts on wall-clock time
def test_parse_expression_refuses_before_computing():
    for text in ("9**9**9**9", "x" * 1_000_000, "a.b", "f(x)", "x[0]", "x % 2", "x // 2", "x @ x", "True"):
        with pytest.raises(QuizError):
            t0 = time.perf_counter()
            try:
                student.evaluate(parse_expression(text, ("x",)), {"x": 2})
            finally:
                assert time.perf_counter() - t0 < 0.1


# -- the grader's reading of a notebook ----------------------------------------------------------------------------

def test_read_answers_last_call_wins_and_literals_only():
    cells = ['%matplotlib inline\nanswer("07.1", 3)\nanswer("07.2", "b")',
             'answer("07.1", 4.5)  # changed my mind',
             'x = 5\nanswer("07.3", x)',
             'answer("07.4", None)',
             'answer(qid="07.5", value="2*B")',
             'def broken(:\n    answer("07.6", 1)',
             'from course_lib import quiz\nquiz.answer("07.7", -0.9)',
             'answer("07.8", 9/11)',
             'answer("07.9", [1, 2])']
    found = read_answers(cells)
    assert found["07.1"] == ("literal", 4.5) and found["07.2"] == ("literal", "b")
    assert found["07.3"] == ("not a literal", None) and found["07.4"] == ("none", None)
    assert found["07.5"] == ("literal", "2*B") and "07.6" not in found
    assert found["07.7"] == ("literal", -0.9) and found["07.8"][0] == "literal"
    assert abs(found["07.8"][1] - 9 / 11) < 1e-15 and found["07.9"] == ("not a literal", None)


def test_grade_sources_feedback_never_shows_the_answer():
    nn = LECTURES[0]
    q = quiz(nn)
    res = q.grade_sources([f'answer("{x.id}", {wrong_literal(x)})' for x in q.questions])
    assert res.total == 0
    for e, x in zip(res.exercises, q.questions):
        msg = " ".join(c.message for c in e.cases) + e.note
        assert "wrong answer" in msg
        if not isinstance(x, Choice):
            assert right_literal(x).strip("'") not in msg


# -- wrong answers that teach ---------------------------------------------------------------------------------------

WITH_WRONG = [q for q in all_questions() if getattr(q, "wrong", None)]


def test_a_handful_of_questions_per_lecture_list_their_classic_wrong_answers():
    per = {nn: sum(1 for q in quiz(nn).questions if q.wrong) for nn in lectures()}
    assert all(n >= 2 for n in per.values()), per


@pytest.mark.parametrize("q", WITH_WRONG, ids=lambda q: q.id)
def test_a_listed_wrong_answer_gets_its_hint_from_the_shipped_keys_and_the_grader(q):
    for value, hint in q.wrong.items():
        v = verdict(q.id, value)
        assert v.correct is False and v.hint == hint and hint in v.message, (q.id, value, v.message)
        assert q.hint(value) == hint
        res = quiz(q.id[:2]).grade_sources([f'answer("{q.id}", {value!r})'])
        msg = next(e for e in res.exercises if e.name == q.id).cases[0].message
        assert msg == f"wrong answer; hint: {hint}", msg
        if isinstance(q, Number) and q.rtol:  # recognised within the question's tolerance, like the answer
            assert verdict(q.id, value * (1 + 0.5 * q.rtol)).hint == hint
        assert verdict(q.id, right_literal_value(q)).correct  # and the answer still opens the explanation


def right_literal_value(q):
    return q.value if isinstance(q, Number) else q.answer


@pytest.mark.parametrize("nn", LECTURES)
def test_hints_ship_encrypted_and_never_give_the_answer(nn):
    text = release.quiz_keys_path(nn).read_text(encoding="utf-8")
    for q in quiz(nn).questions:
        for value, hint in getattr(q, "wrong", {}).items():
            assert hint[:20] not in text, (q.id, hint)  # opens only with its own wrong answer
            shown = f"({q.answer})" if isinstance(q, Choice) else str(right_literal_value(q))
            assert shown not in hint, (q.id, hint)
            if isinstance(q, Number):
                leaves = {str(x) for x in _leaves(json.loads(text))}
                assert not [c for c in q._canonicals(value) if c in leaves], (q.id, value)


def test_generic_patterns_of_a_wrong_number(own_keys):
    """−x, 10x, x/10, 100x, 1000x, 2x, x/2 and 1/x are recognised by hashing the transformed answer."""
    cases = {-73856: "the sign is wrong", 738560: "10 times too large", 7385.6: "10 times too small",
             7385600: "100 times too large", 73.856: "1000 times too small", 147712: "twice the right one",
             36928: "half the right one", "1/73856": "reciprocal"}
    for value, text in cases.items():
        v = verdict("98.1", value)
        assert v.correct is False and text in v.hint, (value, v.message)
    for value, text in {0.0123: "the sign is wrong", -0.00123: "10 times too small", -1.23: "100 times too large",
                        -0.0246: "twice the right one", -1 / 0.0123: "reciprocal"}.items():
        assert text in verdict("98.2", value).hint, value
    # near misses and unrelated answers get the plain message, no pattern
    for value in (73857, -73855, 738561, 147713, 1234):
        v = verdict("98.1", value)
        assert v.correct is False and v.hint == "" and "not within the tolerance" in v.message, value
    assert verdict("98.2", 0.0123 * 1.05).hint == "" and verdict("98.2", -0.0123 * 2.1).hint == ""
    assert verdict("98.3", 0.5).hint == ""  # the answer is 0: no sign and no scale, so no pattern
    assert verdict("98.4", "c").hint == ""  # choices have no generic patterns


def test_generic_patterns_of_a_wrong_expression(own_keys):
    assert "sign" in verdict("98.5", "-2*B*T*d").hint
    assert "half the right one" in verdict("98.5", "B*T*d").hint
    assert "twice the right one" in verdict("98.5", "4*B*T*d").hint
    assert "reciprocal" in verdict("98.6", "(1-mu)/(alpha*g)").hint
    assert verdict("98.5", "3*B*T*d").hint == "" and verdict("98.5", "2*B*T*d + 1").hint == ""


def test_wrong_answers_are_validated():
    with pytest.raises(ValueError, match="accepted as right"):
        Number("97.1", 10.0, rtol=0.05, wrong={10.2: "close"}).validate()
    with pytest.raises(ValueError, match="needs a hint"):
        Number("97.1", 10.0, wrong={20.0: ""}).validate()
    with pytest.raises(ValueError, match="gives the answer away"):
        Expression("97.2", "2*N", variables=("N",), wrong={"N": "the answer is 2*N"}).validate()
    with pytest.raises(ValueError, match="accepted as right"):
        Choice("97.3", "b", wrong={"b": "b is wrong"}).validate()
    q = Number("97.4", 66, atol=0.5, wrong={65: "one more"})
    q.validate()  # the tolerance bands touch at 65.5: the right answer keeps it
    assert set(q.accepted()).isdisjoint(c for c, _ in q.wrong_accepted())


# -- the shipped keys ----------------------------------------------------------------------------------------------

def _leaves(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from _leaves(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _leaves(v)
    else:
        yield obj


def _as_float(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


@pytest.mark.parametrize("nn", LECTURES)
def test_shipped_keys_hold_no_plain_answer(nn):
    path = release.quiz_keys_path(nn)
    assert path.exists(), f"{path} missing: run `course release quiz{nn}`"
    text = path.read_text(encoding="utf-8")
    doc = json.loads(text)
    for q in quiz(nn).questions:
        spec = doc["questions"][q.id]
        assert q.explanation[:24] not in text or not q.explanation, q.id
        if isinstance(q, Number):
            data = {k: v for k, v in spec.items() if k not in ("points_max", "digits", "exp")}
            assert not [x for x in _leaves(data) if _as_float(x) == float(q.value)], q.id
            assert not [c for c in q.accepted() if c in text], q.id  # nor any accepted rounding in clear
        elif isinstance(q, Choice):
            rest = {k: v for k, v in spec.items() if k != "options"}
            assert str(q.answer).lower() not in [str(x).lower() for x in _leaves(rest)], q.id
        else:
            assert q.answer.replace(" ", "") not in text.replace(" ", ""), q.id
            assert str(q.answer) not in [str(x) for x in _leaves(spec)]


def test_release_plans_quiz_keys_deterministically_and_check_finds_stale(tmp_path):
    planned = release.plan_quizzes()
    assert {p.path.name for p in planned} == {f"lecture{nn}.json" for nn in lectures()}
    assert all(p.kind == "quiz" for p in planned)
    again = release.plan_quizzes()
    assert [p.text for p in planned] == [p.text for p in again]  # salts and keys derive from the ids
    mine = [p for p in planned if p.path.stem[-2:] in LECTURES]
    assert release.stale(mine) == [], "stale quiz keys: run `course release`"
    changed = release.Planned(mine[0].path, mine[0].text.replace('"format":2', '"format":3'), "quiz")
    assert release.stale([changed]) == [mine[0].path]
    tmp = release.Planned(tmp_path / "lecture99.json", mine[0].text, "quiz")
    assert release.stale([tmp]) == [tmp.path]
    out = course("release", f"quiz{LECTURES[0]}", "--check")
    assert "up to date" in out.stdout


def test_keys_change_when_an_answer_changes():
    a = keys_json("98", [Number("98.1", 3.5, rtol=0.01)])
    b = keys_json("98", [Number("98.1", 3.6, rtol=0.01)])
    assert a != b and json.loads(a)["questions"]["98.1"]["salt"] == json.loads(b)["questions"]["98.1"]["salt"]


def test_invalid_questions_are_refused():
    with pytest.raises(ValueError):
        Choice("98.1", "e", options=("a", "b")).validate()
    with pytest.raises(ValueError):
        Number("98.1", 0.5, rtol=0, atol=0).validate()
    with pytest.raises((ValueError, QuizError)):
        Expression("98.1", "x*y", variables=("x",)).validate()
    with pytest.raises(ValueError):
        Expression("98.1", "1/(x-x)", variables=("x",)).validate()
    with pytest.raises(ValueError):
        Number("7.1", 1.0).validate()


def test_keys_ship_with_the_student_package():
    """pip install (the notebooks' setup cell) and the student bundle both carry course_lib/quiz_keys/."""
    assert '"quiz_keys/*"' in (ROOT / "pyproject.toml").read_text()
    assert '"quiz_keys/*"' in bundle_pyproject()


def test_regrades_exercise_option_and_wrong_lecture_warning(tmp_path):
    """Rerunning skips unchanged notebooks; --exercise regrades one question and keeps the rest of the row; a class
    of another lecture's notebooks gets a warning."""

    nn = LECTURES[0]
    q = quiz(nn)
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.ipynb").write_text(json.dumps(filled(nn)), encoding="utf-8")
    out = tmp_path / "out"
    course("grade", f"quiz{nn}", str(subs), "--out", str(out))
    again = course("grade", f"quiz{nn}", str(subs), "--out", str(out))
    assert "skipped 1 already graded" in again.stdout
    one = course("grade", f"quiz{nn}", str(subs), "--out", str(out), "--exercise", q.questions[1].id)
    assert "regraded 1" in one.stdout
    assert float(read_grades(out / "grades.csv")["alice"]["total"]) == q.max_points
    other = next(n for n in lectures() if n != nn)
    warn = q.guess([q.grade_file(notebook(other), "bob")])  # the guess looks at what was graded
    assert "no submission calls answer()" in warn
    assert q.guess([q.grade_file(subs / "alice.ipynb", "alice")]) == ""
