"""The README's USV tutorial, its commands as printed (tests/docs_blocks.py), on the mouse recordings of ../shared/data/usv.

Recordings 1-3 are the ground truth (their gt_N.csv tables converted with ``hark convert``) and
the reviewed folder of the denoiser (hand-marked calls as ``usv``; as ``noise``, the other
tools' detections that overlap no call and random empty stretches); recording 4 is ``REC``.
"""

import csv

import numpy as np
import pytest
from openpyxl import load_workbook

from hark.annotations.event import Status
from hark.annotations.songexplorer import read_csv
from hark.annotations.usv_table import read_usv_table
from hark.evaluate.matching import match_events
from tests.cli.usv_review import reviewed_usv_folder
from tests.conftest import REPO_ROOT
from tests.docs_blocks import Tutorial, find_block, page_blocks, ran_command, shared_workdir

RATE = 250_000
# Options appended only to shorten the printed commands (the README's 600 steps take minutes)
SPEEDUPS = {
    "hark train --data GT --labels usv --supervision dense": ["--steps", "200", "--batch-size", "16", "--frames", "128", "--validation-period", "200", "--validation-percent", "10"],
    "hark accuracy DETECTOR": ["--no-figures"],
    "hark train --data REVIEWED": ["--steps", "150", "--validation-period", "150", "--batch-size", "16", "-a", "channels=4,8"],
}


@pytest.mark.shared_data
def test_detect_denoise_and_measure_mouse_calls_as_the_tutorial_does(shared_data, tmp_path, capsys):
    block = find_block(page_blocks(REPO_ROOT / "README.md", REPO_ROOT), "Tutorial: mouse USVs as boxes, DeepSqueak's way")
    work = shared_workdir(tmp_path, shared_data)
    usv = shared_data / "usv"
    # the prose's folders: GT holds three recordings (their calls come from hark convert),
    # REVIEWED the reviewed events of the same three; the fourth is REC
    (work / "GT").mkdir()
    for n in (1, 2, 3):
        (work / "GT" / f"rec_{n}.wav").symlink_to(usv / str(n) / f"rec_{n}.wav")
    reviewed_usv_folder(shared_data, work / "REVIEWED", [1, 2, 3], np.random.default_rng(0))
    places = {"usv/": "../shared/data/usv/", "REC...": "../shared/data/usv/4/rec_4.wav"}
    again = [{"/1/": f"/{n}/", "_1": f"_{n}"} for n in (2, 3)]  # the convert line's "# and 2, 3"
    before_denoise = {}

    def keep_predictions(ran):
        if ran.printed.text.startswith("hark ethogram"):
            before_denoise["predicted"] = read_csv(work / "DIR" / "rec_4.wav-predicted-1.0pr.csv")

    ran = Tutorial(work, places, SPEEDUPS, {"and 2, 3": again}).run(block, after=keep_predictions)
    detector, out = work / "DETECTOR", work / "DIR"
    truth = read_usv_table(usv / "4" / "gt_4.csv", RATE, "rec_4.wav")

    assert all(len(read_csv(work / "GT" / f"rec_{n}.wav-annotated-me.csv")) > 0 for n in (1, 2, 3))
    with open(detector / "accuracy" / "thresholds.csv", newline="") as f:
        ratios = {float(row["ratio"]) for row in csv.DictReader(f)}
    assert {0.5, 1.0, 2.0} <= ratios
    predicted = read_csv(out / "rec_4.wav-predicted-1.0pr.csv")
    assert all(e.has_frequency and e.low_hz < e.high_hz and 0 < e.score <= 1 for e in predicted)
    detected = match_events(truth, predicted, samplerate=RATE, tolerance_ms=0, by_label=False)
    assert detected.f1 >= 0.85, detected

    assert "rec_4.wav-denoised.csv" in ran_command(ran, "hark denoise").stdout
    judged = read_csv(out / "rec_4.wav-denoised.csv")
    # every predicted event is kept, with a verdict; the predictions themselves are untouched
    assert [(e.start, e.stop) for e in judged] == [(e.start, e.stop) for e in predicted]
    assert all(e.status in (Status.ACCEPTED, Status.REJECTED) for e in judged)
    assert predicted == before_denoise["predicted"]
    accepted = [e for e in judged if e.status is Status.ACCEPTED]
    denoised = match_events(truth, accepted, samplerate=RATE, tolerance_ms=0, by_label=False)
    # the denoiser keeps the calls the detector found
    assert denoised.true_positives >= 0.9 * detected.true_positives, (detected, denoised)

    with open(out / "rec_4.wav-calls.csv", newline="") as f:
        calls = list(csv.DictReader(f))
    assert len(calls) == len(accepted)  # rejected events are never measured
    for call, event in zip(calls, accepted):
        assert float(call["start_s"]) == pytest.approx(event.start / RATE, abs=1e-5)
        assert float(call["duration_s"]) == pytest.approx((event.stop - event.start) / RATE, abs=1e-5)
        assert call["frequency_bounds"] == "box"
        # searched for inside the box, then refined between FFT bins (1 kHz apart): half a bin of slack
        assert event.low_hz - 500 <= float(call["principal_frequency_hz"]) <= event.high_hz + 500
    sheet = load_workbook(out / "calls.xlsx", read_only=True).worksheets[0]
    assert sheet.max_row == len(accepted) + 1
    with capsys.disabled():
        print(f"\nUSV tutorial on rec_4: ethogram F1 {detected.f1:.3f} ({len(predicted)} events); "
              f"denoiser accepted {len(accepted)}, F1 {denoised.f1:.3f}; {len(calls)} calls measured")
