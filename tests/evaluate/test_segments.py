"""Dense segmentation on hand-made probability traces: boundaries to the sample, gaps, short segments, the vote."""

import numpy as np
import pytest

from hark.annotations.event import Event, Kind
from hark.annotations.songexplorer import read_csv
from hark.errors import HarkError
from hark.evaluate.segments import SegmentationParams, segment
from hark.infer.engines import config_digest
from hark.infer.ethogram import write_ethograms
from hark.infer.probabilities import ProbabilitiesMeta, probabilities_paths, probabilities_writer
from hark.models.store import ModelConfig, save_config
from hark.params import validate_params

LABELS = ["background", "a", "b"]


def dense(sound, share_a=1.0):
    """Probabilities (frames, 3) with p(sound) = ``sound``, split between a and b by ``share_a``."""
    sound = np.asarray(sound, dtype=np.float64)
    share = np.broadcast_to(np.asarray(share_a, dtype=np.float64), sound.shape)
    return np.stack([1 - sound, sound * share, sound * (1 - share)], axis=1)


def spans(events):
    return [(e.start, e.stop, e.label) for e in events]


def run(p, threshold=0.5, **kwargs):
    settings = {"recording": "r.wav", "samplerate": 1000, "hop": 1, "min_duration_ms": 0, "fill_gap_ms": 0, **kwargs}
    return segment(p, LABELS, threshold=threshold, **settings)


def test_stride_one_boundaries_are_the_samples_above_threshold():
    sound = np.zeros(30)
    sound[7:19] = 0.9
    sound[6], sound[19] = 0.49, 0.51  # just below, just above the threshold
    # frame j describes sample 5 + j; sound frames 7..19 are samples 12..24
    events = run(dense(sound), offset=5)
    assert spans(events) == [(12, 25, "a")]
    assert events[0].kind is Kind.PREDICTED and events[0].recording == "r.wav"
    assert events[0].score == pytest.approx((12 * 0.9 + 0.51) / 13)


def test_crossings_are_interpolated_between_frames():
    sound = np.zeros(20)
    sound[5:10] = 0.9
    # frames every 10 samples from sample 5: frame 4 (sample 45) 0.0, frame 5 (sample 55) 0.9, so
    # 0.5 is crossed at 45 + 10 * 0.5 / 0.9 = 50.56: the first sample above is 51; frame 9 (95)
    # 0.9, frame 10 (105) 0.0: crossed at 95 + 10 * 0.4 / 0.9 = 99.44, the last sample above 99
    assert spans(run(dense(sound), hop=10, offset=5)) == [(51, 100, "a")]
    # with per-label thresholds the margin max(p_label - threshold) crosses 0 instead: a alone
    # (0.9 - 0.3 = 0.6 at frame 5): 45 + 10 * 0.3 / 0.9 = 48.33 -> 49, 95 + 10 * 0.6 / 0.9 -> 101
    assert spans(run(dense(sound), threshold={"a": 0.3}, hop=10, offset=5)) == [(49, 102, "a")]


def test_segments_at_the_edges_cover_their_half_frame_and_stop_at_the_recording_end():
    sound = np.ones(6)
    sound[2] = 0.0
    # hop 10 from sample 5: frame 0 stands for samples 0..9, frame 5 for 50..59, clipped to 57;
    # between, 0.5 is crossed half way from frame 1 (15) to frame 2 (25), and from 2 to 3 (35)
    assert spans(run(dense(sound), hop=10, offset=5, length=57)) == [(0, 21, "a"), (30, 57, "a")]


def test_short_gaps_are_filled_and_short_segments_dropped():
    sound = np.zeros(60)
    sound[10:20] = 0.9  # samples 10..19
    sound[25:40] = 0.9  # a gap of 5 samples (5 ms at 1 kHz)
    sound[44:47] = 0.9  # 3 ms long, 4 ms after
    p = dense(sound)
    assert spans(run(p)) == [(10, 20, "a"), (25, 40, "a"), (44, 47, "a")]
    assert spans(run(p, fill_gap_ms=5)) == [(10, 20, "a"), (25, 47, "a")]  # gaps shorter than 5 ms only
    assert spans(run(p, fill_gap_ms=5.5)) == [(10, 47, "a")]
    assert spans(run(p, min_duration_ms=3)) == [(10, 20, "a"), (25, 40, "a"), (44, 47, "a")]  # 3 ms is not shorter
    assert spans(run(p, min_duration_ms=3.5)) == [(10, 20, "a"), (25, 40, "a")]
    # filling comes first: the short segment survives once joined
    assert spans(run(p, fill_gap_ms=4.5, min_duration_ms=20)) == [(25, 47, "a")]


def test_one_label_per_segment_by_summed_probability():
    sound = np.zeros(20)
    sound[5:15] = 0.9
    share = np.full(20, 0.55)  # most frames lean a, weakly...
    share[5:9] = 0.0  # ...four lean b, fully
    events = run(dense(sound, share))
    # summed: a 6 * 0.9 * 0.55 = 2.97, b 4 * 0.9 + 6 * 0.9 * 0.45 = 6.03; counting winners would say a
    assert spans(events) == [(5, 15, "b")]
    assert events[0].score == pytest.approx(6.03 / 10)
    # a gap filled does not vote: its frames are below threshold
    sound[9:11] = 0.1
    share[9:11] = 1.0
    assert spans(run(dense(sound, share), fill_gap_ms=3)) == [(5, 15, "b")]


