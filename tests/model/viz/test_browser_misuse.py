"""The page survives misuse: rapid Step/Play/Reset, extreme sliders, scenario switches while playing.

Drives the page (model/viz/app.py) in headless Chromium as an impatient user
would, then checks that it still steps normally and that neither the browser
console nor the page server reported an error. Fixtures are in ``conftest.py``.
"""

from __future__ import annotations

import re

import pytest
from browser_session import ARTIFACTS, browser_page

UI_TIMEOUT_MS = 90_000  # generous: under CI load one step + redraw can take seconds


def time_text(page) -> str:
    return page.get_by_text(re.compile(r"^Time: ")).first.inner_text()


def wait_time_change(page, old: str) -> str:
    page.wait_for_function(
        """old => [...document.querySelectorAll('*')].some(
               e => e.childElementCount === 0 && /^Time: /.test(e.textContent.trim()) && e.textContent.trim() !== old)""",
        arg=old, timeout=UI_TIMEOUT_MS,
    )
    return time_text(page)


@pytest.mark.browser
def test_page_survives_misuse(playwright_api, launch_options, server_url):
    expect = playwright_api.expect
    log = ARTIFACTS / "solara-server.log"
    log_start = log.stat().st_size if log.exists() else 0
    with browser_page(playwright_api, launch_options, server_url, "browser_misuse_failure.png") as (page, errors):
        step = page.get_by_role("button", name=re.compile(r"^step$", re.I))
        step.wait_for(timeout=60_000)
        page.get_by_text(re.compile(r"^Time: ")).first.wait_for(timeout=UI_TIMEOUT_MS)
        play, pause = page.get_by_role("button", name="▶"), page.get_by_role("button", name="❚❚")
        reset = page.get_by_role("button", name="Reset")

        # --- rapid clicks without waiting for the page to answer
        for _ in range(8):
            step.click(no_wait_after=True)
        for _ in range(3):
            play.click(no_wait_after=True)
            pause.click(no_wait_after=True)
            reset.click(no_wait_after=True)

        # --- extreme values on every slider (End / Home), while playing
        play.click()
        sliders = page.locator("[role=slider]")
        for i in range(sliders.count()):
            s = sliders.nth(i)
            s.focus()
            page.keyboard.press("End" if i % 2 == 0 else "Home")
        # --- switch the scenario while playing, then Reset while playing
        page.locator(".v-select").filter(has_text="Scenario").first.click()
        page.get_by_role("option", name="checkpoint_blockade", exact=True).click()
        reset.click()
        # the page may still be answering the burst of clicks: pause until it has
        # settled into a paused state (Step is disabled while playing)
        for _ in range(20):
            page.wait_for_timeout(1000)
            if step.is_enabled():
                break
            if pause.is_visible():
                pause.click()
        expect(step).to_be_enabled(timeout=UI_TIMEOUT_MS)

        # --- still working: Reset, then Step advances the counter
        reset.click()
        page.get_by_text(re.compile(r"step 0\)")).first.wait_for(timeout=UI_TIMEOUT_MS)
        t = time_text(page)
        step.click()
        wait_time_change(page, t)
        page.get_by_text(re.compile(r"step 1\)")).first.wait_for(timeout=UI_TIMEOUT_MS)
    assert not errors.page, f"page errors: {errors.page}"
    assert not errors.console, f"browser console errors: {errors.console}"
    server = log.read_text(errors="replace")[log_start:] if log.exists() else ""
    assert "Traceback" not in server, server[-3000:]
