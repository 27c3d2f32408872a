"""A person annotates and reviews a real fly recording in a real browser; the CSV holds exactly their edits."""

from __future__ import annotations

import shutil

import pytest

from hark.annotations.songexplorer import read_csv
from hark.detect.run import detect_files
from tests.gui.conftest import running_gui
from tests.gui.helpers import (
    double_click,
    drag,
    lane_y,
    model_value,
    open_page,
    screen_point,
    wait_for_file,
    wait_for_message,
    wait_for_range,
    wait_for_text_end,
    x_range,
)

RECORDING = "PS_20130625111709_ch3.wav"
RATE = 2500


@pytest.fixture
def fly_folder(shared_data, tmp_path):
    """The fly recording and its annotations copied (writable) into a data folder, plus hark detect's events."""
    data = tmp_path / "data"
    data.mkdir()
    for name in (RECORDING, f"{RECORDING}-annotated-person1.csv"):
        shutil.copyfile(shared_data / "fly" / name, data / name)
    [result] = detect_files([data / RECORDING])
    assert result.ok
    return data


@pytest.mark.shared_data
def test_annotate_review_and_reload_a_fly_recording(fly_folder, page, shots):
    own_csv = fly_folder / f"{RECORDING}-annotated-tester.csv"
    detected = read_csv(fly_folder / f"{RECORDING}-detected.csv")
    detected_before = (fly_folder / f"{RECORDING}-detected.csv").read_bytes()
    with running_gui(fly_folder, "--annotator", "tester") as url:
        open_page(page, url)
        page.locator("select").first.select_option(RECORDING)
        wait_for_message(page, f"opened {RECORDING}")
        assert wait_for_range(page, lambda a, b: (a, b) == (0.0, 10.0)) == (0.0, 10.0)  # (the view follows the message)
        page.get_by_role("button", name="Play visible").click()
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('playback').chunk.startsWith('data:audio/wav;base64,')")
        shots(page, "opened")

        page.get_by_role("button", name="Zoom in").click()
        start, stop = wait_for_range(page, lambda a, b: abs((b - a) - 5.0) < 1e-6)
        assert (start, stop) == (2.5, 7.5)
        shots(page, "zoomed")

        # a point: the label by its number key, then a double-click on blank waveform
        page.get_by_role("button", name="2: mel-pulse").click()
        double_click(page, "waveform", 3.0, 0.0)
        wait_for_message(page, "add point 'mel-pulse'")
        assert wait_for_text_end(page, "file-info", "(1 rows)").endswith("(1 rows)")
        shots(page, "point laid")

        # a range: another label (key 3), then a drag across the waveform by a person who presses, settles for
        # longer than Bokeh's 300 ms "press", then drags (the drag used to be lost, without a message)
        page.keyboard.press("3")
        drag(page, "waveform", 4.0, 4.6, 0.0, 0.0, hold_s=0.6)
        wait_for_message(page, "add range 'mel-sine'")
        shots(page, "range laid")

        # a detected event in view gets the current label by a double-click on its box
        target = next(e for e in detected if e.start / RATE > 5.2 and e.stop / RATE < 7.4 and e.stop - e.start > 40)
        double_click(page, "lanes", (target.start + target.stop) / 2 / RATE, lane_y(page, "detected"))
        wait_for_message(page, f"as 'mel-sine'")
        text = wait_for_file(own_csv, lambda t: len(t.splitlines()) == 3)
        assert f"{RECORDING},{target.start},{target.stop},annotated,mel-sine" in text
        shots(page, "detected relabelled")

        page.get_by_role("button", name="Undo").click()
        wait_for_message(page, "undid: label")
        wait_for_file(own_csv, lambda t: len(t.splitlines()) == 2)
        shots(page, "undone")

        # review: step to the first detected event at or after 5 s and reject it with R
        page.get_by_role("button", name="Review").click()
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('review-info').text.startsWith('<b>Event')")
        for _ in range(40):
            info = model_value(page, "review-info", "text")
            if ": detected," in info and float(info.split(", ")[2].split("–")[0]) >= 5.0:
                break
            page.keyboard.press("ArrowRight")
            page.wait_for_function("(old) => Bokeh.documents[0].get_model_by_name('review-info').text != old", arg=info)
        else:
            raise AssertionError("never reached a detected event after 5 s")
        start_s = float(info.split(", ")[2].split("–")[0])
        rejected = next(e for e in detected if abs(e.start / RATE - start_s) < 5e-4)
        shots(page, "reviewing")
        page.keyboard.press("r")
        wait_for_message(page, "reject")
        shots(page, "rejected")

        # redraw the current event's box, time and frequency, by a drag across the spectrogram
        box_start, box_stop = rejected.start / RATE - 0.05, rejected.stop / RATE + 0.05
        drag(page, "spectrogram", box_start, box_stop, 100.0, 600.0)
        wait_for_message(page, "redraw")
        shots(page, "box redrawn")

        # zoom by the mouse wheel and by a key
        before = x_range(page)
        page.mouse.move(*screen_point(page, "waveform", (before[0] + before[1]) / 2, 0.0))
        page.mouse.wheel(0, -400)
        wheeled = wait_for_range(page, lambda a, b: b - a < 0.9 * (before[1] - before[0]))
        page.keyboard.press("-")
        wait_for_range(page, lambda a, b: abs((b - a) - 2 * (wheeled[1] - wheeled[0])) < 1e-6)
        shots(page, "zoomed by wheel and key")

    # the annotated file holds exactly what the person did, and the detector's file is untouched
    rows = read_csv(own_csv)
    assert [(e.kind.value, e.label, e.status.value if e.status else None) for e in rows] == [
        ("annotated", "mel-pulse", None), ("annotated", "mel-sine", None), ("annotated", "mel-sine", "rejected"),  # the current label, never the detector class
    ]  # fmt: skip
    point, stretch, verdict = rows
    assert point.start == point.stop and abs(point.start - 3.0 * RATE) <= 3  # within a pixel of where it was clicked
    assert abs(stretch.start - 4.0 * RATE) <= 3 and abs(stretch.stop - 4.6 * RATE) <= 3
    assert abs(verdict.start - box_start * RATE) <= 3 and abs(verdict.stop - box_stop * RATE) <= 3
    assert abs(verdict.low_hz - 100) <= 10 and abs(verdict.high_hz - 600) <= 10  # a pixel is about 5 Hz
    assert (fly_folder / f"{RECORDING}-detected.csv").read_bytes() == detected_before

    # a new server and a reloaded page show the same three rows
    with running_gui(fly_folder, "--annotator", "tester") as url:
        open_page(page, url)
        wait_for_message(page, f"opened {RECORDING}")  # the last recording opens again
        assert wait_for_text_end(page, "file-info", "(3 rows)").endswith("(3 rows)")
        shots(page, "reloaded")
    assert read_csv(own_csv) == rows
