import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from hark.annotations.songexplorer import read_csv
from hark.cli.app import main
from hark.infer.classify import classify_recordings
from hark.infer.ethogram import write_ethograms
from tests.conftest import REPO_ROOT
from tests.infer.helpers import CLIP_ARCH, make_model, tiny_architectures, write_recording  # noqa: F401 (a fixture)
from tests.infer.test_stream import loud_recording, loudness_architecture, loudness_model  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("tiny_architectures", "loudness_architecture")

THRESHOLDS = "label,ratio,threshold,precision,recall\nsong,1.0,0.6,0.9,0.9\nambient,1.0,0.6,0.9,0.9\n"

# A child process knows no test architectures: it registers the tiny one, then runs hark.
CHILD = (
    "import sys\n"
    "from hark.models.base import architectures\n"
    "from tests.infer.helpers import FRAME_ARCH, TinyConvArchitecture\n"
    "TinyConvArchitecture.name = FRAME_ARCH\n"
    "architectures.add(FRAME_ARCH, TinyConvArchitecture)\n"
    "from hark.cli.app import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def tiny_with_thresholds(folder):
    model = make_model(folder)
    (model / "accuracy").mkdir()
    (model / "accuracy" / "thresholds.csv").write_text(THRESHOLDS)
    return model


def rows(text):
    return [line.split(",") for line in text.splitlines()]


def test_streamed_events_are_those_of_classify_and_ethogram(tmp_path, capsys):
    model = tiny_with_thresholds(tmp_path / "model")
    recording = write_recording(tmp_path / "song.wav", 1.0 + 5 / 8000)  # a partial last chunk
    assert main(["stream", "--model", str(model), "--speed", "0", "--chunk-ms", "3.3", "--report-latency", str(recording)]) == 0
    out, err = capsys.readouterr()
    classify_recordings(model, [recording], tmp_path / "probabilities", engine="torch", device="cpu")
    [csv] = write_ethograms(model, [recording], tmp_path / "probabilities", tmp_path / "events", ratio=1.0)
    expected = sorted([e.recording, str(e.start), str(e.stop), "predicted", e.label] for e in read_csv(csv))
    assert len(expected) > 5 and sorted(rows(out)) == expected
    assert all(row[0] == "song.wav" for row in rows(out))
    assert "torch engine" in err and "hark freeze" in err and "chunks of 26 samples (3.25 ms)" in err
    assert "hark: latency over 308 chunks of 3.25 ms: median" in err


def test_known_events_with_onsets_from_a_recording(tmp_path, capsys):
    model = loudness_model(tmp_path / "model", "song,2.0,0.9,1,1\n")
    recording = loud_recording(tmp_path / "loud.wav")
    assert main(["stream", "-m", str(model), "--ratio", "2", "--speed", "20", "--onsets", str(recording)]) == 0
    assert rows(capsys.readouterr().out) == [
        ["loud.wav", "398", "", "onset", "song"], ["loud.wav", "398", "802", "predicted", "song"],
        ["loud.wav", "1498", "", "onset", "song"], ["loud.wav", "1498", "1522", "predicted", "song"],
        ["loud.wav", "2990", "", "onset", "song"], ["loud.wav", "2990", "2998", "predicted", "song"],
    ]


def test_stdin_streams_raw_int16(tmp_path, capsys):
    model = tiny_with_thresholds(tmp_path / "model")
    recording = write_recording(tmp_path / "song.wav", 0.5 + 7 / 8000)
    audio = sf.read(recording, dtype="int16")[0]
    sf.write(recording, audio, 8000, subtype="PCM_16")  # the file holds exactly the samples piped in
    assert main(["stream", "--model", str(model), "--speed", "0", str(recording)]) == 0
    from_file = capsys.readouterr().out.replace("song.wav,", "stdin,")
    argv = ["stream", "--model", str(model), "--stdin", "--rate", "8000", "--format", "int16", "--chunk-ms", "10", "--report-latency"]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *argv], input=audio.astype("<i2").tobytes(), capture_output=True, cwd=REPO_ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode()
    assert len(from_file) > 20 and done.stdout.decode() == from_file
    assert "latency over 51 chunks of 10 ms" in done.stderr.decode()


def test_stdin_of_two_channels_of_float32(tmp_path, capsys, monkeypatch):
    import io

    model = loudness_model(tmp_path / "model", "song,1.0,0.9,1,1\n")
    mono = sf.read(loud_recording(tmp_path / "loud.wav"), dtype="float32")[0]
    interleaved = np.stack([np.zeros_like(mono), mono], axis=1).astype("<f4").tobytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(interleaved)))
    argv = ["stream", "-m", str(model), "--stdin", "--rate", "1000", "--format", "float32", "--channels", "2", "--channel", "1"]
    assert main(argv) == 0
    assert [row[:3] for row in rows(capsys.readouterr().out)] == [["stdin", "398", "802"], ["stdin", "1498", "1522"], ["stdin", "2990", "2998"]]


def test_stream_bad_inputs_are_one_line(tmp_path, capsys):
    model = tiny_with_thresholds(tmp_path / "model")
    bare = make_model(tmp_path / "bare")
    clip = make_model(tmp_path / "clip", architecture=CLIP_ARCH)
    rec = write_recording(tmp_path / "rec.wav", 0.2)
    fast = write_recording(tmp_path / "fast.wav", 0.2, samplerate=44100)
    base = ["stream", "--model", str(model)]
    cases = [
        ([*base, str(fast)], "fast.wav: sampled at 44100 Hz, but the model"),
        ([*base, "--stdin", "--rate", "16000"], "stdin: sampled at 16000 Hz, but the model"),
        ([*base, "--stdin"], "--stdin needs --rate HZ"),
        ([*base, "--stdin", "--rate", "8000", "--format", "int24"], "expected int16 or float32"),
        ([*base, "--stdin", "--rate", "8000", "--channels", "2", "--channel", "2"], "--channel 2 does not exist in 2"),
        ([*base, "--stdin", str(rec)], "give either a recording or --stdin"),
        (base, "give either a recording or --stdin"),
        ([*base, "--chunk-ms", "0", str(rec)], "--chunk-ms 0 must be a positive"),
        ([*base, "--chunk-ms", "0.01", str(rec)], "less than one sample at 8000 Hz"),
        ([*base, "--speed", "-1", str(rec)], "--speed -1 must be 0"),
        ([*base, "--ratio", "3", str(rec)], f"no thresholds for precision-recall ratio 3 (known: 1); run hark accuracy {model} --ratio 3"),
        ([*base, "--engine", "onnx", str(rec)], "has no frozen model; run hark freeze"),
        ([*base, "--engine", "jax", str(rec)], "expected auto, torch or onnx"),
        ([*base, str(tmp_path / "nothing.wav")], "nothing.wav: no such file"),
        (["stream", "--model", str(bare), str(rec)], f"no thresholds yet; run hark accuracy {bare} --ratio 1 first"),
        (["stream", "--model", str(clip), str(rec)], "is a clip model"),
        (["stream", "--model", str(tmp_path), str(rec)], "not a hark model folder"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        err = captured.err.strip()
        assert err.startswith("hark: error: ") and message in err and "\n" not in err, (argv, err)
        assert captured.out == ""
