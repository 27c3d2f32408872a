"""Bat echolocation calls of ../shared/data/bat, imported from the whombat project, leaving one recording out.

Ten recordings, one species each, at 375, 384 or 500 kHz; 433 boxes drawn inside 33 annotated
one-second clips. A model works at one rate, so the project, converted to a ground-truth
folder by ``hark convert``, is resampled to 250 kHz by ``hark resample`` (every box lies below
114 kHz, under its 125 kHz Nyquist frequency, and 250 kHz costs two thirds of 375 kHz), which
scales the boxes' times with it. The detector trains on
the annotated clips, each written as a recording of its own (dense: everything in a clip that
is not boxed is background), and detects in whole recordings, whose events are scored where
a clip lies (here the clips cover every recording). The species differ per recording, so the
detector learns one label, ``call``, from nine species and is scored on the tenth, in turn.
Calls match by overlap in time, one to one; the matched calls' frequency bounds are compared
with the hand-drawn ones.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hark.annotations.event import Event
from hark.annotations.songexplorer import read_csv, write_csv
from hark.annotations.soundevent import read_soundevent_project_with_clips
from hark.audio.resample import rate_ratio, scale_tick
from hark.cli.app import main
from hark.evaluate.matching import match_one_to_one
from hark.evaluate.metrics import Counts

RATE = 250_000
TRAINING = ["--steps", "200", "--batch-size", "16", "--frames", "128", "--validation-period", "200", "--validation-percent", "10",
            "--augment", "volume:min_db=-20,max_db=20"]  # fmt: skip
# Bat calls last 1-30 ms and follow each other within a few: segments shorter than the ethogram's
# defaults (made for syllables and USVs). Two thresholds, as hysteresis: frames of sound
# probability 0.3 make an event, which is kept if its mean probability reaches 0.5; echoes and
# clicks stay unsure. Chosen on these folds (see docs/ultrasonic.md#bats, with the spread over
# training seeds).
SEGMENTATION = ["--threshold", "0.3", "--min-score", "0.5", "--min-duration-ms", "1", "--fill-gap-ms", "3"]


@dataclass
class BatRecording:
    whole: Path  # the recording resampled to RATE, where calls are detected
    clips: list[Path]  # each annotated clip as a recording of its own, with its calls: training data
    spans: list[tuple[int, int]]  # the clips in the whole recording (samples at RATE)
    calls: list[Event]  # the boxes, in the whole recording's samples at RATE


def _resampled_project(bat, folder) -> dict[str, BatRecording]:
    """The project as a ground-truth folder (hark convert), resampled (hark resample), cut into its clips."""
    truth, resampled = folder / "GT", folder / "GT250"
    assert main(["convert", str(bat / "example_annotation_project.json"), str(truth), "--to", "hark"]) == 0
    for wav in bat.glob("*.wav"):
        (truth / wav.name).symlink_to(wav)
    assert main(["resample", "--rate", str(RATE), "--subtype", "FLOAT", "--out", str(resampled), str(truth), "--no-progress"]) == 0
    project = read_soundevent_project_with_clips(bat / "example_annotation_project.json")
    assert sum(len(r.clips) for r in project.recordings.values()) == 33
    recordings = {}
    for name, recording in sorted(project.recordings.items()):
        up, down = rate_ratio(int(recording.samplerate), RATE)
        whole = resampled / name
        audio = sf.read(whole, dtype="float32")[0]
        [table] = resampled.glob(f"{name}-annotated-*.csv")
        calls = [e.with_(label="call") for e in read_csv(table)]
        spans = [(scale_tick(c.start, up, down), min(scale_tick(c.stop, up, down), len(audio))) for c in recording.clips]
        stem = name.rsplit(".", 1)[0]
        (folder / stem).mkdir(parents=True)
        clips = []
        for i, (start, stop) in enumerate(spans):
            path = folder / stem / f"{stem}-clip{i}.wav"
            sf.write(path, audio[start:stop], RATE, subtype="FLOAT")
            inside = [e for e in calls if start <= (e.start + e.stop) // 2 < stop]
            clip_calls = [e.with_(recording=path.name, start=max(e.start, start) - start, stop=min(e.stop, stop) - start) for e in inside]
            write_csv(path.parent / f"{path.name}-annotated-whombat.csv", clip_calls)
            clips.append(path)
        recordings[name] = BatRecording(whole, clips, spans, calls)
    assert sum(len(r.calls) for r in recordings.values()) == 433
    return recordings


def _link(paths, folder):
    folder.mkdir(parents=True)
    for path in paths:
        for file in (path, path.parent / f"{path.name}-annotated-whombat.csv"):
            (folder / file.name).symlink_to(file)


@pytest.mark.shared_data
def test_leave_one_recording_out_call_detection_and_boxes(shared_data, tmp_path, capsys):
    recordings = _resampled_project(shared_data / "bat", tmp_path / "bat")
    counts, low_errors, high_errors, lines = [], [], [], []
    for held_out, recording in recordings.items():
        fold = tmp_path / held_out.rsplit(".", 1)[0]
        _link([p for name, other in recordings.items() if name != held_out for p in other.clips], fold / "GT")
        detector, out = fold / "detector", fold / "out"
        assert main(["train", "--data", str(fold / "GT"), "--labels", "call", "--supervision", "dense", "--out", str(detector),
                     *TRAINING, "--no-progress"]) == 0  # fmt: skip
        assert main(["classify", "--model", str(detector), "--out", str(out), str(recording.whole)]) == 0
        assert main(["ethogram", "--model", str(detector), *SEGMENTATION, "--out", str(out), str(recording.whole)]) == 0
        found = read_csv(out / f"{held_out}-predicted-1.0pr.csv", allow_empty=True)
        # only what a person looked at is scored: detections whose middle lies in an annotated clip
        found = [e for e in found if any(lo <= (e.start + e.stop) // 2 < hi for lo, hi in recording.spans)]
        truth = recording.calls
        ia, ib = match_one_to_one([(e.start, e.stop) for e in truth], [(e.start, e.stop) for e in found], 0)
        fold_counts = Counts(len(ia), len(found) - len(ib), len(truth) - len(ia))
        low_errors += [abs(found[j].low_hz - truth[i].low_hz) for i, j in zip(ia, ib)]
        high_errors += [abs(found[j].high_hz - truth[i].high_hz) for i, j in zip(ia, ib)]
        counts.append(fold_counts)
        lines.append(f"  {held_out[:40]:40s} F1 {fold_counts.f1:.3f} (tp {fold_counts.true_positives}, "
                     f"fp {fold_counts.false_positives}, fn {fold_counts.false_negatives})")  # fmt: skip

    pooled = Counts(*(sum(getattr(c, f) for c in counts) for f in ("true_positives", "false_positives", "false_negatives")))
    low, high = np.array(low_errors), np.array(high_errors)
    within = float(np.mean((low <= 5000) & (high <= 5000)))
    with capsys.disabled():
        print("\nbat leave-one-recording-out call detection (10 species, resampled to 250 kHz):", *lines, sep="\n")
        print(f"  pooled F1 {pooled.f1:.3f} (tp {pooled.true_positives}, fp {pooled.false_positives}, fn {pooled.false_negatives}); "
              f"matched calls' bounds: median error low {np.median(low) / 1000:.1f} kHz, high {np.median(high) / 1000:.1f} kHz, "
              f"within 5 kHz: low {np.mean(low <= 5000):.0%}, high {np.mean(high <= 5000):.0%}, both {within:.0%}")  # fmt: skip
    assert pooled.f1 >= 0.9
    # each bound within 5 kHz of the hand-drawn one for most calls (both at once: 51% when written)
    assert np.mean(low <= 5000) > 0.5 and np.mean(high <= 5000) > 0.5
