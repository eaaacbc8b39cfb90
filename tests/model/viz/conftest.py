"""Fixtures for the browser tests: Debian's Chromium through Playwright, and one page server per session.

Without Chromium (or the ``playwright`` package) the browser tests are skipped, unless
``TUMOR_IMMUNE_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where they fail.
Set ``TUMOR_IMMUNE_CHROMIUM`` to use another Chromium binary.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("TUMOR_IMMUNE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT_S = 60
UI_TIMEOUT_MS = 90_000  # generous: under CI load one step + redraw can take seconds


def _browser_missing(reason: str) -> None:
    """Skip locally; fail where CI demands the browser test."""
    if os.environ.get("TUMOR_IMMUNE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (TUMOR_IMMUNE_REQUIRE_BROWSER=1: the browser test must run)", pytrace=False)
    pytest.skip(f"{reason}; install Debian's chromium (apt-get install chromium) to run the browser test")


@pytest.fixture(scope="session")
def playwright_api():
    """The ``playwright.sync_api`` module (``sync_playwright``, ``expect``)."""
    try:
        import playwright.sync_api as api  # optional: only the browser tests need it
    except ImportError:
        _browser_missing("the 'playwright' Python package is not installed")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _browser_missing(f"no Chromium executable at {CHROMIUM}")
    return api


@pytest.fixture(scope="session")
def launch_options() -> dict:
    """Keyword arguments for ``p.chromium.launch``: Debian's Chromium, headless."""
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def live_recordings(tmp_path_factory) -> Path:
    """Where the page server puts live recordings (a temporary folder, not results/)."""
    return tmp_path_factory.mktemp("live-recordings")


@pytest.fixture(scope="session")
def server_url(playwright_api, live_recordings):
    """A `solara run model.viz.app` server on a free port, stopped (by its pid) afterwards."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = _free_port()
    log_path = ARTIFACTS / "solara-server.log"
    log = open(log_path, "w")
    solara = Path(sys.executable).with_name("solara")
    cmd = [str(solara)] if solara.exists() else [sys.executable, "-m", "solara"]
    cmd += ["run", "model.viz.app", "--host", "127.0.0.1", "--port", str(port), "--production", "--no-open"]
    # this checkout first on the path, so the page served is the code under test
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "TUMOR_IMMUNE_LIVE_RECORDINGS": str(live_recordings)}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _port_open(port):
            if proc.poll() is not None:
                pytest.fail(f"solara server exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"solara server did not open port {port} in {SERVER_START_TIMEOUT_S} s:\n"
                            f"{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


