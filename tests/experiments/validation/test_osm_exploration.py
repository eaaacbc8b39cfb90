"""The OSM claims' sizing: the power formula behind OSM_PAIRS."""

from experiments.validation.osm_exploration import power


def test_power_rises_with_pairs_and_effect_and_is_chance_without_effect():
    assert power(200, 0.85, 0.61)[0] > 0.9 > power(50, 0.85, 0.61)[0]
    assert power(200, 0.90, 0.61)[0] < power(200, 0.85, 0.61)[0]
    assert power(200, 1.0, 0.61)[0] < 0.03  # one side of a 95% CI: 2.5% by chance
    assert power(200, 1 / 0.85, 0.61)[0] == power(200, 0.85, 0.61)[0]  # either direction
    per_root, roots = power(150, 0.85, 0.61)
    assert abs(per_root - 0.90) < 0.01 and abs(roots - 0.92) < 0.01  # the registration's figures
