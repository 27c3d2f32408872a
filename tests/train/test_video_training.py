"""Training with the movie filmed beside the audio (docs/video.md, "Video models").

The known answer: demo fly song whose pulses are labelled by the movie alone. Each recording
gets a time-code movie (:func:`hark.video.write_time_movie`: frame ``i`` shows ``i`` in
black and white cells), and each pulse is labelled ``lit`` when bit 3 of the frame shown at
its time is set (the cell is white, 8 frames of 25 fps in 16), else ``dark``. Every pulse
sounds alike whatever its label, so audio alone is at chance; the joined model must read the
cell to do better.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil

import numpy as np
import pytest

from hark.demo import generate_fly
from hark.demo.generate import write_demo_csv
from hark.errors import HarkError
from hark.infer.classify import classify_recordings
from hark.infer.freeze import freeze_model
from hark.infer.stream import open_streaming_engine
from hark.models.ensemble import make_ensemble
from hark.train.data import DataParams, TrainingData, Window
from hark.train.data_video import MoviePictures, load_video_windows, read_pictures
from hark.train.params import TrainParams
from hark.train.run import train_model
from hark.video import VideoInfo, VideoTooShortError, frame_index_of, write_time_movie

FPS, BIT, SECONDS = 25.0, 3, 30.0
AUDIO = {"n_conv_layers": 2, "feature_maps": 8, "context_ms": 100}


def label_of(seconds: float) -> str:
    index = VideoInfo(frames=int(SECONDS * FPS), fps=FPS, width=64, height=48).index_at(seconds)
    return "lit" if (index >> BIT) & 1 else "dark"


@pytest.fixture(scope="module")
def lit_pulses(tmp_path_factory):
    """Two 30 s demo fly recordings, their pulses labelled by the movie beside each."""
    folder = tmp_path_factory.mktemp("video")
    recordings = generate_fly(folder, n_recordings=2, duration_s=SECONDS, seed=0)
    for recording in recordings:
        pulses = [e for e in recording.events if e.label == "mel-pulse"]
        write_demo_csv(recording.csv, [dataclasses.replace(e, label=label_of(e.start / recording.samplerate)) for e in pulses])
        write_time_movie(recording.wav.with_suffix(".mp4"), SECONDS, fps=FPS, width=64, height=48)
    return folder, recordings


def params(**more) -> DataParams:
    return DataParams(labels="lit,dark", augmentations=[], validation_percent=30, **more)


def train(folder, architecture: str, architecture_params: dict, out, steps: int = 100) -> float:
    """The model's validation accuracy after ``steps``."""
    result = train_model(
        folder, params(), TrainParams(
            architecture=architecture, architecture_params=architecture_params, steps=steps, batch_size=32,
            validation_period=steps, learning_rate=0.003, threads=1,
        ), out,
    )
    rows = list(csv.DictReader(open(result.folder / "log.csv")))
    return float(rows[-1]["validation_accuracy"])


@pytest.fixture(scope="module")
def joined(lit_pulses, tmp_path_factory):
    """The audio-video model trained on the lit pulses: (its folder, its validation accuracy)."""
    out = tmp_path_factory.mktemp("joined") / "model"
    return out, train(lit_pulses[0], "audio-video", {"audio_params": AUDIO}, out)


def test_the_joined_model_reads_what_only_the_movie_shows(lit_pulses, joined, tmp_path):
    folder, recordings = lit_pulses
    labels = [label_of(e.start / r.samplerate) for r in recordings for e in r.events if e.label == "mel-pulse"]
    assert 0.3 < labels.count("lit") / len(labels) < 0.7  # both labels common: chance is about a half
    heard = train(folder, "convnet", AUDIO, tmp_path / "audio")
    seen_and_heard = joined[1]
    assert heard < 0.7, heard  # the pulses sound alike: audio alone is near chance
    assert seen_and_heard > 0.9 and seen_and_heard - heard > 0.25, (seen_and_heard, heard)


