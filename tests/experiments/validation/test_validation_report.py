"""The validation report writer (experiments/validation/report.py) and docs/validation.md."""

from __future__ import annotations

import json
from pathlib import Path


from experiments import cli, validation
from experiments.validation import report as report_module
from experiments.validation.core import Check
from experiments.validation.journal import active_journal


def fake_checks(fig_dir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    if fig_dir is not None:
        fig_dir.mkdir(parents=True, exist_ok=True)
        fig.savefig(fig_dir / "fake.png")
    plt.close(fig)
    return [
        Check("fake.holds", "Fake", "a claim | with a pipe", "ref", "stat", 1.5, (1.0, 2.0), "cells", "CI > 0", True,
              notes="fine", extra={"x": 0.123456789}, figure="fake.png"),
        Check("fake.fails", "Fake", "another claim", "ref", "stat", -0.1, (-0.3, 0.1), "", "CI > 0", False,
              notes="why it fails"),
    ]


def test_main_writes_report_figures_and_json(tmp_path, monkeypatch):
    monkeypatch.setattr(report_module, "sections", lambda budget, quick: [("Fake", lambda b, f: fake_checks(f))])
    docs = tmp_path / "docs" / "validation.md"
    docs.parent.mkdir()
    docs.write_text("# Validation\n\nprose before\n\n<!-- validation-summary:begin -->\nOLD-TABLE\n"
                    "<!-- validation-summary:end -->\n\nprose after\n")
    rc = validation.main(tmp_path / "out", quick=True, workers=1, docs=docs)
    assert rc == 0
    report = (tmp_path / "out" / "validation.md").read_text()
    assert "**1 of 2 claims hold.**" in report
    assert "## Claims the model does not meet" in report and "why it fails" in report
    assert "![fake.holds](figures/fake.png)" in report
    assert (tmp_path / "out" / "figures" / "fake.png").exists()
    assert "a claim \\| with a pipe" in report  # table-safe
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [c["id"] for c in data["checks"]] == ["fake.holds", "fake.fails"]
    text = docs.read_text()
    assert "prose before" in text and "prose after" in text and "OLD-TABLE" not in text
    assert "| 1.5 [1, 2] cells |" in text
    assert not list((tmp_path / "out").glob(".*.tmp"))  # atomic writes leave nothing behind


def test_main_runs_the_sections_inside_the_journal(tmp_path, monkeypatch):
    seen = []

    def section(budget, fig_dir):
        seen.append(active_journal())
        return fake_checks(None)

    monkeypatch.setattr(report_module, "sections", lambda budget, quick: [("Fake", section)])
    path = tmp_path / "claims.jsonl"
    assert validation.main(tmp_path / "out", quick=True, workers=1, journal=path) == 0
    assert seen[0] is not None and seen[0].path == path and path.exists()
    assert active_journal() is None  # closed after the report
    assert validation.main(tmp_path / "out2", quick=True, workers=1) == 0
    assert seen[1] is None  # no journal unless asked


def test_cli_validate_subcommand_calls_main(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(validation, "main", lambda out_dir, quick: calls.append((Path(out_dir), quick)) or 0)
    assert cli.main(["validate", "--out", str(tmp_path), "--quick"]) == 0
    assert calls == [(tmp_path, True)]


def test_docs_validation_md_has_generated_block():
    path = Path(__file__).resolve().parents[3] / "docs" / "validation.md"
    text = path.read_text(encoding="utf-8")
    assert validation.DOCS_BEGIN in text and validation.DOCS_END in text
