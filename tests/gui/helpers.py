"""Acting on a hark GUI page as a person would: clicks and keys at the places things are drawn.

Bokeh draws plots on a canvas, so a test finds where a time (s) and a frequency (or lane)
are on the screen by asking the plot's view for its scales, then moves the real mouse there.
Waits are on what the page shows (a message, a plot's range), never on fixed sleeps.
"""

from __future__ import annotations

import time
from pathlib import Path

READY_JS = "() => window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents[0].get_model_by_name('messages') != null"

SCREEN_POINT_JS = """([name, x, y]) => {
  const plot = Bokeh.documents[0].get_model_by_name(name);
  const view = Bokeh.index.get_one_by_id(plot.id);
  const box = view.canvas_view.el.getBoundingClientRect();
  return [box.left + view.frame.x_scale.compute(x), box.top + view.frame.y_scale.compute(y)];
}"""


def open_page(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function(READY_JS)


def model_value(page, name: str, attribute: str):
    return page.evaluate("([n, a]) => Bokeh.documents[0].get_model_by_name(n)[a]", [name, attribute])


def x_range(page) -> tuple[float, float]:
    return tuple(page.evaluate("() => { const r = Bokeh.documents[0].get_model_by_name('waveform').x_range; return [r.start, r.end]; }"))


def messages(page) -> str:
    return model_value(page, "messages", "text")


def wait_for_message(page, text: str, timeout: float = 30, newest: bool = True) -> str:
    """Wait until the newest message of the page (or, not ``newest``, any shown) contains ``text``; returns all messages."""
    page.wait_for_function(
        "([t, newest]) => { const m = Bokeh.documents[0].get_model_by_name('messages').text; return (newest ? m.split('</div>')[0] : m).includes(t); }",
        arg=[text, newest], timeout=timeout * 1000,
    )  # fmt: skip
    return messages(page)


def wait_for_text_end(page, name: str, ending: str, timeout: float = 30) -> str:
    """Wait until the text of the page's model ``name`` ends with ``ending`` (the server's
    updates of several widgets may reach the page one after another)."""
    page.wait_for_function(
        "([n, e]) => Bokeh.documents[0].get_model_by_name(n).text.endsWith(e)", arg=[name, ending], timeout=timeout * 1000,
    )  # fmt: skip
    return model_value(page, name, "text")


def wait_for_range(page, predicate, timeout: float = 20) -> tuple[float, float]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = x_range(page)
        if predicate(*current):
            return current
        page.wait_for_timeout(100)
    raise AssertionError(f"the view's range never met the condition; it is {x_range(page)}")


def screen_point(page, plot: str, x: float, y: float) -> tuple[float, float]:
    return tuple(page.evaluate(SCREEN_POINT_JS, [plot, x, y]))


def lane_y(page, lane: str) -> float:
    """The y coordinate (middle) of a lane of the lanes plot, by its name."""
    overrides = page.evaluate(
        "() => Object.fromEntries(Bokeh.documents[0].get_model_by_name('lanes').left[0].major_label_overrides)"
    )
    for y, name in overrides.items():
        if name == lane:
            return float(y)
    raise AssertionError(f"no lane {lane!r}; lanes are {sorted(overrides.values())}")


def double_click(page, plot: str, x: float, y: float) -> None:
    page.mouse.dblclick(*screen_point(page, plot, x, y))


def drag(page, plot: str, x0: float, x1: float, y0: float, y1: float, hold_s: float = 0.0) -> None:
    """Press at (x0, y0), hold the button still for ``hold_s`` seconds, then move to (x1, y1) and let go."""
    start, stop = screen_point(page, plot, x0, y0), screen_point(page, plot, x1, y1)
    page.mouse.move(*start)
    page.mouse.down()
    if hold_s:
        page.wait_for_timeout(hold_s * 1000)
    page.mouse.move(*stop, steps=8)
    page.mouse.up()


def wait_for_file(path: Path, predicate, timeout: float = 20):
    """Wait until ``predicate(text of path)`` holds; returns the text."""
    deadline = time.monotonic() + timeout
    text = None
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else None
        if text is not None and predicate(text):
            return text
        time.sleep(0.1)
    raise AssertionError(f"{path} never met the condition; it holds:\n{text}")
