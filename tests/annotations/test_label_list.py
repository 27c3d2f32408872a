"""The data folder's label list: made once from the existing labels, then only appended to."""

from __future__ import annotations

import pytest

from hark.annotations.label_list import LABELS_FILE, PALETTE, LabelList, key_of_place, place_of_key
from hark.errors import HarkError


def test_first_open_writes_the_existing_labels_sorted_with_keys_and_colours(tmp_path):
    made = LabelList.open(tmp_path, ["mel-sine", "ambient", "mel-pulse", "ambient"])
    assert made.labels == ["ambient", "mel-pulse", "mel-sine"]
    assert (tmp_path / LABELS_FILE).read_text() == f"label,color\nambient,{PALETTE[0]}\nmel-pulse,{PALETTE[1]}\nmel-sine,{PALETTE[2]}\n"
    assert [made.key(label) for label in made.labels] == ["1", "2", "3"]
    again = LabelList.open(tmp_path, ["zzz"])  # the file exists: other labels do not re-sort it
    assert again.labels == made.labels and "zzz" not in again


def test_a_new_label_is_appended_and_moves_no_key_or_colour(tmp_path):
    labels = LabelList.open(tmp_path, ["mel-pulse", "mel-sine"])
    before = {label: (labels.key(label), labels.color(label)) for label in labels.labels}
    assert labels.add(["mel-click", "mel-pulse"]) == ["mel-click"]  # alphabetically it would come first
    assert labels.labels == ["mel-pulse", "mel-sine", "mel-click"]
    assert {label: (labels.key(label), labels.color(label)) for label in before} == before
    assert labels.key("mel-click") == "3" and labels.color("mel-click") == PALETTE[2]
    assert LabelList.open(tmp_path).labels == ["mel-pulse", "mel-sine", "mel-click"]


def test_keys_run_1_to_0_then_a_shifted_second_bank(tmp_path):
    names = [f"w{i:02d}" for i in range(23)]
    labels = LabelList.open(tmp_path, names)
    assert [labels.key(n) for n in names[:11]] == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "shift+1"]
    assert labels.key("w19") == "shift+0" and labels.key("w20") is None
    assert labels.label_of_key("0") == "w09" and labels.label_of_key("shift+2") == "w11" and labels.label_of_key("x") is None
    assert key_of_place(10) == "shift+1" and place_of_key("shift+1") == 10 and place_of_key("a") is None


def test_a_hand_edited_file_is_read_as_written_and_another_window_s_labels_kept(tmp_path):
    (tmp_path / LABELS_FILE).write_text("label,color\nsong, #ABCDEF\nnoise,\n\n")
    labels = LabelList.open(tmp_path, ["aaa"])
    assert labels.labels == ["song", "noise"]
    assert labels.color("song") == "#abcdef" and labels.color("noise") == PALETTE[1]
    other = LabelList.open(tmp_path)
    other.add(["click"])
    labels.add(["whistle"])  # re-reads first: the other window's label stays
    assert LabelList.open(tmp_path).labels == ["song", "noise", "click", "whistle"]


@pytest.mark.parametrize(("text", "message"), [
    ("label,color\na,b,c\n", f"{LABELS_FILE}:2: 3 cells"),
    ("label,color\nsong,red\n", f"{LABELS_FILE}:2: colour 'red' is not #rrggbb"),
    ("song,#000000\nsong,#111111\n", f"{LABELS_FILE}:2: label 'song' is listed twice"),
    ("label,color\n song ,#000000\na\tb,#000000\n", f"{LABELS_FILE}:3: the label .* contains a tab"),
])  # fmt: skip
def test_a_malformed_file_is_a_one_line_error_naming_file_and_line(tmp_path, text, message):
    (tmp_path / LABELS_FILE).write_text(text)
    with pytest.raises(HarkError, match=message):
        LabelList.open(tmp_path)
    assert (tmp_path / LABELS_FILE).read_text() == text


def test_a_label_a_csv_cannot_hold_is_refused(tmp_path):
    labels = LabelList.open(tmp_path, [])
    with pytest.raises(HarkError, match="contains a comma"):
        labels.add(["a,b"])
    assert labels.labels == []