def test_classify_reads_the_movie_beside_each_recording(lit_pulses, joined, tmp_path):
    folder, recordings = lit_pulses
    model = joined[0]
    (result,) = classify_recordings(model, [recordings[1].wav], tmp_path / "out", engine="auto", device="cpu", chunk_seconds=7)
    assert result.error is None, result.error
    probabilities = np.load(result.output)
    meta = json.loads(result.output.with_suffix(".json").read_text())
    lit = meta["output_names"].index("lit")
    pulses = [e for e in recordings[1].events if e.label == "mel-pulse"]
    right = [
        (probabilities[(e.start - meta["offset"]) // meta["stride"], lit] > 0.5) == (label_of(e.start / recordings[1].samplerate) == "lit")
        for e in pulses
    ]
    assert np.mean(right) > 0.9, np.mean(right)


def test_classify_refuses_a_missing_or_short_movie(lit_pulses, joined, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(lit_pulses[0], folder)
    (folder / "fly-01.mp4").unlink()
    with pytest.raises(HarkError, match=r"fly-01.wav: no movie found beside it by video finder same-name") as err:
        classify_recordings(joined[0], [folder / "fly-01.wav"], tmp_path / "out", device="cpu")
    assert "\n" not in str(err.value)
    write_time_movie(folder / "fly-02.mp4", 10.0, fps=FPS, width=64, height=48)
    with pytest.raises(VideoTooShortError, match=r"fly-02.mp4: the movie lasts 10.000 s, shorter than .*fly-02.wav"):
        classify_recordings(joined[0], [folder / "fly-02.wav"], tmp_path / "out", device="cpu")
    with pytest.raises(HarkError, match="a video model reads a movie beside the audio and cannot be frozen"):
        freeze_model(joined[0])


def test_what_would_feed_a_video_model_audio_alone_refuses_it(joined, tmp_path):
    model = joined[0]
    with pytest.raises(HarkError, match="is a video model .*hark stream feeds audio alone"):
        open_streaming_engine(model)
    with pytest.raises(HarkError, match="is a video model .*cannot be averaged into an ensemble"):
        make_ensemble([model, model], tmp_path / "ensemble")


def test_the_video_model_alone_learns_it_too(lit_pulses, tmp_path):
    folder, _ = lit_pulses
    assert train(folder, "video", {"stride_ms": 10, "context_ms": 40}, tmp_path / "video", steps=60) > 0.9


@pytest.mark.parametrize("supervision", ["sparse", "dense"])
def test_each_window_gets_the_frames_shown_at_its_output_frames(lit_pulses, supervision):
    folder, recordings = lit_pulses
    data = TrainingData.from_folder(folder, params(supervision=supervision))

    class Model:  # what attach_video reads of a video model
        video_size, video_margin = 64, 2

    data.attach_video(Model())
    window = Window(context=50, stride=10, frames=3)
    batch = data.training_batch(np.random.default_rng(0), 8, window)
    assert batch.video.shape == (8, 3 + 4, 64, 64) and batch.video.dtype == np.uint8
    validation = next(iter(data.validation_batches(8, window)))
    for ref, pictures in zip(batch.where + validation.where, np.concatenate([batch.video, validation.video])):
        start = ref.position - window.centre_offset
        for k, picture in enumerate(pictures):
            seconds = (start + 25 + (k - 2) * 10) / recordings[0].samplerate
            expected = VideoInfo(frames=750, fps=FPS, width=64, height=48).index_at(seconds)
            assert frame_index_of(np.repeat(picture[..., None], 3, axis=2)) == expected


def test_pictures_are_the_nearest_frame_clamped_at_the_ends():
    movie = MoviePictures(np.arange(5, dtype=np.uint8)[:, None, None] * np.ones((1, 2, 2), np.uint8), fps=10.0)
    assert movie.at(np.array([-1.0, 0.0, 0.099, 0.1, 0.45, 9.0]))[:, 0, 0].tolist() == [0, 0, 0, 1, 4, 4]


def test_a_movie_shorter_than_its_recording_is_refused(tmp_path):
    folder = tmp_path / "short"
    recordings = generate_fly(folder, n_recordings=1, duration_s=4.0, seed=1)
    write_time_movie(recordings[0].wav.with_suffix(".mp4"), 2.0, fps=FPS, width=64, height=48)
    with pytest.raises(VideoTooShortError, match=r"fly-01.mp4: the movie lasts 2.000 s, shorter than .*fly-01.wav \(4.000 s\)") as err:
        read_pictures(recordings[0].wav, 4.0, 32)
    assert "\n" not in str(err.value)


def test_a_video_model_without_movies_is_a_one_line_error(fly_demo, tmp_path):
    folder, _ = fly_demo  # demo fly song with no movie beside it
    with pytest.raises(HarkError, match=r"fly-01.wav: no movie found beside it by video finder same-name") as err:
        train_model(folder, DataParams(labels="mel-pulse,mel-sine"), TrainParams(architecture="video", steps=1, batch_size=4), tmp_path / "out")
    assert "\n" not in str(err.value) and not (tmp_path / "out").exists()


def test_a_movie_shorter_than_its_recording_stops_training(lit_pulses, tmp_path):
    folder = tmp_path / "short"
    shutil.copytree(lit_pulses[0], folder)
    write_time_movie(folder / "fly-02.mp4", 20.0, fps=FPS, width=64, height=48)  # the recording lasts 30 s
    with pytest.raises(VideoTooShortError, match=r"fly-02.mp4: the movie lasts 20.000 s, shorter than .*fly-02.wav \(30.000 s\)") as err:
        train_model(folder, params(), TrainParams(architecture="video", steps=1, batch_size=4), tmp_path / "out")
    assert "\n" not in str(err.value) and not (tmp_path / "out").exists()


def test_augmentations_the_pictures_cannot_follow_are_refused(lit_pulses):
    folder, _ = lit_pulses
    data = TrainingData.from_folder(folder, params().model_copy(update={"augmentations": [{"name": "mixup"}]}))
    with pytest.raises(HarkError, match="augmentation mixup moves or mixes audio"):
        data.attach_video(type("Model", (), {"video_size": 32, "video_margin": 0})())


def test_another_finder_and_a_missing_movie(lit_pulses):
    folder, _ = lit_pulses
    with pytest.raises(HarkError, match="no movie found beside it by video finder strip-channel"):
        load_video_windows(folder, {"fly-01.wav": 10}, 2500, type("M", (), {"video_size": 8, "video_margin": 0})(),
                           params(video_finder="strip-channel", video_finder_params={"pattern": "-01$"}))


def test_reversed_audio_gets_its_pictures_backwards(lit_pulses):
    folder, _ = lit_pulses
    window = Window(context=50, stride=10, frames=5)
    model = type("Model", (), {"video_size": 16, "video_margin": 1})()
    plain = TrainingData.from_folder(folder, params(supervision="dense"))
    backwards = TrainingData.from_folder(folder, params(supervision="dense").model_copy(update={"augmentations": [{"name": "reverse", "params": {"probability": 1.0}}]}))
    plain.attach_video(model)
    backwards.attach_video(model)
    forward_batch = plain.training_batch(np.random.default_rng(3), 4, window)
    reversed_batch = backwards.training_batch(np.random.default_rng(3), 4, window)
    np.testing.assert_array_equal(reversed_batch.x, forward_batch.x[:, ::-1])
    np.testing.assert_array_equal(reversed_batch.video, forward_batch.video[:, ::-1])
    assert (forward_batch.video[:, 0] != forward_batch.video[:, -1]).any()  # the stretch spans frames that differ
