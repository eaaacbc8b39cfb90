"""Oncostatin M blockade: does neutralizing OSM slow growth and dissemination?

Question (Queen et al. 2005; Tawara et al. 2018): neutrophil-derived oncostatin M
raises tumor proliferation, invasion and metastatic seeding. Compares untreated
with anti-OSM (and, with ``--doses``, a dose sweep of the antibody).

    python -m experiments.osm_blockade --replicates 8
    python experiments/osm_blockade.py --quick --doses 0.3,1,3,10
"""

from __future__ import annotations

import sys
from typing import Sequence

from experiments import compare, sweep
from experiments.script_options import common_kwargs, run, script_parser
from experiments.stats import format_statistics

SCENARIOS = ["untreated", "anti_osm"]
OUTCOMES = ["final_tumor_cells", "disseminated_cells", "metastatic_seeds", "mean_osm_effective", "divisions",
            "final_neutrophils"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = script_parser(__doc__.splitlines()[0], "results/osm_blockade")
    parser.add_argument("--doses", default=None, help="also sweep anti-OSM dose (x EC50), e.g. 0.3,1,3,10")
    args = parser.parse_args(argv)
    kw = common_kwargs(args)
    res = compare(SCENARIOS, out=args.out / "compare", **kw)
    print(format_statistics(res.statistics, outcomes=OUTCOMES))
    if args.doses:
        sw = sweep("anti_osm", [f"anti_osm.dose={args.doses}"], out=args.out / "dose_sweep",
                   response=["disseminated_cells", "metastatic_seeds", "final_tumor_cells"], **kw)
        print("\n" + sw.report.split("\n\n", 1)[-1])
    print(f"\nfull results: {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
