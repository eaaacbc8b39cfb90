"""The SolaraViz page (model/viz/app.py) driven in real headless Chromium.

Starts ``solara run model.viz.app`` on a free local port, opens the page with
Playwright (Debian's ``/usr/bin/chromium``, never a downloaded browser), presses
Step, Play and Pause, changes a slider and the scenario, resets, and checks
that the step counter, the drawn figures and the counts change and that the
browser reports no errors. A screenshot is saved to ``test-artifacts/``.

The page's model and drawing code are checked without a browser in test_painters.py.

Fixtures (Chromium, the page server) are in ``conftest.py``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from model.viz.results_folder import ResultsFolder
from browser_session import ARTIFACTS, browser_page

UI_TIMEOUT_MS = 90_000  # generous: under CI load one step + redraw can take seconds


def _time_text(page) -> str:
    return page.get_by_text(re.compile(r"^Time: ")).first.inner_text()


def _image_sources(page) -> list[str]:
    # the two figures (lattice + field, time courses) are the big PNG <img> elements
    return page.eval_on_selector_all(
        "img", "els => els.filter(e => e.naturalWidth > 300).map(e => e.src)"
    )


def _wait_time_change(page, old: str) -> str:
    page.wait_for_function(
        """old => [...document.querySelectorAll('*')].some(
               e => e.childElementCount === 0 && /^Time: /.test(e.textContent.trim()) && e.textContent.trim() !== old)""",
        arg=old,
        timeout=UI_TIMEOUT_MS,
    )
    return _time_text(page)


def _wait_stable_time(page, quiet_s: float = 1.5, timeout_s: float = 20.0) -> str:
    """After Pause: the step counter stops (a step under way and its redraw may still land)."""
    deadline = time.monotonic() + timeout_s
    last = _time_text(page)
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        now = _time_text(page)
        if now == last:
            return now
        last = now
    pytest.fail(f"the step counter kept changing {timeout_s:g} s after Pause (last {last})")


def _status(page) -> str:
    """The page's status line (day, step and counts of every cell type)."""
    return page.get_by_text(re.compile(r"step \d+\)")).first.inner_text()


def _wait_images_settled(page, before: list[str]) -> list[str]:
    page.wait_for_function(
        """before => {
            const srcs = [...document.querySelectorAll('img')].filter(e => e.naturalWidth > 300).map(e => e.src);
            return srcs.length >= 2 && srcs.every(s => !before.includes(s));
        }""",
        arg=before,
        timeout=UI_TIMEOUT_MS,
    )
    return _image_sources(page)


def _wait_lattice_change(page, old: str) -> None:
    """The first figure (lattice + field) is redrawn; the time courses need not change."""
    page.wait_for_function(
        "old => { const s = [...document.querySelectorAll('img')].filter(e => e.naturalWidth > 300)"
        ".map(e => e.src); return s.length >= 2 && s[0] !== old; }",
        arg=old,
        timeout=UI_TIMEOUT_MS,
    )


def _slider_in(page, label: str):
    """The [role=slider] of the Vuetify slider whose label contains ``label``."""
    box = page.locator(".v-input").filter(has_text=label).first
    return box.locator("[role=slider]").first


