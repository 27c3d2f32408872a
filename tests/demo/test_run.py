"""The main job end to end on generated data, as ``make demo`` runs it."""

from hark.annotations.songexplorer import read_csv
from hark.cli.app import main


def test_demo_generates_detects_scores_and_draws(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for species in ("fly", "usv"):
        figure = tmp_path / "figures" / f"{species}-detections.png"
        assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        csvs = sorted((tmp_path / "detections" / species).glob("*-detected.csv"))
        assert len(csvs) == 2 and all(read_csv(p) for p in csvs)
    assert len(list((tmp_path / "data" / "whale").glob("*.wav"))) == 40
    # a model trained on one fly recording, frozen, and applied to the other
    assert (tmp_path / "model" / "frozen.onnx").is_file() and (tmp_path / "model" / "accuracy" / "best.json").is_file()
    assert list((tmp_path / "predictions").glob("*-predicted-1.0pr.csv"))
    f1_line = out.splitlines()[out.splitlines().index(next(r for r in out.splitlines() if r.startswith("ethogram of an unseen"))) + 1]
    assert float(f1_line.split("mel-pulse ")[1].split(",")[0]) >= 0.9, f1_line
    # the detector finds every generated pulse and sine bout, and every USV call
    for line in ("mel-pulse found by time", "mel-sine found by frequency", "usv found by time or frequency"):
        row = next(r for r in out.splitlines() if line in r)
        hit, total = row.split(": ")[1].split(" ")[0].split("/")
        assert hit == total, row
