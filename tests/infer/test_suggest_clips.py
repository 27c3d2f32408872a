"""``hark suggest`` with a clip model: whole unannotated files, ranked by their prediction's margin, novelty from the annotated ones."""

import csv
import shutil

import pytest
import soundfile as sf

from hark.demo import generate_whale
from hark.infer.classify import classify_recordings
from hark.infer.suggest import suggest_sounds
from hark.infer.suggest_clips import margin_uncertainty
from hark.infer.suggest_request import SuggestParams
from hark.train import DataParams, TrainParams, train_model

SMALL_RESNET = {"preset": "custom", "channels": [4, 8], "window_ms": 64, "stride_ms": 32}
ANNOTATED = ("whale-001.wav", "whale-002.wav", "whale-003.wav")
COPY = "copy-of-whale-001.wav"  # the same audio as an annotated clip, not annotated itself


@pytest.fixture(scope="module")
def clip_model(tmp_path_factory):
    root = tmp_path_factory.mktemp("clip-suggest")
    generate_whale(root / "train", n_clips=24, seed=2)
    params = TrainParams(steps=60, validation_period=30, batch_size=8, architecture="resnet", architecture_params=SMALL_RESNET, threads=1)
    train_model(root / "train", DataParams(labels=["upcall", "noise"], supervision="clip"), params, root / "model", progress=False)
    return root / "model"


@pytest.fixture(scope="module")
def new_clips(tmp_path_factory):
    """Ten new clips, three of them annotated (their demo CSVs kept), and a copy of an annotated one."""
    folder = tmp_path_factory.mktemp("new-clips") / "clips"
    generate_whale(folder, n_clips=10, seed=7)
    (folder / "clips.csv").unlink()  # a clip table would annotate every clip
    for csv_file in folder.glob("*-annotated-*.csv"):
        if csv_file.name.split("-annotated-")[0] not in ANNOTATED:
            csv_file.unlink()
    shutil.copy(folder / ANNOTATED[0], folder / COPY)
    return folder


def _predictions(model, recordings, out):
    classify_recordings(model, recordings, out, device="cpu")
    with open(out / "predictions.csv") as f:
        rows = list(csv.DictReader(f))
    return {row["file"].rsplit("/", 1)[-1]: ([float(row["upcall"]), float(row["noise"])], row["label"]) for row in rows}


def test_unannotated_clips_are_ranked_whole_by_their_margin(clip_model, new_clips, tmp_path):
    unannotated = sorted(p for p in new_clips.glob("*.wav") if p.name not in ANNOTATED)
    expected = _predictions(clip_model, unannotated, tmp_path / "classified")
    params = SuggestParams(budget=20, diversity=0, novelty_weight=0, device="cpu")
    result = suggest_sounds(clip_model, [new_clips], tmp_path / "out", params)
    assert result.candidates == len(unannotated) == 8
    assert sorted(s.recording.name for s in result.suggestions) == [p.name for p in unannotated]  # the annotated never
    for s in result.suggestions:
        probabilities, label = expected[s.recording.name]
        margin = margin_uncertainty([probabilities])[0]
        assert (s.start, s.stop) == (0, sf.info(s.recording).frames) and s.label == label
        assert s.usefulness == pytest.approx(margin / 2, abs=1e-5)  # (margin + no disagreement) / 2 weights
    assert [s.usefulness for s in result.suggestions] == sorted((s.usefulness for s in result.suggestions), reverse=True)
    rows = (tmp_path / "out" / f"{result.suggestions[0].recording.name}-suggested.csv").read_text().split(",")
    assert rows[3] == "suggested" and rows[1] == "0"


def test_a_copy_of_an_annotated_clip_is_not_novel_and_the_list_follows_the_seed(clip_model, new_clips, tmp_path):
    first = suggest_sounds(clip_model, [new_clips], tmp_path / "a", SuggestParams(budget=5, seed=3, device="cpu"))
    again = suggest_sounds(clip_model, [new_clips], tmp_path / "b", SuggestParams(budget=5, seed=3, device="cpu"))
    assert [(s.recording.name, s.score) for s in first.suggestions] == [(s.recording.name, s.score) for s in again.suggestions]
    everything = suggest_sounds(clip_model, [new_clips], tmp_path / "c", SuggestParams(budget=20, diversity=0, device="cpu"))
    novelty = {s.recording.name: s.terms[2] for s in everything.suggestions}
    assert novelty[COPY] == pytest.approx(0, abs=1e-6)  # the same probability row as the annotated whale-001
    assert all(value > novelty[COPY] for name, value in novelty.items() if name != COPY)


def test_the_annotations_beside_a_linked_clip_count(clip_model, new_clips, tmp_path):
    """A folder of links (as the annotation budget's training folders are): an annotation beside a link leaves its clip out."""
    links = tmp_path / "links"
    links.mkdir()
    for clip in sorted(new_clips.glob("*.wav")):
        (links / clip.name).symlink_to(clip)
    shutil.copy(new_clips / f"{ANNOTATED[0]}-annotated-demo.csv", links)
    result = suggest_sounds(clip_model, [links], tmp_path / "out", SuggestParams(budget=20, device="cpu"))
    assert sorted(s.recording.name for s in result.suggestions) == sorted(p.name for p in links.glob("*.wav") if p.name != ANNOTATED[0])
    assert all(s.recording.parent == links for s in result.suggestions)


def test_margin_uncertainty():
    assert margin_uncertainty([[0.5, 0.5], [0.9, 0.1], [1.0, 0.0]]).tolist() == pytest.approx([1.0, 0.2, 0.0])
    assert margin_uncertainty([[0.2, 0.7, 0.1]]).tolist() == pytest.approx([0.5])  # the two highest of three
