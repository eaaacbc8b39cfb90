"""Which interferon regimen would block bone metastasis? An exploration, not a judged claim.

The registered ``bone_interferon`` claim (risk ratio <= 0.5 against IRF7-silenced hosts) fails
per root at the scheduled regimen: type-I IFN every 2 days with a 2.9 h half-life, a *human*
s.c. value (mice clear IFN faster). Bidwell et al. (2012) do not report their regimen in any
text this project could reach, so the registered arm is an assumption. This script asks the
dose-response question a user would ask next, on fresh hosts, and reports each regimen's
risk ratio against the same silenced hosts; the claim's criterion and verdict are untouched.

Regimens (all from day 2 at the registered dose): the registered one; the same drug daily;
a pegylated form with the mouse half-life of pegylated IFN-beta (~10 h, Pepinsky et al. 2001)
every 2 days; and one with the human pegylated IFN-alpha half-life (~45 h) weekly.

    python -m experiments.validation.bone_regimens --workers 2 --out F.json
"""

from __future__ import annotations

import argparse
from typing import Any, Sequence

from ..safeio import print_json
from .bone_claims import BONE_DAYS, bone_arm
from .immunity_stats import ROOT_SEEDS, Job, replicate_seeds, risk_ratio_ci, run_jobs

__all__ = ["REGIMENS", "FRESH_OFFSET", "EXPLORATION_HOSTS", "regimen_job", "explore", "main"]

# the exploration's hosts, seeds 124-171 of each root: after judged run 5's (76-123), so none had
# been judged; judged run 6 starts after them (bone_claims.BONE_SEED_OFFSET = 172)
FRESH_OFFSET = 124
EXPLORATION_HOSTS = 48
REGIMENS: dict[str, dict[str, Any] | None] = {
    "silenced": None,  # the control: no interferon
    "registered": {},
    "daily": {"interval_days": 1.0, "doses": 20},
    "pegylated_mouse": {"half_life_hours": 10.0},
    "pegylated_human_weekly": {"half_life_hours": 45.0, "interval_days": 7.0, "doses": 3},
}


def regimen_job(regimen: str, seed: int, days: float = BONE_DAYS) -> Job:
    """One silenced host given ``regimen`` (the registered interferon treatment, edited)."""
    overrides, treatments = bone_arm("silenced_interferon")
    change = REGIMENS[regimen]
    if change is None:
        treatments = ()
    else:
        treatments = tuple({**t, **change} if t["type"] == "interferon_dosing" else t for t in treatments)
    return Job(overrides, seed, days, treatments)


def explore(roots: Sequence[int], hosts: int = EXPLORATION_HOSTS, workers: int = 1, days: float = BONE_DAYS,
            offset: int = FRESH_OFFSET) -> dict[str, Any]:
    """Each regimen's risk ratio against the silenced hosts, pooled and per root (same hosts in every arm)."""
    seeds = {root: replicate_seeds(root, offset + hosts)[offset:] for root in roots}
    keys = [(root, reg, s) for root in roots for reg in REGIMENS for s in seeds[root]]
    results = run_jobs([regimen_job(reg, s, days) for _, reg, s in keys], workers)
    met: dict[int, dict[str, list[int]]] = {r: {reg: [] for reg in REGIMENS} for r in roots}
    for (root, reg, _), res in zip(keys, results):
        met[root][reg].append(int(res["metastasis"]))
    out: dict[str, Any] = {"roots": list(roots), "hosts_per_root": hosts, "offset": offset, "regimens": {}}
    for reg in REGIMENS:
        if reg == "silenced":
            continue
        pooled = risk_ratio_ci(sum(sum(met[r][reg]) for r in roots), hosts * len(roots),
                               sum(sum(met[r]["silenced"]) for r in roots), hosts * len(roots))
        per_root = [risk_ratio_ci(sum(met[r][reg]), hosts, sum(met[r]["silenced"]), hosts)[:3] for r in roots]
        out["regimens"][reg] = {"change": REGIMENS[reg], "risk_ratio": pooled[:3], "per_root": per_root,
                                "roots_at_or_below_half": sum(rr <= 0.5 and hi < 1.0 for rr, _, hi in per_root)}
    out["silenced_fraction"] = sum(sum(met[r]["silenced"]) for r in roots) / (hosts * len(roots))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Run the exploration as recorded (5 roots x 48 hosts, seeds 124-171) and print JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--hosts", type=int, default=EXPLORATION_HOSTS)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    print_json(explore(ROOT_SEEDS, args.hosts, args.workers), args.out)


if __name__ == "__main__":
    main()
