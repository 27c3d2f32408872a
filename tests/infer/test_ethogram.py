import numpy as np
import pytest

from hark.annotations.event import Event, Kind
from hark.annotations.songexplorer import read_csv
from hark.errors import HarkError
from hark.infer import ethogram
from hark.infer.engines import config_digest
from hark.infer.ethogram import read_thresholds, write_ethograms
from hark.infer.probabilities import ProbabilitiesMeta, probabilities_paths, probabilities_writer
from hark.models.store import load_config, save_config
from tests.infer.helpers import make_model

THRESHOLDS = """label,ratio,threshold,precision,recall
song,1.0,0.5,0.9,0.9
ambient,1.0,0.5,0.95,0.95
song,2.0,0.7,0.95,0.6
ambient,2.0,0.5,0.95,0.95
"""


def hand_built(tmp_path, thresholds=THRESHOLDS):
    """20 frames, 100 samples apart from sample 50: song at frames 3-5 (peak 0.9) and 10 (0.6)."""
    model = make_model(tmp_path / "model", samplerate=1000)
    (model / "accuracy").mkdir()
    (model / "accuracy" / "thresholds.csv").write_text(thresholds)
    song = np.full(20, 0.1, np.float32)
    song[3:6] = [0.8, 0.9, 0.85]
    song[10] = 0.6
    meta = ProbabilitiesMeta(
        recording="bird.wav", output_names=["song", "ambient"], samplerate=1000, stride=100, offset=50, context=100,
        frames=20, recording_samples=2100, config_digest=config_digest(load_config(model)),
    )
    folder = tmp_path / "out"
    with probabilities_writer(probabilities_paths("bird.wav", folder)[0], meta) as write:
        write(0, np.stack([song, 1 - song], axis=1))
    return model, folder


def spans(events, label):
    return [(e.start, e.stop) for e in events if e.label == label]


def test_events_at_known_places(tmp_path):
    model, folder = hand_built(tmp_path)
    [path] = write_ethograms(model, ["bird.wav"], folder, folder, ratio=1.0)
    assert path == folder / "bird.wav-predicted-1.0pr.csv"
    events = read_csv(path)
    assert all(e.kind is Kind.PREDICTED and e.recording == "bird.wav" for e in events)
    # frame j stands for samples [50 + 100 j - 50, 50 + 100 j + 50)
    assert spans(events, "song") == [(300, 600), (1000, 1100)]
    assert spans(events, "ambient") == [(0, 300), (600, 1000), (1100, 2000)]
    assert [e.score for e in events if e.label == "song"] == pytest.approx([0.9, 0.6])
    [path] = write_ethograms(model, None, folder, tmp_path / "strict", ratio=2)
    assert path.name == "bird.wav-predicted-2.0pr.csv"
    assert spans(read_csv(path), "song") == [(300, 600)]


def test_runs_across_blocks_are_joined(tmp_path, monkeypatch):
    model, folder = hand_built(tmp_path)
    whole = read_csv(write_ethograms(model, None, folder, tmp_path / "a", 1.0)[0])
    monkeypatch.setattr(ethogram, "BLOCK_ROWS", 4)  # the song run 3..5 crosses the first edge
    assert read_csv(write_ethograms(model, None, folder, tmp_path / "b", 1.0)[0]) == whole


def test_missing_ratio_thresholds_or_probabilities(tmp_path):
    model, folder = hand_built(tmp_path)
    with pytest.raises(HarkError, match=r"thresholds.csv: no thresholds for precision-recall ratio 0.5 \(known: 1, 2\); run hark accuracy .* --ratio 0.5"):
        write_ethograms(model, None, folder, folder, ratio=0.5)
    with pytest.raises(HarkError, match="no probabilities for other.wav; run hark classify"):
        write_ethograms(model, ["other.wav"], folder, folder, ratio=1.0)
    with pytest.raises(HarkError, match="holds no probabilities; run hark classify"):
        write_ethograms(model, None, tmp_path, folder, ratio=1.0)
    with pytest.raises(HarkError, match="thresholds-dense.csv: no thresholds yet; run hark congruence"):
        write_ethograms(model, None, folder, folder, ratio=1.0, dense=True)
    (model / "accuracy" / "thresholds.csv").unlink()
    with pytest.raises(HarkError, match=r"thresholds.csv: no thresholds yet; run hark accuracy .* --ratio 1 first"):
        write_ethograms(model, None, folder, folder, ratio=1.0)
    assert not list(folder.glob("*.csv"))


def test_probabilities_of_another_model_are_refused(tmp_path):
    _, folder = hand_built(tmp_path)
    other = make_model(tmp_path / "other", samplerate=1000, outputs=("song", "ambient", "noise"))
    (other / "accuracy").mkdir()
    (other / "accuracy" / "thresholds.csv").write_text(THRESHOLDS)
    with pytest.raises(HarkError, match="come from another model"):
        write_ethograms(other, None, folder, folder, ratio=1.0)


