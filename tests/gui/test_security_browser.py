"""Hostile names and labels stay text in a real Chromium, and the page's policy stops script that slips through."""

from __future__ import annotations

import urllib.parse
import urllib.request

from hark.annotations.event import Event, Kind
from hark.annotations.songexplorer import write_csv
from hark.gui.csp import inline_script_hashes
from tests.annotations.helpers import write_wav
from tests.gui.conftest import running_gui
from tests.gui.helpers import open_page, wait_for_message

PAYLOAD = "<img src=x onerror=window.__pwned=1>"
RECORDING = f"x{PAYLOAD}.wav"
PWNED_JS = "() => [window.__pwned, window.__csp_pwned]"


def hostile_folder(tmp_path):
    data = tmp_path / "data"
    write_wav(data / RECORDING, samplerate=8000, frames=16000)
    write_csv(data / f"{RECORDING}-annotated-other.csv", [Event(RECORDING, 800, 1600, Kind.ANNOTATED, PAYLOAD)])
    write_csv(data / f"{RECORDING}-detected.csv", [Event(RECORDING, 4000, 4800, Kind.DETECTED, PAYLOAD)])
    return data


def test_inline_script_hashes_cover_only_scripts_that_run():
    page = (b'<script src="/static/a.js"></script><script>run()</script>'
            b'<script type="application/json">{"data": 1}</script><script type="text/javascript">go()</script>')  # fmt: skip
    assert inline_script_hashes(page) == sorted([
        "'sha256-AvyuiL0SD1mVY3NNxR+V2uo+lhk6RMFrytWmRt6CrJQ='",  # run()
        "'sha256-5KYv+PUboo5h+0+YAtGRPbwv5d/QxzHslP4YGnUaxRw='",  # go()
    ])  # fmt: skip


def test_hostile_names_and_labels_are_shown_as_text_and_run_nothing(tmp_path, page, shots):
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    data = hostile_folder(tmp_path)
    with running_gui(data, "--annotator", "tester") as url:
        with urllib.request.urlopen(url, timeout=30) as response:
            policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self' 'sha256-" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        # the address may hold the token: never sent on; no type sniffing; no framing
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Content-Type-Options"] == "nosniff" and response.headers["X-Frame-Options"] == "DENY"

        open_page(page, f"{url}?recording={urllib.parse.quote(RECORDING)}")
        wait_for_message(page, "opened x&lt;img")
        # BokehJS runs under the policy: the page was built and nothing it needs was refused
        assert violations == []
        # the name and the label are on the page as text: in the position line, the counts table, the label buttons
        page.get_by_text(f"{RECORDING}:", exact=False).first.wait_for()
        page.get_by_text(PAYLOAD, exact=False).first.wait_for()
        page.get_by_role("button", name="Review").click()
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('review-info').text.startsWith('<b>Event')")
        review = page.evaluate("() => Bokeh.documents[0].get_model_by_name('review-info').text")
        assert "&lt;img src=x onerror=window.__pwned=1&gt;" in review and PAYLOAD not in review
        shots(page, "hostile-names-shown")
        assert page.locator('img[src="x"]').count() == 0  # no element was made from a name or label
        assert page.evaluate(PWNED_JS) == [None, None]
        # the page's own features work under the policy: the sound is sent as data: URLs that the page decodes
        # and plays (Web Audio), its playhead moving (its keys, a CustomJS that needs 'unsafe-eval', are driven
        # by test_recording_browser.py)
        page.get_by_role("button", name="Play visible").click()
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('playhead-waveform').visible")
        assert violations == []

        # the second wall: markup that did reach a Div still cannot run script under the policy
        page.evaluate("() => { Bokeh.documents[0].get_model_by_name('messages').text = '<img src=y onerror=window.__csp_pwned=1>'; }")
        page.locator('img[src="y"]').wait_for(state="attached")
        page.wait_for_function("() => document.readyState === 'complete'")
        page.wait_for_timeout(500)  # give an error event the time it would take to fire
        assert page.evaluate(PWNED_JS) == [None, None]
        assert any("inline event handler" in text or "script-src" in text for text in violations)
