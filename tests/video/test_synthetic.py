"""The time-code movie: every frame carries its index, legible after scaling and lossy compression."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from hark.errors import HarkError
from hark.video import frame_index_of, time_code_frame, write_time_movie


@pytest.mark.parametrize("index", [0, 1, 2, 255, 256, 4097, 65535])
def test_a_frame_carries_its_index_through_jpeg_and_scaling(index):
    picture = time_code_frame(index, 65536)
    assert frame_index_of(picture) == index
    buffer = io.BytesIO()
    Image.fromarray(picture).resize((96, 72), Image.BILINEAR).save(buffer, format="JPEG", quality=50)
    assert frame_index_of(np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))) == index


def test_neighbouring_frames_differ_and_the_bar_moves():
    first, last = time_code_frame(0, 100), time_code_frame(99, 100)
    red = lambda image: np.flatnonzero((image[200, :, 0] > 200) & (image[200, :, 1] < 60))  # noqa: E731
    assert red(first).min() == 0 and red(last).max() == 319


def test_the_writer_refuses_what_cannot_carry_its_time(tmp_path):
    with pytest.raises(HarkError, match="ends in one of"):
        write_time_movie(tmp_path / "clock.gif", 1.0)
    with pytest.raises(HarkError, match="between 1 and 65536"):
        write_time_movie(tmp_path / "clock.mp4", 3600.0, fps=30)
    with pytest.raises(HarkError, match="even numbers"):
        write_time_movie(tmp_path / "clock.mp4", 1.0, width=321)
    assert not list(tmp_path.iterdir())  # nothing half-written
