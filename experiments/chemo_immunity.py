"""Chemotherapy alone vs with checkpoint blockade, and what chemo does to the immune system.

Question: a taxane kills dividing tumor cells but also suppresses the marrow
(neutrophil and lymphocyte nadir, then recovery). Does adding anti-PD-1 after
chemo (KEYNOTE-355-like) beat either alone, and how deep is the
myelosuppression? Adds a figure of marrow output and immune counts over time.

    python -m experiments.chemo_immunity --replicates 6
    python experiments/chemo_immunity.py --quick
"""

from __future__ import annotations

import sys
from typing import Sequence

from experiments import compare
from experiments.script_options import common_kwargs, run, script_parser
from experiments.figures import plot_timecourse, save_figure
from experiments.stats import format_statistics

SCENARIOS = ["untreated", "chemotherapy", "checkpoint_blockade", "chemo_plus_checkpoint"]
OUTCOMES = ["final_tumor_cells", "best_response_pct", "kills_chemotherapy", "kills_cd8", "marrow_myeloid_nadir",
            "marrow_lymphoid_nadir", "final_neutrophils", "final_cd8_t_cells"]


def main(argv: Sequence[str] | None = None) -> int:
    args = script_parser(__doc__.splitlines()[0], "results/chemo_immunity").parse_args(argv)
    res = compare(SCENARIOS, out=args.out, **common_kwargs(args))
    note = ""
    if not args.no_figures:
        fig = plot_timecourse(
            res.timeseries, ["marrow_myeloid", "marrow_lymphoid", "neutrophils", "cd8_t_cells"], ncols=2,
            title="Myelosuppression and immune recovery (mean, 95% CI)",
            ylabels={"marrow_myeloid": "myeloid marrow output (1 = healthy)",
                     "marrow_lymphoid": "lymphoid marrow output (1 = healthy)"},
        )
        paths = save_figure(fig, res.out_dir / "figures", "myelosuppression")
        note = f" (myelosuppression figure: figures/{paths[0].name})"
    print(format_statistics(res.statistics, outcomes=OUTCOMES))
    print(f"\nfull results: {res.out_dir}/{note}")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
