"""Key presses of the page, sent to the server: Bokeh has no keyboard events of its own.

A small script, run once the document is ready, listens to ``keydown`` on the whole page
and writes each key (with its modifiers, as ``ctrl+z`` or ``shift+ArrowRight``) into a
:class:`KeyPress` model, whose change reaches the server like any widget's. Keys typed into
a text box, a menu or a number field are left to that widget. Shift with a digit is sent as
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


class KeyPress(DataModel):
    """The last key pressed in the page (``key``) and how many have been (``count``: changes on every press)."""

    key = String(default="")
    count = Int(default=0)


def key_listener(keys: KeyPress) -> CustomJS:
    """The script to run on the document's ``DocumentReady`` event."""
    return CustomJS(args={"keys": keys}, code=KEY_LISTENER_JS)
