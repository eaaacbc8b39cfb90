"""Golden fingerprint: a hash of a few short runs, so refactors can prove they change nothing.

Run ``python tests/golden/fingerprint.py --write`` to regenerate ``golden.json``; do that
only in a commit that changes results on purpose, and say why in the commit message and in
``docs/validation.md`` (section "Golden fingerprint").
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from experiments import compute_outcomes
from model import get_scenario

GOLDEN = Path(__file__).with_name("golden.json")
CASES = (("untreated", 11), ("chemo_plus_checkpoint", 12))
SETTINGS = {"lattice.width_sites": 60, "lattice.height_sites": 60}
DAYS = 20.0  # chemo_plus_checkpoint doses until day 19


def _hash_frame(df: pd.DataFrame) -> str:
    h = hashlib.sha256()
    h.update(",".join(map(str, df.columns)).encode())
    h.update(pd.util.hash_pandas_object(df.reset_index(drop=True), index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def fingerprint_case(name: str, seed: int) -> dict[str, str]:
    """Hashes of one short run: model time series, outcomes, final lattice and fields."""
    sc = get_scenario(name)
    sc.duration_days = DAYS
    sc.overrides = {**sc.overrides, **SETTINGS}
    model = sc.make_model(rng=seed)
    while model.running:
        model.step()
    df = model.datacollector.get_model_vars_dataframe()
    outcomes = compute_outcomes(df.reset_index(drop=True), baseline_day=0.0)
    state = hashlib.sha256(np.ascontiguousarray(model.cell_type_image(), dtype=np.int8).tobytes())
    for fname in sorted(model.fields):
        state.update(np.ascontiguousarray(model.fields[fname].values, dtype=np.float64).tobytes())
    return {
        "timeseries": _hash_frame(df),
        "outcomes": hashlib.sha256(json.dumps(outcomes, sort_keys=True, default=str).encode()).hexdigest()[:16],
        "final_state": state.hexdigest()[:16],
    }


def fingerprint() -> dict[str, dict[str, str]]:
    """The fingerprint of every case."""
    return {f"{name}/seed{seed}": fingerprint_case(name, seed) for name, seed in CASES}


if __name__ == "__main__":
    fp = fingerprint()
    print(json.dumps(fp, indent=2))
    if "--write" in sys.argv:
        GOLDEN.write_text(json.dumps(fp, indent=2) + "\n")
        print(f"wrote {GOLDEN}")