def test_dense_thresholds_and_nan_thresholds(tmp_path):
    model, folder = hand_built(tmp_path)
    (model / "accuracy" / "thresholds-dense.csv").write_text("label,ratio,threshold,precision,recall\nsong,1.0,0.55,1,1\nambient,1.0,nan,nan,nan\n")
    assert np.isnan(read_thresholds(model, 1.0, dense=True)["ambient"])
    events = read_csv(write_ethograms(model, None, folder, folder, 1.0, dense=True)[0])
    assert events == [Event("bird.wav", 300, 600, Kind.PREDICTED, "song"), Event("bird.wav", 1000, 1100, Kind.PREDICTED, "song")]


def test_a_lower_threshold_never_finds_fewer_events():
    e = lambda start, stop, label="usv": Event("r.wav", start, stop, Kind.PREDICTED, label, score=0.9)  # noqa: E731
    stricter = [e(10, 20), e(30, 40), e(50, 60), e(200, 210)]
    looser = [e(5, 65), e(100, 120), e(195, 230)]  # one run over three stricter events; a new one; a wider one
    assert ethogram.not_fewer_events(looser, stricter) == [e(10, 20), e(30, 40), e(50, 60), e(100, 120), e(195, 230)]
    assert ethogram.not_fewer_events([], stricter) == stricter  # what the stricter threshold found stays
    # overlapped labels are grouped per label: a's run over two b events does not split
    mixed = ethogram.not_fewer_events([e(0, 100, "a")], [e(10, 20, "b"), e(30, 40, "b")], per_label=True)
    assert mixed == [e(0, 100, "a"), e(10, 20, "b"), e(30, 40, "b")]


def dense_trace(tmp_path):
    """A dense model's probabilities of sound: three calls separated by valleys of 0.4 (frames 3-5,
    8-9, 11), and a faint one (frame 15, 0.35) that only the high-recall threshold reaches."""
    model = make_model(tmp_path / "model", samplerate=1000, outputs=("background", "usv"))
    config = load_config(model).model_copy(update={"supervision": "dense"})
    save_config(model, config)
    (model / "accuracy").mkdir()
    # a dense model's ratio R uses the background's threshold at 1 / R: sound 0.5 at R = 1, 0.3 at R = 0.5
    (model / "accuracy" / "thresholds.csv").write_text(
        "label,ratio,threshold,precision,recall\nbackground,1.0,0.5,0.9,0.9\nbackground,2.0,0.7,0.95,0.5\nbackground,0.5,0.3,0.5,0.95\n"
    )
    sound = np.full(20, 0.05, np.float32)
    sound[3:12] = [0.8, 0.9, 0.8, 0.4, 0.4, 0.85, 0.9, 0.4, 0.8]
    sound[15] = 0.35
    meta = ProbabilitiesMeta(
        recording="mouse.wav", output_names=["background", "usv"], samplerate=1000, stride=100, offset=50, context=100,
        frames=20, recording_samples=2100, config_digest=config_digest(config),
    )
    folder = tmp_path / "out"
    with probabilities_writer(probabilities_paths("mouse.wav", folder)[0], meta) as write:
        write(0, np.stack([1 - sound, sound], axis=1))
    return model, folder


def test_high_recall_finds_at_least_the_calls_of_balanced_on_a_trace_whose_valleys_it_bridges(tmp_path):
    model, folder = dense_trace(tmp_path)
    counts = {}
    for name, ratio in ethogram.SENSITIVITY_RATIOS.items():
        [path] = write_ethograms(model, None, folder, tmp_path / name, ratio=ratio, boxes=ethogram.BoxSettings(enabled=False))
        counts[name] = read_csv(path, allow_empty=True)
    assert [len(counts[n]) for n in ("high-precision", "balanced", "high-recall")] == [3, 3, 4]
    # the three calls balanced separates stay separate; the faint one is added
    assert [(e.start, e.stop) for e in counts["high-recall"]][:3] == [(e.start, e.stop) for e in counts["balanced"]]
    # the plain runs at the high-recall threshold would have been two: the valleys of 0.4 joined
    from hark.evaluate.segments import SegmentationParams

    meta_array, meta = ethogram.open_probabilities("mouse.wav", folder)
    plain = ethogram.segmented_events(meta_array, meta, 0.3, SegmentationParams())
    assert len(plain) == 2


def test_dense_thresholds_of_every_congruence_run_are_kept_side_by_side_and_ethogram_reads_the_latest(tmp_path):
    from hark.evaluate.metrics import ThresholdRow
    from hark.infer.congruence import write_dense_thresholds

    model, _ = hand_built(tmp_path)
    first = [ThresholdRow("song", 1.0, 0.4, 1.0, 1.0), ThresholdRow("ambient", 1.0, 0.5, 1.0, 1.0)]
    second = [ThresholdRow("song", 1.0, 0.7, 0.9, 0.9), ThresholdRow("ambient", 1.0, 0.5, 1.0, 1.0)]
    latest, kept_first = write_dense_thresholds(model, first, "20261207T120000")
    _, kept_second = write_dense_thresholds(model, second, "20261207T120000")  # the same second
    assert kept_first.name == "thresholds-dense-20261207T120000.csv" and kept_second.name == "thresholds-dense-20261207T120000-2.csv"
    assert read_thresholds(model, 1.0, dense=True)["song"] == pytest.approx(0.7)
    from hark.evaluate.report import read_thresholds as read_rows

    assert [r.threshold for r in read_rows(kept_first)] == pytest.approx([0.4, 0.5])
    assert latest.read_text() == kept_second.read_text() != kept_first.read_text()
