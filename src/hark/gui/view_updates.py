"""Changing what the page shows only where it changed: every change is a message and a redraw in the browser.

Bokeh sends a data source's new ``data`` to the page whenever it is assigned, even when it
equals what the page already holds, and the page then re-reads the glyph and repaints its
plot. A review step that does not move the view changes only the outline and the
review line, yet used to send every event source again (one message each).

The waveform's amplitude axis is the other cost of a scroll: Bokeh lays out the whole page
again whenever an axis' tick labels change their width (each new view has a new peak, so
new labels), some 30-80 ms of the browser's time per redraw on the GUI's page.
:data:`FIXED_WIDTH_TICKS_JS` writes the same numbers padded to one width in a monospace font,
so the axis keeps its width and the page its layout.
"""

from __future__ import annotations

from typing import Any

from bokeh.models import ColumnDataSource

# the ticks written as Bokeh's default formatter writes those of a linear axis (one number of
# decimals for all, enough for each tick's 4 significant digits), right-aligned in 9 characters
FIXED_WIDTH_TICKS_JS = """
const places = (t) => { const s = String(Number(t.toPrecision(4))); return s.includes('e') ? null : (s.split('.')[1] || '').length; };
const all = ticks.map(places);
const text = all.includes(null) ? tick.toExponential(1) : tick.toFixed(Math.min(20, Math.max(...all)));
return text.padStart(9, ' ');
"""
TICK_FONT = "monospace"


def replace_data(source: ColumnDataSource, data: dict[str, Any]) -> bool:
    """Give ``source`` the columns ``data`` unless it holds equal ones already; True when it changed.

    Equality is Bokeh's own (arrays by value, lists by ``==``; columns that cannot be compared,
    such as a list of arrays, count as changed).
    """
    if data.keys() == source.data.keys() and source.lookup("data").property.matches(data, dict(source.data)):
        return False
    source.data = data
    return True
