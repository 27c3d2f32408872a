"""The context window in a real browser, as a person uses it: the keys go where they should, messages never move the
plots, a long stretch plays whole with a playhead, a reload brings the view back, and ultrasound is labelled in kHz."""

from __future__ import annotations

import pytest

from hark.demo import generate_fly, generate_usv
from tests.gui.conftest import running_gui
from tests.gui.helpers import model_value, open_page, wait_for_message, wait_for_range, x_range

FLY = "fly/fly-01.wav"
USV = "usv/usv-01.wav"

KEYS_LEFT_MENU_JS = """() => {
  let focused = document.activeElement;
  while (focused && focused.shadowRoot && focused.shadowRoot.activeElement) { focused = focused.shadowRoot.activeElement; }
  return !focused || focused.tagName !== 'SELECT';
}"""
CANVAS_TOP_JS = """(name) => {
  const plot = Bokeh.documents[0].get_model_by_name(name);
  return Bokeh.index.get_one_by_id(plot.id).canvas_view.el.getBoundingClientRect().top;
}"""

MESSAGE_COUNT_JS = "() => Bokeh.documents[0].get_model_by_name('messages').text.split('</div>').length - 1"


@pytest.fixture
def demo_folder(tmp_path):
    data = tmp_path / "data"
    generate_fly(data / "fly", n_recordings=2, duration_s=30.0, seed=3)
    generate_usv(data / "usv", n_recordings=1, duration_s=3.0, seed=3)
    return data


def test_keys_messages_playback_reload_and_khz(demo_folder, page, shots):
    with running_gui(demo_folder, "--annotator", "tester") as url:
        open_page(page, url)
        # pick a recording from the menu as a person does (the menu has the keyboard), then → moves the view
        menu = page.locator("select").first
        menu.focus()
        menu.select_option(FLY)
        wait_for_message(page, f"opened {FLY}")
        wait_for_range(page, lambda a, b: (a, b) == (0.0, 10.0))
        page.wait_for_function(KEYS_LEFT_MENU_JS)
        page.keyboard.press("ArrowRight")
        wait_for_range(page, lambda a, b: (a, b) == (5.0, 15.0))  # (start and end may reach the page one after the other)
        assert model_value(page, "recording", "value") == FLY  # the menu did not move to the next recording
        shots(page, "picked then arrow")

        # an arrow key on a slider moves the slider, not the view
        contrast_before = page.evaluate("() => Bokeh.documents[0].get_model_by_name('contrast').value")
        page.locator(".noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("(v) => Bokeh.documents[0].get_model_by_name('contrast').value != v", arg=contrast_before)
        page.wait_for_timeout(500)  # a pan, were one sent, would have come back by now
        assert x_range(page) == (5.0, 15.0)

        # messages arriving never push the plots down
        top = page.evaluate(CANVAS_TOP_JS, "waveform")
        shown = page.evaluate(MESSAGE_COUNT_JS)
        for _ in range(3):  # each rescan says how many recordings there are, then reopens the recording: two messages
            page.get_by_role("button", name="Rescan folder").click()
            shown = min(shown + 2, 6)
            page.wait_for_function(f"() => ({MESSAGE_COUNT_JS})() >= {shown}")
        assert shown == 6 and page.evaluate(CANVAS_TOP_JS, "waveform") == top
        shots(page, "many messages")

        # 10 s at 1x plays whole, chunk after chunk, with a playhead moving through the view
        page.get_by_role("button", name="Play visible").click()
        page.wait_for_function("() => { const h = Bokeh.documents[0].get_model_by_name('playhead-waveform'); return h.visible && h.location > 5.3; }")
        first = model_value(page, "playhead-waveform", "location")
        shots(page, "playing")
        # three chunks of 4 s for 10 s, the last one flagged: nothing cut at 30 s or anywhere
        page.wait_for_function("() => { const p = Bokeh.documents[0].get_model_by_name('playback'); return p.last && p.index === 2; }",
                               timeout=30_000)  # fmt: skip
        assert model_value(page, "playhead-waveform", "location") > first
        page.get_by_role("button", name="Stop").click()
        page.wait_for_function("() => !Bokeh.documents[0].get_model_by_name('playhead-waveform').visible")

        # a reload comes back to the same stretch, label and recording
        page.keyboard.press("2")
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('labels').active === 1")
        page.reload()
        page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents[0].get_model_by_name('messages') != null")
        wait_for_message(page, f"opened {FLY}")
        wait_for_range(page, lambda a, b: (a, b) == (5.0, 15.0))
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('labels').active === 1")
        shots(page, "reloaded")

        # the ultrasonic recording: no clip of the fly left in the player, frequencies in kHz
        page.get_by_role("button", name="Play visible").click()
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('playback').playing")
        page.locator("select").first.select_option(USV)
        wait_for_message(page, f"opened {USV}")
        page.wait_for_function("() => { const p = Bokeh.documents[0].get_model_by_name('playback'); return !p.playing && p.chunk === ''; }")
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('audio').text === ''")
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('spectrogram').left[0].axis_label === 'kHz'")
        shots(page, "usv in khz")
