"""Multiple-choice concept checks cannot be guessed from their form.

Across every lecture's `Choice` questions (keys in autograder/quizzes/lectureNN.py, option texts in the lecture's
question cell): no letter is the key of more than 40% of the questions, and the keyed option is the longest option
(ties count as longest) in at most 40% of them. Also: every graded question cell is labelled
"**Question NN.k (graded).**"
right before its `answer("NN.k", …)` cell, every Choice's options are all in that cell, and ungraded questions say
"**Think about it (not graded).**" and carry a worked answer; no cell says a bare "**Question.**".
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from conftest import ROOT

from autograder.quizzes import lectures, quiz
from autograder.quizzes.model import Choice

MAX_SHARE = 0.40
OPTION = re.compile(r"^\s*[-*]\s*\(([a-z])\)\s*(.*)$")


def cells(nn: str) -> list[dict]:
    path = sorted((ROOT / "notebooks").glob(f"{nn}_*.ipynb"))[0]
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def options_in(text: str) -> dict[str, str]:
    """The '- (a) …' options of a markdown cell, continuation lines (indented) joined to their option."""
    opts: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        m = OPTION.match(line)
        if m:
            current = m.group(1)
            opts[current] = m.group(2).strip()
        elif current and line.startswith(" ") and line.strip():
            opts[current] += " " + line.strip()
        else:
            current = None
    return opts


def question_cell(nn: str, qid: str) -> str:
    label = f"**Question {qid} (graded).**"
    found = [source(c) for c in cells(nn) if c["cell_type"] == "markdown" and label in source(c)]
    assert len(found) == 1, f"lecture {nn}: {len(found)} markdown cells labelled **Question {qid} (graded).**"
    return found[0]


def choice_rows() -> list[tuple[str, str, dict[str, str]]]:
    """(id, key, {label: option text}) for every Choice question of every lecture."""
    rows = []
    for nn in lectures():
        for q in quiz(nn).questions:
            if isinstance(q, Choice):
                rows.append((q.id, str(q.answer).lower(), options_in(question_cell(nn, q.id))))
    return rows


def design_stats(rows) -> tuple[dict[str, float], float]:
    """Share of the questions keyed by each letter, and the share whose keyed option is the longest (ties count)."""
    n = len(rows)
    letters = Counter(key for _, key, _ in rows)
    longest = sum(len(opts[key]) >= max(len(t) for label, t in opts.items() if label != key)
                  for _, key, opts in rows)
    return {k: v / n for k, v in letters.items()}, longest / n


def test_every_choice_lists_its_options_in_the_notebook():
    for nn in lectures():
        for q in quiz(nn).questions:
            if isinstance(q, Choice):
                opts = options_in(question_cell(nn, q.id))
                assert sorted(opts) == sorted(str(o).lower() for o in q.options), (q.id, sorted(opts))
                assert all(len(t) >= 10 for t in opts.values()), f"{q.id}: an option without text"


def test_no_letter_keys_more_than_40_percent():
    shares, _ = design_stats(choice_rows())
    assert max(shares.values()) <= MAX_SHARE, {k: f"{v:.0%}" for k, v in sorted(shares.items())}


def test_keyed_option_is_the_longest_in_at_most_40_percent():
    rows = choice_rows()
    _, longest = design_stats(rows)
    assert longest <= MAX_SHARE, f"keyed option longest in {longest:.0%} of {len(rows)} choice questions"


def test_the_statistics_catch_a_guessable_quiz():
    # the review's finding, in miniature: always "b", and "b" always the longest with a "because"
    rows = [(f"q{i}", "b", {"a": "a short one", "b": "the right one, because it explains itself at length",
                            "c": "another short", "d": "short too"}) for i in range(5)]
    shares, longest = design_stats(rows)
    assert shares["b"] > MAX_SHARE and longest > MAX_SHARE


@pytest.mark.parametrize("nn", lectures())
def test_graded_questions_are_labelled_with_their_id(nn):
    cs = cells(nn)
    for i, c in enumerate(cs):
        m = re.search(r'answer\("(\d\d\.\d+)"', source(c)) if c["cell_type"] == "code" else None
        if m:
            before = next(source(p) for p in reversed(cs[:i]) if p["cell_type"] == "markdown")
            qid = m.group(1)
            assert f"**Question {qid} (graded).**" in before, f"the cell before answer(\"{qid}\") is not its question"


@pytest.mark.parametrize("nn", ["00", *lectures()])
def test_ungraded_questions_are_labelled_and_answered(nn):
    """An ungraded question says so ("**Think about it (not graded).**") and carries a worked answer in a
    collapsible <details> block; no cell says a bare "**Question.**" (graded or not?)."""
    for c in cells(nn):
        if c["cell_type"] == "markdown":
            text = source(c)
            assert "**Question.**" not in text, f"lecture {nn}: a bare **Question.** (graded or open?)"
            if "**Think about it (not graded).**" in text:
                assert "<details>" in text, f"lecture {nn}: an ungraded question without a worked answer"
