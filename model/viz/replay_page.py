"""The Replay tab: watch recorded runs of a results folder without re-simulating.

Open a results folder (``tumor-immune compare ... --record-every K --out FOLDER``),
pick a run (and optionally a second one, side by side, in step by day), scrub
with the day slider or press Play. The time courses show each scenario's mean
and 95% band over its recorded replicates with the chosen runs in bold.
**Export GIF / MP4** writes the view shown into the results folder.
A missing, unfinished or foreign folder gets a message, never a traceback.
"""

from __future__ import annotations

import html
import os
import time


import solara

from .controls import DisplayChoices, field_choice, shading_choice
from .lattice import LatticePainter
from .movie import write_movie
from .recording import Recording, RecordingError
from .replay_courses import ReplayCoursesPainter
from .results_folder import ResultsFolder

DEFAULT_FOLDER = os.environ.get("TUMOR_IMMUNE_RESULTS", "results/compare")
NO_RUN = "(none)"
PANEL_MAX_WIDTH = "1150px"


class OpenFolder:
    """A results folder with its recordings opened (all of them: the ensemble bands need their histories)."""

    def __init__(self, folder: str) -> None:
        self.results = ResultsFolder(folder)
        self.recordings: dict[str, Recording] = {}
        problems = []
        for run in self.results.recorded:
            try:
                self.recordings[run.run_id] = Recording(run.path)
            except RecordingError as exc:
                problems.append(str(exc))
        if not self.recordings:
            raise RecordingError("; ".join(problems) or f"no recording could be opened in '{folder}'")
        missing = len(self.results.missing) + len(problems)
        self.note = (f"{len(self.recordings)} recorded runs" +
                     (f"; {missing} run(s) without a finished recording are left out" if missing else ""))

    @property
    def run_ids(self) -> list[str]:
        """Run ids with an open recording, in manifest order."""
        return list(self.recordings)


def frame_status(rec: Recording, day: float) -> str:
    """One line about the frame of ``rec`` shown at ``day``."""
    i = rec.index_at(day)
    snap = rec.frame(i)
    cd8 = len(snap.immune["cd8_active"]) + len(snap.immune["cd8_exhausted"])
    return (f"<b>{html.escape(rec.name)}</b>: day {snap.day:.2f} · frame {i + 1}/{len(rec)} · "
            f"tumor {snap.tumor_count} · CD8 {cd8}")


@solara.component
def ReplayPage():
    """Open a folder, pick runs, scrub or play, export."""
    folder_text = solara.use_reactive(DEFAULT_FOLDER)
    opened = solara.use_reactive(None)
    message = solara.use_reactive("")
    run_a = solara.use_reactive(NO_RUN)
    run_b = solara.use_reactive(NO_RUN)
    day = solara.use_reactive(0.0)
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(4.0)  # frames per second
    exported = solara.use_reactive("")
    painters = solara.use_memo(lambda: (LatticePainter(), LatticePainter(), ReplayCoursesPainter()), [])

    def open_folder():
        old = opened.value
        try:
            state = OpenFolder(folder_text.value)
        except RecordingError as exc:
            message.set(str(exc))
            opened.set(None)
            return
        if old is not None:
            for rec in old.recordings.values():
                rec.close()
        message.set("")
        exported.set("")
        opened.set(state)
        run_a.set(state.run_ids[0])
        run_b.set(NO_RUN)
        day.set(0.0)

    state = opened.value
    chosen = []
    if state is not None:
        chosen = [state.recordings[r] for r in (run_a.value, run_b.value) if r in state.recordings]

    def play():
        if not playing.value or not chosen:
            return
        rec = chosen[0]
        while True:
            time.sleep(1.0 / max(speed.value, 0.5))
            i = rec.index_at(day.value) + 1
            if i >= len(rec):
                playing.set(False)
                return
            day.set(float(rec.days[i]))

    solara.use_thread(play, dependencies=[playing.value, run_a.value, speed.value, state])

    def export(suffix: str):
        names = "__".join(rec.path.stem for rec in chosen)
        target = state.results.folder / f"movie_{names}{suffix}"
        try:
            path = write_movie(chosen, target, field_choice.value, shading_choice.value, fps=speed.value)
        except (RecordingError, OSError) as exc:
            exported.set(f"export failed: {exc}")
            return
        exported.set(f"wrote {path} ({len(chosen[0])} frames)")

    with solara.Column(gap="6px", style={"padding": "12px"}):
        with solara.Row(gap="12px", style={"align-items": "center"}):
            solara.InputText("Results folder", value=folder_text, continuous_update=True)
            solara.Button("Open", on_click=open_folder, color="primary")
        if message.value:
            solara.Error(message.value)
        if state is None:
            if not message.value:
                solara.Info("Open a results folder written with --record-every "
                            "(e.g. tumor-immune compare untreated checkpoint_blockade --record-every 12 --out FOLDER).")
            return
        solara.Text(state.note)
        with solara.Row(gap="12px", style={"align-items": "center"}):
            solara.Select("Run", values=state.run_ids, value=run_a)
            solara.Select("Side by side with", values=[NO_RUN, *state.run_ids], value=run_b)
        if not chosen:
            return
        first = chosen[0]
        step = float(first.days[1] - first.days[0]) if len(first) > 1 else 1.0
        with solara.Row(gap="12px", style={"align-items": "center"}):
            solara.SliderFloat("Day", value=day, min=0.0, max=float(first.days[-1]), step=step, thumb_label=False)
            solara.Button("❚❚ Pause" if playing.value else "▶ Play", on_click=lambda: playing.set(not playing.value))
            solara.SliderFloat("Speed (frames/s)", value=speed, min=1.0, max=20.0, step=1.0)
        DisplayChoices()
        for rec in chosen:
            solara.HTML(tag="div", unsafe_innerHTML=frame_status(rec, day.value))
        for rec, painter in zip(chosen, painters):
            with solara.Column(style={"max-width": PANEL_MAX_WIDTH, "width": "100%"}):
                png = painter.png(rec.frame_at(day.value), field_choice.value, shading_choice.value, title=rec.name)
                solara.Image(png, format="png", width="100%")
        ensemble = list(state.recordings.values())
        with solara.Column(style={"max-width": PANEL_MAX_WIDTH, "width": "100%"}):
            solara.Image(painters[2].png(chosen, ensemble, day.value), format="png", width="100%")
        with solara.Row(gap="12px", style={"align-items": "center"}):
            solara.Button("Export GIF", on_click=lambda: export(".gif"))
            solara.Button("Export MP4", on_click=lambda: export(".mp4"))
            if exported.value:
                solara.Text(exported.value)


