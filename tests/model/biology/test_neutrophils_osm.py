"""Neutrophils and oncostatin M.

Stochastic rules are checked statistically, as :mod:`tests.sim_builders` describes.
"""

from __future__ import annotations



from model import Neutrophil

from sim_builders import assert_binomial, place, quiet_model, tumor


# =========================================================================== neutrophils / OSM


def test_neutrophils_die_with_their_half_life():
    half_life = 19.0
    alive = trials = 0
    for seed in range(5):
        model = quiet_model(seed, 30, 30, {"neutrophil.half_life_hours": half_life})
        for s in model.rng.choice(900, size=200, replace=False).tolist():
            Neutrophil(model, s)
        n_steps = int(round(half_life / model.dt))
        assert n_steps * model.dt == half_life
        for _ in range(n_steps):
            model.step()
        alive += len(model.populations[Neutrophil])
        trials += 200
    assert_binomial(alive, trials, 0.5, what="neutrophils alive after one half-life")


def test_tumor_activated_neutrophils_secrete_osm():
    model = quiet_model(0, 20, 20, {"neutrophil.activation_rate_per_hour": 60.0, "neutrophil.half_life_hours": 500.0})
    tumor(model, 5, 5)
    touching = place(model, Neutrophil, 6, 5)
    far = place(model, Neutrophil, 15, 15)
    model.step()
    assert touching.activated and not far.activated
    assert model.fields["osm"].max() > 0.0

    lonely = quiet_model(0, 20, 20, {"neutrophil.half_life_hours": 500.0})
    place(lonely, Neutrophil, 15, 15)
    for _ in range(4):
        lonely.step()
    assert lonely.fields["osm"].max() == 0.0
