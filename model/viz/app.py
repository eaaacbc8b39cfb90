"""Interactive browser page: watch one tumor and its immune cells (Mesa SolaraViz).

Start it from the repository root with::

    solara run model.viz.app        # or: make viz

then open the address it prints (http://localhost:8765). Choose a scenario and
move the sliders in *Model Parameters*, press **Reset** to build the new model,
then **Step** or **▶** (play) / **❚❚** (pause). The **Replay** tab (``/replay``) plays
recorded runs of a results folder (``tumor-immune compare ... --record-every K``)
without re-simulating: scrub by day, two runs side by side, ensemble bands,
GIF/MP4 export (:mod:`model.viz.replay_page`).

Two panels: the lattice (every cell kind in its own colour and marker) beside a
heatmap of the field you pick, and the time courses. Drawing lives in
:mod:`model.viz.lattice` and :mod:`model.viz.timecourses` (blitted redraws:
``python benchmarks/bench_viz.py`` measures them); the page model and its text
lines in :mod:`model.viz.page_model`.
"""

import mesa.visualization.solara_viz as solara_viz
import solara
from mesa.visualization import Slider, SolaraViz
from mesa.visualization.utils import update_counter

from model import list_scenarios
from model.viz.controls import DisplayChoices, field_choice, shading_choice
from model.viz.lattice import LatticePainter
from model.viz.live_recording import LiveRecorder
from model.viz.page_model import DEFAULT_GRID, TumorImmunePageModel, scenario_html, status_html
from model.viz.replay_page import ReplayPage
from model.viz.timecourses import TimeCoursesPainter

PANEL_MAX_WIDTH = "1150px"  # the figures scale to the page width, up to this


@solara.component
def LatticeView(model):
    """Status line, field and shading pickers, then the cells beside the chosen field."""
    update_counter.get()
    painter = solara.use_memo(LatticePainter, [])
    with solara.Column(gap="2px"):
        # solara.HTML, not Markdown: Markdown fetches KaTeX from a CDN, which fails offline
        solara.HTML(tag="div", unsafe_innerHTML=status_html(model))
        DisplayChoices()
        with solara.Column(style={"max-width": PANEL_MAX_WIDTH, "width": "100%"}):
            solara.Image(painter.png(model, field_choice.value, shading_choice.value), format="png", width="100%")
        solara.HTML(tag="div", unsafe_innerHTML=scenario_html(model), style="font-size: 0.85em")
        RecordControl(model)


@solara.component
def RecordControl(model):
    """A 'Record this run' switch: frames go to results/live/...; stop to save and replay them."""
    update_counter.get()  # capture after every step the page draws
    recorder = solara.use_ref(None)
    saved = solara.use_reactive("")

    def stop() -> None:
        folder = recorder.current.finish()
        recorder.current = None
        saved.set(f"saved to {folder} (open it in the Replay tab)")

    def toggle(on: bool) -> None:
        if on:
            recorder.current = LiveRecorder(model)
            saved.set(f"recording into {recorder.current.folder} ...")
        elif recorder.current is not None:
            stop()

    if recorder.current is not None:
        if recorder.current.model is not model:  # Reset built a new model: save the old run
            stop()
        else:
            recorder.current.capture()
    with solara.Row(gap="12px", style={"align-items": "center"}):
        solara.Checkbox(label="Record this run", value=recorder.current is not None, on_value=toggle)
        if saved.value:
            solara.Text(saved.value)


@solara.component
def TimeCoursesView(model):
    """Counts, field means, kills and spread, treatment levels over time."""
    update_counter.get()
    painter = solara.use_memo(TimeCoursesPainter, [])
    with solara.Column(style={"max-width": PANEL_MAX_WIDTH, "width": "100%"}):
        solara.Image(painter.png(model), format="png", width="100%")


def page_layout(num_components: int) -> list[dict]:
    """Full-width panels stacked top to bottom, tall enough for their figures.

    Mesa's default grid puts two half-width panels side by side, which shrinks
    the lattice; SolaraViz has no argument for the initial layout, so this
    replaces Mesa's ``make_initial_grid_layout`` (panels stay draggable/resizable).
    """
    heights = [17, 13]  # grid rows of 30 px + 10 px gap: lattice panel, time courses
    layout, y = [], 0
    for i in range(num_components):
        h = heights[i] if i < len(heights) else 13
        layout.append({"i": i, "w": 12, "h": h, "moved": False, "x": 0, "y": y})
        y += h
    return layout


solara_viz.make_initial_grid_layout = page_layout

model_params = {
    "scenario_name": {"type": "Select", "value": "untreated", "values": list(list_scenarios()),
                      "label": "Scenario (profile + treatments)"},
    "seed": {"type": "InputText", "value": "42", "label": "Random seed"},
    "grid_size": Slider("Grid size (sites/side, 20 µm)", DEFAULT_GRID, 40, 200, 20),
    "antigenicity_scale": Slider("Antigenicity (× scenario)", 1.0, 0.0, 2.0, 0.05),
    "pd_l1_induction_scale": Slider("PD-L1 induction (× scen.)", 1.0, 0.0, 2.0, 0.05),
    "treg_recruitment_scale": Slider("Treg recruitment (× scen.)", 1.0, 0.0, 5.0, 0.1),
    "neutrophil_osm_scale": Slider("Neutrophil OSM (× scen.)", 1.0, 0.0, 5.0, 0.1),
    "irf7_silenced": {"type": "Checkbox", "value": False, "label": "Silence IRF7 in all tumor cells"},
    "immune_health_scale": Slider("Immune health (× scen.)", 1.0, 0.0, 2.0, 0.05),
}


@solara.component
def Page():
    """The live page; each browser session builds its own model on first render (none at import)."""
    model = solara.use_memo(TumorImmunePageModel, [])
    SolaraViz(model, components=[LatticeView, TimeCoursesView], model_params=model_params,
              name="Tumor–immune micro-environment")


# two pages, as tabs in the app bar: the live model and the replay of recorded runs
routes = [
    solara.Route(path="/", component=Page, label="Live"),
    solara.Route(path="replay", component=ReplayPage, label="Replay"),
]
