"""How the page tells a drag from a press: a drag that starts after the button was held still is still a drag.

Bokeh turns a button held still for 300 ms into a "press" gesture, after which moving the mouse pans
nothing and selects nothing: a person who presses, settles, then drags (or a busy machine that delivers
the first move late) laid no range and got no message. The GUI uses no press gesture, so the page waits
(practically) for ever before calling a held button a press, and every drag that moves is a drag.
"""

from __future__ import annotations

from bokeh.models import CustomJS

# setTimeout's longest delay (a larger one, Infinity included, fires at once)
_NEVER_MS = 2**31 - 1

PRESS_NEVER_JS = f"""
const gestures = Bokeh.require("core/ui_gestures");
gestures.UIGestures.press_threshold = {_NEVER_MS};
"""


def drags_never_become_presses() -> CustomJS:
    """The script to run on the document's ``DocumentReady`` event."""
    return CustomJS(code=PRESS_NEVER_JS)
