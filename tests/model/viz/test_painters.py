"""The page's model and the shared painters, without a browser."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from model import TumorCell
from model.viz import (
    LatticePainter,
    TimeCoursesPainter,
    TumorImmunePageModel,
    draw_field,
    draw_lattice,
    lattice_legend,
    snapshot_of,
)
from model.viz.blit import figure_png

matplotlib.use("Agg")


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_page_model_scales_the_scenario_values():
    m = TumorImmunePageModel(
        scenario_name="hot_untreated", seed="7", grid_size=60, antigenicity_scale=1.2,
        treg_recruitment_scale=2.0, irf7_silenced=True, immune_health_scale=0.5,
    )
    assert (m.lattice.width, m.lattice.height) == (60, 60)
    assert m.p.tumor.mean_antigenicity == pytest.approx(0.96)  # hot profile 0.8 x 1.2
    unscaled = TumorImmunePageModel(scenario_name="hot_untreated", seed="7", grid_size=60)
    assert m.p.treg.recruitment_per_vessel_per_hour == pytest.approx(
        2.0 * unscaled.p.treg.recruitment_per_vessel_per_hour
    )
    assert m.p.tumor.irf7_silenced_fraction == 1.0
    assert m.p.host.immune_health == pytest.approx(0.5)
    assert m.scenario_definition.name == "hot_untreated"
    assert not m.populations[TumorCell]["irf7_intact"].any()
    # the seed box holds text: numbers are used as they are, other text gives a fixed seed
    same = [TumorImmunePageModel(seed=s, grid_size=40).vessel_sites for s in ("abc", "abc", " 7 ", 7)]
    assert (same[0] == same[1]).all() and (same[2] == same[3]).all()


def test_page_controls_match_the_model_signature():
    from mesa.visualization.solara_viz import _check_model_params

    from model.viz.app import model_params

    _check_model_params(TumorImmunePageModel(grid_size=40), model_params)  # raises on a stray name


def test_fast_redraw_matches_a_full_render():
    """The painters redraw only what changes; the result must equal a full matplotlib render."""
    m = TumorImmunePageModel(scenario_name="chemo_plus_checkpoint", grid_size=60)
    lattice, courses = LatticePainter(), TimeCoursesPainter()
    for day, field, shading in ((0, "interferon", "antigenicity"), (3, "osm", "pd_l1"), (4, "cytokine", "antigenicity")):
        m.run_days(day - m.days)
        fast = [lattice.png(m, field, shading), courses.png(m)]
        full = [figure_png(LatticePainter().figure(m, field, shading)), figure_png(TimeCoursesPainter().figure(m))]
        for a, b in zip(fast, full):
            pa, pb = _pixels(a), _pixels(b)
            assert pa.shape == pb.shape
            # the same picture up to a few pixels (tick marks, a line crossing a legend box)
            assert (np.abs(pa - pb).max(axis=2) > 0).mean() < 1e-3


def test_a_snapshot_draws_exactly_like_its_model():
    m = TumorImmunePageModel(grid_size=40)
    m.run_days(2)
    snap = snapshot_of(m)
    assert snap.tumor_count == m.tumor_cell_count
    assert np.array_equal(_pixels(LatticePainter().png(m)), _pixels(LatticePainter().png(snap)))



def test_bad_choices_name_the_field_and_the_allowed_values():
    m = TumorImmunePageModel(grid_size=40)
    with pytest.raises(ValueError, match=r"field 'oxygen' must be one of \['cytokine', 'ifn_gamma', 'interferon', 'osm'\]"):
        LatticePainter().png(m, field="oxygen")
    with pytest.raises(ValueError, match="shading 'size' must be one of"):
        draw_lattice(m, Figure().add_subplot(), shading="size")


def test_notebook_helpers_draw_the_same_cells_in_micrometres():
    m = TumorImmunePageModel(grid_size=40)
    m.run_days(1)
    fig = Figure()
    ax_cells, ax_field = fig.subplots(1, 2)
    artists = draw_lattice(m, ax_cells, "cells")
    lattice_legend(ax_cells)
    image = draw_field(m, "interferon", ax_field)
    size = m.p.lattice.site_size_um
    assert ax_cells.get_xlim() == pytest.approx((0, 40 * size))
    assert image.get_extent() == pytest.approx([0, 40 * size, 0, 40 * size])
    # the tumor image has exactly as many tumor-coloured sites as tumor cells
    rgb = artists.image.get_array()
    assert (np.abs(rgb - rgb[0, 0]).sum(axis=2) > 0).sum() == m.tumor_cell_count
    n_cd8 = len(artists.immune["cd8_active"].get_offsets()) + len(artists.immune["cd8_exhausted"].get_offsets())
    assert n_cd8 == int(m.summary["cd8_t_cells"])
    assert len(ax_cells.get_legend().get_texts()) == 10


class _RedrawEverything(LatticePainter):
    """A painter that redraws the whole static bitmap whenever the static state changes."""

    background_cache = 1

    def _partial(self, old, static):
        return False


def test_scrubbing_with_kept_bitmaps_draws_what_a_full_redraw_draws():
    """Scrubbing back and forth reuses kept static bitmaps and repaints only the field colour bar
    when its range moves; every frame must equal the one drawn with a freshly drawn bitmap."""
    m = TumorImmunePageModel(scenario_name="chemo_plus_checkpoint", grid_size=50)
    snaps = []
    for _ in range(8):
        m.run_days(0.5)
        snaps.append(snapshot_of(m))
    fast, plain = LatticePainter(), _RedrawEverything()
    order = [*range(8), *range(7, -1, -2), 0, 7, 0, 7, 3]
    for i, field in [(i, "interferon") for i in order] + [(2, "osm"), (6, "osm"), (2, "interferon")]:
        a, b = fast.png(snaps[i], field), plain.png(snaps[i], field)
        assert np.array_equal(_pixels(a), _pixels(b)), f"frame {i}, {field}"
    assert fast.rgb().shape == _pixels(a).shape
