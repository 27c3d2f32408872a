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
