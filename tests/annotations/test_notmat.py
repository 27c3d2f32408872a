"""evsonganaly .not.mat files: the real finch annotations, crowsetta agreement, round trips, bad files."""

from __future__ import annotations

from pathlib import Path

import crowsetta
import numpy as np
import pytest
import scipy.io

from hark.annotations import Event, Kind, notmat_path_of, read_notmat, write_notmat
from hark.errors import FileFormatError, HarkError

FINCH_LABELS = {
    "gy6or6_baseline_230312_0808.138": "iiiiabcdeefghjkiabcdeefghjkiabcdeefghjkiabcdeefgiiiiiiabcdeefghjkiabcdeefghjki",
    "gy6or6_baseline_230312_0809.141": "iiiiiiiiiiabcdeefghjkiabcdeefghjkiabcdeefghjkiabcdeefghjk",
    "gy6or6_baseline_230312_0810.148": "iiiiiaiiabcdeefghjkiabcdeefghjkiabcdeefghjkiabcdeefghjkiabcdeefghjkiabcdeefghjkiabcdeef",
    "gy6or6_baseline_230312_0811.159": "iiiiiiiiiiiabcdeefghjkiabcdeefghjkiabcdeefghjkiab",
    "gy6or6_baseline_230312_0813.163": "iiiiiiiiiabcdeefghjkiabcdeefghjkiabcdeefghjkiabcdeefghjkiabcdeef",
    "gy6or6_baseline_230312_0816.179": "iiiiiabcdeefghjkiabcdeefghjkiabcdeefghjkiabcdeefghjkiabcdeefghjk",
    "gy6or6_baseline_230312_0817.183": "iiiiiabcdeefghjkiabcdeefghjkiiiiabcdeefghjkiabcdeef",
}


def write_evsonganaly_notmat(path: Path, labels: str, onsets_ms, offsets_ms, fs: int | None = 32000, **extra) -> Path:
    """A .not.mat with the variables and MATLAB types evsonganaly saves (column vectors, uint16 Fs)."""
    variables = {
        "fname": f"C:\\data\\bird\\{path.name.removesuffix('.not.mat')}",
        "labels": labels,
        "onsets": np.asarray(onsets_ms, dtype=float).reshape(-1, 1),
        "offsets": np.asarray(offsets_ms, dtype=float).reshape(-1, 1),
        "min_int": np.uint8(6),
        "min_dur": np.uint8(10),
        "threshold": np.uint16(1500),
        "sm_win": np.uint8(2),
        **extra,
    }
    if fs is not None:
        variables["Fs"] = np.uint16(fs)
    scipy.io.savemat(path, variables)
    return path


def test_reads_the_real_finch_annotations(shared_data):
    paths = sorted((shared_data / "finch").glob("*.cbin.not.mat"))
    assert [p.name.removesuffix(".cbin.not.mat") for p in paths] == sorted(FINCH_LABELS)
    all_labels = set()
    for path in paths:
        events = read_notmat(path, samplerate=32000)
        song = path.name.removesuffix(".cbin.not.mat")
        assert "".join(e.label for e in events) == FINCH_LABELS[song]
        assert {(e.recording, e.kind, e.annotator) for e in events} == {(song + ".cbin", Kind.ANNOTATED, "notmat")}
        all_labels |= {e.label for e in events}
        # crowsetta reads the same syllables (in seconds, unrounded): ours are those times in samples.
        reference = crowsetta.formats.seq.NotMat.from_file(path)
        assert [e.start for e in events] == [round(t * 32000) for t in reference.onsets]
        assert [e.stop for e in events] == [round(t * 32000) for t in reference.offsets]
    assert sorted(all_labels) == list("abcdefghijk")


def test_real_onsets_are_exact_samples(shared_data):
    events = read_notmat(shared_data / "finch" / "gy6or6_baseline_230312_0808.138.cbin.not.mat")
    # 1277.78125 ms and 1351.21875 ms at 32 kHz
    assert events[0] == Event("gy6or6_baseline_230312_0808.138.cbin", 40889, 43239, Kind.ANNOTATED, "i")
    assert len(events) == 78


def test_a_single_syllable_and_a_song_without_syllables(tmp_path):
    one = write_evsonganaly_notmat(tmp_path / "a.cbin.not.mat", "b", [10.0], [20.0])
    assert read_notmat(one) == [Event("a.cbin", 320, 640, Kind.ANNOTATED, "b")]
    none = write_evsonganaly_notmat(tmp_path / "b.cbin.not.mat", "", [], [])
    assert read_notmat(none) == []


def test_the_sample_rate_comes_from_fs_and_must_agree_with_the_recording(tmp_path):
    path = write_evsonganaly_notmat(tmp_path / "a.cbin.not.mat", "ab", [1.0, 5.0], [2.0, 6.0], fs=44100)
    assert [e.start for e in read_notmat(path)] == [44, 221]  # 44.1 and 220.5 to the nearest sample, halves up
    with pytest.raises(FileFormatError) as err:
        read_notmat(path, samplerate=32000)
    assert str(err.value) == f"{path}: Fs is 44100 Hz but a.cbin is sampled at 32000 Hz"
    no_fs = write_evsonganaly_notmat(tmp_path / "b.cbin.not.mat", "a", [1.0], [2.0], fs=None)
    assert read_notmat(no_fs, samplerate=8000)[0].stop == 16
    with pytest.raises(FileFormatError, match=r"b\.cbin\.not\.mat: no 'Fs' variable"):
        read_notmat(no_fs)


