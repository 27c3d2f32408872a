"""Double-click plugins: a point where clicked, or the loud stretch around the nearest peak."""

import numpy as np
import pytest
import soundfile as sf

from hark.audio.recording import open_recording
from hark.errors import HarkError
from hark.gui.double_click import SnapToPeakParams, double_click_plugins, snap_to_peak
from hark.gui.server import GuiSettings

RATE = 10_000


@pytest.fixture
def burst(tmp_path):
    """1 s of faint noise with a 600 Hz burst over samples 4000-4500 (flat top, 1 ms ramps)."""
    rng = np.random.default_rng(0)
    samples = 0.001 * rng.standard_normal(RATE)
    t = np.arange(500) / RATE
    ramp = np.minimum(1, np.minimum(np.arange(500), np.arange(500)[::-1]) / 10)
    samples[4000:4500] += 0.5 * ramp * np.sin(2 * np.pi * 600 * t)
    path = tmp_path / "burst.wav"
    sf.write(path, samples.astype(np.float32), RATE, subtype="FLOAT")
    return open_recording(path)


def test_snap_to_peak_lays_the_burst_from_a_click_beside_it(burst):
    start, stop = snap_to_peak(burst, 3950, SnapToPeakParams(search_ms=10, drop_db=12))  # 5 ms before the burst
    assert abs(start - 4000) <= 20 and abs(stop - 4500) <= 20
    peak, same = snap_to_peak(burst, 4520, SnapToPeakParams(as_point=True))
    assert peak == same and 4000 <= peak < 4500
    # nothing loud within reach: the stretch is bounded by max_ms either side of the peak
    start, stop = snap_to_peak(burst, 9000, SnapToPeakParams(search_ms=1, drop_db=100, max_ms=5))
    assert stop - start <= 2 * 50 + 1


@pytest.mark.parametrize("name", double_click_plugins.names())
def test_every_plugin_places_within_the_recording(burst, name):
    plugin = double_click_plugins.get(name)
    params = plugin.validate({})
    for tic in (0, 10, 4100, burst.frames - 1, burst.frames):
        start, stop = plugin.place(burst, tic, params)
        assert 0 <= start <= stop <= burst.frames
    assert double_click_plugins.get("point").place(burst, 1234, params) == (1234, 1234)


def test_the_gui_refuses_an_unknown_plugin_or_parameter_in_one_line(tmp_path):
    with pytest.raises(HarkError, match="unknown double-click plugin 'snap'; known: point, snap-to-peak"):
        GuiSettings(tmp_path, double_click="snap").check()
    with pytest.raises(HarkError, match="double-click plugin snap-to-peak: .*drop_bd"):
        GuiSettings(tmp_path, double_click="snap-to-peak", double_click_params={"drop_bd": 3}).check()