def test_blocks_give_the_same_events_as_one_pass():
    rng = np.random.default_rng(3)
    sound = np.clip(np.repeat(rng.random(40), rng.integers(1, 6, 40)) + 0.05 * rng.standard_normal(1), 0, 1)
    p = dense(sound, rng.random(len(sound)))
    whole = run(p, hop=3, offset=1, fill_gap_ms=4, min_duration_ms=2)
    assert len(whole) > 3
    for rows in (1, 2, 5, 17):
        assert run(p, hop=3, offset=1, fill_gap_ms=4, min_duration_ms=2, block_rows=rows) == whole


def test_nothing_can_be_sound():
    p = dense(np.full(10, 0.9))
    assert run(p, threshold=float("nan")) == []
    assert run(p, threshold={"a": float("nan")}) == []
    assert run(np.zeros((0, 3))) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": 1.5}, "between 0 and 1"),
        ({"threshold": {"background": 0.5}}, "threshold for 'background', which is no label"),
        ({"hop": 0}, "hop 0 must be a positive"),
        ({"samplerate": -1}, "sample rate -1 must be a positive number"),
    ],
)
def test_bad_arguments_are_one_line_errors(kwargs, message):
    with pytest.raises(HarkError, match=message):
        run(dense(np.zeros(4)), **kwargs)
    with pytest.raises(HarkError, match="do not match the 3 labels"):
        run(np.zeros((4, 2)))


def test_parameters_have_documented_defaults_and_are_checked():
    params = SegmentationParams()
    assert (params.threshold, params.min_duration_ms, params.fill_gap_ms) == (None, 10.0, 5.0)
    with pytest.raises(HarkError, match="fill_gap_ms"):
        validate_params(SegmentationParams, {"fill_gap_ms": -1}, "segmentation")


def dense_model(tmp_path, thresholds: str):
    """A dense model folder (config only) and 40 ms of stride-1 probabilities at 1 kHz holding two syllables."""
    model = tmp_path / "model"
    model.mkdir()
    config = ModelConfig(
        architecture="tcn", architecture_params={}, kind="frame", samplerate=1000, output_names=LABELS,
        labels=["a", "b"], supervision="dense", context=4, stride=1,
    )  # fmt: skip
    save_config(model, config)
    (model / "accuracy").mkdir()
    (model / "accuracy" / "thresholds.csv").write_text(thresholds)
    sound = np.zeros(40)
    sound[3:12] = 0.8  # samples 5..13 (offset 2)
    sound[12] = 0.3  # a dip of one frame: filled at --fill-gap-ms 5
    sound[13:20] = 0.8
    sound[28:38] = 0.8  # samples 30..39
    share = np.where(np.arange(40) < 25, 1.0, 0.0)
    meta = ProbabilitiesMeta(
        recording="bird.wav", output_names=LABELS, samplerate=1000, stride=1, offset=2, context=4, frames=40,
        recording_samples=44, config_digest=config_digest(config),
    )  # fmt: skip
    folder = tmp_path / "out"
    with probabilities_writer(probabilities_paths("bird.wav", folder)[0], meta) as write:
        write(0, dense(sound, share).astype(np.float32))
    return model, folder


def test_ethogram_segments_dense_models_at_the_background_threshold(tmp_path):
    rows = "label,ratio,threshold,precision,recall\nbackground,1.0,0.6,0.9,0.9\na,1.0,0.9,0.9,0.9\nb,1.0,0.9,0.9,0.9\nbackground,0.5,0.1,0.9,0.9\n"
    model, folder = dense_model(tmp_path, rows)
    # sound threshold 1 - 0.6 = 0.4: one event per syllable, though a and b alone never reach 0.9
    [path] = write_ethograms(model, None, folder, folder, ratio=1.0)
    assert [(e.start, e.stop, e.label) for e in read_csv(path)] == [(5, 22, "a"), (30, 40, "b")]
    # ratio 2 uses the background's threshold at 1/2: sound must reach 0.9, which nothing does
    assert read_csv(write_ethograms(model, None, folder, folder, ratio=2.0)[0], allow_empty=True) == []
    with pytest.raises(HarkError, match=r"no thresholds for precision-recall ratio 0.25 .*; run hark accuracy .* --ratio 0.25 \(a dense model's --ratio 4 uses the background threshold at ratio 0.25\)"):
        write_ethograms(model, None, folder, folder, ratio=4.0)
    params = SegmentationParams(threshold=0.5, fill_gap_ms=0, min_duration_ms=8.5)
    [path] = write_ethograms(model, None, folder, tmp_path / "strict", ratio=1.0, segmentation=params)
    assert read_csv(path) == [Event("bird.wav", 5, 14, Kind.PREDICTED, "a"), Event("bird.wav", 30, 40, Kind.PREDICTED, "b")]


def test_segmentation_settings_are_for_dense_models_only(tmp_path):
    model, folder = dense_model(tmp_path, "label,ratio,threshold,precision,recall\nbackground,1.0,0.6,0.9,0.9\n")
    (model / "config.json").write_text((model / "config.json").read_text().replace('"dense"', '"sparse"'))
    with pytest.raises(HarkError, match="trained with sparse supervision; segmentation settings apply to dense models only"):
        write_ethograms(model, None, folder, folder, ratio=1.0, segmentation=SegmentationParams(fill_gap_ms=1))