def test_label_count_differing_from_onsets(tmp_path):
    onsets = np.arange(54) * 100.0
    path = write_evsonganaly_notmat(tmp_path / "X.cbin.not.mat", "a" * 55, onsets, onsets + 50)
    with pytest.raises(FileFormatError) as err:
        read_notmat(path)
    assert str(err.value) == f"{path}: 55 labels but 54 onsets"


def test_onset_count_differing_from_offsets(tmp_path):
    path = write_evsonganaly_notmat(tmp_path / "X.cbin.not.mat", "ab", [1.0, 5.0], [2.0])
    with pytest.raises(FileFormatError, match=r"X\.cbin\.not\.mat: 2 onsets but 1 offsets$"):
        read_notmat(path)


def test_an_offset_before_its_onset(tmp_path):
    path = write_evsonganaly_notmat(tmp_path / "X.cbin.not.mat", "ab", [1.0, 5.0], [2.0, 4.5])
    with pytest.raises(FileFormatError) as err:
        read_notmat(path)
    assert str(err.value) == f"{path}: syllable 2 ('b' at 5 ms): offset 4.5 ms is before its onset"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"onsets,offsets\n1,2\n", "not a MATLAB .mat file"),
        (b"", "file is empty"),
    ],
)
def test_a_file_that_is_not_a_mat_file(tmp_path, content, reason):
    path = tmp_path / "X.cbin.not.mat"
    path.write_bytes(content)
    with pytest.raises(FileFormatError) as err:
        read_notmat(path)
    assert str(err.value).startswith(f"{path}: {reason}")
    assert "\n" not in str(err.value)


def test_a_mat_file_that_is_not_from_evsonganaly(tmp_path):
    path = tmp_path / "X.cbin.not.mat"
    scipy.io.savemat(path, {"data": np.zeros(3)})
    with pytest.raises(FileFormatError, match="no 'labels' variable; is this an evsonganaly .not.mat file"):
        read_notmat(path)


def test_labels_hark_cannot_store_and_bad_times_name_the_syllable(tmp_path):
    blank = write_evsonganaly_notmat(tmp_path / "a.cbin.not.mat", "a ", [1.0, 5.0], [2.0, 6.0])
    with pytest.raises(FileFormatError, match=r"syllable 2 \(' ' at 5 ms\): the label ' ' has leading or trailing spaces"):
        read_notmat(blank)
    negative = write_evsonganaly_notmat(tmp_path / "b.cbin.not.mat", "ab", [1.0, -5.0], [2.0, 6.0])
    with pytest.raises(FileFormatError, match="onsets 2 is -5 ms, not a time in the recording"):
        read_notmat(negative)


def test_the_recording_is_named_after_the_file_unless_given(tmp_path):
    path = write_evsonganaly_notmat(tmp_path / "a.cbin.not.mat", "a", [1.0], [2.0])
    assert read_notmat(path, recording="other.wav")[0].recording == "other.wav"
    odd = tmp_path / "labels.mat"
    odd.write_bytes(path.read_bytes())
    with pytest.raises(HarkError, match="cannot tell the recording"):
        read_notmat(odd)
    assert notmat_path_of(tmp_path / "a.cbin") == path


def test_write_round_trips_and_crowsetta_reads_it(tmp_path):
    events = [
        Event("song.cbin", 640, 900, Kind.ANNOTATED, "b"),
        Event("song.cbin", 40889, 43239, Kind.ANNOTATED, "a"),
    ]
    path = tmp_path / "song.cbin.not.mat"
    assert write_notmat(path, reversed(events), 32000) == 2
    assert read_notmat(path, samplerate=32000) == events
    variables = scipy.io.loadmat(path, squeeze_me=True)
    assert (variables["labels"], variables["fname"], variables["Fs"]) == ("ba", "song.cbin", 32000)
    assert scipy.io.loadmat(path)["onsets"].shape == (2, 1)  # column vectors, as evsonganaly saves them
    reference = crowsetta.formats.seq.NotMat.from_file(path)
    np.testing.assert_allclose(reference.onsets * 32000, [640, 40889])
    assert list(reference.labels) == ["b", "a"]


def test_write_refuses_what_evsonganaly_cannot_hold(tmp_path):
    with pytest.raises(HarkError, match="label 'song' cannot be written to a .not.mat: evsonganaly labels are one character"):
        write_notmat(tmp_path / "a.cbin.not.mat", [Event("a.cbin", 1, 2, Kind.ANNOTATED, "song")], 32000)
    two = [Event("a.cbin", 1, 2, Kind.ANNOTATED, "a"), Event("b.cbin", 1, 2, Kind.ANNOTATED, "a")]
    with pytest.raises(HarkError, match="belong to 2 recordings"):
        write_notmat(tmp_path / "a.cbin.not.mat", two, 32000)
    assert not (tmp_path / "a.cbin.not.mat").exists()