@pytest.mark.browser
def test_page_steps_plays_and_reacts_to_controls(playwright_api, launch_options, server_url, live_recordings):
    expect = playwright_api.expect
    started = time.monotonic()
    with browser_page(playwright_api, launch_options, server_url, "browser_page_failure.png") as (page, errors):

        step = page.get_by_role("button", name=re.compile(r"^step$", re.I))
        step.wait_for(timeout=60_000)
        page.get_by_text(re.compile(r"^Time: ")).first.wait_for(timeout=UI_TIMEOUT_MS)
        page.wait_for_function(
            "() => [...document.querySelectorAll('img')].filter(e => e.naturalWidth > 300).length >= 2",
            timeout=UI_TIMEOUT_MS,
        )
        time0, status0, images0 = _time_text(page), _status(page), _image_sources(page)
        assert "step 0)" in status0

        # --- Step several times: counter, figures and counts change
        t = time0
        for _ in range(4):
            step.click()
            t = _wait_time_change(page, t)
        assert t != time0
        images1 = _wait_images_settled(page, images0)
        status1 = _status(page)
        assert "step 4)" in status1, status1
        assert status1 != status0

        # --- record two steps of the live run; the saved folder replays them
        page.get_by_text("Record this run", exact=True).click()
        page.get_by_text(re.compile(r"^recording into ")).first.wait_for(timeout=UI_TIMEOUT_MS)
        for _ in range(2):
            step.click()
            t = _wait_time_change(page, t)
        page.get_by_text(re.compile(r"step 6\)")).first.wait_for(timeout=UI_TIMEOUT_MS)
        page.get_by_text("Record this run", exact=True).click()
        saved = page.get_by_text(re.compile(r"^saved to "))
        saved.wait_for(timeout=UI_TIMEOUT_MS)
        folder = Path(re.search(r"saved to (.*) \(open it", saved.inner_text()).group(1))
        assert folder.parent == live_recordings
        with ResultsFolder(folder).open("untreated") as rec:
            assert list(rec.steps) == [4, 5, 6]

        # --- Play, let it run, then Pause: the counter keeps moving, then stops
        page.get_by_role("button", name="▶").click()
        t_play = _wait_time_change(page, t)
        t_play = _wait_time_change(page, t_play)
        page.get_by_role("button", name="❚❚").click()
        expect(step).to_be_enabled(timeout=UI_TIMEOUT_MS)  # Step is disabled while playing
        paused = _wait_stable_time(page)
        assert float(paused.split()[-1]) > float(t.split()[-1])

        # --- live display choices: another field and PD-L1 shading redraw the lattice
        for button in ("OSM", "PD-L1"):
            before = _image_sources(page)
            page.get_by_role("button", name=button, exact=True).click()
            _wait_lattice_change(page, before[0])

        # --- change a slider and the scenario, then Reset builds the new model
        slider = _slider_in(page, "Antigenicity")
        slider.focus()
        for _ in range(4):
            page.keyboard.press("ArrowRight")  # 1.0 -> 1.2 (x scenario value), 0.05 a press
        expect(slider).to_have_attribute("aria-valuenow", "1.2", timeout=UI_TIMEOUT_MS)
        page.wait_for_timeout(500)  # the slider reports its value to the server
        page.locator(".v-select").filter(has_text="Scenario").first.click()
        page.get_by_role("option", name="checkpoint_blockade", exact=True).click()
        page.get_by_role("button", name="Reset").click()
        page.get_by_text(re.compile(r"Scenario checkpoint_blockade")).first.wait_for(timeout=UI_TIMEOUT_MS)
        info = page.get_by_text(re.compile(r"Values used:")).first.inner_text()
        # default profile: antigenicity 0.6, x 1.2 from the slider
        assert "antigenicity 0.72" in info, info
        assert "step 0)" in _status(page)
        images_reset = _image_sources(page)

        # Wait for each step's own status line: after Reset the "Time:" text may still be
        # the old run's for a moment, so counting time changes can count the Reset itself.
        for n in (1, 2):
            expect(step).to_be_enabled(timeout=UI_TIMEOUT_MS)  # a click on a busy Step is dropped
            step.click()
            page.get_by_text(re.compile(rf"step {n}\)")).first.wait_for(timeout=UI_TIMEOUT_MS)
        _wait_images_settled(page, images_reset)
        assert "step 2)" in _status(page)
        assert set(_image_sources(page)).isdisjoint(images1)

        # --- raise the render interval: one Step click then advances many model steps
        interval = _slider_in(page, "Render Interval")
        interval.focus()
        page.keyboard.press("End")
        expect(interval).not_to_have_attribute("aria-valuenow", "1", timeout=UI_TIMEOUT_MS)
        per_click = int(float(interval.get_attribute("aria-valuenow")))
        page.wait_for_timeout(500)  # the slider reports its value to the server
        steps = 2
        while steps < 10 * 48:  # ten simulated days (0.5 h steps): all cell kinds are present
            step.click()
            steps += per_click
            page.get_by_text(re.compile(rf"step {steps}\)")).first.wait_for(timeout=UI_TIMEOUT_MS)

        # --- the default views for the screenshot
        for button in ("type-I IFN", "antigenicity"):
            before = _image_sources(page)
            page.get_by_role("button", name=button, exact=True).click()
            _wait_lattice_change(page, before[0])

        page.mouse.move(0, 0)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser_page.png"), full_page=True)

    assert not errors.page, f"page errors: {errors.page}"
    assert not errors.console, f"browser console errors: {errors.console}"
    assert time.monotonic() - started < 120
