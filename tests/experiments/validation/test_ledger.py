"""The claims ledger (experiments/validation/ledger.py): generated from the committed run records."""

from __future__ import annotations

import json

import pytest

from experiments.validation.immunity_section import CLAIM_STATEMENTS
from experiments.validation.ledger import (
    DOCS,
    JUDGED_RUNS,
    WHY_NOT,
    JudgedRun,
    ledger,
    read_verdicts,
    render,
    update_docs,
)


def test_the_docs_block_is_current():
    assert update_docs(check=True), "run: python -m experiments.validation.ledger --docs"


def test_every_record_exists_and_holds_verdicts():
    for run in JUDGED_RUNS:
        verdicts = read_verdicts(DOCS / run.file)
        assert verdicts, run.file


def test_every_failing_claim_says_why():
    for claim, history in ledger().items():
        if history and not history[-1][1].holds:
            assert claim in WHY_NOT, claim


def test_unjudged_claims_are_listed_as_such():
    text = render(runs=())
    for claim in CLAIM_STATEMENTS:
        assert f"| `{claim}` | registered, not yet judged |" in text


def _write(tmp_path, name, data):
    (tmp_path / name).write_text(json.dumps(data))
    return JudgedRun(name, name)


def test_the_three_record_formats_are_read(tmp_path):
    runner = {"claim": "osm_growth", "criterion": "c", "holds_in_roots": [True, True, False, True, True], "holds": True,
              "holm_significant": True, "p": 1e-9, "pooled": {"ratio": 1.3, "ci95": [1.2, 1.4]}, "per_root": []}
    check = {"id": "imm.course_4t1", "passed": False, "statistic": "s", "value": 0.4, "ci": [0.3, 0.5],
             "extra": {"per_root": [{"holds": True}, {"holds": False}]}}
    runs = [_write(tmp_path, "a.json", [runner]), _write(tmp_path, "b.json", [check]),
            _write(tmp_path, "c.json", {"commit": "x", "checks": [dict(check, passed=True)]})]
    book = ledger(runs, tmp_path)
    (_, v), = book["osm_growth"]
    assert (v.holds, v.roots, v.value, v.ci) == (True, "4/5", 1.3, (1.2, 1.4))
    assert [(v.holds, v.roots) for _, v in book["course_4t1"]] == [(False, "1/2"), (True, "1/2")]
    assert book["window_burden"] == []
    text = render(runs, tmp_path)
    assert "| `course_4t1` | [b.json](b.json): fails 1/2; [c.json](c.json): holds 1/2 | **holds** |" in text


def test_a_docs_file_without_the_block_is_refused(tmp_path):
    path = tmp_path / "v.md"
    path.write_text("# no block\n")
    with pytest.raises(ValueError, match="no ledger block"):
        update_docs(path)
