from hark.annotations.event import Event, Kind
from hark.annotations.songexplorer import read_csv, write_csv
from hark.cli.app import main


def test_misses_end_to_end_and_bad_inputs(tmp_path, capsys):
    rec = tmp_path / "bird.wav"
    rec.write_bytes(b"")  # only its name matters to misses
    out = tmp_path / "out"
    out.mkdir()
    write_csv(tmp_path / "bird.wav-detected.csv", [Event("bird.wav", 10, 20, Kind.DETECTED, "time"), Event("bird.wav", 50, 60, Kind.DETECTED, "time")])
    write_csv(out / "bird.wav-predicted-1.0pr.csv", [Event("bird.wav", 55, 70, Kind.PREDICTED, "song")])
    assert main(["misses", "--out", str(out), str(rec)]) == 0
    assert capsys.readouterr().out.strip() == f"{out / 'bird.wav-missed.csv'}: 1 missed"
    assert read_csv(out / "bird.wav-missed.csv") == [Event("bird.wav", 10, 20, Kind.MISSED, "time")]
    write_csv(out / "bird.wav-predicted-2.0pr.csv", [])
    cases = [
        (["misses", "--out", str(out), str(rec)], "several ratios (1, 2); choose one with --ratio"),
        (["misses", "--out", str(out), "--ratio", "3", str(rec)], "no predictions of bird.wav at ratio 3"),
        (["misses", "--out", str(tmp_path / "none"), str(rec)], "no such folder"),
        (["misses", "--out", str(out), str(tmp_path / "cat.wav")], "no cat.wav-detected.csv"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("hark: error: ") and message in err and "\n" not in err, (argv, err)
    assert main(["misses", "--out", str(out), "--ratio", "2", str(rec)]) == 0
    assert "2 missed" in capsys.readouterr().out
