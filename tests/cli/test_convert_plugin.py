"""A toy annotation format added from outside hark, through the entry point group, used by the real ``hark`` CLI.

Must-show of issue 15: nothing in hark names the toy; a fake distribution on the PYTHONPATH
of a ``hark`` subprocess registers it (tests/plugins.py), and then ``hark convert`` writes and
reads it and ``hark info`` counts its events, in a ground-truth folder and on its own.
"""

from __future__ import annotations

import json

import pytest

from hark.annotations.formats import annotation_formats
from tests.annotations.helpers import write_wav
from tests.plugins import TOYS, fake_distribution, run_hark

CSV = "song.wav,800,1600,annotated,a\nsong.wav,2000,2004,annotated,b\n"  # at 8 kHz: 0.1-0.2 s, 0.25-0.2505 s


@pytest.fixture(scope="module")
def toy_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy")
    return fake_distribution(
        root,
        "hark_toy_format",
        {"hark.annotation_formats": {"toy": "toy_annotation_format:TOY"}},
        [TOYS / "toy_annotation_format.py"],
    )


def test_hark_converts_to_and_from_a_format_registered_from_outside(tmp_path, toy_site):
    write_wav(tmp_path / "song.wav", samplerate=8000, frames=8000)
    (tmp_path / "song.wav-annotated-ann.csv").write_text(CSV)

    done = run_hark("convert", "--to", "toy", tmp_path / "song.wav-annotated-ann.csv", tmp_path / "song.wav.toy", path=[toy_site])
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.strip() == f"wrote 2 events to {tmp_path / 'song.wav.toy'} (toy)"
    assert (tmp_path / "song.wav.toy").read_text() == "toy annotations\na 0.1 0.2\nb 0.25 0.2505\n"

    # Read back: the format is recognised by the toy's own sniff, the rate found beside it.
    done = run_hark("convert", "--to", "songexplorer", tmp_path / "song.wav.toy", tmp_path / "back.csv", path=[toy_site])
    assert (done.returncode, done.stderr) == (0, "")
    assert (tmp_path / "back.csv").read_text() == CSV


def test_hark_info_counts_the_toy_files_of_a_folder_and_one_file(tmp_path, toy_site):
    write_wav(tmp_path / "s1" / "song.wav", samplerate=8000, frames=8000)
    (tmp_path / "s1" / "song.wav.toy").write_text("toy annotations\na 0.1 0.2\nb 0.25 0.3\na 0.5 0.6\n")
    (tmp_path / "ghost.toy").write_text("toy annotations\n")  # names no recording in its folder
    done = run_hark("info", "--json", tmp_path, path=[toy_site])
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["recordings"][0]["annotation_files"] == ["s1/song.wav.toy"]
    assert report["annotations"] == [
        {"kind": "annotated", "label": "a", "count": 2},
        {"kind": "annotated", "label": "b", "count": 1},
    ]
    assert report["orphans"] == [{"path": "ghost.toy", "reason": "no recording 'ghost' (with or without extension) beside it"}]

    done = run_hark("info", "--json", tmp_path / "s1" / "song.wav.toy", path=[toy_site])
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["format"], report["recordings"]) == ("toy", ["song.wav"])
    assert [(a["label"], a["count"]) for a in report["annotations"]] == [("a", 2), ("b", 1)]
    without = run_hark("info", tmp_path / "s1" / "song.wav.toy")
    assert without.returncode == 2 and "not a recording" in without.stderr and "annotation file of a known format" in without.stderr


def test_the_toy_is_known_only_through_its_entry_point(tmp_path, toy_site):
    (tmp_path / "in.csv").write_text(CSV)
    with_toy = run_hark("convert", "--help", path=[toy_site])
    assert with_toy.returncode == 0 and "toy (label start_s stop_s lines)" in with_toy.stdout
    without = run_hark("convert", "--to", "toy", "--rate", "8000", tmp_path / "in.csv", tmp_path / "o.toy")
    assert without.returncode == 2
    assert without.stderr.startswith("hark: error: unknown annotation format 'toy'; known: audacity, generic, hark,")
    assert not (tmp_path / "o.toy").exists()
    unknown = run_hark("convert", "--to", "praat", tmp_path / "in.csv", tmp_path / "o.txt", path=[toy_site])
    known = ", ".join(sorted([*annotation_formats.names(), "toy"]))
    assert (unknown.returncode, unknown.stderr) == (2, f"hark: error: unknown annotation format 'praat'; known: {known}\n")
