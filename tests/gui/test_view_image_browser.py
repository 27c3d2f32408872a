"""The spectrogram's colours and the waveform's amplitude labels checked against BokehJS itself, in Chromium: the
pixels hark colours on the server are those Bokeh's LinearColorMapper gives in the page for the same values, and the
amplitude labels keep one width whatever the peak (so a scroll does not lay the page out again)."""

from __future__ import annotations

from pathlib import Path

import bokeh
import numpy as np
from bokeh.palettes import Viridis256

from hark.gui.signal import colour_map, palette_rgba
from hark.gui.view_updates import FIXED_WIDTH_TICKS_JS

BOKEH_JS = Path(bokeh.__file__).parent / "server" / "static" / "js" / "bokeh.min.js"

MAPPER_JS = """([palette, low, high, values]) => {
  const mapper = new (Bokeh.Models.get('LinearColorMapper'))({palette, low, high});
  const rgba = mapper.rgba_mapper.v_compute(new Float32Array(values));  // "NaN" becomes NaN
  return Array.from(new Uint32Array(rgba.buffer, rgba.byteOffset, values.length));
}"""
TICKS_JS = """([code, ticks]) => new (Bokeh.Models.get('CustomJSTickFormatter'))({code}).doFormat(ticks, {loc: 0})"""


def bokeh_page(page):
    page.set_content("<html><body></body></html>")
    page.add_script_tag(path=str(BOKEH_JS))
    return page


def test_server_coloured_pixels_equal_bokehjs_colour_mapper(page):
    bokeh_page(page)
    rng = np.random.default_rng(7)
    values = rng.normal(-60, 25, size=3000).astype(np.float32)
    low, high = float(np.percentile(values, 99.5)) - 60.0, float(np.percentile(values, 99.5))
    values[:4] = [low, high, low - 1, np.nan]  # the edges, below the range, and a hole
    in_page = page.evaluate(MAPPER_JS, [list(Viridis256), low, high, ["NaN" if np.isnan(v) else float(v) for v in values]])
    assert colour_map(values, low, high, palette_rgba(Viridis256)).tolist() == in_page
    # a narrow contrast (many values clipped at both ends) as well
    in_page = page.evaluate(MAPPER_JS, [list(Viridis256), -62.5, -47.25, [float(v) for v in values[4:]]])
    assert colour_map(values[4:], -62.5, -47.25, palette_rgba(Viridis256)).tolist() == in_page


def test_amplitude_labels_keep_one_width_and_say_the_ticks(page):
    bokeh_page(page)
    for ticks in ([-0.02, -0.01, 0, 0.01, 0.02], [-0.5, 0, 0.5], [-0.0004, -0.0002, 0, 0.0002, 0.0004], [-1.2, -0.6, 0, 0.6, 1.2]):
        labels = page.evaluate(TICKS_JS, [FIXED_WIDTH_TICKS_JS, ticks])
        assert {len(label) for label in labels} == {9}, labels
        assert [float(label) for label in labels] == ticks
        decimals = {len(label.strip().partition(".")[2]) for label in labels}
        assert len(decimals) == 1  # one number of decimals for all, as Bokeh's own formatter writes them
