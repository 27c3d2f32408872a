"""``hark suggest``: an ambiguous sound first, a budget kept, no overlapping picks, the same list under a seed."""

import shutil

import numpy as np
import pytest
import soundfile as sf
import torch

from hark.cli.app import main
from hark.demo import generate_fly
from hark.demo.fly import FLY_SAMPLERATE, FlySongParams, synthesize_fly
from hark.errors import HarkError
from hark.gui.review import read_suggestions, suggestion_file
from hark.infer.acquisition import near_threshold, pick
from hark.infer.suggest_request import SuggestParams
from hark.infer.suggest import suggest_sounds
from hark.models.store import list_checkpoints, read_checkpoint
from hark.train import DataParams, TrainParams, train_model

SMALL_NET = {"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8], "context_ms": 102.4}
PLANTED_MADS = (14.0, 16.0, 18.0)  # below the demo's 20-40 MAD pulses: where the model hesitates
TRAIN_PULSES = 8
PULSE_IPI_S = 0.035


@pytest.fixture(scope="module")
def pulse_model(tmp_path_factory):
    """Pulses against ambient, trained on two demo recordings (thresholds written by training)."""
    fly = tmp_path_factory.mktemp("fly")
    generate_fly(fly, n_recordings=2, duration_s=30.0, seed=3)
    out = tmp_path_factory.mktemp("models") / "pulses"
    params = TrainParams(steps=300, validation_period=50, batch_size=8, architecture_params=SMALL_NET, learning_rate=0.003)
    train_model(fly, DataParams(labels=["mel-pulse", "ambient"]), params, out, progress=False)
    return out


def _pulse(amplitude: float) -> np.ndarray:
    """One demo-like pulse: a 200 Hz carrier under a Gaussian of 7 ms full width at half maximum."""
    t = np.arange(int(0.05 * FLY_SAMPLERATE)) / FLY_SAMPLERATE
    sigma = 0.007 / (2 * np.sqrt(2 * np.log(2)))
    return amplitude * np.exp(-0.5 * ((t - 0.025) / sigma) ** 2) * np.sin(2 * np.pi * 200 * t)


@pytest.fixture(scope="module")
def unannotated(tmp_path_factory):
    """A new 20 s recording (no annotations): its natural pulses are clear, and faint pulse trains
    are planted in three of its silences. Returns (recording, planted spans, natural pulse samples)."""
    folder = tmp_path_factory.mktemp("new")
    samples, events = synthesize_fly(20.0, FLY_SAMPLERATE, rng=11, recording="new.wav")
    mad = FlySongParams().noise_mad
    silences = [e for e in events if e.label == "ambient"]
    planted = []
    for silence, mads in zip(silences, PLANTED_MADS):
        first = silence.start + 200
        for k in range(TRAIN_PULSES):
            at = first + int(k * PULSE_IPI_S * FLY_SAMPLERATE)
            pulse = _pulse(mads * mad)
            samples[at : at + len(pulse)] += pulse
        planted.append((first, first + int(TRAIN_PULSES * PULSE_IPI_S * FLY_SAMPLERATE)))
    path = folder / "new.wav"
    sf.write(path, samples, FLY_SAMPLERATE, subtype="PCM_16")
    natural = [e.start for e in events if e.label == "mel-pulse"]
    return path, planted, natural


def _rows(path):
    return [line.split(",") for line in path.read_text().splitlines()]


def test_a_planted_ambiguous_sound_ranks_above_clear_ones(pulse_model, unannotated, tmp_path):
    recording, planted, natural = unannotated
    result = suggest_sounds(pulse_model, [recording], tmp_path, SuggestParams(budget=10, diversity=0))
    assert result.candidates > 10 and len(result.suggestions) == 10
    first = result.suggestions[0]
    assert any(lo <= first.start and first.stop <= hi for lo, hi in planted), first
    assert first.reason.startswith("near threshold")
    clear = [s for s in result.suggestions if any(s.start - 20 <= p <= s.stop + 20 for p in natural)]
    assert all(s.usefulness < first.usefulness for s in clear)
    # without diversity the list is by usefulness
    assert [s.score for s in result.suggestions] == sorted((s.score for s in result.suggestions), reverse=True)


def test_suggestions_are_deterministic_keep_the_budget_and_never_overlap(pulse_model, unannotated, tmp_path):
    recording, _, _ = unannotated
    for budget in (3, 25):
        a = suggest_sounds(pulse_model, [recording], tmp_path / f"a{budget}", SuggestParams(budget=budget, seed=7))
        b = suggest_sounds(pulse_model, [recording], tmp_path / f"b{budget}", SuggestParams(budget=budget, seed=7))
        text = (tmp_path / f"a{budget}" / "new.wav-suggested.csv").read_text()
        assert text == (tmp_path / f"b{budget}" / "new.wav-suggested.csv").read_text()
        assert len(a.suggestions) == len(text.splitlines()) == min(budget, a.candidates) == budget
        spans = sorted((s.start, max(s.stop, s.start + 1)) for s in a.suggestions)
        assert all(stop <= next_start for (_, stop), (next_start, _) in zip(spans, spans[1:]))
        scores = [s.score for s in a.suggestions]
        assert scores == sorted(scores, reverse=True)  # the GUI orders by score: the order picked
        assert [s.label for s in b.suggestions] == [s.label for s in a.suggestions]


def test_the_gui_reads_the_suggestions_file_in_the_recordings_folder(pulse_model, unannotated):
    recording, _, _ = unannotated
    suggest_sounds(pulse_model, [recording], recording.parent, SuggestParams(budget=4))
    path = suggestion_file(recording)
    assert path is not None and path.name == "new.wav-suggested.csv"
    rows = read_suggestions(path)
    assert len(rows) == 4 and all(start <= stop for start, stop, _ in rows)
    assert all(cells[3] == "suggested" and cells[8] for cells in _rows(path))
    path.unlink()


def test_annotated_sounds_are_not_suggested_again_and_make_their_likes_less_novel(pulse_model, unannotated, tmp_path):
    recording, planted, _ = unannotated
    folder = tmp_path / "annotated"
    folder.mkdir()
    copy = folder / recording.name
    copy.write_bytes(recording.read_bytes())
    before = suggest_sounds(pulse_model, [copy], tmp_path / "before", SuggestParams(budget=5, diversity=0))
    top = before.suggestions[0]
    (folder / "new.wav-annotated-alice.csv").write_text(f"new.wav,{top.start},{top.stop},annotated,mel-pulse\n")
    after = suggest_sounds(pulse_model, [copy], tmp_path / "after", SuggestParams(budget=5, diversity=0))
    assert all(not (s.start <= top.stop and top.start <= s.stop) for s in after.suggestions)
    train = next((lo, hi) for lo, hi in planted if lo <= top.start <= hi)
    same_train = [s for s in after.suggestions if train[0] <= s.start <= train[1]]
    assert same_train and all(s.terms[2] < 0.5 for s in same_train)  # its pulses are like the annotated one
    assert all(s.terms[2] == 1.0 for s in before.suggestions)  # nothing annotated: every candidate as novel
    # a detected sound (hark detect) is a candidate too, unless --no-detected
    (folder / "new.wav-detected.csv").write_text("new.wav,1000,1100,detected,time\n")
    detected = suggest_sounds(pulse_model, [copy], tmp_path / "detected", SuggestParams(budget=5))
    assert detected.candidates == after.candidates + 1
    assert suggest_sounds(pulse_model, [copy], tmp_path / "no", SuggestParams(budget=5, detected=False)).candidates == after.candidates
    # and so are the sounds a named detector finds (demo pulses peak at 20-40 MADs: a time-domain threshold finds them)
    with_detector = suggest_sounds(pulse_model, [copy], tmp_path / "detector", SuggestParams(budget=5, detected=False, detector="time-freq-threshold"))
    assert with_detector.candidates > after.candidates
    with pytest.raises(HarkError, match="detector"):
        suggest_sounds(pulse_model, [copy], tmp_path / "bad", SuggestParams(detector="time-freq-threshold", detector_params={"no_such": 1}))
    assert not (tmp_path / "bad").exists()


def test_replicates_that_disagree_count(pulse_model, unannotated, tmp_path):
    recording, _, _ = unannotated
    replicates = tmp_path / "replicates"
    shutil.copytree(pulse_model, replicates / "1r")
    shutil.copytree(pulse_model, replicates / "2r")
    same = suggest_sounds(replicates, [recording], tmp_path / "same", SuggestParams(budget=5))
    assert len(same.members) == 2 and all(s.terms[1] == 0.0 for s in same.suggestions)  # identical replicates agree
    for _, path in list_checkpoints(replicates / "2r"):  # the second replicate hears pulses more readily
        state = read_checkpoint(path)
        bias = next(key for key in state["model"] if key.endswith("output.bias"))
        state["model"][bias][0] += 3.0
        torch.save(state, path)
    differ = suggest_sounds(replicates, [recording], tmp_path / "differ", SuggestParams(budget=5))
    assert max(s.terms[1] for s in differ.suggestions) > 0.5
    assert any("replicates disagree" in s.reason for s in differ.suggestions if s.terms[1] >= 0.5)


def test_pick_prefers_diverse_sounds_and_near_threshold_peaks_on_it():
    embeddings = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    spans = [("a", 0, 10), ("a", 20, 30), ("a", 40, 50)]
    scores = np.array([0.9, 0.85, 0.6])
    assert [i for i, _ in pick(scores, embeddings, spans, 2, diversity=0.0, seed=1)] == [0, 1]
    assert [i for i, _ in pick(scores, embeddings, spans, 2, diversity=0.5, seed=1)] == [0, 2]
    overlapping = [("a", 0, 10), ("a", 5, 15), ("b", 5, 15)]
    assert [i for i, _ in pick(scores, embeddings, overlapping, 3, diversity=0.0, seed=1)] == [0, 2]
    values = near_threshold(np.array([0.3, 0.5, 0.9, 0.999]), np.array([0.5, 0.5, 0.5, 0.5]))
    assert values[1] == pytest.approx(1.0) and values[0] < 1 and values[2] < values[0] and values[3] < 0.01


def test_bad_input_is_one_line_and_writes_nothing(pulse_model, unannotated, tmp_path, capsys):
    recording, _, _ = unannotated
    other = tmp_path / "other.wav"
    sf.write(other, np.zeros(8000, np.float32), 8000)
    with pytest.raises(HarkError, match="sampled at 8000 Hz, but .* trained at 2500 Hz"):
        suggest_sounds(pulse_model, [other], tmp_path / "out", SuggestParams())
    with pytest.raises(HarkError, match="not a hark model folder"):
        suggest_sounds(recording.parent, [recording], tmp_path / "out", SuggestParams())
    assert not (tmp_path / "out").exists()
    assert main(["suggest", "--model", str(pulse_model), "--out", str(tmp_path / "out"), "--labels", "song", str(recording)]) != 0
    err = capsys.readouterr().err
    assert "--labels song: not among the model's outputs" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
    assert main(["suggest", "--model", str(pulse_model), "--out", str(tmp_path / "cli"), "--budget", "2", str(recording)]) == 0
    assert len((tmp_path / "cli" / "new.wav-suggested.csv").read_text().splitlines()) == 2
