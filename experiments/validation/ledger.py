"""The claims ledger: every pre-registered claim with every judged run of it, from the committed run records.

docs/validation.md's summary table is one full report at one commit; the heavier claims were judged
later, one run at a time (from the seventh session on, each from a worktree at its registration
commit), and their records were committed under ``docs/validation-issue*/``. This module reads those records (:data:`JUDGED_RUNS`,
oldest first) and writes one table: each claim, its runs with verdict and roots holding, its latest
verdict and statistic, and, where it fails, why. A claim registered but not yet judged says so.

Run ``python -m experiments.validation.ledger`` to print the table, ``--docs`` to rewrite the block
between :data:`BEGIN` and :data:`END` in docs/validation.md, ``--check`` to fail when that block is
out of date (the test suite does this).
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..safeio import atomic_write
from .immunity_section import CLAIM_STATEMENTS, headline

__all__ = ["JudgedRun", "Verdict", "JUDGED_RUNS", "WHY_NOT", "BEGIN", "END", "DOCS", "read_verdicts", "ledger",
           "render", "update_docs", "main"]

DOCS = Path(__file__).resolve().parents[2] / "docs"
BEGIN = "<!-- claims-ledger:begin -->"
END = "<!-- claims-ledger:end -->"


@dataclass(frozen=True)
class JudgedRun:
    """One committed run record (``file``, relative to docs/) and how the ledger names it."""

    file: str
    label: str


@dataclass(frozen=True)
class Verdict:
    """One claim's verdict in one judged run."""

    claim: str
    holds: bool
    roots: str  # "4/5": root seeds holding; "" where the record has none
    statistic: str
    value: float
    ci: tuple[float, float] | None


JUDGED_RUNS: tuple[JudgedRun, ...] = (
    JudgedRun("validation-issue12/run1-issue12.json", "run 1"),
    JudgedRun("validation-issue12/run2-issue12.json", "run 2"),
    JudgedRun("validation-issue12/run1-course_4t1.json", "course run 1"),
    JudgedRun("validation-issue12/run3-bone.json", "bone run 3"),
    JudgedRun("validation-issue12/run2-course_4t1.json", "course run 2"),
    JudgedRun("validation-issue12/run5-bone.json", "bone run 5"),
    JudgedRun("validation-issue12/run3-course_4t1.json", "course run 3"),
    JudgedRun("validation-issue12/h4-run1.json", "H4 run 1"),
    JudgedRun("validation-issue12/run6-bone.json", "bone run 6"),
    JudgedRun("validation-issue12/run1-deficient-more.json", "deficient run 1"),
    JudgedRun("validation-issue12/run1-dt-rates.json", "dt-rates run 1"),
    JudgedRun("validation-issue12/run1-window-osm.json", "window/OSM run 1"),
    JudgedRun("validation-issue12/dt-rates-replication-run1.json", "replication run 1"),
    JudgedRun("validation-issue15/voxel-run1.json", "voxel run 1"),
    JudgedRun("validation-issue12/irf7-primary-run1.json", "IRF7-primary run 1"),
    JudgedRun("validation-issue12/suppression-run1.json", "suppression run 1"),
)
"""Every committed run record of a pre-registered claim, oldest first (the last one holding a claim is its
latest verdict in these records; the full reports are not among them)."""

WHY_NOT: dict[str, str] = {
    "window_equivalence": "6 runs per window per root cannot show +-10% at a burden CV ~0.6; influx and kills "
                          "now hold in `window_rates`, the burden is asked again in `window_burden`",
    "bone_interferon": "the two-day regimen halves bone metastasis (pooled 0.46); two roots land just above the "
                       "0.5 bar (0.51, 0.52); daily dosing holds (`bone_interferon_daily`)",
    "dt_immune_outcomes": "the 30-day burden's CV needs several hundred runs per arm per root; the rates hold in "
                          "the replication",
    "dt_immune_rates": "3/5 roots (per-root power 0.87 at its size); pooled ratios 0.95-1.05; replicated with "
                       "more runs (`dt_immune_rates_replication`, holds)",
}
"""Why a failing claim fails, in a line (the session sections of docs/validation.md give the detail)."""


