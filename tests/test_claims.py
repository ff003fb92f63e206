"""course_lib.claims.claim: one line per claim (held, failed, not judged in quick mode), mean ± spread over seeds,
JSON-lines recording for `make full`, and a clear error for a bad rule."""

from __future__ import annotations

import json
import math

import pytest

from course_lib import claims
from course_lib.claims import claim


@pytest.fixture(autouse=True)
def full_mode(monkeypatch):
    monkeypatch.delenv("COURSE_QUICK", raising=False)
    monkeypatch.delenv("COURSE_CLAIMS_FILE", raising=False)
    monkeypatch.setenv("COURSE_LECTURE", "99_test")
    monkeypatch.setattr(claims, "device_name", lambda: "cpu")
    claims.RECORDED.clear()


def one_line(capsys) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return out.strip()


def test_held_claim_prints_one_check_line(capsys):
    assert claim("loss falls", 0.1, "<", 0.5, unit="nats") is None and claims.RECORDED[-1].held is True
    line = one_line(capsys)
    assert line.startswith("✓ claim: loss falls")
    assert "0.1 nats < 0.5 nats" in line
    c = claims.RECORDED[-1]
    assert (c.held, c.mode, c.lecture, c.device, c.n, c.spread) == (True, "full", "99_test", "cpu", 1, None)


def test_failed_claim_prints_one_line_and_no_traceback(capsys):
    assert claim("accuracy beats chance", 0.4, ">=", 0.9) is None and claims.RECORDED[-1].held is False
    line = one_line(capsys)
    assert line.startswith("✗ claim did not hold on this run: accuracy beats chance")
    assert "value 0.4" in line and "expected >= 0.9" in line
    assert "Traceback" not in line
    assert claims.RECORDED[-1].held is False


@pytest.mark.parametrize("op, value, held", [(">", 1.0, False), (">=", 1.0, True), ("<", 1.0, False),
                                             ("<=", 1.0, True), (">", 1.5, True), ("<", 0.5, True)])
def test_every_rule(op, value, held, capsys):
    assert claim("rule", value, op, 1.0) is None and claims.RECORDED[-1].held is held
    capsys.readouterr()


def test_seeds_are_judged_on_the_mean_and_reported_with_the_spread(capsys):
    assert claim("gap is positive", [1.0, 2.0, 3.0], ">", 1.5) is None and claims.RECORDED[-1].held is True
    line = one_line(capsys)
    assert "2 ± 1 over 3 runs > 1.5" in line
    c = claims.RECORDED[-1]
    assert c.value == pytest.approx(2.0) and c.spread == pytest.approx(1.0) and c.n == 3
    # the mean decides, not the best seed
    assert claim("gap is large", [0.0, 0.0, 3.0], ">", 1.5) is None and claims.RECORDED[-1].held is False
    capsys.readouterr()


def test_quick_mode_claim_meant_for_full_scale_is_reported_not_judged(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_QUICK", "1")
    assert claim("the big net trains", 2.0, "<", 0.5, quick=False) is None and claims.RECORDED[-1].held is None
    line = one_line(capsys)
    assert line.startswith("· claim (holds at full scale; quick mode is too small to judge): the big net trains")
    assert "this run: 2" in line and "full mode expects < 0.5" in line
    assert claims.RECORDED[-1].held is None and claims.RECORDED[-1].mode == "quick"
    # a claim meant to hold at every size is still judged in quick mode
    assert claim("gradients agree", 1e-3, "<", 1e-8) is None and claims.RECORDED[-1].held is False
    assert one_line(capsys).startswith("✗ claim did not hold")


def test_non_finite_values_never_hold(capsys):
    assert claim("finite loss", math.nan, "<", 1.0) is None and claims.RECORDED[-1].held is False
    assert claim("finite loss", [1.0, math.inf], "<", 10.0) is None and claims.RECORDED[-1].held is False
    capsys.readouterr()


def test_claims_are_appended_to_the_jsonl_file(tmp_path, monkeypatch, capsys):
    path = tmp_path / "claims.jsonl"
    monkeypatch.setenv("COURSE_CLAIMS_FILE", str(path))
    claim("first", 1.0, ">", 0.0)
    claim("second", [1.0, 3.0], "<", 1.0, unit="s")
    capsys.readouterr()
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in rows] == ["first", "second"]
    assert rows[0]["held"] is True and rows[1]["held"] is False
    assert rows[1]["value"] == pytest.approx(2.0) and rows[1]["spread"] == pytest.approx(math.sqrt(2.0))
    assert rows[1]["n"] == 2 and rows[1]["unit"] == "s" and rows[1]["lecture"] == "99_test"
    assert {"op", "threshold", "mode", "device"} <= set(rows[0])


def test_a_claim_returns_nothing_so_a_cell_ending_with_it_prints_no_stray_value(capsys):
    assert claim("loss falls", 0.1, "<", 0.5) is None
    capsys.readouterr()


def test_arithmetic_checks_are_labelled_as_such(capsys):
    claim("44.4 days on 1,024 GPUs", 44.4, "<", 45.0, arithmetic=True)
    assert one_line(capsys).startswith("✓ arithmetic check: 44.4 days")
    claim("a slip", 2.0, "<", 1.0, arithmetic=True)
    assert one_line(capsys).startswith("✗ arithmetic check did not hold on this run: a slip")
    assert claims.RECORDED[-1].arithmetic is True


def test_bad_rule_or_no_values_raise(capsys):
    with pytest.raises(ValueError, match="op must be one of"):
        claim("typo", 1.0, "=>", 0.0)
    with pytest.raises(ValueError, match="no values"):
        claim("empty", [], ">", 0.0)
    assert capsys.readouterr().out == ""
