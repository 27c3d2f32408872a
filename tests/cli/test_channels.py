"""``--channel all`` / a list on hark detect, classify and ethogram: outputs per channel, help, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from hark.annotations.songexplorer import read_csv
from hark.cli.app import main
from hark.demo.fly import synthesize_fly
from hark.demo.generate import write_wav
from tests.infer.helpers import make_model, tiny_architectures  # noqa: F401 (a fixture)


@pytest.fixture
def two(tmp_path):
    """A two-channel fly recording, each channel a song of its own."""
    songs = [synthesize_fly(6.0, rng=seed, recording="two.wav")[0] for seed in (4, 5)]
    write_wav(tmp_path / "two.wav", np.stack(songs, axis=1), 2500)
    return tmp_path / "two.wav"


@pytest.mark.parametrize("command", ["detect", "classify", "ethogram"])
def test_help_describes_the_channel_option(command, capsys):
    assert main([command, "--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    if command == "ethogram":  # ethogram has no option: it reads the channels classify wrote
        assert "--channel" not in shown
    else:
        assert "--channel" in shown and "N|N,M,...|all" in shown and "<rec>-chN-" in shown


def test_detect_channel_all_writes_one_csv_per_channel_into_one_folder(two, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["detect", "--channel", "all", "--out", str(out), "--no-progress", str(two)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [str(out / "two.wav-ch0-detected.csv"), str(out / "two.wav-ch1-detected.csv")]
    for channel in (0, 1):
        assert {e.channel for e in read_csv(out / f"two.wav-ch{channel}-detected.csv")} == {channel}
    assert main(["detect", "--channel", "1", "--out", str(out), "--no-progress", str(two)]) == 0  # today's name, beside them
    assert sorted(p.name for p in out.iterdir()) == ["two.wav-ch0-detected.csv", "two.wav-ch1-detected.csv", "two.wav-detected.csv"]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2", "two.wav: channel 2 does not exist; the recording has 2 channel(s), numbered from 0"),
        ("0,5", "two.wav: channel 5 does not exist; the recording has 2 channel(s), numbered from 0"),
        ("1,1", "--channel '1,1': channel 1 is listed twice"),
        (",", "--channel ',': the list of channels is empty"),
        ("left", "--channel 'left': expected a channel number (from 0), a list such as 0,2, or all"),
        ("-1", "--channel -1 must be at least 0"),
    ],
)
@pytest.mark.parametrize("command", ["detect", "classify"])
def test_bad_channels_are_one_line_and_nothing_is_written(command, typed, message, two, tmp_path, capsys, tiny_architectures):
    out = tmp_path / "out"
    model = ["--model", str(make_model(tmp_path / "model", samplerate=2500))] if command == "classify" else []
    assert main([command, *model, "--channel", typed, "--out", str(out), "--no-progress", str(two)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hark: error: ") and err.endswith(message) and "\n" not in err, err
    assert not out.exists() or not any(out.iterdir())


def test_classify_and_ethogram_per_channel_from_the_command_line(tmp_path, capsys, tiny_architectures):
    rate = 8000
    t = np.arange(rate) / rate
    audio = np.stack([0.4 * np.sin(2 * np.pi * 440 * t), 0.05 * np.random.default_rng(1).standard_normal(rate)], axis=1)
    sf.write(tmp_path / "st.wav", audio.astype(np.float32), rate, subtype="FLOAT")
    model = make_model(tmp_path / "model", seed=5)
    (model / "accuracy").mkdir()
    (model / "accuracy" / "thresholds.csv").write_text("label,ratio,threshold,precision,recall\nsong,1.0,0.5,1,1\nambient,1.0,0.5,1,1\n")
    out = tmp_path / "out"
    common = ["--model", str(model), "--out", str(out), "--no-progress"]
    assert main(["classify", *common, "--device", "cpu", "--channel", "0,1", str(tmp_path / "st.wav")]) == 0
    assert [line.split(":")[0] for line in capsys.readouterr().out.splitlines()] == [
        str(out / "st.wav-ch0-probabilities.npy"), str(out / "st.wav-ch1-probabilities.npy"),
    ]  # fmt: skip
    assert main(["ethogram", *common, str(tmp_path / "st.wav")]) == 0
    printed = capsys.readouterr()
    assert [line.split(":")[0] for line in printed.out.splitlines()] == [
        str(out / "st.wav-ch0-predicted-1.0pr.csv"), str(out / "st.wav-ch1-predicted-1.0pr.csv"),
    ], printed  # fmt: skip
    for channel in (0, 1):
        assert {e.channel for e in read_csv(out / f"st.wav-ch{channel}-predicted-1.0pr.csv", allow_empty=True)} <= {channel}


def test_train_refuses_a_model_of_several_input_channels_on_mono_recordings_in_one_line(tmp_path, capsys):
    """hark train trains models of several channels (tests/train/test_channels_train.py), on recordings that have them."""
    from hark.demo.generate import generate_fly

    generate_fly(tmp_path / "gt", n_recordings=1, duration_s=2.0, seed=1)
    argv = ["train", "--data", str(tmp_path / "gt"), "--labels", "mel-pulse,mel-sine", "--out", str(tmp_path / "model"), "-a", "input_channels=2"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hark: error: ") and "has 1 channel(s), but the model (--channels 0,1) reads channels 0,1" in err and "\n" not in err, err
    assert not (tmp_path / "model").exists()