def _from_checks(records: Sequence[dict[str, Any]]) -> list[Verdict]:
    out = []
    for c in records:
        per_root = (c.get("extra") or {}).get("per_root") or []
        held = [bool(r["holds"]) for r in per_root if "holds" in r]
        roots = f"{sum(held)}/{len(held)}" if held else ""
        ci = tuple(c["ci"]) if c.get("ci") is not None else None
        out.append(Verdict(c["id"].split(".", 1)[1], bool(c["passed"]), roots, c["statistic"], float(c["value"]), ci))
    return out


def read_verdicts(path: Path) -> list[Verdict]:
    """The verdicts in one run record: the claim runner's records, or the report's checks (bare or under
    ``"checks"``)."""
    data = json.loads(Path(path).read_text())
    if isinstance(data, dict):
        return _from_checks(data["checks"])
    if data and "id" in data[0]:
        return _from_checks(data)
    out = []
    for v in data:
        statistic, value, ci = headline(v)
        roots = [bool(h) for h in v["holds_in_roots"]]
        out.append(Verdict(v["claim"], bool(v["holds"]), f"{sum(roots)}/{len(roots)}", statistic, value, ci))
    return out


def ledger(runs: Sequence[JudgedRun] = JUDGED_RUNS, docs: Path = DOCS) -> dict[str, list[tuple[JudgedRun, Verdict]]]:
    """``{claim: [(run, verdict), ...]}`` oldest first; every registered claim is a key, judged or not."""
    out: dict[str, list[tuple[JudgedRun, Verdict]]] = {name: [] for name in CLAIM_STATEMENTS}
    for run in runs:
        for v in read_verdicts(docs / run.file):
            out.setdefault(v.claim, []).append((run, v))
    return out


def _number(x: float) -> str:
    return f"{x:.3g}" if math.isfinite(x) else str(x)


def render(runs: Sequence[JudgedRun] = JUDGED_RUNS, docs: Path = DOCS) -> str:
    """The ledger as a Markdown table (links relative to docs/)."""
    lines = ["| claim | judged runs, oldest first (verdict, roots holding) | latest verdict | latest statistic "
             "[CI] | why it fails |", "|---|---|---|---|---|"]
    for claim, history in ledger(runs, docs).items():
        if not history:
            lines.append(f"| `{claim}` | registered, not yet judged | -- | -- | |")
            continue
        hist = "; ".join(f"[{run.label}]({run.file}): {'holds' if v.holds else 'fails'}"
                         + (f" {v.roots}" if v.roots else "") for run, v in history)
        last = history[-1][1]
        ci = f" [{_number(last.ci[0])}, {_number(last.ci[1])}]" if last.ci else ""
        why = "" if last.holds else WHY_NOT.get(claim, "see the session sections below")
        lines.append(f"| `{claim}` | {hist} | {'**holds**' if last.holds else '**fails**'} | "
                     f"{last.statistic}: {_number(last.value)}{ci} | {why} |")
    return "\n".join(lines) + "\n"


def update_docs(path: Path = DOCS / "validation.md", check: bool = False) -> bool:
    """Rewrite the ledger block of ``path`` (``check``: only say whether it is current). True if current."""
    text = Path(path).read_text()
    if BEGIN not in text or END not in text:
        raise ValueError(f"{path}: no ledger block ({BEGIN} ... {END})")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n\n{render()}\n{END}{tail}"
    if new == text:
        return True
    if not check:
        atomic_write(path, lambda tmp: tmp.write_text(new))
    return False


def main(argv: Sequence[str] | None = None) -> int:
    """Print the ledger, or rewrite / check its block in docs/validation.md."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", action="store_true", help="rewrite the block in docs/validation.md")
    ap.add_argument("--check", action="store_true", help="exit 1 if that block is out of date")
    args = ap.parse_args(argv)
    if args.check:
        if not update_docs(check=True):
            print("docs/validation.md: the claims ledger is out of date; run python -m experiments.validation.ledger --docs")
            return 1
        return 0
    if args.docs:
        update_docs()
    print(render(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
