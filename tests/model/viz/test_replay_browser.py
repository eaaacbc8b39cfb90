"""The Replay tab in real headless Chromium: open a recorded results folder, scrub, side by side, export.

A real ``compare --record-every`` run makes the folder (so the runner's recording is
tested end to end). Checks: a wrong folder gets a message; after scrubbing to a
day the drawn frame is the recorded one (status line, and the tumor-coloured
pixels of the lattice match the recorded tumor cell count); side by side shows
both runs, Play moves them in step and Pause stops; an exported GIF has one frame
per recorded frame. Per-frame latency
in the browser is written to ``test-artifacts/replay_timing.txt`` (a
measurement, not an assertion).
"""

from __future__ import annotations

import base64
import io
import re
import statistics
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from experiments import api
from model.viz.recording import Recording
from model.viz.results_folder import recording_path
from model.viz.style import DPI, LATTICE_FIGSIZE
from browser_session import ARTIFACTS, browser_page

UI_TIMEOUT_MS = 90_000  # generous: under CI load one step + redraw can take seconds
SIZE = 50  # lattice sites per side
DAY_STEP = 0.25  # 12 steps of 0.5 h between frames


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("replay") / "results"
    api.compare(["untreated", "checkpoint_blockade"], replicates=2, days=6, seed=1, out=out, workers=1,
                lattice_size=SIZE, figures=False, progress=False, snapshot_days=[], record_every=12)
    return out


def _lattice_png(page, index: int) -> np.ndarray:
    """Pixels (RGB) of the index-th big image, at its own resolution."""
    url = page.evaluate(
        """i => { const img = [...document.querySelectorAll('img')].filter(e => e.naturalWidth > 300)[i];
                  const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
                  c.getContext('2d').drawImage(img, 0, 0); return c.toDataURL('image/png'); }""",
        index,
    )
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")).astype(int)


def _tumor_sites_seen(rgb: np.ndarray) -> float:
    """Tumor-coloured area of the cells panel, in lattice sites (lavender to purple; not M2 magenta)."""
    width_in, height_in = LATTICE_FIGSIZE
    side = 0.76 * height_in / width_in  # the cells axes, as placed by LatticePainter
    h = rgb.shape[0]
    x0, x1 = int(0.01 * rgb.shape[1]), int((0.01 + side) * rgb.shape[1])
    y0, y1 = int((1 - 0.93) * h), int((1 - 0.17) * h)
    box = rgb[y0:y1, x0:x1]
    r, g, b = box[..., 0], box[..., 1], box[..., 2]
    tumor = (b - g >= 12) & (r - g >= 6) & (g >= 35)
    px_per_site = 0.76 * height_in * DPI / SIZE
    return tumor.sum() / px_per_site**2


def _status_lines(page) -> list[str]:
    return [e.inner_text() for e in page.get_by_text(re.compile(r"· frame \d+/\d+ ·")).all()]


