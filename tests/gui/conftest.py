"""A real headless Chromium (Debian's package) driven by Playwright, and ``hark gui`` servers to point it at.

Browser tests skip with the reason when Chromium or Playwright is missing, except in CI
(``CI=true``), where that is a failure: ``make test`` installs the browser first.
Screenshots of every step go to ``test-artifacts/gui/<test>/``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

CHROMIUM = os.environ.get("HARK_CHROMIUM", "/usr/bin/chromium")
# without the background-networking flags Chromium keeps trying to reach Google's servers
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = REPO_ROOT / "test-artifacts" / "gui"
URL_LINE = re.compile(r"at (http://\S+)")
SEND_WHILE_RECONNECTING = "Failed to execute 'send' on 'WebSocket': Still in CONNECTING state."


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright (Python) is not installed: pip install playwright"
    if not Path(CHROMIUM).is_file():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium, or `make browser`; HARK_CHROMIUM overrides the path)"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _missing_browser()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + "; CI must have it")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    """A fresh page whose JavaScript errors fail the test."""
    context = browser.new_context(viewport={"width": 1500, "height": 1250})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(30_000)
    yield page
    context.close()
    # The tests stop servers under open pages (a restart, the end of a test). BokehJS then tries to
    # reconnect and, if the page changes a model meanwhile, sends on the socket it is still opening:
    # a harmless error of Bokeh's own that only a page whose server went away can raise.
    errors = [error for error in errors if error != SEND_WHILE_RECONNECTING]
    assert not errors, f"JavaScript errors in the page: {errors}"


@pytest.fixture
def shots(request):
    """``shots(page, "step")`` saves ``test-artifacts/gui/<test>/NN-step.png``."""
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    taken: list[Path] = []

    def take(page, step: str) -> Path:
        path = folder / f"{len(taken) + 1:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
        return path

    return take


@contextmanager
def running_gui(data_dir: Path, *args: str) -> Iterator[str]:
    """``hark gui DATA_DIR --port 0 ARGS``, run as a person would; yields the address it prints."""
    with gui_with_output(data_dir, *args) as (url, _):
        yield url


@contextmanager
def gui_with_output(data_dir: Path, *args: str) -> Iterator[tuple[str, list[str]]]:
    """:func:`running_gui` that also yields the lines the server prints, kept as they come."""
    command = [sys.executable, "-m", "hark.cli.app", "gui", str(data_dir), "--port", "0", *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        url = None
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            found = URL_LINE.search(line)
            url = found.group(1) if found else None
        if url is None:
            raise AssertionError("hark gui printed no address:\n" + "".join(lines))
        # keep reading what the server prints, so that a full pipe never blocks it
        threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
        yield url, lines
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
