"""Shared settings for the experiment tests: tiny lattices and short runs."""

# 40 x 40 sites, 3 days: about 0.5 s per run
SMALL = {"lattice.width_sites": 40, "lattice.height_sites": 40, "chemotherapy.start_day": 1}
SMALL_CLI = [
    "--set", "lattice.width_sites=40",
    "--set", "lattice.height_sites=40",
    "--days", "3",
    "--no-progress",
]
SCENARIOS = ["untreated", "chemotherapy"]
