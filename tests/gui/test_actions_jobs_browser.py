"""The Actions tab in a real browser, as a person uses it: a form with grouped fields, a training
job watched as it runs (steps, loss, validation accuracy, learning curve, live log) and
cancelled, and a closed tab that leaves nothing wrong in the server's output."""

from __future__ import annotations

import time

from hark.demo import generate_fly
from tests.gui.conftest import ARTIFACTS, gui_with_output
from tests.gui.helpers import model_value, open_page, wait_for_message

SMALL = '{"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8]}'
LONG_NAME = "a-recording-with-a-name-far-too-long-for-the-file-list-2026-12-07T13-37-00-cage-4-mouse-17.wav"
# the picture docs/gui.md shows (docs/images/gui-jobs-training.png) is copied from here by hand:
# a test run must not change the checkout
DOCS_SHOT = ARTIFACTS / "gui-jobs-training.png"


# the job list and the learning curve beside it, for the picture in docs/gui.md
JOBS_AREA_JS = """() => {
  const rect = (name) => Bokeh.index.get_one_by_id(Bokeh.documents[0].get_model_by_name(name).id).el.getBoundingClientRect();
  const jobs = rect('jobs'), curve = rect('learning-curve');
  const top = Math.min(jobs.top, curve.top) - 4 + window.scrollY, bottom = Math.max(jobs.bottom, curve.bottom) + 4 + window.scrollY;
  return {x: 0, y: top, width: curve.right + 4, height: bottom - top};
}"""


def box(page, section: str, name: str):
    return page.locator(f".hark-field-{section}-{name} input")


def fill(page, section: str, name: str, value: str) -> None:
    page.locator(f".hark-field-{section}-{name} input").fill(value)
    page.locator(f".hark-field-{section}-{name} input").press("Enter")


def jobs_column(page, column: str):
    return page.evaluate(f"() => Bokeh.documents[0].get_model_by_name('jobs').source.data.{column}")


def wait_for_js(page, script: str, timeout: float = 60) -> None:
    page.wait_for_function(script, timeout=timeout * 1000)


def test_train_in_the_actions_tab_watch_it_cancel_it_and_close_a_tab(tmp_path, browser, page, shots):
    data = tmp_path / "data"
    generate_fly(data / "demo", n_recordings=2, duration_s=20.0, seed=5)
    (data / LONG_NAME).write_bytes((data / "demo" / "fly-01.wav").read_bytes())
    with gui_with_output(data, "--annotator", "tester") as (url, output):
        open_page(page, url)
        page.locator(".bk-tab", has_text="Actions").click()

        # detect's form: the required recordings box is empty (never "PydanticUndefined"), a range reads as on the command line
        page.get_by_role("button", name="detect", exact=True).click()
        box(page, "files", "recordings").wait_for()
        assert box(page, "files", "recordings").input_value() == ""
        assert box(page, "files", "recordings").get_attribute("placeholder") == "required"
        assert box(page, "detector", "frequency_range").input_value() == "0-"
        assert "PydanticUndefined" not in page.content()

        # the file browser shows a long name whole once chosen
        page.locator("select[multiple]").select_option(LONG_NAME)
        wait_for_js(page, f"() => Bokeh.documents[0].get_model_by_name('browse-chosen').text.includes('{LONG_NAME}')", 10)
        shots(page, "detect form and a long name")

        # train's form: data, model and training open; the rest under "advanced", closed until opened
        page.get_by_role("button", name="train", exact=True).click()
        box(page, "folders", "out").wait_for()
        advanced = page.locator(".hark-group-training-advanced button")
        assert advanced.inner_text().startswith("▸ advanced: training")
        assert not box(page, "training", "warmup_steps").is_visible() and box(page, "training", "steps").is_visible()
        advanced.click()
        box(page, "training", "warmup_steps").wait_for(state="visible")
        assert box(page, "training", "transfer-models").is_visible()  # transfer learning's own boxes
        shots(page, "train form")

        fill(page, "folders", "data_root", "demo")
        fill(page, "folders", "out", "model")
        fill(page, "data", "labels", "mel-pulse,mel-sine,ambient")
        fill(page, "training", "architecture", "convnet")
        fill(page, "training", "architecture_params", SMALL)
        fill(page, "training", "steps", "100000")
        fill(page, "training", "batch_size", "8")
        fill(page, "training", "validation_period", "20")
        page.locator(".hark-field-training-device select").select_option("cpu")
        page.get_by_role("button", name="Run", exact=True).click()
        wait_for_message(page, "queued 1 job(s): train model")

        # while it runs: its step, loss and validation accuracy in the list, its learning curve, its log as it grows
        wait_for_js(page, "() => { const d = Bokeh.documents[0].get_model_by_name('jobs').source.data;"
                          " return d.state[0] == 'running' && d.message[0].includes('validation accuracy'); }", 120)  # fmt: skip
        wait_for_js(page, "() => Bokeh.documents[0].get_model_by_name('learning-curve').renderers[0].data_source.data.step.length >= 3", 120)
        status = jobs_column(page, "message")[0]
        assert status.startswith("step ") and "/100000, loss " in status, status
        page.locator(".slick-row", has_text="train model").first.click()
        wait_for_js(page, "() => Bokeh.documents[0].get_model_by_name('job-log').text.includes('validation loss')", 30)
        first_log = model_value(page, "job-log", "text")
        wait_for_js(page, f"() => Bokeh.documents[0].get_model_by_name('job-log').text.length > {len(first_log)}", 60)  # it grows
        shots(page, "training")
        DOCS_SHOT.parent.mkdir(parents=True, exist_ok=True)
        area = page.evaluate(JOBS_AREA_JS)
        assert area["width"] > 300 and area["height"] > 100, area
        page.screenshot(path=str(DOCS_SHOT), clip=area, full_page=True)

        page.get_by_role("button", name="Cancel chosen job").click()
        wait_for_js(page, "() => Bokeh.documents[0].get_model_by_name('jobs').source.data.state[0] == 'cancelled'", 30)
        assert jobs_column(page, "message")[0].startswith("cancelled after")
        assert "cancelled after" in wait_for_message(page, "cancelled after")
        steps_when_cancelled = len(list((data / "model").glob("validation-*.npz")))
        time.sleep(2)
        assert len(list((data / "model").glob("validation-*.npz"))) == steps_when_cancelled  # it has really stopped
        shots(page, "cancelled")

        # a second tab, closed: the server discards its session without an error
        other = page.context.new_page()
        open_page(other, url)
        other.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("a page was closed" in line for line in output):
            time.sleep(0.2)
        printed = "".join(output)
        assert "a page was closed" in printed, printed
        assert "_change_callbacks" not in printed and "failed with following error" not in printed and "Traceback" not in printed, printed
        # training's lines went to the job's log, not the server's terminal
        assert "validation loss" not in printed and "step 1/" not in printed, printed
