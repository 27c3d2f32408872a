"""The GUI's speed: start-up of ``hark gui``, and redraws while scrolling a 1-hour 250 kHz recording.

    python -m benchmarks.gui [--hours 1.0] [--positions 8] [--no-browser]

1. Start-up: ``hark gui DATA --port 0`` in a fresh process, timed until it prints its address
   and until its first page has been built and served (what a person waits for).
   Target: < 5 s on 2 cores.
2. Scrolling: the generated mono 250 kHz recording of benchmarks.detect (written once to
   bench-output/, reused) with its ~20k detected events, opened in a GUI session (the same
   code a page runs, without the browser). For each visible width from 1 s to the whole
   hour, the view is moved to --positions places (a page forward each time) and each redraw
   is timed: reading and transforming the visible stretch (one waveform column and one
   spectrum per pixel, 1100 pixels) plus the events in view. Target: every redraw < 1 s.
3. With Chromium (and not --no-browser): the same in a real headless browser, from a click
   on "Forward" until the page shows the new stretch (server, network and drawing).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from benchmarks.detect import make_long_usv_recording
from benchmarks.measure import cpu_summary

WIDTHS_S = (1.0, 10.0, 60.0, 600.0, 3600.0)


def data_folder(out: Path, hours: float) -> tuple[Path, str]:
    """bench-output/gui/ with the long recording (a hard link: no copy of 1.8 GB) and its detections."""
    long = make_long_usv_recording(out / f"usv-250kHz-{hours:g}h.wav", hours)
    folder = out / "gui"
    folder.mkdir(parents=True, exist_ok=True)
    linked = folder / long.name
    if not linked.exists():
        os.link(long, linked)
    detected = long.with_name(f"{long.name}-detected.csv")
    if not detected.exists():
        from hark.detect.run import detect_files

        print("  detecting events once (benchmarks.detect does the same)", flush=True)
        detect_files([long], out_dir=out)
    if not (folder / detected.name).exists():
        os.link(detected, folder / detected.name)
    return folder, linked.name


def startup(folder: Path, repeats: int = 3) -> None:
    printed, served = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "hark.cli.app", "gui", str(folder), "--port", "0", "--annotator", "bench"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
        try:
            line = process.stdout.readline()
            printed.append(time.perf_counter() - started)
            url = line.rsplit(" at ", 1)[1].strip()
            with urllib.request.urlopen(url, timeout=60) as response:
                response.read()
            served.append(time.perf_counter() - started)
        finally:
            process.terminate()
            process.wait()
    print(f"start-up: address printed after {statistics.median(printed):.2f} s, first page served after "
          f"{statistics.median(served):.2f} s (median of {repeats}; worst {max(served):.2f} s; target < 5 s)")  # fmt: skip


def scrolling(folder: Path, recording: str, positions: int) -> None:
    from bokeh.document import Document

    from hark.gui.jobqueue import JobQueue
    from hark.gui.paths import DataFolder
    from hark.gui.server import GuiServerContext, GuiSettings
    from hark.gui.session import GuiSession
    from hark.gui.signal import compute_view

    data = DataFolder(folder)
    context = GuiServerContext(GuiSettings(folder, annotator="bench"), data, JobQueue(data.root, data.settings_dir / "jobs"))
    session = GuiSession(Document(), context, {"recording": recording})
    view = session.view
    duration = view.duration
    print(f"scrolling {recording} ({duration / 3600:.2f} h at {view.loaded.samplerate} Hz, "
          f"{len(view.loaded.others)} detected events), {positions} redraws per width:")  # fmt: skip
    for width in WIDTHS_S:
        width = min(width, duration)
        redraws, computes, events = [], [], []
        if width >= duration:
            view.show_window(0.0, duration)
        for step in range(positions):
            start = (step * width) % max(duration - width, 1e-9) if width < duration else 0.0
            began = time.perf_counter()
            if width < duration:
                view.show_window(start, start + width)
            else:  # the whole recording: nothing to scroll, so the same view is drawn again
                view.redraw(force=True)
            redraws.append(time.perf_counter() - began)
            events.append(len(view.shown))
            rate = view.loaded.samplerate
            began = time.perf_counter()
            compute_view(view.loaded.recording, int(start * rate), int((start + width) * rate), 1100, 260, int(view.nfft.value))
            computes.append(time.perf_counter() - began)
        print(f"  {width:7.0f} s visible: redraw median {1000 * statistics.median(redraws):6.0f} ms, worst {1000 * max(redraws):6.0f} ms "
              f"(waveform+spectrogram alone {1000 * statistics.median(computes):5.0f} ms; up to {max(events)} events drawn)"
              f"{'  OK' if max(redraws) < 1 else '  SLOWER THAN 1 s'}")  # fmt: skip
    context.jobs.stop()


def in_browser(folder: Path, recording: str, positions: int) -> None:
    chromium = os.environ.get("HARK_CHROMIUM", "/usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("browser: skipped (Playwright not installed)")
        return
    if not Path(chromium).exists():
        print(f"browser: skipped ({chromium} not found)")
        return
    from tests.gui.conftest import CHROMIUM_ARGS, running_gui
    from tests.gui.helpers import open_page, wait_for_message

    with running_gui(folder, "--annotator", "bench") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1250})
        open_page(page, url + f"?recording={recording}")
        wait_for_message(page, f"opened {recording}", timeout=60)
        print("in a headless browser, from a click until the page shows the new stretch:")

        def timed_click(name: str) -> float:
            before = page.evaluate("() => Bokeh.documents[0].get_model_by_name('position').text")
            began = time.perf_counter()
            page.get_by_role("button", name=name).click()
            page.wait_for_function("(old) => Bokeh.documents[0].get_model_by_name('position').text != old", arg=before)
            return time.perf_counter() - began

        page.get_by_role("button", name="Zoom out").click()  # 2 s -> 4 s, then forward
        times = [timed_click("Forward") for _ in range(positions)]
        print(f"  'Forward' at 4 s visible: median {1000 * statistics.median(times):.0f} ms, worst {1000 * max(times):.0f} ms")
        duration = page.evaluate("() => Bokeh.documents[0].get_model_by_name('waveform').x_range.bounds[1]")
        widths = [timed_click("Zoom out") for _ in range(math.ceil(math.log2(duration / 4)))]
        print(f"  'Zoom out' from 4 s to the whole hour ({len(widths)} steps): median {1000 * statistics.median(widths):.0f} ms, "
              f"worst {1000 * max(widths):.0f} ms")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--positions", type=int, default=8)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("bench-output"))
    args = parser.parse_args()
    print(f"hark gui benchmark ({cpu_summary()})")
    folder, recording = data_folder(args.out, args.hours)
    startup(folder)
    scrolling(folder, recording, args.positions)
    if not args.no_browser:
        in_browser(folder, recording, args.positions)


if __name__ == "__main__":
    main()
