"""A movie beside a recording in a real browser: the frame shown is the one at the view's start, and it plays with the sound."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from hark.demo import generate_fly
from hark.video import frame_index_of, write_time_movie
from tests.gui.conftest import running_gui
from tests.gui.helpers import model_value, open_page, screen_point, wait_for_message, wait_for_range, x_range

FLY = "fly/fly-01.wav"
FPS = 25.0

# the picture as the browser decoded and shows it, drawn onto a canvas and read back as PNG
DISPLAYED_JS = """(img) => {
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  canvas.getContext('2d').drawImage(img, 0, 0);
  return canvas.toDataURL('image/png');
}"""
PLAYHEAD_PAST_JS = "(t) => { const h = Bokeh.documents[0].get_model_by_name('playhead-waveform'); return h.visible && h.location > t; }"


@pytest.fixture
def movie_folder(tmp_path):
    """A demo fly recording (30 s) with a movie of its name beside it whose frames carry their time."""
    data = tmp_path / "data"
    generate_fly(data / "fly", n_recordings=1, duration_s=30.0, seed=5)
    write_time_movie(data / "fly" / "fly-01.mp4", 30.0, fps=FPS)
    return data


def displayed_frame(page) -> int:
    """The frame index carried by the picture the page shows."""
    picture = page.locator("img[alt^='frame']")
    png = picture.evaluate(DISPLAYED_JS)
    image = np.asarray(Image.open(io.BytesIO(base64.b64decode(png.split(",", 1)[1]))).convert("RGB"))
    return frame_index_of(image)


def test_the_movie_shows_the_frame_at_the_view_and_plays_along(movie_folder, page, shots):
    with running_gui(movie_folder, "--annotator", "tester") as url:
        open_page(page, url)
        page.locator("select").first.select_option(FLY)
        wait_for_message(page, f"opened {FLY}")
        wait_for_range(page, lambda a, b: (a, b) == (0.0, 10.0))
        page.locator("img[alt='frame 0']").wait_for()
        assert displayed_frame(page) == 0
        assert "fly-01.mp4: frame 1 of 750" in model_value(page, "video-caption", "text")

        # the view moves: the frame at its new start
        page.get_by_role("button", name="Forward ▶").click()
        wait_for_range(page, lambda a, b: (a, b) == (5.0, 15.0))
        page.locator(f"img[alt='frame {int(5.0 * FPS)}']").wait_for()
        assert displayed_frame(page) == int(5.0 * FPS)
        shots(page, "video at 5 s")

        # the wheel zooms the view in the page (the server hears of the new range): the frame at its start
        page.mouse.move(*screen_point(page, "waveform", 12.0, 0.0))
        page.mouse.wheel(0, -300)
        start, _ = wait_for_range(page, lambda a, b: a > 5.5 and b - a < 9.0)
        page.wait_for_timeout(500)
        start, _ = x_range(page)  # (settled)
        page.locator(f"img[alt='frame {int(start * FPS)}']").wait_for()
        assert displayed_frame(page) == int(start * FPS)

        page.get_by_role("button", name="End ▶|").click()
        start, _ = wait_for_range(page, lambda a, b: b == 30.0)
        page.locator(f"img[alt='frame {int(start * FPS)}']").wait_for()
        assert displayed_frame(page) == int(start * FPS)

        # playback: the frame follows the playhead, which the page moves from its audio clock
        page.get_by_role("button", name="Play visible").click()
        # while it plays, the picture moves on from the view's start
        page.wait_for_function(
            "(i) => { const m = Bokeh.documents[0].get_model_by_name('video'); const at = /data-index='(\\d+)'/.exec(m.text);"
            " return Bokeh.documents[0].get_model_by_name('playback').playing && at && Number(at[1]) > i; }",
            arg=int(start * FPS) + 5, timeout=30_000,
        )  # fmt: skip
        shots(page, "video while playing")
        page.wait_for_function(PLAYHEAD_PAST_JS, arg=start + 1.5, timeout=30_000)
        page.get_by_role("button", name="■ Stop").click()
        page.wait_for_function("() => !Bokeh.documents[0].get_model_by_name('playback').playing")
        page.wait_for_timeout(1000)  # the last playhead position has reached the server and its frame the page
        stopped_at = page.evaluate("() => Bokeh.documents[0].get_model_by_name('playhead-waveform').location")
        shown = displayed_frame(page)
        assert shown >= int((start + 1.5) * FPS)
        assert abs(shown - int(stopped_at * FPS)) <= 1, (shown / FPS, stopped_at)
        shots(page, "video after playing")
