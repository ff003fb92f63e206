"""Concept checks the instructor can trust (issue 24.9): a sealed lecture ships no key for its graded checks, so
nothing in the notebook tells a right answer from a wrong one (`answer()` only records a well-formed answer); the
answers and explanations come with the grade; practice checks keep their instant feedback and are not graded. And
every question is guarded on its own: an answer that cannot be read (1e61) costs that question only."""

from __future__ import annotations

import json

import pytest

import course_lib.grading.quiz as student
from autograder.quizzes import quiz
from autograder.quizzes.assignment import make_quiz
from autograder.quizzes.model import Choice, Expression, Number, keys_json
from course_lib.grading.quiz import verdict

QUESTIONS = [Number("98.1", 73856, rtol=0.0, atol=0.0, explanation="128·(64·9 + 1)."),
             Choice("98.2", "c", options=("a", "b", "c", "d"), explanation="pooling."),
             Expression("98.3", "2*B*T*d", variables=("B", "T", "d"), explanation="two per multiply-add."),
             Number("98.4", 15, rtol=0.0, atol=0.0, explanation="floor((32+2-5)/2)+1.", practice=True)]


@pytest.fixture
def sealed_keys(tmp_path, monkeypatch):
    for q in QUESTIONS:
        q.validate()
    text = keys_json("98", QUESTIONS, sealed=True)
    (tmp_path / "lecture98.json").write_text(text, encoding="utf-8")
    monkeypatch.setattr(student, "KEYS_DIR", tmp_path)
    student.load_keys.cache_clear()
    yield json.loads(text)
    student.load_keys.cache_clear()


def test_a_sealed_key_holds_nothing_that_tells_a_right_answer(sealed_keys):
    graded = {qid: spec for qid, spec in sealed_keys["questions"].items() if qid != "98.4"}
    for qid, spec in graded.items():
        assert spec["sealed"] is True
        assert not {"salt", "entries", "wrong", "explanation"} & set(spec), (qid, sorted(spec))
    text = json.dumps(graded)
    assert "73856" not in text and "2*B*T*d" not in text and "pooling" not in text
    practice = sealed_keys["questions"]["98.4"]
    assert "entries" in practice and not practice.get("sealed")  # practice keeps its instant feedback


def test_answer_records_a_well_formed_answer_without_judging_it(sealed_keys, capsys):
    right, wrong = verdict("98.1", 73856), verdict("98.1", 73857)
    assert right.correct is None and wrong.correct is None  # the same for right and wrong: no oracle
    assert right.message.replace("73856", "X") == wrong.message.replace("73857", "X")
    assert "recorded" in right.message and "come with your grade" in right.message
    assert verdict("98.2", "z").correct is False and "not one of the options" in verdict("98.2", "z").message
    assert verdict("98.3", "2*B*T*q").correct is False  # an unknown name is still reported as malformed
    assert verdict("98.4", 15).correct is True and verdict("98.4", 16).correct is False  # practice: instant
    student.answer("98.1", 1)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "recorded" in out


def test_the_grade_brings_the_answers_and_explanations():
    q = make_quiz("quiz98_test", "98", QUESTIONS, sealed=True)
    assert [e.name for e in q.exercises] == ["98.1", "98.2", "98.3"]  # the practice check is not graded
    src = ['answer("98.1", 73856)', 'answer("98.2", "b")', 'answer("98.3", "2*B*T*d")', 'answer("98.4", 15)']
    res = q.grade_sources(src, "ann")
    assert [e.points for e in res.exercises] == [1.0, 0.0, 1.0]
    notes = {e.name: e.note for e in res.exercises}
    assert notes["98.1"] == "answer: 73856. 128·(64·9 + 1)." and notes["98.2"] == "answer: c. pooling."
    from autograder.exports.feedback import feedback_markdown

    md = feedback_markdown(q, res, "not needed")
    assert "- answer: 73856. 128·(64·9 + 1)." in md and "- answer: c. pooling." in md


def test_an_unreadable_answer_costs_its_question_only(capsys):
    """1e61 for a number with an absolute tolerance made the whole quiz 0 (the decimal overflow escaped)."""
    q = quiz("01")
    ok = {q.id: q.plain()[0] for q in q.questions}
    src = [f'answer("{qid}", {value!r})' for qid, value in ok.items()]
    src[2] = 'answer("01.3", 1e61)'
    res = q.grade_sources(src, "ann")
    pts = {e.name: e.points for e in res.exercises}
    assert pts["01.3"] == 0 and sum(pts.values()) == q.max_points - 1
    assert "cannot be compared" in res.exercises[2].cases[0].message
    student.answer("01.3", 1e61)  # the student's side: one line, no traceback
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "not yet" in out
