"""Hot vs cold tumor, with and without checkpoint blockade (anti-PD-1).

Question: does anti-PD-1 shrink a T-cell-inflamed ("hot", PD-L1-high) tumor more
than an immune-desert ("cold") one? Runs the four scenarios, then reports the
checkpoint effect within each profile (difference in means with bootstrap CI,
Cliff's delta, Mann-Whitney p) and writes ``checkpoint_effects.csv``.

    python -m experiments.checkpoint_blockade --replicates 8 --out results/checkpoint_blockade
    python experiments/checkpoint_blockade.py --quick
"""

from __future__ import annotations

import sys
from typing import Sequence

import pandas as pd

from experiments import compare
from experiments.script_options import common_kwargs, run, script_parser
from experiments.stats import compare_to_reference, format_statistics

SCENARIOS = ["cold_untreated", "cold_checkpoint", "hot_untreated", "hot_checkpoint"]
OUTCOMES = ["final_tumor_cells", "best_response_pct", "time_to_progression_days", "kills_cd8",
            "final_cd8_exhausted_fraction", "final_mean_pd_l1"]


def main(argv: Sequence[str] | None = None) -> int:
    args = script_parser(__doc__.splitlines()[0], "results/checkpoint_blockade").parse_args(argv)
    res = compare(SCENARIOS, out=args.out, **common_kwargs(args))
    effects = []
    for profile in ("hot", "cold"):
        sub = res.outcomes[res.outcomes["scenario"].str.startswith(profile)]
        eff = compare_to_reference(sub, "scenario", OUTCOMES, reference=f"{profile}_untreated", seed=args.seed)
        effects.append(eff.assign(profile=profile))
    effects = pd.concat(effects, ignore_index=True)
    effects.to_csv(res.out_dir / "checkpoint_effects.csv", index=False)
    print(format_statistics(res.statistics, outcomes=OUTCOMES[:3]))
    print("\nCheckpoint effect within each profile (checkpoint - untreated):")
    for _, r in effects.iterrows():
        print(f"  {r['profile']:<5} {r['outcome']:<30} {r['diff_mean']:>9.3g} "
              f"[{r['diff_ci_low']:.3g}, {r['diff_ci_high']:.3g}]  Cliff d {r['cliffs_delta']:+.2f}  p {r['p_value']:.3g}")
    print(f"\nfull results: {res.out_dir}/")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
