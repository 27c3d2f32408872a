import pytest

from hark.annotations.songexplorer import read_csv
from hark.cli.app import main
from tests.infer.helpers import make_model, tiny_architectures, write_recording  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("tiny_architectures")

THRESHOLDS = "label,ratio,threshold,precision,recall\nsong,1.0,0.5,0.9,0.8\nambient,1.0,0.5,0.9,0.8\n"


def test_classify_then_ethogram(tmp_path, capsys):
    model = make_model(tmp_path / "model")
    (model / "accuracy").mkdir()
    (model / "accuracy" / "thresholds.csv").write_text(THRESHOLDS)
    rec = write_recording(tmp_path / "rec.wav", 0.5)
    out = tmp_path / "out"
    assert main(["classify", "--model", str(model), "--out", str(out), "--device", "cpu", str(rec)]) == 0
    capsys.readouterr()
    assert main(["ethogram", "--model", str(model), "--ratio", "1", "--out", str(out)]) == 0
    line = capsys.readouterr().out.strip()
    csv = out / "rec.wav-predicted-1.0pr.csv"
    events = read_csv(csv)
    assert line == f"{csv}: {len(events)} events"
    # exclusive classes at 0.5: every frame is one label or the other, so the events tile the frames
    covered = sum(e.stop - e.start for e in events)
    assert covered == 994 * 4 and {e.label for e in events} <= {"song", "ambient"}


def test_ethogram_bad_inputs_are_one_line(tmp_path, capsys):
    model = make_model(tmp_path / "model")
    rec = write_recording(tmp_path / "rec.wav", 0.2)
    out = tmp_path / "out"
    assert main(["classify", "--model", str(model), "--out", str(out), "--device", "cpu", str(rec)]) == 0
    capsys.readouterr()
    base = ["ethogram", "--model", str(model), "--out", str(out)]
    cases = [
        (base, f"no thresholds yet; run hark accuracy {model} --ratio 1 first"),
        ([*base, "--ratio", "-1"], "must be positive"),
        (["ethogram", "--model", str(model), "--out", str(tmp_path / "none")], "no such folder; run hark classify"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("hark: error: ") and message in err and "\n" not in err, (argv, err)
    (model / "accuracy").mkdir()
    (model / "accuracy" / "thresholds.csv").write_text(THRESHOLDS)
    cases = [
        ([*base, "--ratio", "2.0"], f"no thresholds for precision-recall ratio 2 (known: 1); run hark accuracy {model} --ratio 2"),
        ([*base, "other.wav"], "no probabilities for other.wav; run hark classify --model MODEL --out"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("hark: error: ") and message in err and "\n" not in err, (argv, err)


SMALL = ["-a", "n_conv_layers=2", "-a", "feature_maps=8", "-a", "dense_layers=8"]


def test_ethogram_right_after_train_as_the_readme_prints_it(tmp_path, capsys):
    from hark.demo import generate_fly
    from hark.models.store import read_calibration

    data = tmp_path / "fly"
    recordings = generate_fly(data, n_recordings=2, duration_s=20.0, seed=6)
    model, out = tmp_path / "model", tmp_path / "out"
    argv = ["train", "--data", str(data), "--labels", "mel-pulse,mel-sine,ambient", "--architecture", "convnet", "--steps", "20",
            "--validation-period", "10", "--batch-size", "8", "--out", str(model), "--no-progress", *SMALL]  # fmt: skip
    assert main(argv) == 0
    said = capsys.readouterr().out
    assert "thresholds at ratios 0.5, 1, 2 for the checkpoint of step 20" in said and "hark accuracy" in said
    assert set(read_calibration(model).temperatures) <= {10, 20}
    wav = str(recordings[0].wav)
    assert main(["classify", "--model", str(model), "--out", str(out), wav]) == 0
    assert main(["ethogram", "--model", str(model), "--ratio", "1.0", "--out", str(out), wav]) == 0
    assert main(["ethogram", "--model", str(model), "--sensitivity", "high-recall", "--out", str(out), wav]) == 0
    balanced = read_csv(out / f"{recordings[0].wav.name}-predicted-1.0pr.csv", allow_empty=True)
    high_recall = read_csv(out / f"{recordings[0].wav.name}-predicted-0.5pr.csv", allow_empty=True)
    for label in ("mel-pulse", "mel-sine", "ambient"):
        assert sum(e.label == label for e in high_recall) >= sum(e.label == label for e in balanced), label
