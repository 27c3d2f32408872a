"""``hark accuracy --truth GT --predictions DIR`` on a tiny hand-made folder of CSVs."""

from hark.cli.app import main
from tests.evaluate.test_truth_accuracy import make_folders


def test_truth_mode_prints_the_scores_and_writes_the_tables(tmp_path, capsys):
    truth, predictions = make_folders(tmp_path)
    assert main(["accuracy", "--truth", str(truth), "--predictions", str(predictions), "--no-figures"]) == 0
    out = capsys.readouterr().out
    lines = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") > 2}
    # onsets 4 of 5 found, all 4 predicted right: P 1, R 0.8, F1 8/9; offsets 3 of 5, 3 of 4
    assert "1.000" in lines["onsets ±10 ms"] and "0.889" in lines["onsets ±10 ms"]
    assert "0.750" in lines["offsets ±10 ms"] and "0.667" in lines["offsets ±10 ms"]
    assert "0.750" in lines["label accuracy"] and "4 overlapping pairs" in lines["label accuracy"]
    assert "0.400" in lines["syllable error rate"] and "2 edits / 5" in lines["syllable error rate"]
    assert f"5 annotated and 4 predicted syllables; tables and figures in {predictions / 'accuracy'}" in out
    assert (predictions / "accuracy" / "syllable-scores.csv").is_file()
    # 20 ms takes in the offset 81 samples early: 4 of 5, as the onsets
    assert main(["accuracy", "--truth", str(truth), "--predictions", str(predictions), "--tolerance-ms", "20", "--no-figures", "-o", str(tmp_path / "wide")]) == 0
    assert "0.889" in {line.split("│")[1].strip(): line for line in capsys.readouterr().out.splitlines() if line.count("│") > 2}["offsets ±20 ms"]


def test_truth_mode_errors_are_one_line(tmp_path, capsys):
    truth, predictions = make_folders(tmp_path)
    (predictions / "b-predicted-1.0pr.csv").unlink()
    base = ["accuracy", "--truth", str(truth), "--predictions", str(predictions)]
    cases = [
        (base, "no predictions for b.wav (b.wav-predicted-1.0pr.csv); run hark ethogram"),
        (["accuracy", "--truth", str(truth)], "--truth needs --predictions"),
        ([*base[:1], str(tmp_path), *base[1:]], "takes no model folder"),
        ([*base, "--ratio", "1,2"], "give one ratio"),
        (["accuracy"], "give a model folder (hark accuracy MODEL), or --truth and --predictions"),
        (["accuracy", str(tmp_path), "--predictions", str(predictions)], "--predictions, --out and --labels go with --truth"),
        (["accuracy", "--truth", str(predictions), "--predictions", str(predictions)], "no recording there has annotations"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("hark: error: ") and message in err and "\n" not in err, (argv, err)
    (truth / "c.wav-annotated-ann.csv").write_text("")
    (predictions / "b-predicted-1.0pr.csv").write_text("")
    (predictions / "d-predicted-1.0pr.csv").write_text("")
    assert main(base) == 2
    assert "d-predicted-1.0pr.csv: predictions for d, which names no annotated recording" in capsys.readouterr().err
