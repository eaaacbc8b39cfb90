"""Validation suite: regenerate the validation report (Markdown + figures).

``python -m experiments validate --out DIR`` (or ``tumor-immune validate``) calls
:func:`main`, which runs every validation experiment, draws each reference
curve against the model, and writes

* ``DIR/validation.md`` -- the report: a summary table, then one entry per claim
  with its reference, statistic, 95% confidence interval, criterion and figure;
* ``DIR/figures/*.png``;
* ``DIR/results.json`` -- every check as data (for diffing between versions).

``--quick`` uses the same small budget as ``tests/experiments/validation`` (minutes);
the default budget uses more replicates (tighter intervals). The experiments
live in ``experiments/validation/<section>.py``; the tests assert on the same
statistics. ``docs/validation.md`` summarises the last full run
(``python -m experiments.validation --out DIR --docs`` rewrites its tables).

The exit status is 0 when the report was written; claims the model does not
meet are listed in the report (and printed), they are findings, not crashes.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import json
import os
import time
from pathlib import Path
from typing import Callable, Sequence

import matplotlib

from model import __version__ as MODEL_VERSION

from ..files import git_commit, write_text_atomic
from . import biology, course_4t1, growth, immunity_section, kuznetsov, lung_h4, numerics, therapy
from .core import FULL, TEST, Budget, Check
from .journal import journal_runs

__all__ = ["main", "cli", "run_sections", "sections", "render_report", "render_summary_table", "update_docs",
           "SECTIONS", "DOCS_BEGIN", "DOCS_END"]


def sections(budget: Budget, quick: bool) -> list[tuple[str, Callable[[Budget, Path | None], list[Check]]]]:
    """``(title, run(budget, fig_dir) -> checks)`` of every section, in report order."""
    arms = biology.TEST_ARMS if quick else None
    return [
        ("Numerics: fields", numerics.run),
        ("Growth without immunity", growth.run),
        ("Well-mixed limit vs Kuznetsov et al. (1994)", kuznetsov.run),
        ("Biology: effect directions", lambda b, f: biology.run(b, f, arms)),
        ("Therapy", lambda b, f: therapy.run(b, f, quick)),
        (immunity_section.SECTION, lambda b, f: immunity_section.run(b, f, quick)),
        (course_4t1.SECTION, lambda b, f: course_4t1.section(b, f, quick)),
        (lung_h4.SECTION, lambda b, f: lung_h4.section(b, f, quick)),
    ]


SECTIONS = ("Numerics: fields", "Growth without immunity", "Well-mixed limit vs Kuznetsov et al. (1994)",
            "Biology: effect directions", "Therapy", immunity_section.SECTION, course_4t1.SECTION, lung_h4.SECTION)


def run_sections(budget: Budget, fig_dir: Path | None, quick: bool = False, log=print) -> tuple[list[Check], dict]:
    """Run every section; return the checks and timing metadata."""
    checks: list[Check] = []
    timings = {}
    for name, fn in sections(budget, quick):
        t0 = time.perf_counter()
        log(f"[validate] {name} ...")
        got = fn(budget, fig_dir)
        timings[name] = time.perf_counter() - t0
        held = sum(c.passed for c in got)
        log(f"[validate] {name}: {held}/{len(got)} claims hold ({timings[name]:.0f} s)")
        checks += got
    return checks, timings


# --------------------------------------------------------------------------- rendering


def _commit_text() -> str:
    """Short commit hash, with '+ modified model/' when model/ has uncommitted changes."""
    commit, dirty = git_commit(short=True, dirty_paths=("model",))
    if not commit:
        return "unknown"
    return commit + (" + modified model/" if dirty else "")


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_summary_table(checks: Sequence[Check]) -> str:
    """One Markdown table row per claim."""
    lines = ["| claim | statistic | result [95% CI] | criterion | holds |", "|---|---|---|---|---|"]
    for c in checks:
        lines.append(f"| {_md(c.claim)} (`{c.id}`) | {_md(c.statistic)} | {_md(c.value_text())} | "
                     f"{_md(c.criterion)} | {'yes' if c.passed else '**no**'} |")
    return "\n".join(lines)


def render_report(checks: Sequence[Check], meta: dict, figure_prefix: str = "figures/") -> str:
    """The full Markdown report."""
    held = sum(c.passed for c in checks)
    out = [
        "# Validation report",
        "",
        f"Generated {meta['date']} by `python -m experiments validate` (budget: {meta['budget_name']}); "
        f"model {meta['version']}, commit `{meta['commit']}`; runtime {meta['runtime_s'] / 60:.1f} min "
        f"with {meta['budget']['workers']} worker process(es).",
        "",
        f"**{held} of {len(checks)} claims hold.** Intervals are 95% confidence intervals over replicate runs "
        "(paired designs: every arm of a comparison uses the same replicate seeds).",
        "",
        "Budget: " + ", ".join(f"{k} = {v}" for k, v in meta["budget"].items()) + ".",
        "",
    ]
    failing = [c for c in checks if not c.passed]
    if failing:
        out += ["## Claims the model does not meet", ""]
        for c in failing:
            out.append(f"* `{c.id}` -- {c.claim}: {c.value_text()} (criterion: {c.criterion}). {c.notes}")
        out.append("")
    out += ["## Summary", "", render_summary_table(checks), ""]
    for section in dict.fromkeys(c.section for c in checks):
        out += [f"## {section}", ""]
        shown: set[str] = set()
        for c in (c for c in checks if c.section == section):
            out += [
                f"### {c.claim[0].upper() + c.claim[1:]}",
                "",
                f"* id: `{c.id}` -- **{'holds' if c.passed else 'does not hold'}**",
                f"* reference: {c.reference}",
                f"* statistic: {c.statistic} = **{c.value_text()}**",
                f"* criterion: {c.criterion}",
            ]
            if c.notes:
                out.append(f"* notes: {c.notes}")
            if c.extra:
                extra = json.dumps(_round(c.extra), default=str)
                out.append(f"* details: `{extra}`")
            if c.figure and c.figure not in shown:
                out += ["", f"![{c.id}]({figure_prefix}{c.figure})"]
                shown.add(c.figure)
            out.append("")
    runtime = meta.get("timings", {})
    if runtime:
        out += ["## Runtime", "", "| section | seconds |", "|---|---|"]
        out += [f"| {k} | {v:.0f} |" for k, v in runtime.items()]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _round(v):
    if isinstance(v, float):
        return float(f"{v:.4g}")
    if isinstance(v, dict):
        return {k: _round(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_round(x) for x in v]
    return v


DOCS_BEGIN = "<!-- validation-summary:begin -->"
DOCS_END = "<!-- validation-summary:end -->"


def update_docs(docs_path: Path, checks: Sequence[Check], meta: dict) -> None:
    """Replace the generated block of ``docs/validation.md`` with the latest summary table."""
    block = "\n".join([
        DOCS_BEGIN,
        "",
        f"Last full run: {meta['date']}, commit `{meta['commit']}`, budget {meta['budget_name']} "
        f"({meta['budget']['replicates']} replicates per arm, {meta['budget']['width']}x{meta['budget']['width']} "
        f"sites, {meta['budget']['days']:g} days; cohorts of {meta['budget']['cohort_patients']} patients, "
        f"{meta['budget']['cohort_width']}x{meta['budget']['cohort_width']} sites, {meta['budget']['cohort_days']:g} days), "
        f"{meta['runtime_s'] / 60:.0f} min. **{sum(c.passed for c in checks)} of {len(checks)} claims hold.**",
        "",
        render_summary_table(checks),
        "",
        DOCS_END,
    ])
    text = docs_path.read_text(encoding="utf-8") if docs_path.exists() else f"# Validation\n\n{DOCS_BEGIN}\n{DOCS_END}\n"
    if DOCS_BEGIN in text and DOCS_END in text:
        head, rest = text.split(DOCS_BEGIN, 1)
        _, tail = rest.split(DOCS_END, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    write_text_atomic(docs_path, text)


# --------------------------------------------------------------------------- entry point


def main(out_dir: Path, quick: bool = False, workers: int | None = None, docs: Path | None = None,
         journal: Path | None = None) -> int:
    """Run the validation suite and write the report into ``out_dir``; return 0 when written.

    ``journal``: journal the issue-12 claims' runs (those run through ``immunity_stats.run_jobs``) in this
    file and resume from it (:mod:`~experiments.validation.journal`): they take many CPU-hours."""
    matplotlib.use("Agg")
    out_dir = Path(out_dir)
    base = TEST if quick else FULL
    n_workers = workers if workers is not None else max(1, os.cpu_count() or 1)
    budget = dataclasses.replace(base, workers=n_workers)
    fig_dir = out_dir / "figures"
    t0 = time.perf_counter()
    with journal_runs(journal):
        checks, timings = run_sections(budget, fig_dir, quick=quick)
    meta = {
        "date": _dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "version": MODEL_VERSION,
        "commit": _commit_text(),
        "budget_name": "quick (test size)" if quick else "full",
        "budget": dataclasses.asdict(budget),
        "runtime_s": time.perf_counter() - t0,
        "timings": timings,
    }
    write_text_atomic(out_dir / "validation.md", render_report(checks, meta))
    write_text_atomic(out_dir / "results.json",
                  json.dumps({"meta": meta, "checks": [c.as_dict() for c in checks]}, indent=1, default=str))
    if docs is not None:
        update_docs(Path(docs), checks, meta)
    held = sum(c.passed for c in checks)
    print(f"[validate] {held} of {len(checks)} claims hold; report: {out_dir / 'validation.md'}")
    for c in checks:
        if not c.passed:
            print(f"[validate]   does not hold: {c.id}: {c.value_text()} ({c.criterion})")
    return 0


JOURNAL_HELP = ("journal the issue-12 claims' finished runs in FILE (those run through immunity_stats.run_jobs; no "
                "other section's runs); the same command started again runs only what is missing")


def cli(argv: Sequence[str] | None = None) -> int:
    """``python -m experiments.validation [--out DIR] [--quick] [--workers N] [--docs [PATH]] [--journal FILE]``."""
    ap = argparse.ArgumentParser(prog="python -m experiments.validation", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("results/validation"))
    ap.add_argument("--quick", action="store_true", help="test-size budget")
    ap.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    ap.add_argument("--docs", type=Path, nargs="?", const=Path(__file__).resolve().parents[2] / "docs" / "validation.md",
                    default=None, help="also rewrite the summary block of docs/validation.md")
    ap.add_argument("--journal", type=Path, default=None, metavar="FILE", help=JOURNAL_HELP)
    args = ap.parse_args(argv)
    return main(args.out, args.quick, args.workers, args.docs, args.journal)
