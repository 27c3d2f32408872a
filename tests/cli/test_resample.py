"""``hark resample`` on the bat project of ../shared/data/bat: three rates made one, boxes kept in place."""

import csv

import pytest
import soundfile as sf

from hark.annotations.songexplorer import read_csv
from hark.cli.app import main


@pytest.fixture
def bat_truth(shared_data, tmp_path):
    """The project converted to a ground-truth folder, the recordings linked in beside their CSVs."""
    bat = shared_data / "bat"
    truth = tmp_path / "GT"
    assert main(["convert", str(bat / "example_annotation_project.json"), str(truth), "--to", "hark"]) == 0
    for wav in bat.glob("*.wav"):
        (truth / wav.name).symlink_to(wav)
    return truth


@pytest.mark.shared_data
def test_the_bat_project_at_one_rate_with_its_boxes_in_place(bat_truth, tmp_path, capsys):
    rates = {wav.name: sf.info(wav).samplerate for wav in bat_truth.glob("*.wav")}
    assert set(rates.values()) == {375_000, 384_000, 500_000}
    capsys.readouterr()
    assert main(["resample", "--rate", "250000", "--out", str(tmp_path / "GT250"), str(bat_truth), "--no-progress"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 10 and all("-> 250000 Hz" in line and line.endswith(", 1 CSV") for line in printed)
    boxes = 0
    for name, rate in rates.items():
        out = tmp_path / "GT250" / name
        assert sf.info(out).samplerate == 250_000
        assert abs(sf.info(out).frames - sf.info(bat_truth / name).frames * 250_000 / rate) < 1
        [table] = (tmp_path / "GT250").glob(f"{name}-annotated-*.csv")
        before, after = read_csv(bat_truth / table.name), read_csv(table)
        expected = [t * 250_000 / rate for e in before for t in (e.start, e.stop)]
        assert [t for e in after for t in (e.start, e.stop)] == pytest.approx(expected, abs=0.5)
        assert [(e.low_hz, e.high_hz, e.label) for e in before] == [(e.low_hz, e.high_hz, e.label) for e in after]
        boxes += len(after)
    assert boxes == 433
    # the calls' sound survived where the boxes say: hark calls finds a contour in every box
    assert main(["calls", "--out", str(tmp_path / "stats"), "--no-progress", *map(str, sorted((tmp_path / "GT250").glob("*.wav")))]) == 0
    rows = [row for table in (tmp_path / "stats").glob("*-calls.csv") for row in csv.DictReader(table.open(newline=""))]
    assert len(rows) == 433
    # the contour is searched inside the box, then refined between FFT bins 1 kHz apart: half a bin of slack
    assert all(float(r["low_frequency_hz"]) - 500 <= float(r["principal_frequency_hz"]) <= float(r["high_frequency_hz"]) + 500 for r in rows)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "args, message",
    [
        (["--rate", "200000"], "{over} boxes of {files} CSVs reach above the Nyquist frequency 100000 Hz of 200000 Hz audio, up to {highest:g} Hz"),
        (["--rate", "0"], "--rate 0: must be a positive number of Hz"),
        (["--rate", "250000", "--subtype", "PCM_99"], "--subtype PCM_99: unknown sample format"),
    ],
)
def test_bad_inputs_are_one_line_and_write_nothing(bat_truth, tmp_path, capsys, args, message):
    boxes = {csv.name: [e.high_hz for e in read_csv(csv) if e.high_hz > 100_000] for csv in bat_truth.glob("*.csv")}
    over = sum(len(highs) for highs in boxes.values())
    message = message.format(over=over, files=sum(1 for highs in boxes.values() if highs), highest=max(max(h, default=0) for h in boxes.values()))
    capsys.readouterr()
    assert main(["resample", *args, "--out", str(tmp_path / "out"), str(bat_truth)]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and "\n" not in error, error
    assert not (tmp_path / "out").exists()
