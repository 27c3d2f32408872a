"""Key presses of the page, sent to the server: Bokeh has no keyboard events of its own.

A small script, run once the document is ready, listens to ``keydown`` on the whole page
and writes each key (with its modifiers, as ``ctrl+z`` or ``shift+ArrowRight``) into a
:class:`KeyPress` model, whose change reaches the server like any widget's. Keys typed into
a text box, a menu, a number field or a slider's handle are left to that widget (so an arrow
key on a slider moves the slider only). A menu (or a filter box, once Enter applies it) lets go of
the keyboard once a choice is made in it (:func:`release_focus_after_change`): after picking a
recording, → moves the view instead of choosing the next recording. Shift with a digit is sent as
``shift+1`` ... ``shift+0`` whatever character the keyboard layout makes of it: the second bank
of label keys (:mod:`hark.annotations.label_list`).
"""

from __future__ import annotations

from bokeh.core.properties import Int, String
from bokeh.model import DataModel
from bokeh.models import CustomJS

# keys whose browser default (scrolling the page, typing) would fight the GUI's use of them
_PREVENTED = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", " ", "PageUp", "PageDown", "Home", "End"]

KEY_LISTENER_JS = """
if (window.__hark_keys_installed) { return; }
window.__hark_keys_installed = true;
document.addEventListener('keydown', (event) => {
  const target = event.composedPath()[0];
  if (target && (['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) || target.isContentEditable)) { return; }
  if (target && target.closest && (target.getAttribute('role') === 'slider' || target.closest('.noUi-target'))) { return; }
  if (['Shift', 'Control', 'Alt', 'Meta'].includes(event.key)) { return; }
  let name = event.key;
  if (event.shiftKey && name.length > 1) { name = 'shift+' + name; }
  // Shift+digit types '!', '@', ... (by keyboard layout): the second bank of label keys is named by the key's place
  if (event.shiftKey && !event.ctrlKey && !event.metaKey && /^Digit[0-9]$/.test(event.code)) { name = 'shift+' + event.code.slice(5); }
  if (event.altKey) { name = 'alt+' + name; }
  if (event.ctrlKey || event.metaKey) { name = 'ctrl+' + (event.shiftKey ? 'shift+' : '') + event.key.toLowerCase(); }
  if (PREVENTED.includes(event.key) || name.startsWith('ctrl+')) { event.preventDefault(); }
  keys.key = name;
  keys.count = keys.count + 1;
});
""".replace("PREVENTED", str(_PREVENTED))


# the focused element may sit in a widget's shadow root: follow activeElement down, then blur it
BLUR_JS = """
let focused = document.activeElement;
while (focused && focused.shadowRoot && focused.shadowRoot.activeElement) { focused = focused.shadowRoot.activeElement; }
if (focused && ['SELECT', 'INPUT'].includes(focused.tagName)) { focused.blur(); }
"""


def release_focus_after_change(widget) -> None:
    """Once a choice is made in ``widget`` (a menu, or a box whose value Enter applies), the page's keys go to the GUI
    again, not to the widget."""
    widget.js_on_change("value", CustomJS(code=BLUR_JS))


class KeyPress(DataModel):
    """The last key pressed in the page (``key``) and how many have been (``count``: changes on every press)."""

    key = String(default="")
    count = Int(default=0)


def key_listener(keys: KeyPress) -> CustomJS:
    """The script to run on the document's ``DocumentReady`` event."""
    return CustomJS(args={"keys": keys}, code=KEY_LISTENER_JS)
