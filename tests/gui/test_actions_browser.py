"""Actions and bad inputs in a real browser: every mistake is a message in the page, and nothing is lost."""

from __future__ import annotations

import pytest

from hark.demo import generate_fly
from tests.gui.conftest import running_gui
from tests.gui.helpers import double_click, model_value, open_page, wait_for_message


@pytest.fixture
def awkward_folder(tmp_path):
    """Generated fly song, plus a recording that is not audio and annotation files with malformed rows."""
    data = tmp_path / "data"
    generate_fly(data / "demo", n_recordings=2, duration_s=8.0, seed=3)
    (data / "broken.wav").write_bytes(b"RIFF....WAVEnot really audio")
    (data / "demo" / "fly-02.wav-detected.csv").write_text("fly-02.wav,abc,10,detected,time\n")
    (data / "demo" / "fly-02.wav-annotated-tester.csv").write_text("fly-02.wav,5,5,annotated,mel-pulse\nhalf a row\n")
    (tmp_path / "outside.wav").write_bytes(b"")
    return data


def field(page, section: str, name: str):
    return page.locator(f".hark-field-{section}-{name} input")


def set_field(page, section: str, name: str, value: str) -> None:
    box = field(page, section, name)
    box.fill(value)
    box.press("Enter")


def form_message(page) -> str:
    return model_value(page, "form-message", "text")


def test_bad_inputs_are_shown_and_a_detect_job_runs(awkward_folder, page, shots):
    data = awkward_folder
    own = data / "demo" / "fly-02.wav-annotated-tester.csv"
    own_before = own.read_bytes()
    with running_gui(data, "--annotator", "tester") as url:
        open_page(page, url)
        # malformed rows: the file is named with its line, its events left out, and the person's own file never rewritten
        page.locator("select").first.select_option("demo/fly-02.wav")
        shown = wait_for_message(page, "editing is off", newest=False)
        assert "fly-02.wav-annotated-tester.csv:2: wrong number of columns" in shown
        assert "fly-02.wav-detected.csv:1: start 'abc' is not a number — its events are not shown" in shown
        page.get_by_role("button", name="2: mel-pulse").click()
        double_click(page, "waveform", 1.0, 0.0)
        wait_for_message(page, "editing is off for demo/fly-02.wav")
        assert own.read_bytes() == own_before
        shots(page, "malformed csv")

        # a recording that cannot be read: a message, and the open recording stays
        page.locator("select").first.select_option("broken.wav")
        assert "cannot open broken.wav" in wait_for_message(page, "cannot open broken.wav")
        assert model_value(page, "recording", "value") == "demo/fly-02.wav"
        shots(page, "unreadable recording")

        page.locator(".bk-tab", has_text="Actions").click()
        page.get_by_role("button", name="detect", exact=True).click()
        field(page, "files", "recordings").wait_for()

        # a path outside the data folder, in a form and in the file browser
        set_field(page, "files", "recordings", "../outside.wav")
        page.get_by_role("button", name="Run", exact=True).click()
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('form-message').text.includes('outside the data folder')")
        set_browse = page.get_by_label("Folder (inside the data folder)")
        set_browse.fill("../..")
        set_browse.press("Enter")
        wait_for_message(page, "is outside the data folder")
        shots(page, "outside paths")

        # an out-of-range value: the model's own message, and no job
        set_browse.fill("demo")
        set_browse.press("Enter")
        page.locator("select[multiple]").select_option("demo/fly-01.wav")
        page.get_by_role("button", name="Use chosen path").click()
        set_field(page, "detector", "time_smooth", "-1")
        page.get_by_role("button", name="Run", exact=True).click()
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('form-message').text.includes('time_smooth')")
        assert "detect detector: time_smooth: Input should be greater than or equal to 0" in form_message(page)
        assert field(page, "files", "recordings").input_value() == "demo/fly-01.wav"
        assert page.evaluate("() => Bokeh.documents[0].get_model_by_name('jobs').source.data.state.length") == 0
        shots(page, "out of range")

        # fixed: the job runs, the list shows it done with its log, and its CSV is written
        set_field(page, "detector", "time_smooth", "6.4")
        page.get_by_role("button", name="Run", exact=True).click()
        wait_for_message(page, "queued 1 job(s): detect demo/fly-01.wav")
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('jobs').source.data.state[0] == 'done'", timeout=60_000)
        assert (data / "demo" / "fly-01.wav-detected.csv").exists()
        page.locator(".slick-row", has_text="detect demo/fly-01.wav").filter(has_text="done").first.click()
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('job-log').text.includes('wrote')")
        shots(page, "job done")

    # the form remembers what it last ran with, per data folder
    with running_gui(data, "--annotator", "tester") as url:
        open_page(page, url)
        page.locator(".bk-tab", has_text="Actions").click()
        page.get_by_role("button", name="detect", exact=True).click()
        assert field(page, "files", "recordings").input_value() == "demo/fly-01.wav"
        assert field(page, "detector", "time_smooth").input_value() == "6.4"
        shots(page, "remembered")