@pytest.mark.browser
def test_replay_scrub_side_by_side_and_export(playwright_api, launch_options, server_url, recorded):
    expect = playwright_api.expect
    with browser_page(playwright_api, launch_options, server_url + "replay", "browser_replay_failure.png", viewport=(1600, 2000)) as (page, errors):
        folder_box = page.get_by_label("Results folder")
        folder_box.wait_for(timeout=60_000)

        # --- a wrong folder: a message, no traceback
        folder_box.fill(str(recorded.parent / "nowhere"))
        page.get_by_role("button", name="Open").click()
        expect(page.get_by_text(re.compile("does not exist"))).to_be_visible(timeout=UI_TIMEOUT_MS)
        assert page.get_by_text("Traceback").count() == 0

        # --- open the recorded folder
        folder_box.fill(str(recorded))
        page.get_by_role("button", name="Open").click()
        expect(page.get_by_text("4 recorded runs")).to_be_visible(timeout=UI_TIMEOUT_MS)
        page.get_by_text(re.compile(r"day 0\.00 · frame 1/")).first.wait_for(timeout=UI_TIMEOUT_MS)

        # --- scrub to day 3: 12 frames of 0.25 day; time each frame as drawn in the browser
        slider = page.locator(".v-input").filter(has_text="Day").first.locator("[role=slider]").first
        slider.focus()
        latencies = []
        for k in range(1, 13):
            t0 = time.perf_counter()
            page.keyboard.press("ArrowRight")
            page.get_by_text(re.compile(rf"day {k * DAY_STEP:.2f} · frame {k + 1}/")).first.wait_for(
                timeout=UI_TIMEOUT_MS)
            latencies.append(time.perf_counter() - t0)
        page.wait_for_timeout(300)  # the image lands with the status line; let the browser decode it
        status = _status_lines(page)
        assert len(status) == 1 and "day 3.00" in status[0], status

        with Recording(recording_path(recorded, "untreated__r000")) as rec:
            frame = rec.frame_at(3.0)
            n_frames = len(rec)
        assert f"tumor {frame.tumor_count} " in status[0], (status, frame.tumor_count)
        seen = _tumor_sites_seen(_lattice_png(page, 0))
        # immune markers drawn over the tumor hide a little of it
        assert 0.7 * frame.tumor_count <= seen <= 1.05 * frame.tumor_count, (seen, frame.tumor_count)

        # --- side by side: the second run in step, both drawn, time courses below
        page.locator(".v-select").filter(has_text="Side by side with").first.click()
        page.get_by_role("option", name="checkpoint_blockade__r000", exact=True).click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('img')].filter(e => e.naturalWidth > 300).length >= 3",
            timeout=UI_TIMEOUT_MS)
        page.get_by_text(re.compile(r"checkpoint_blockade · 0: day 3\.00")).first.wait_for(timeout=UI_TIMEOUT_MS)
        status = _status_lines(page)
        assert len(status) == 2 and status[0].startswith("untreated · 0") and "day 3.00" in status[1], status

        # --- Play advances both panels in step; Pause stops
        speed = page.locator(".v-input").filter(has_text="Speed").first.locator("[role=slider]").first
        speed.focus()
        page.keyboard.press("Home")  # the slowest speed, 1 frame a second
        expect(speed).to_have_attribute("aria-valuenow", "1", timeout=UI_TIMEOUT_MS)
        page.wait_for_timeout(500)  # the slider reports its value to the server
        page.get_by_role("button", name=re.compile("Play")).click()
        page.wait_for_function(
            """() => [...document.querySelectorAll('div')].some(
                   e => /^untreated · 0: day (\\d+\\.\\d+)/.test(e.innerText)
                        && parseFloat(e.innerText.match(/day (\\d+\\.\\d+)/)[1]) > 3.0)""",
            timeout=UI_TIMEOUT_MS)
        pause = page.get_by_role("button", name=re.compile("Pause"))
        if pause.count():  # still playing (it may already have reached the last frame)
            pause.click()
        page.wait_for_timeout(1500)
        paused = _status_lines(page)
        page.wait_for_timeout(1500)
        assert _status_lines(page) == paused
        days = [float(re.search(r"day (\d+\.\d+)", line).group(1)) for line in paused]
        assert days[0] > 3.0 and days[0] == days[1], paused  # both panels moved, in step

        # --- export the side-by-side view as a GIF
        page.get_by_role("button", name="Export GIF").click()
        done = page.get_by_text(re.compile(r"^wrote .*\.gif \(\d+ frames\)"))
        done.wait_for(timeout=120_000)
        gif = Path(re.search(r"wrote (.*\.gif)", done.inner_text()).group(1))
        with Image.open(gif) as im:
            assert im.n_frames == n_frames

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser_replay.png"), full_page=True)
        (ARTIFACTS / "replay_timing.txt").write_text(
            f"scrub one frame ({SIZE}x{SIZE}), key press to status line in the browser: "
            f"median {statistics.median(latencies) * 1e3:.0f} ms, worst {max(latencies) * 1e3:.0f} ms\n")
    assert not errors.page, f"page errors: {errors.page}"
