"""IRF7-silenced tumors with and without interferon: dose, timing and metastatic seeding.

Question (Bidwell et al. 2012): tumors that silence IRF7 lose type-I interferon
and seed bone metastases; does giving interferon back block seeding, and how do
dose and start day matter? Part 1 compares IRF7-intact, IRF7-silenced and
IRF7-silenced + interferon tumors; part 2 sweeps interferon dose x start day
and draws response surfaces of metastatic seeds and final tumor size.

    python -m experiments.interferon_dosing --out results/interferon_dosing
    python experiments/interferon_dosing.py --quick --no-sweep
"""

from __future__ import annotations

import sys
from typing import Sequence

from experiments import compare, sweep
from experiments.script_options import common_kwargs, run, script_parser
from experiments.stats import format_statistics

SCENARIOS = ["irf7_silenced", "irf7_silenced_plus_interferon", "irf7_silenced_plus_restoration", "untreated"]
OUTCOMES = ["metastatic_seeds", "disseminated_cells", "final_tumor_cells", "mean_interferon", "kills_cd8"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = script_parser(__doc__.splitlines()[0], "results/interferon_dosing")
    parser.add_argument("--no-sweep", action="store_true", help="skip the dose x timing sweep")
    parser.add_argument("--doses", default="1,3,10", help="interferon doses (x EC50) for the sweep")
    parser.add_argument("--start-days", default="0,2,6", help="interferon start days for the sweep")
    args = parser.parse_args(argv)
    kw = common_kwargs(args)
    res = compare(SCENARIOS, out=args.out / "compare", **kw)
    print(format_statistics(res.statistics, outcomes=OUTCOMES))
    if not args.no_sweep:
        sw = sweep(
            "irf7_silenced_plus_interferon",
            [f"interferon_dosing.dose={args.doses}", f"interferon_dosing.start_day={args.start_days}"],
            out=args.out / "sweep",
            response=["metastatic_seeds", "final_tumor_cells", "disseminated_cells"],
            **{**kw, "replicates": max(1, kw["replicates"] // 2)},
        )
        print("\n" + sw.report.split("\n\n", 1)[-1])
    print(f"\nfull results: {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
