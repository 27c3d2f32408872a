"""hark classify and hark ethogram on each channel of a multi-channel recording."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from hark.annotations.songexplorer import read_csv
from hark.errors import HarkError
from hark.infer.classify import classify_recordings
from hark.infer.ethogram import write_ethograms
from hark.infer.probabilities import open_probabilities
from tests.infer.helpers import make_model

RATE = 8000
THRESHOLDS = "label,ratio,threshold,precision,recall\nsong,1.0,0.5,0.9,0.9\nambient,1.0,0.5,0.9,0.9\n"


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = make_model(tmp_path_factory.mktemp("models") / "tiny", seed=5)
    (folder / "accuracy").mkdir()
    (folder / "accuracy" / "thresholds.csv").write_text(THRESHOLDS)
    return folder


@pytest.fixture(scope="module")
def stereo(tmp_path_factory):
    """2 s: a 440 Hz tone in the first second of channel 0 and in the second second of channel 1, over faint noise."""
    t = np.arange(2 * RATE) / RATE
    rng = np.random.default_rng(0)
    tone = 0.4 * np.sin(2 * np.pi * 440 * t)
    first = t < 1.0
    audio = np.stack([np.where(first, tone, 0), np.where(first, 0, tone)], axis=1) + 0.02 * rng.standard_normal((len(t), 2))
    path = tmp_path_factory.mktemp("audio") / "stereo.wav"
    sf.write(path, audio.astype(np.float32), RATE, subtype="FLOAT")
    return path


def test_each_channel_is_classified_on_its_own_and_equals_that_channel_alone(model, stereo, tmp_path):
    results = classify_recordings(model, [stereo], tmp_path / "all", engine="torch", device="cpu", channel="all")
    assert [r.output.name for r in results] == ["stereo.wav-ch0-probabilities.npy", "stereo.wav-ch1-probabilities.npy"]
    arrays = []
    for channel, result in enumerate(results):
        array, meta = open_probabilities(result.output)
        assert meta.recording == "stereo.wav" and meta.extra["channel"] == channel
        [alone] = classify_recordings(model, [stereo], tmp_path / f"alone{channel}", engine="torch", device="cpu", channel=channel)
        assert alone.output.name == "stereo.wav-probabilities.npy"
        np.testing.assert_array_equal(np.asarray(array), np.asarray(open_probabilities(alone.output)[0]))
        arrays.append(np.asarray(array))
    # the tone moves from one channel to the other: their probabilities differ, each where its tone is
    half = len(arrays[0]) // 2
    assert not np.allclose(arrays[0][:half], arrays[1][:half]) and not np.allclose(arrays[0][half:], arrays[1][half:])
    np.testing.assert_allclose(arrays[0][:half - 2].mean(axis=0), arrays[1][half + 2 :].mean(axis=0), atol=0.05)


def test_ethogram_of_each_channels_probabilities_gives_that_channels_events(model, stereo, tmp_path):
    out = tmp_path / "all"
    classify_recordings(model, [stereo], out, engine="torch", device="cpu", channel=[1, 0])
    written = write_ethograms(model, None, out, out, ratio=1.0)
    assert [p.name for p in written] == ["stereo.wav-ch0-predicted-1.0pr.csv", "stereo.wav-ch1-predicted-1.0pr.csv"]
    # the recording's name stands for each of its channels; the same files again
    assert write_ethograms(model, [stereo], out, out, ratio=1.0) == written
    for channel, path in enumerate(written):
        events = read_csv(path)
        assert events and {e.channel for e in events} == {channel} and {e.recording for e in events} == {"stereo.wav"}
        alone = tmp_path / f"alone{channel}"
        classify_recordings(model, [stereo], alone, engine="torch", device="cpu", channel=channel)
        [single] = write_ethograms(model, [stereo], alone, alone, ratio=1.0)
        assert single.name == "stereo.wav-predicted-1.0pr.csv"
        mine = [(e.start, e.stop, e.label, e.score) for e in events]
        assert mine == [(e.start, e.stop, e.label, e.score) for e in read_csv(single)]
        assert {e.channel for e in read_csv(single)} == {None}


def test_a_channel_the_recording_lacks_is_refused_before_anything_is_written(model, stereo, tmp_path):
    with pytest.raises(HarkError) as raised:
        classify_recordings(model, [stereo], tmp_path / "out", engine="torch", device="cpu", channel=[0, 3])
    assert str(raised.value) == f"{stereo}: channel 3 does not exist; the recording has 2 channel(s), numbered from 0"
    assert not any((tmp_path / "out").glob("*"))
