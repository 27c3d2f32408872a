"""Events supervision: which reviewed events teach what, their crops, batches and splits."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from hark.annotations.event import Event, Kind, Status
from hark.annotations.songexplorer import write_csv
from hark.audio import open_recording
from hark.errors import HarkError
from hark.params import validate_params
from hark.train.data import DataParams, TrainingData
from hark.train.data_events import EventCropper, example_label
from hark.train.data_types import Window

RATE = 1000  # events supervision does not care about the rate; small files keep this fast


def _wav(folder, name, samples):
    path = folder / name
    sf.write(path, samples, RATE, subtype="FLOAT")
    return path


def _event(name, start, stop, label="usv", kind=Kind.ANNOTATED, status=None):
    return Event(name, start, stop, kind, label, status=status)


@pytest.fixture
def reviewed(tmp_path):
    """One recording reviewed in several ways, with the label each event should teach."""
    _wav(tmp_path, "a.wav", np.linspace(-0.5, 0.5, 3000, dtype=np.float32))
    write_csv(tmp_path / "a.wav-annotated-me.csv", [
        _event("a.wav", 100, 150, status=Status.ACCEPTED),  # usv
        _event("a.wav", 300, 320, status=Status.REJECTED),  # noise, whatever its label
        _event("a.wav", 500, 560),  # a person's, no status: usv
        _event("a.wav", 700, 705, label="noise"),  # labelled noise
        _event("a.wav", 900, 950, label="cough"),  # a label not asked for: left out
        _event("a.wav", 1100, 1120, label="cough", status=Status.REJECTED),  # rejected: noise
    ])  # fmt: skip
    write_csv(tmp_path / "a.wav-predicted-1.0pr.csv", [
        _event("a.wav", 1300, 1350, kind=Kind.PREDICTED),  # nobody reviewed it: left out
        _event("a.wav", 1500, 1540, kind=Kind.PREDICTED, status=Status.REJECTED),  # reviewed: noise
        _event("a.wav", 1700, 1790, kind=Kind.PREDICTED, status=Status.ACCEPTED),  # reviewed: usv
    ])  # fmt: skip
    # a denoiser's verdicts are never taken for a person's
    write_csv(tmp_path / "a.wav-denoised.csv", [_event("a.wav", 2000, 2050, kind=Kind.PREDICTED, status=Status.REJECTED)])
    return tmp_path


def _examples(data: TrainingData) -> list[tuple[int, int, str]]:
    manifest = data.split_manifest()
    return sorted((e["start"], e["stop"], e["label"]) for split in ("training", "validation") for e in manifest[split])


def test_status_maps_to_labels_and_unreviewed_machine_events_are_left_out(reviewed):
    params = DataParams(labels="usv,noise", supervision="events", kinds="annotated,predicted", validation_percent=0)
    data = TrainingData.from_folder(reviewed, params)
    assert _examples(data) == [
        (100, 150, "usv"), (300, 320, "noise"), (500, 560, "usv"), (700, 705, "noise"),
        (1100, 1120, "noise"), (1500, 1540, "noise"), (1700, 1790, "usv"),
    ]  # fmt: skip
    # the default kinds are a person's annotations only (what a review in the GUI writes)
    data = TrainingData.from_folder(reviewed, DataParams(labels="usv,noise", supervision="events", validation_percent=0))
    assert [stop for _, stop, _ in _examples(data)] == [150, 320, 560, 705, 1120]
    assert example_label(Kind.DETECTED, "usv", None, "noise") is None
    assert example_label(Kind.DETECTED, "usv", Status.ACCEPTED, "noise") == "usv"
    assert example_label(Kind.ANNOTATED, "usv", Status.REJECTED, "junk") == "junk"


def test_rejected_events_need_their_label_among_the_labels(reviewed):
    with pytest.raises(HarkError, match="rejected events count as 'noise', which is not among the labels usv,cough"):
        TrainingData.from_folder(reviewed, DataParams(labels="usv,cough", supervision="events"))
    # another name for the rejected class
    data = TrainingData.from_folder(reviewed, DataParams(labels="usv,cough", supervision="events", rejected_label="cough", validation_percent=0))
    assert sum(label == "cough" for _, _, label in _examples(data)) == 3  # two rejected, one labelled cough
    with pytest.raises(HarkError, match="label 'bark' has no examples .* no event of kinds annotated is labelled 'bark'"):
        TrainingData.from_folder(reviewed, DataParams(labels="usv,noise,bark", supervision="events"))


def test_events_params_are_checked():
    with pytest.raises(HarkError, match="events supervision trains exclusive classes"):
        validate_params(DataParams, {"labels": "usv,noise", "supervision": "events", "overlapped": True}, "t")
    with pytest.raises(HarkError, match="rejected_label"):
        validate_params(DataParams, {"labels": "usv,noise", "supervision": "events", "rejected_label": "a,b"}, "t")
    with pytest.raises(HarkError, match="crop_ms"):
        validate_params(DataParams, {"labels": "usv,noise", "supervision": "events", "crop_ms": 0}, "t")


def test_a_crop_holds_the_event_faded_out_over_the_margin_and_silence_beyond(tmp_path):
    path = _wav(tmp_path, "ones.wav", np.ones(1000, np.float32))
    recording = open_recording(path)
    cropper = EventCropper.from_ms(100, 10, RATE)  # 100 samples, 10 on each side
    assert (cropper.crop, cropper.margin) == (100, 10)
    crop = cropper.crops([cropper.region(recording, 400, 420)])[0]
    assert crop.shape == (100,)
    # the event [400, 420] has its middle 410 at the crop's middle (50): it spans 40..60
    assert np.all(crop[40:61] == 1)
    assert np.all(crop[:30] == 0) and np.all(crop[71:] == 0)
    assert 0 < crop[35] < 1 and crop[31] < crop[35] < crop[39]  # the fade rises towards the event
    assert np.allclose(crop[40 - 5], crop[60 + 5])  # symmetric
    # a longer event than the crop shows its middle, unfaded
    long = cropper.crops([cropper.region(recording, 100, 600)])[0]
    assert np.all(long == 1)
    # at the recording's start: silence before it
    edge = cropper.crops([cropper.region(recording, 0, 10)])[0]
    assert np.all(edge[:45] == 0) and np.all(edge[45:56] == 1)
    # only the event's samples are read
    assert cropper.extent(400, 420, 1000) == (390, 431, 30)
    # a longer window keeps the event in its middle
    wide = cropper.crops([cropper.region(recording, 400, 420)], 200)[0]
    assert np.all(wide[90:111] == 1) and wide[:80].sum() == 0 and wide[121:].sum() == 0


def test_batches_are_crops_and_the_split_is_by_recording(tmp_path):
    rng = np.random.default_rng(0)
    for name in ("a.wav", "b.wav"):
        _wav(tmp_path, name, rng.standard_normal(5000).astype(np.float32) * 0.1)
        rows = [_event(name, s, s + 40, status=Status.REJECTED if i % 3 == 0 else Status.ACCEPTED) for i, s in enumerate(range(100, 4800, 200))]
        write_csv(tmp_path / f"{name}-annotated-me.csv", rows)
    params = DataParams(labels="usv,noise", supervision="events", validation_recordings=["b.wav"], crop_ms=80)
    data = TrainingData.from_folder(tmp_path, params)
    summary = data.summary()
    assert summary["recordings"]["validation"] == ["b.wav"] and summary["recordings"]["training"] == ["a.wav"]
    assert summary["examples"]["training"] == {"noise": 8, "usv": 16}
    batch = data.training_batch(np.random.default_rng(1), 8, None)
    assert batch.x.shape == (8, 80) and batch.y.dtype == np.int64
    assert all(ref.recording == "a.wav" for ref in batch.where)
    batches = list(data.validation_batches(10, Window(0)))
    refs = [ref for b in batches for ref in b.where]
    assert len(refs) == 24 and refs[0].position == 120 and refs[0].label == "noise"
    # the first validation crop is b's first event [100, 140]: its samples, centred
    audio = open_recording(tmp_path / "b.wav").read()
    expected = np.zeros(80, np.float32)
    expected[20:61] = audio[100:141]
    assert np.allclose(batches[0].x[0][20:61], expected[20:61])
    assert batches[0].y[0] == 1  # noise is output 1
    data.check_batch_size(24)
    with pytest.raises(HarkError, match="only 24 training examples"):
        data.check_batch_size(25)
