"""One headless-Chromium page for the browser tests: launch, error collection, failure screenshot, close."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@dataclass
class PageErrors:
    """What the page reported while the test ran: console errors and uncaught page exceptions."""

    console: list[str] = field(default_factory=list)
    page: list[str] = field(default_factory=list)


@contextlib.contextmanager
def browser_page(playwright_api: Any, launch_options: dict, url: str, failure_png: str,
                 viewport: tuple[int, int] = (1600, 1400)) -> Iterator[tuple[Any, PageErrors]]:
    """Open ``url`` in a new Chromium page and yield ``(page, errors)``.

    If the body raises, a full-page screenshot goes to ``test-artifacts/<failure_png>`` before
    the exception propagates; the browser is closed in every case.
    """
    errors = PageErrors()
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(**launch_options)
        page = None
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.on("console", lambda m: errors.console.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.page.append(str(e)))
            page.goto(url)
            yield page, errors
        except Exception:
            if page is not None:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / failure_png), full_page=True)
            raise
        finally:
            browser.close()
