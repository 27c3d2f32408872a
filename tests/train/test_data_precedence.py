"""Verdicts and annotator precedence as the training data sees them (hark.train.data_precedence)."""

from __future__ import annotations

import numpy as np
import pytest

from hark.errors import HarkError
from hark.params import validate_params
from hark.train.data import DataParams, TrainingData
from tests.train.helpers import write_recording


def _with_status(folder, name, annotator, rows):
    (folder / f"{name}-annotated-{annotator}.csv").write_text(
        "".join(f"{name},{a},{b},annotated,{label},,,,{status or ''}\n" for a, b, label, status in rows)
    )


@pytest.mark.parametrize("value", ["alice,alice", "al ice", "a/b"])
def test_a_bad_annotators_value_is_one_line(value):
    with pytest.raises(HarkError) as caught:
        validate_params(DataParams, {"labels": "call", "annotators": value}, "hark train")
    assert "\n" not in str(caught.value) and "annotators" in str(caught.value)


def test_a_ranked_annotator_who_annotated_nothing_is_refused(tmp_path):
    write_recording(tmp_path, "a.wav", [(100, 200, "call"), (900, 1000, "noise")], annotator="person1")
    with pytest.raises(HarkError, match=r"'alcie' annotated nothing .* \(annotators there: person1\)"):
        TrainingData.from_folder(tmp_path, DataParams(labels="call,noise", annotators="alcie,person1"))


def test_dense_rejected_events_are_background_even_over_another_label(tmp_path):
    write_recording(tmp_path, "a.wav", [], frames=4000)
    _with_status(tmp_path, "a.wav", "person1", [
        (100, 300, "call", None),
        (1000, 1400, "call", "rejected"),
        (1200, 1300, "trill", "accepted"),  # inside the rejected call: no overlap error, the trill stays
        (2000, 2200, "call", "accepted"),
    ])
    data = TrainingData.from_folder(tmp_path, DataParams(labels="call,trill", supervision="dense", validation_split="blocks"))
    classes = data.source.classes_of["a.wav"]
    assert (classes[1000:1200] == 0).all() and (classes[1300:1400] == 0).all()  # background where the rejected call was
    assert (classes[1200:1300] == 2).all() and (classes[100:300] == 1).all() and (classes[2000:2200] == 1).all()
    assert int(np.sum(classes == 1)) == 400


def test_superseded_events_are_counted_and_left_out(tmp_path):
    write_recording(tmp_path, "a.wav", [(100, 200, "call"), (500, 600, "call"), (900, 1000, "noise")], annotator="person1")
    _with_status(tmp_path, "a.wav", "alice", [(100, 200, "noise", None), (500, 600, "call", "rejected")])
    params = DataParams(labels="call,noise", annotators="alice", validation_split="percent", validation_percent=0)
    data = TrainingData.from_folder(tmp_path, params)
    summary = data.summary()
    assert summary["superseded"] == 2
    # alice's relabel (noise) and her rejection (noise, the rejected_label) are learnt; person1's two calls are not
    assert summary["examples"]["training"] == {"noise": 3}
    assert {(a.event.annotator, a.event.start) for a in data.superseded} == {("person1", 100), ("person1", 500)}


def test_events_supervision_keeps_its_verdicts_and_takes_the_ranking(tmp_path):
    write_recording(tmp_path, "a.wav", [(100, 200, "usv"), (500, 600, "usv"), (900, 1000, "usv")], annotator="person1", frames=4000)
    _with_status(tmp_path, "a.wav", "alice", [(500, 600, "usv", "rejected")])
    params = DataParams(labels="usv,noise", supervision="events", validation_split="percent", validation_percent=0, crop_ms=50)
    data = TrainingData.from_folder(tmp_path, params)
    assert data.summary()["examples"]["training"] == {"noise": 1, "usv": 2}  # the verdict wins over no verdict
